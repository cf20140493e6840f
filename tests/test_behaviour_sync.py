"""Whole pages through Django's test client (WSGI, sync views): what a visitor gets."""

from __future__ import annotations

import logging
import re

import pytest
from django.core import checks
from django.http import HttpResponse
from django.test import override_settings
from django.urls import include, path
from django.views.generic import TemplateView

from dj_layouts import (
    Layout,
    LayoutMixin,
    Panel,
    ScriptQueue,
    add_script,
    layout,
    panel_only,
    render_with_layout,
)

# -- the getting-started project (docs/getting-started.md), in one module -------------------


class BehaviourDefaultLayout(Layout):
    template = "testapp/core/gs-layout.html"
    layout_context_defaults = {"site_name": "My site"}
    scripts = ScriptQueue()

    sidebar = Panel("behaviour:sidebar")  # a namespaced URL name: calls that view
    footer = Panel("<p>© My site</p>")  # a string without ":" is literal HTML


@layout("tests.BehaviourDefaultLayout")
def home(request):
    request.layout_context["page_title"] = "Welcome"
    return HttpResponse("<h1>Welcome!</h1><p>Hello, world.</p>")


def about(request):
    return render_with_layout(
        request, "tests.BehaviourDefaultLayout", "testapp/core/gs-about.html", {"founded": 2024}
    )


@panel_only
def sidebar(request):
    add_script(request, "/static/sidebar.js", defer=True)
    return HttpResponse(
        f"<nav><a href='/'>Home</a> <a href='/about/'>About</a> on {request.path}</nav>"
    )


# -- a page with a failing panel ------------------------------------------------------------


def news(request):
    add_script(request, "/static/news.js")
    raise ConnectionError("news service is down")


class BehaviourNewsLayout(BehaviourDefaultLayout):
    news = Panel(news)


@layout(BehaviourNewsLayout)
def front(request):
    if request.method == "POST":
        request.layout_context["page_title"] = f"Hello {request.POST['name']}"
        return HttpResponse(f"<p>Thanks, {request.POST['name']}.</p>")
    add_script(request, "/static/front.js")
    return HttpResponse("<h1>Front page</h1>")


class AccountView(LayoutMixin, TemplateView):
    layout_class = BehaviourDefaultLayout
    template_name = "testapp/core/content.html"

    def get_context_data(self, **kwargs):
        self.request.layout_context["page_title"] = "Your account"
        return {**super().get_context_data(**kwargs), "heading": "Account"}


behaviour_patterns = [
    path("", home, name="home"),
    path("about/", about, name="about"),
    path("_panels/sidebar/", sidebar, name="sidebar"),
    path("front/", front, name="front"),
    path("account/", AccountView.as_view(), name="account"),
]
urlpatterns = [path("", include((behaviour_patterns, "behaviour")))]

pytestmark = pytest.mark.urls(__name__)


def _tag(html, tag):
    match = re.search(rf"<{tag}[^>]*>(.*?)</{tag}>", html, re.S)
    assert match is not None, f"no <{tag}> in the page"
    return match.group(1).strip()


# -- getting started ----------------------------------------------------------------------
def test_home_page_has_the_sidebar_content_and_footer(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert html.startswith("\n<!doctype html>\n<html>")
    assert _tag(html, "title") == "Welcome"
    assert _tag(html, "aside") == "<nav><a href='/'>Home</a> <a href='/about/'>About</a> on /</nav>"
    assert _tag(html, "main") == "<h1>Welcome!</h1><p>Hello, world.</p>"
    assert _tag(html, "footer") == "<p>© My site</p>"
    assert _tag(html, "section") == "<p>No news.</p>"  # an unknown panel: the fallback
    assert '<script src="/static/sidebar.js" defer></script>' in html
    assert (
        "<body hx-headers='{&quot;DJ-Layout&quot;: &quot;tests.BehaviourDefaultLayout&quot;}'>"
        in html
    )


def test_about_renders_a_template_in_the_same_layout(client):
    html = client.get("/about/").content.decode()
    assert _tag(html, "title") == "My site"
    assert _tag(html, "main") == "<h1>About us</h1>\n<p>Founded in 2024.</p>"
    assert _tag(html, "aside").startswith("<nav>")
    assert _tag(html, "aside").endswith("on /about/</nav>")


def test_the_sidebar_is_not_a_page(client):
    assert client.get("/_panels/sidebar/").status_code == 403


def test_a_class_based_view_in_the_same_layout(client):
    html = client.get("/account/").content.decode()
    assert _tag(html, "title") == "Your account"
    assert _tag(html, "main") == '<h1>Account</h1><p class="content-path">/account/</p>'
    assert _tag(html, "footer") == "<p>© My site</p>"


def test_the_project_passes_the_system_checks():
    messages = [
        message
        for message in checks.run_checks()
        if message.obj in (BehaviourDefaultLayout, BehaviourNewsLayout)
        or "Behaviour" in message.msg
    ]
    assert messages == []


# -- a failing panel ------------------------------------------------------------------------
@override_settings(DEBUG=False, DJ_LAYOUTS={})
def test_a_failing_panel_is_logged_and_the_rest_of_the_page_is_served(client, caplog):
    with caplog.at_level(logging.ERROR, logger="dj_layouts"):
        response = client.get("/front/")
    assert response.status_code == 200
    html = response.content.decode()
    assert _tag(html, "main") == "<h1>Front page</h1>"
    assert _tag(html, "aside").endswith("on /front/</nav>")
    assert _tag(html, "footer") == "<p>© My site</p>"
    assert _tag(html, "section") == (
        '<div class="dj-layouts-panel-error" data-panel="news" role="alert">This part of the '
        "page could not be loaded.</div>"
    )
    assert "news service is down" not in html
    # Content view's scripts first, then the panels' in definition order; the failed
    # panel's script is dropped.
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts == ["/static/front.js", "/static/sidebar.js"]
    [record] = [r for r in caplog.records if r.name == "dj_layouts"]
    assert record.getMessage() == (
        "Panel 'news' of layout tests.BehaviourNewsLayout failed: "
        "ConnectionError: news service is down"
    )


@override_settings(DEBUG=True, DJ_LAYOUTS={})
def test_in_debug_mode_the_failing_panel_raises(client):
    from dj_layouts import PanelRenderError

    with pytest.raises(PanelRenderError) as excinfo:
        client.get("/front/")
    assert excinfo.value.args == (
        "Panel 'news' failed to render: ConnectionError: news service is down",
    )


@override_settings(DEBUG=False, DJ_LAYOUTS={})
def test_a_form_post_reaches_the_content_view_and_panels_still_render(client, caplog):
    with caplog.at_level(logging.CRITICAL, logger="dj_layouts"):
        response = client.post("/front/", {"name": "Ada"})
    assert response.status_code == 200
    html = response.content.decode()
    assert _tag(html, "title") == "Hello Ada"
    assert _tag(html, "main") == "<p>Thanks, Ada.</p>"
    assert _tag(html, "aside").endswith("on /front/</nav>")
