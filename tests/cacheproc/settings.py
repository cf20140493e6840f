"""Settings for the cross-process cache tests: several uvicorn processes, one Redis.

``DJ_LAYOUTS_TEST_REDIS_URL`` names the Redis server (cache and render counters);
``DJ_LAYOUTS_TEST_LOCK_TIMEOUT`` and ``DJ_LAYOUTS_TEST_PANEL_SLEEP`` (seconds) let a
test make a lock holder look slow.
"""

from __future__ import annotations

import os

REDIS_URL = os.environ["DJ_LAYOUTS_TEST_REDIS_URL"]
PANEL_SLEEP = float(os.environ.get("DJ_LAYOUTS_TEST_PANEL_SLEEP", "0.3"))

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
INSTALLED_APPS = ["dj_layouts", "tests.cacheproc"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "tests.cacheproc.urls"
DATABASES: dict[str, object] = {}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
DJ_LAYOUTS = {"CACHE_LOCK_TIMEOUT": float(os.environ.get("DJ_LAYOUTS_TEST_LOCK_TIMEOUT", "10"))}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"dj_layouts": {"handlers": ["console"], "level": "WARNING"}},
}
