"""Settings of the sandbox, a demo project; not a template for production settings.

Environment variables:

- ``DJ_LAYOUTS_SANDBOX_DB``: the SQLite file (default ``sandbox/db.sqlite3``); the
  browser tests point it at a fresh temporary file.
- ``DJ_LAYOUTS_SANDBOX_DEBUG``: ``0`` turns Django's ``DEBUG`` off (default on).
- ``DJ_LAYOUTS_SANDBOX_TOOLBAR``: ``0`` keeps django-debug-toolbar off. With ``DEBUG``
  on and the toolbar installed, the dashboard pages show it with the layout panel.
- ``DJ_LAYOUTS_SANDBOX_WAGTAIL``: ``0`` leaves the Wagtail page tree out. With Wagtail
  installed (``nox -s sandbox`` installs it), its pages are under /wagtail-pages/ and
  its admin under /cms/ (``sandbox/wagtaildemo``).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from sandbox import wagtaildemo

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "sandbox-only-not-secret"
DEBUG = os.environ.get("DJ_LAYOUTS_SANDBOX_DEBUG", "1") != "0"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "dj_layouts",
    "sandbox.demo",
    "sandbox.htmxdemo",
    "sandbox.jinjademo",
    # Further demo apps go here.
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "sandbox.urls"
ASGI_APPLICATION = "sandbox.asgi.application"
WSGI_APPLICATION = "sandbox.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    # Templates in <app>/jinja2/ (sandbox/jinjademo): layouts and panels in Jinja2.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "APP_DIRS": True,
        "OPTIONS": {"environment": "dj_layouts.jinja2.environment"},
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJ_LAYOUTS_SANDBOX_DB") or BASE_DIR / "db.sqlite3",
        # Sync panels run in worker threads that each open a connection: wait for
        # SQLite's write lock instead of failing at once.
        "OPTIONS": {"timeout": 20},
    }
}

# One process, one cache: the panel cache demo needs nothing more.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DJ_LAYOUTS = {
    # The demo pages show what visitors get when a panel fails (the error
    # template), so failures never raise here, even with DEBUG on.
    "DEBUG_ERRORS": False,
    # `?_partial=1` (and HTMX requests) get the content view's own HTML.
    "PARTIAL_DETECTORS": [
        "dj_layouts.detection.htmx_detector",
        "dj_layouts.detection.query_param_detector",
    ],
    # /htmx/: an HTMX request from a page of the same layout gets the partial,
    # retargeted to #panel-content; from another layout, the full page.
    "HTMX_SMART_ROUTING": True,
    # A Server-Timing header on buffered pages while DEBUG is on (devtools, Network tab).
    "SERVER_TIMING": None,
}

# Wagtail, when installed: a page tree of WagtailLayoutMixin pages (sandbox/wagtaildemo).
if wagtaildemo.ENABLED:
    INSTALLED_APPS += [
        "wagtail.contrib.redirects",
        "wagtail.sites",
        "wagtail.users",
        "wagtail.snippets",
        "wagtail.documents",
        "wagtail.images",
        "wagtail.search",
        "wagtail.admin",
        "wagtail",
        "modelcluster",
        "taggit",
        "sandbox.wagtaildemo",
    ]
    MIDDLEWARE.append("wagtail.contrib.redirects.middleware.RedirectMiddleware")
    WAGTAIL_SITE_NAME = "dj-layouts sandbox"
    WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8000"

# django-debug-toolbar, when installed, on the dashboard pages: its "Layout" panel
# shows each panel's timing, thread and queries (dj_layouts.contrib.debug_toolbar).
TOOLBAR = (
    DEBUG
    and os.environ.get("DJ_LAYOUTS_SANDBOX_TOOLBAR", "1") != "0"
    and importlib.util.find_spec("debug_toolbar") is not None
)
if TOOLBAR:
    INSTALLED_APPS.append("debug_toolbar")
    MIDDLEWARE.insert(1, "debug_toolbar.middleware.DebugToolbarMiddleware")
    DEBUG_TOOLBAR_PANELS = [
        "dj_layouts.contrib.debug_toolbar.LayoutPanel",
        "debug_toolbar.panels.timer.TimerPanel",
        "debug_toolbar.panels.sql.SQLPanel",
        "debug_toolbar.panels.templates.TemplatesPanel",
        "debug_toolbar.panels.headers.HeadersPanel",
    ]
    DEBUG_TOOLBAR_CONFIG = {"SHOW_TOOLBAR_CALLBACK": "sandbox.toolbar.show_toolbar"}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # Failed panels are logged at ERROR by design; the error demo page makes some.
    "loggers": {"dj_layouts": {"handlers": ["console"], "level": "WARNING"}},
}
