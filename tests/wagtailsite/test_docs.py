"""docs/wagtail.md on the Wagtail site: the page models of its samples, as the page says."""

from __future__ import annotations

from django.test import RequestFactory
from wagtail.models import Page

from dj_layouts import Layout, Panel
from dj_layouts.wagtail import WagtailLayoutMixin
from tests.docs.pages import python_blocks, run_block


def test_the_samples_define_the_models_the_page_describes(db, restore_layout_registry):
    class BlogLayout(Layout):
        registry_key = "blog.BlogLayout"
        template = "wagtailsite/layout.html"
        sidebar = Panel("<p>sidebar</p>")
        ads = Panel("<p>ads</p>")

    class PrintLayout(Layout):
        registry_key = "blog.PrintLayout"
        template = "wagtailsite/print.html"

    # The samples run in a module of the installed app `blog`, as blog/models.py would.
    namespace = {"__name__": "tests.wagtailsite.blog.docs_models"}
    for block in python_blocks("wagtail.md"):
        run_block(block, namespace)

    blog_page = namespace["BlogPage"]
    assert blog_page.__mro__.index(WagtailLayoutMixin) < blog_page.__mro__.index(Page)
    assert blog_page._meta.app_label == "blog"
    assert list(blog_page.layout_panels) == ["sidebar", "ads"]
    assert blog_page.layout_panels["ads"] is None

    events = namespace["EventsPage"]()
    factory = RequestFactory()
    assert events.get_layout_class(factory.get("/")) is BlogLayout
    assert events.get_layout_class(factory.get("/", {"print": "1"})) is PrintLayout
