"""Settings shared by every environment; values come from environment variables."""

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# An optional .env file fills in what the shell did not export.
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(str(BASE_DIR / ".env"), overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "django.forms",
    "rest_framework",
    "rest_framework_gis",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leaflet",
    "simple_history",
    "axes",
    "csp",
    "health_check",
    "accounts",
    "areas",
    "services",
    "reach",
    "demo",
    "api",
    "openreferral",
    "maps",
    "careplans",
]

MIDDLEWARE = [
    # First, so that every later log line of a request carries its id (answered as X-Request-ID).
    "log_request_id.middleware.RequestIDMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "choicemap.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lock-out into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "choicemap.urls"
WSGI_APPLICATION = "choicemap.wsgi.application"
ASGI_APPLICATION = "choicemap.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
        },
    },
]

# Form widgets render with the project's templates too, so templates/leaflet/ replaces django-leaflet's
# inline start-up script in the admin's map widgets as well (the Content-Security-Policy forbids it).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgis://postgres@127.0.0.1:5432/choicemap"),
}
# Parallel test runs (several checkouts on one server) each name their own test database.
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default=None)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in hardening: django-axes refuses a username from one address after repeated failures.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Password spraying (a few passwords on many usernames): an address with this many failures in the
# cool-off time, over all usernames, is locked out too (accounts.lockout).
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=20)
AXES_HANDLER = "accounts.lockout.SprayLimitingHandler"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# Whose address a request comes from, for lock-outs and the care-record audit alike. Only REMOTE_ADDR
# is trusted unless a deployment behind a proxy names its header and proxy count.
AXES_IPWARE_META_PRECEDENCE_ORDER = env.list("CLIENT_IP_HEADERS", default=["REMOTE_ADDR"])
AXES_IPWARE_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=None)

# Care records are special-category data: short sessions that end with the browser.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
# Whose bank holidays "PH" in opening hours means: england-and-wales, scotland or northern-ireland (the
# days from services/bank_holidays.py, since the opening-hours library's GB calendar lacks some).
BANK_HOLIDAY_REGION = env.str("BANK_HOLIDAY_REGION", default="england-and-wales")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "staticfiles")
# Built travel networks (OSRM graphs, Valhalla tiles): large, rebuilt from their inputs, never in git.
NETWORK_DIR = Path(env("NETWORK_DIR", default=str(BASE_DIR / "var" / "networks")))
# Origins per Celery task when a network matrix is split across workers.
NETWORK_CHUNK_ORIGINS = env.int("NETWORK_CHUNK_ORIGINS", default=500)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE

# One cache for every process (web workers, Celery): anything counting requests in the cache (DRF
# throttling, django-axes' cache handler) counts across processes. (The unmet-preference figures are
# stored publications in the database, not cached.)
CACHES = {
    "default": {
        # django-redis, so that Redis being down costs the cache, not the page: errors are logged and
        # reads miss (see "Operations" below).
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env("CACHE_URL", default=REDIS_URL),
        "KEY_PREFIX": "choicemap",
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            # A Redis that hangs must not hang the page: give up quickly and compute without the cache.
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
        },
    }
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "api.schema.ChoicemapAutoSchema",
    # Token first: an anonymous request then gets 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "choicemap API",
    "VERSION": "1.0.0",
    "DESCRIPTION": "How many treatment options people can realistically reach, locality by locality. "
    "See docs/api.md; Open Referral UK endpoints are described in docs/openreferral.md.",
    "SCHEMA_PATH_PREFIX": r"/(api/v1|openreferral)",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs pages are for signed-in users; Open Referral UK stays open on its own.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI and ReDoc come from drf-spectacular-sidecar: the docs work with no internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # one name per shared choice set: every mode's travel-time source, and a run's provider
    "ENUM_NAME_OVERRIDES": {
        "TravelSourceEnum": "reach.models.TravelSource",
        "RunProviderEnum": "reach.models.TravelProvider",
    },
}

# Basemap tiles are optional: with no tile server reachable the map still draws localities and sites.
BASEMAP_TILE_URL = env("BASEMAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
BASEMAP_ATTRIBUTION = env("BASEMAP_ATTRIBUTION", default="&copy; OpenStreetMap contributors")
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (50.78, -2.2),
    "DEFAULT_ZOOM": 9,
    "MIN_ZOOM": 5,
    "MAX_ZOOM": 18,
    "TILES": [("Basemap", BASEMAP_TILE_URL, {"attribution": BASEMAP_ATTRIBUTION})] if BASEMAP_TILE_URL else [],
    "RESET_VIEW": False,
}


def _tile_origin(url: str) -> list[str]:
    """The basemap's origin for img-src, with Leaflet's {s} subdomains as a wildcard."""
    parts = urlsplit(url.replace("{s}", "*"))
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


