"""Page models of the Wagtail test site."""

from __future__ import annotations

from django.db import models
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.models import Page

from dj_layouts import Layout, Panel
from dj_layouts.wagtail import WagtailLayoutMixin


class ArticlePage(WagtailLayoutMixin, Page):
    """Renders both ways: in the layout, and alone (preview) through base_template."""

    intro = models.CharField(max_length=200, blank=True)

    layout_class = "tests.SiteLayout"
    template = "wagtailsite/article_page.html"

    def get_layout_class(self, request):
        # ?layout=<registry key> picks another layout: the per-request hook.
        key = request.GET.get("layout")
        return Layout.resolve(key) if key else super().get_layout_class(request)


class NoticePage(WagtailLayoutMixin, Page):
    """A layout class (not a key), a panel override and a panel removed."""

    from tests.wagtailsite.layouts import SiteLayout

    layout_class = SiteLayout
    layout_panels = {"aside": Panel("<aside>notice aside</aside>"), "footer": None}
    template = "wagtailsite/notice_page.html"


class StreamedPage(WagtailLayoutMixin, Page):
    intro = models.CharField(max_length=200, blank=True)

    layout_class = "tests.SiteLayout"
    layout_streaming = "ordered"
    template = "wagtailsite/article_page.html"


class EventsPage(WagtailLayoutMixin, RoutablePageMixin, Page):
    """A routable page: each route's response is the layout's content."""

    layout_class = "tests.SiteLayout"
    template = "wagtailsite/article_page.html"

    @path("past/")
    def past(self, request):
        return self.render(
            request, template="wagtailsite/events_past.html", context_overrides={"n": 3}
        )
