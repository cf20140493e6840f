"""dj_layouts.wagtail on a real Wagtail site: migrations, a page tree, Django's test client."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import StreamingHttpResponse
from django.test import RequestFactory, override_settings
from wagtail.models import Page

from dj_layouts.wagtail import WagtailLayoutMixin
from tests.wagtailsite import layouts


def body(response):
    if isinstance(response, StreamingHttpResponse):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


# -- a page in its layout ------------------------------------------------------------------------
def test_a_page_is_the_content_of_its_layout(client, tree):
    response = client.get("/hello/")
    assert response.status_code == 200
    html = body(response)
    # base_template is layouts/blank.html: the page's block alone, no second <html>.
    assert "<main><article><h1>Hello</h1><p>First post</p></article>\n</main>" in html
    assert html.count("<html>") == 1
    assert "wagtail-alone" not in html
    # Panels in the layout: one reads the page tree, one is async, one is cached.
    assert (
        '<nav><a href="/hello/">Hello</a><a href="/notice/">Closed Monday</a>'
        '<a href="/streamed/">Streamed</a><a href="/events/">Events</a></nav>'
    ) in html
    assert "<aside>async aside, 1 site</aside>" in html
    assert "<footer><p>cached #1</p></footer>" in html
    # A panel's queued script reaches the layout's queue.
    assert '<script src="/static/nav.js"></script>' in html


def test_the_cached_panel_runs_once_for_two_pages(client, tree):
    assert "<p>cached #1</p>" in body(client.get("/hello/"))
    assert "<p>cached #1</p>" in body(client.get("/events/"))
    assert layouts.CALLS["cached"] == 1


def test_a_layout_class_and_panel_overrides(client, tree):
    html = body(client.get("/notice/"))
    assert '<main><p class="notice">Closed Monday</p>\n</main>' in html
    assert "<aside>notice aside</aside>" in html
    assert "<footer>no footer</footer>" in html  # footer: None removes the panel
    assert layouts.CALLS["cached"] == 0


def test_get_layout_class_chooses_per_request(client, tree):
    html = body(client.get("/hello/", {"layout": "tests.PrintLayout"}))
    assert html == '<div class="print"><article><h1>Hello</h1><p>First post</p></article>\n</div>\n'


def test_a_routable_pages_routes_are_the_content(client, tree):
    html = body(client.get("/events/past/"))
    assert "<main><p>3 past events of Events</p>\n</main>" in html
    assert "<aside>async aside, 1 site</aside>" in html


def test_a_404_from_wagtail_is_not_wrapped(client, tree):
    response = client.get("/nowhere/")
    assert response.status_code == 404
    assert "<nav>" not in body(response)


# -- executors -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "concurrent"),
    [("tests.SlowSequential", False), ("tests.SlowThreaded", True), ("tests.SlowGather", True)],
)
def test_every_executor_serves_the_page(client, tree, key, concurrent):
    layouts.RUNS.clear()
    html = body(client.get("/hello/", {"layout": key}))
    assert html == (
        "<main><article><h1>Hello</h1><p>First post</p></article>\n</main><p>slow</p><p>slow</p>\n"
    )
    # Whether the two panels' sleeps overlapped, not how long the page took: the
    # machine may be shared, a wall-clock bound would flake.
    (_, first_end), (second_start, _) = sorted(layouts.RUNS)
    assert (second_start < first_end) is concurrent


# -- partials and HTMX routing -------------------------------------------------------------------
@override_settings(DJ_LAYOUTS={"PARTIAL_DETECTORS": ["dj_layouts.detection.htmx_detector"]})
def test_an_htmx_request_gets_the_page_alone(client, tree):
    response = client.get("/hello/", headers={"HX-Request": "true"})
    assert body(response) == "<article><h1>Hello</h1><p>First post</p></article>\n"
    assert "HX-Request" in response["Vary"]


@override_settings(
    DJ_LAYOUTS={
        "PARTIAL_DETECTORS": ["dj_layouts.detection.htmx_detector"],
        "HTMX_SMART_ROUTING": True,
        "HTMX_CONTENT_TARGET": "#content",
    }
)
def test_htmx_routing_by_the_layout_shown(client, tree):
    same = client.get("/hello/", headers={"HX-Request": "true", "DJ-Layout": "tests.SiteLayout"})
    assert body(same) == "<article><h1>Hello</h1><p>First post</p></article>\n"
    assert same["HX-Retarget"] == "#content"

    other = client.get("/hello/", headers={"HX-Request": "true", "DJ-Layout": "tests.PrintLayout"})
    assert "<nav>" in body(other)
    assert (other["HX-Retarget"], other["HX-Reswap"]) == ("body", "outerHTML")


# -- streaming -----------------------------------------------------------------------------------
def test_a_streamed_page(client, tree):
    response = client.get("/streamed/")
    assert isinstance(response, StreamingHttpResponse)
    html = body(response)
    assert "<main><article><h1>Streamed</h1><p>In parts</p></article>\n</main>" in html
    assert html.index("<nav>") < html.index("<main>") < html.index("<aside>async aside")


# -- preview bypasses the layout -----------------------------------------------------------------
def test_a_preview_is_served_by_wagtail_alone(tree):
    request = RequestFactory().get("/hello/")
    preview = tree.article.make_preview_request(request, "")
    html = body(preview)
    assert html == (
        "<!doctype html><html><head><title>Hello (Wagtail alone)</title></head>\n"
        '<body class="wagtail-alone"><article><h1>Hello</h1><p>First post</p></article></body></html>\n'
    )


def test_serve_with_is_preview_calls_wagtails_serve(tree, rf):
    """A serve_preview() that calls serve() (older Wagtail did) gets no layout either."""
    request = rf.get("/hello/")
    request.is_preview = True
    response = tree.article.serve(request)
    assert "base_template" not in response.context_data
    assert "wagtail-alone" in body(response.render())


def test_base_template_is_in_the_context_only_inside_a_layout(client, tree, rf):
    response = client.get("/hello/", {"layout": "tests.PrintLayout"})
    assert response.context["base_template"] == "layouts/blank.html"
    assert response.context["page"] == tree.article
    assert "base_template" not in tree.article.get_context(rf.get("/hello/"))


# -- configuration errors ------------------------------------------------------------------------
def test_the_mixin_after_page_is_an_error_at_class_creation():
    with pytest.raises(TypeError) as excinfo:

        class LatePage(Page, WagtailLayoutMixin):
            class Meta:
                abstract = True

    assert excinfo.value.args == (
        "test_the_mixin_after_page_is_an_error_at_class_creation.<locals>.LatePage lists "
        "WagtailLayoutMixin after Wagtail's Page (bases: Page, WagtailLayoutMixin), so Page's "
        "serve() would run without the layout. Put the mixin first: "
        "class test_the_mixin_after_page_is_an_error_at_class_creation.<locals>.LatePage"
        "(WagtailLayoutMixin, ...).",
    )


def test_a_layout_class_that_is_no_layout_is_an_error_at_class_creation():
    with pytest.raises(TypeError) as excinfo:

        class BadPage(WagtailLayoutMixin, Page):
            layout_class = 42

            class Meta:
                abstract = True

    assert excinfo.value.args == (
        "test_a_layout_class_that_is_no_layout_is_an_error_at_class_creation.<locals>.BadPage"
        ".layout_class: the layout must be a Layout subclass or a registry key such as "
        "'myapp.DefaultLayout', not 42.",
    )


def test_bad_streaming_and_panels_are_errors_at_class_creation():
    with pytest.raises(TypeError) as excinfo:

        class StreamPage(WagtailLayoutMixin, Page):
            layout_streaming = "sideways"

            class Meta:
                abstract = True

    assert excinfo.value.args == (
        "test_bad_streaming_and_panels_are_errors_at_class_creation.<locals>.StreamPage"
        ".layout_streaming must be None, 'ordered' or 'unordered', not 'sideways'.",
    )
    with pytest.raises(TypeError) as excinfo:

        class PanelsPage(WagtailLayoutMixin, Page):
            layout_panels = {"content": None}

            class Meta:
                abstract = True

    assert excinfo.value.args == (
        "test_bad_streaming_and_panels_are_errors_at_class_creation.<locals>.PanelsPage"
        ".layout_panels: 'content' is not a valid panel name (an identifier other than "
        "'content').",
    )


def test_a_page_without_a_layout_names_the_fix(tree, rf):
    class Bare(WagtailLayoutMixin):
        pass

    with pytest.raises(ImproperlyConfigured) as excinfo:
        Bare().get_layout_class(rf.get("/"))
    assert excinfo.value.args == (
        "test_a_page_without_a_layout_names_the_fix.<locals>.Bare is missing a layout. Define "
        "test_a_page_without_a_layout_names_the_fix.<locals>.Bare.layout_class or override "
        "test_a_page_without_a_layout_names_the_fix.<locals>.Bare.get_layout_class(request).",
    )


# -- the core never imports Wagtail --------------------------------------------------------------
def test_importing_dj_layouts_does_not_import_wagtail():
    code = (
        "import sys, django; django.setup(); import dj_layouts, dj_layouts.templatetags.layouts; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'wagtail'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**_env(), "DJANGO_SETTINGS_MODULE": "tests.settings"},
    )
    assert result.stdout == "[]\n"
    assert re.search(r"^wagtail\b", result.stdout) is None


def _env():
    import os

    return dict(os.environ)
