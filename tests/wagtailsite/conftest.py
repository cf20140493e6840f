"""The page tree of the Wagtail test site, built on the migrated database."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.cache import caches
from wagtail.models import Page, Site

from tests.wagtailsite.layouts import CALLS
from tests.wagtailsite.models import ArticlePage, EventsPage, NoticePage, StreamedPage


@pytest.fixture
def tree(db):
    """Home (Wagtail's default site root) with a page of each model under it."""
    home = Site.objects.get(is_default_site=True).root_page.specific
    assert isinstance(home, Page)
    pages = SimpleNamespace(home=home)
    pages.article = home.add_child(
        instance=ArticlePage(title="Hello", slug="hello", intro="First post")
    )
    pages.notice = home.add_child(instance=NoticePage(title="Closed Monday", slug="notice"))
    pages.streamed = home.add_child(
        instance=StreamedPage(title="Streamed", slug="streamed", intro="In parts")
    )
    pages.events = home.add_child(instance=EventsPage(title="Events", slug="events"))
    CALLS["cached"] = 0
    caches["default"].clear()
    return pages
