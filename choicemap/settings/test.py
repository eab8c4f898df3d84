"""Test runs: real PostGIS and Redis, fast password hashing."""

from .base import *  # noqa: F401,F403
from .base import env

SECRET_KEY = env("SECRET_KEY", default="test-only-not-secret-8d2b")
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests must never fetch tiles from the internet.
BASEMAP_TILE_URL = ""
LEAFLET_CONFIG = {**LEAFLET_CONFIG, "TILES": []}  # noqa: F405

# Tests turn automatic recomputes on where they test them; elsewhere they would queue stray runs.
REACH_AUTO_RECOMPUTE = False
# A Redis database of its own, so test runs never meet a developer's queued tasks.
REDIS_URL = env("TEST_REDIS_URL", default=REDIS_URL.rsplit("/", 1)[0] + "/15")  # noqa: F405
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL

# django-axes logs every sign-in at INFO; tests sign in hundreds of times.
AXES_VERBOSE = False
LOGGING = {**LOGGING, "loggers": {"axes": {"level": "WARNING"}}}  # noqa: F405
