"""tests.settings with the edge pages at the root, for a real uvicorn behind a real varnishd."""

from tests.settings import *  # noqa: F403

ROOT_URLCONF = "tests.edgeapp.urls"
INSTALLED_APPS = [*INSTALLED_APPS, "tests.edgeapp"]  # noqa: F405
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
# Off, so every panel request that reaches Django renders: what the tests count is what
# Varnish did not serve.
DJ_LAYOUTS = {"CACHE_ENABLED": False}
