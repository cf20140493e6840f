"""Settings of the Wagtail test site (tests/wagtailsite/): run by `nox -s wagtail`.

`pytest tests/wagtailsite --ds=tests.wagtailsite.settings`; the main suite
(tests.settings) does not collect this folder (tests/conftest.py).
"""

from __future__ import annotations

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "wagtail",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.admin",
    "wagtail.contrib.routable_page",
    "taggit",
    "modelcluster",
    "dj_layouts",
    "tests.wagtailsite",
    "tests.wagtailsite.blog",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "tests.wagtailsite.urls"

# In memory: Django shares it between threads in tests, so threaded panels see the tree.
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "debug": True,
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
DJ_LAYOUTS: dict[str, object] = {}
STATIC_URL = "/static/"
WAGTAIL_SITE_NAME = "dj-layouts tests"
WAGTAILADMIN_BASE_URL = "http://testserver"
