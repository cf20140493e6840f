"""tests.settings with the bulkhead pages at the root and a small panel pool."""

from tests.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bulkapp.urls"
DJ_LAYOUTS = {"SYNC_PANEL_WORKERS": 8}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
