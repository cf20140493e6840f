"""A Wagtail page tree served through dj-layouts: ``WagtailLayoutMixin`` page models.

The sandbox's dependency group brings Wagtail, so ``nox -s sandbox`` always has these
pages. ``ENABLED`` decides once, for the settings, the URLs and the catalogue, whether
they are on: Wagtail is installed (the test sessions of Django 4.2 cannot have it) and
``DJ_LAYOUTS_SANDBOX_WAGTAIL`` is not ``0``. Importing this package never imports Wagtail.
"""

from __future__ import annotations

import importlib.util
import os

ENABLED = (
    importlib.util.find_spec("wagtail") is not None
    and os.environ.get("DJ_LAYOUTS_SANDBOX_WAGTAIL", "1") != "0"
)
#: Where Wagtail serves the page tree; the rest of the sandbox's URLs stay as they are.
PAGES_PREFIX = "wagtail-pages/"
#: Wagtail's admin, to edit and preview the pages (``manage.py createsuperuser`` first).
ADMIN_PREFIX = "cms/"
