"""Settings for the test suite."""

from __future__ import annotations

import os
import tempfile

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Serves dj_layouts/stream.js, the runtime of "unordered" streamed pages.
    "django.contrib.staticfiles",
    "dj_layouts",
    # For tests/contrib/test_debug_toolbar.py, which adds its middleware; inactive elsewhere.
    "debug_toolbar",
    "tests.testapp",
    "tests.streamapp",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "tests.urls"

DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
    # For tests that watch worker threads close their connections: SQLite ignores
    # close() on an in-memory database, so only a file database shows it. Tests ask
    # for it with django_db(databases=[..., "threads"]); the pid keeps parallel runs apart.
    "threads": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(tempfile.gettempdir(), "dj_layouts_threads.sqlite3"),
        "TEST": {
            "NAME": os.path.join(
                tempfile.gettempdir(), f"dj_layouts_threads_test_{os.getpid()}.sqlite3"
            ),
        },
    },
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            # django_coverage_plugin needs template debug info to measure templates.
            "debug": True,
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tests.testapp.context_processors.site",
            ],
        },
    }
]

DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
DJ_LAYOUTS: dict[str, object] = {}
# debug_toolbar is installed for its own tests, which add its middleware themselves.
SILENCED_SYSTEM_CHECKS = ["debug_toolbar.W001"]
LOGIN_URL = "/login/"
STATIC_URL = "/static/"
