"""Test runs: real PostGIS and Redis, fast password hashing."""

import os
import uuid

from .base import *  # noqa: F401,F403
from .base import CACHES, REDIS_URL, env

SECRET_KEY = env("SECRET_KEY", default="test-only-not-secret-8d2b")
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests must never fetch tiles from the internet.
BASEMAP_TILE_URL = ""
LEAFLET_CONFIG = {**LEAFLET_CONFIG, "TILES": []}  # noqa: F405

# Tests turn automatic recomputes on where they test them; elsewhere they would queue stray runs.
REACH_AUTO_RECOMPUTE = False
# A Redis database of its own, so test runs never meet a developer's queued tasks.
REDIS_URL = env("TEST_REDIS_URL", default=REDIS_URL.rsplit("/", 1)[0] + "/15")
# Celery prefers the CELERY_BROKER_URL environment variable to this setting, and var/env exports the
# developer's broker: drop it, so a test worker never takes tasks from (or gives them to) other checkouts.
os.environ.pop("CELERY_BROKER_URL", None)
CELERY_BROKER_URL = env("TEST_CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = REDIS_URL
# The cache on the same test database, under a prefix of its own for each run: cached values are keyed
# by database ids, which the next run's fresh test database hands out again.
CACHES = {
    "default": {
        **CACHES["default"],
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}",
        "TIMEOUT": 3600,
    }
}

# django-axes logs every sign-in at INFO; tests sign in hundreds of times.
AXES_VERBOSE = False
LOGGING = {**LOGGING, "loggers": {"axes": {"level": "WARNING"}}}  # noqa: F405