# Content-Security-Policy (django-csp 4): no inline script anywhere, so data that slips into a page as
# markup still cannot run. Scripts are static files; inline styles stay allowed because Leaflet,
# Swagger UI and ReDoc set them, and styles cannot run script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "script-src-attr": [NONE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", *_tile_origin(BASEMAP_TILE_URL)],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Demo logins created by load_demo; the password is only for the demo data set.
DEMO_PASSWORD = env("DEMO_PASSWORD", default="choicemap-demo")
# Where people report accessibility problems; the accessibility statement (/accessibility/) shows it.
ACCESSIBILITY_CONTACT = env("ACCESSIBILITY_CONTACT", default="")

# Every log line carries the id of the request it belongs to; LOG_FORMAT=json (production's default)
# writes one JSON object per line, so values from users cannot forge lines.
LOG_FORMAT = env("LOG_FORMAT", default="text")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "log_request_id.filters.RequestIDFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# Debian 12 ships GDAL 3.6; spatial references here come only from admins' import commands.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# Imports refuse files larger than this (a mistaken or hostile upload should fail fast, not fill memory).
IMPORT_MAX_MB = env.int("IMPORT_MAX_MB", default=200)

# A catalogue or locality change queues one recompute of the default reach profile.
REACH_AUTO_RECOMPUTE = env.bool("REACH_AUTO_RECOMPUTE", default=True)
CELERY_TASK_IGNORE_RESULT = True  # runs keep their own status in the database

# Care records of a closed case are removed this many years after closure (a Celery beat task, daily).
CAREPLANS_RETENTION_YEARS = env.int("CAREPLANS_RETENTION_YEARS", default=8)
# The unmet-preference publication: built on this schedule (cron fields "minute hour day-of-month month
# day-of-week"; default 02:00 on the first of each month) and served unchanged until the next one. A
# new one is refused while the last is younger than UNMET_PUBLISH_MIN_DAYS, unless a superuser forces it.
UNMET_PUBLISH_CRON = env("UNMET_PUBLISH_CRON", default="0 2 1 * *")
UNMET_PUBLISH_MIN_DAYS = env.int("UNMET_PUBLISH_MIN_DAYS", default=7)
# The batch threshold: a publication is built only when at least this many people are counted
# differently (new, changed or gone) from every past publication; forcing does not skip it. Two
# publications fewer people apart would single those people out (docs/disclosure.md).
UNMET_PUBLISH_MIN_CHANGED = env.int("UNMET_PUBLISH_MIN_CHANGED", default=10)
CELERY_BEAT_SCHEDULE = {
    "careplans-remove-expired-records": {
        "task": "careplans.remove_expired_records",
        "schedule": crontab(hour=3, minute=30),
    },
    "careplans-publish-unmet": {
        "task": "careplans.publish_unmet",
        "schedule": crontab(
            **dict(
                zip(
                    ["minute", "hour", "day_of_month", "month_of_year", "day_of_week"],
                    UNMET_PUBLISH_CRON.split(),
                    strict=True,
                )
            )
        ),
    },
}

# --- Operations (issue 11, reliability and production stack) ---------------------------------------
# Request ids: always generated here (a client's header is not trusted), logged and sent back.
GENERATE_REQUEST_ID_IF_NOT_IN_HEADER = True
REQUEST_ID_RESPONSE_HEADER = "X-Request-ID"
LOG_REQUESTS = env.bool("LOG_REQUESTS", default=False)
# The request line names no user: looking the user up would read the session from the database, and a
# request must still be logged when the database is away (the care-record audit says who read what).
LOG_USER_ATTRIBUTE = None
# The cache's ignored Redis errors are logged (once per failed call) under this logger name.
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "choicemap.cache"
# A queued or running run with no sign of life (heartbeat) for this long is stale: marked failed by a beat
# task every minute and before any run starts, which frees its profile; /health/ready names it meanwhile.
REACH_RUN_STALE_SECONDS = env.int("REACH_RUN_STALE_SECONDS", default=15 * 60)
CELERY_BEAT_SCHEDULE["reach-fail-stale-runs"] = {"task": "reach.fail_stale_runs", "schedule": 60.0}
# No run may take longer than this (Celery kills it); the Redis broker redelivers an unacknowledged task
# only after visibility_timeout, which must therefore be longer than any run. (RabbitMQ redelivers a dead
# worker's task at once and needs no such timeout: CELERY_BROKER_URL=amqp://…)
REACH_RUN_TIME_LIMIT_SECONDS = env.int("REACH_RUN_TIME_LIMIT_SECONDS", default=30 * 60)
CELERY_TASK_TIME_LIMIT = REACH_RUN_TIME_LIMIT_SECONDS
# CELERY_VISIBILITY_TIMEOUT overrides it (the worker-killed tests shorten it to redeliver in seconds).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=REACH_RUN_TIME_LIMIT_SECONDS + 5 * 60)
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
