"""Pages an ESI proxy keeps (``Layout.edge_page_timeout``): holes, and what refuses a page.

Through Django's test client with the header a proxy sends; tests/test_varnish.py runs
the same on a real varnishd.
"""

from __future__ import annotations

import logging
import re

import pytest
from django.core.cache import caches
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import AsyncClient, Client, override_settings
from django.urls import include, path

from dj_layouts import (
    Layout,
    Panel,
    ThreadedExecutor,
    async_layout,
    cache,
    get_layout_context,
    layout,
)
from dj_layouts.edge import EdgePage, is_hole, is_public
from dj_layouts.endpoints import endpoint_panel

ESI_HEADERS = {"Surrogate-Capability": 'varnish="ESI/1.0"'}
ESI = {"HTTP_SURROGATE_CAPABILITY": ESI_HEADERS["Surrogate-Capability"]}
ran: list[str] = []


def mine(request):
    ran.append("mine")
    who = request.user.username if request.user.is_authenticated else "anonymous"
    return f"<p>mine:{who}:{get_layout_context(request)['word']}</p>"


def shared(request):
    ran.append("shared")
    return "<p>shared</p>"


class KeptLayout(Layout):
    template = "testapp/core/slots.html"
    edge_page_timeout = 60
    layout_context_defaults = {"slots": ["mine", "shared", "title", "nav"], "word": "-"}
    mine = Panel(mine)
    shared = Panel(shared, cache=cache.sitewide(timeout=300, backend="default"))
    title = Panel(literal="<p>title</p>")
    nav = Panel("<nav>nav</nav>", load="edge", cache=cache.sitewide(timeout=300, backend="default"))


class ThreadedKeptLayout(KeptLayout):
    executor = ThreadedExecutor


def counts_visits(request):
    request.session["visits"] = request.session.get("visits", 0) + 1
    return f"<p>visits:{request.session['visits']}</p>"


def form(request):
    return f'<form method="post"><input name="csrfmiddlewaretoken" value="{get_token(request)}">'


class WritingKeptLayout(Layout):
    template = "testapp/core/slots.html"
    edge_page_timeout = 60
    layout_context_defaults = {"slots": ["visits", "form"]}
    visits = Panel(counts_visits)
    form = Panel(form)


@layout(WritingKeptLayout)
def writing(request):
    return HttpResponse("<h1>kept</h1>")


class NamedKeptLayout(Layout):
    """Names itself for htmx (``{% layout_hx_headers %}``): smart routing needs no cookie."""

    template = "testapp/edge/named.html"
    edge_page_timeout = 60
    layout_context_defaults = {"word": "-"}
    mine = Panel(mine)


@layout(NamedKeptLayout)
def named(request):
    return HttpResponse("<h1>named</h1>")


@layout(KeptLayout)
def kept(request):
    ran.append("content")
    if "word" in request.GET:
        request.layout_context["word"] = request.GET["word"]
    return HttpResponse("<h1>kept</h1>")


@layout(ThreadedKeptLayout)
def threaded(request):
    ran.append("content")
    return HttpResponse("<h1>kept</h1>")


@async_layout(KeptLayout)
async def kept_async(request):
    ran.append("content")
    return HttpResponse("<h1>kept</h1>")


@layout(KeptLayout)
def reads_session(request):
    return HttpResponse(f"<h1>{request.session.get('n', 0)}</h1>")


@layout(KeptLayout)
def reads_user(request):
    return HttpResponse(f"<h1>{request.user.is_authenticated}</h1>")


@layout(KeptLayout)
def has_form(request):
    return HttpResponse(f'<input name="csrfmiddlewaretoken" value="{get_token(request)}">')


@layout(KeptLayout)
def sets_cookie(request):
    response = HttpResponse("<h1>kept</h1>")
    response.set_cookie("seen", "1")
    return response


@layout(KeptLayout)
def says_private(request):
    response = HttpResponse("<h1>kept</h1>")
    response["Cache-Control"] = "max-age=0, Private"
    return response


@layout(KeptLayout)
def varies_on_cookie(request):
    response = HttpResponse("<h1>kept</h1>")
    response["Vary"] = "Accept-Language,Cookie"
    return response


@layout(KeptLayout, panels={"mine": Panel(mine)})
def view_panel(request):
    return HttpResponse("<h1>kept</h1>")


urlpatterns = [
    path("kept/", kept),
    path("kept/writing/", writing),
    path("kept/named/", named),
    path("kept/threaded/", threaded),
    path("kept/async/", kept_async),
    path("kept/session/", reads_session),
    path("kept/user/", reads_user),
    path("kept/form/", has_form),
    path("kept/cookie/", sets_cookie),
    path("kept/private/", says_private),
    path("kept/varies/", varies_on_cookie),
    path("kept/view-panel/", view_panel),
    path("_panels/", include("dj_layouts.urls")),
]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _fresh():
    caches["default"].clear()
    ran.clear()
    from dj_layouts import edge

    edge._logged.clear()


def _includes(html: str) -> list[str]:
    return re.findall(r'<esi:include src="([^"]+)"/>', html)


# -- what is a hole ------------------------------------------------------------------------------
def test_holes_are_the_layouts_own_inline_panels_that_may_differ_per_visitor():
    panels = KeptLayout.get_panels()
    assert [name for name, panel in panels.items() if is_hole(KeptLayout, panel)] == ["mine"]
    assert is_public(panels["shared"]) and is_public(panels["title"])
    assert not is_public(panels["mine"])
    # The same panel on a layout whose pages are not kept is no hole.
    assert not is_hole(Layout, panels["mine"])


# -- a page offered to the proxy -----------------------------------------------------------------
def _assert_offered(response, layout_class):
    html = response.content.decode()
    assert response["Surrogate-Control"] == 'content="ESI/1.0", max-age=60'
    assert response["DJ-Layout"] == layout_class.key
    assert "private" in response["Cache-Control"]
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    # The hole and the edge panel are includes; the shared and literal panels are in the page.
    assert len(_includes(html)) == 2
    assert "<p>shared</p>" in html and "<p>title</p>" in html and "<h1>kept</h1>" in html
    assert "mine:" not in html
    assert sorted(ran) == ["content", "shared"]


@pytest.mark.parametrize(
    ("url", "layout_class"), [("/kept/", KeptLayout), ("/kept/threaded/", ThreadedKeptLayout)]
)
def test_a_page_through_the_proxy_is_offered_with_its_holes_left_to_the_proxy(url, layout_class):
    _assert_offered(Client().get(url, **ESI), layout_class)


@pytest.mark.asyncio
async def test_an_async_page_through_the_proxy_is_offered_too():
    _assert_offered(await AsyncClient().get("/kept/async/", headers=ESI_HEADERS), KeptLayout)


def test_a_hole_renders_at_the_endpoint_as_whoever_fetches_it(django_user_model):
    page = Client().get("/kept/?word=hi", **ESI)
    urls = _includes(page.content.decode())
    assert page["Surrogate-Control"].endswith("max-age=60")
    alice = django_user_model.objects.create_user("alice", password="pw")
    visitor = Client()
    visitor.force_login(alice)
    answers = {url: visitor.get(url, **ESI) for url in urls}
    hole = next(url for url, answer in answers.items() if answer["DJ-Panel"] == "mine")
    answer = answers[hole]
    # What the content view wrote to the layout context travels with the hole.
    assert answer.content.decode() == "<p>mine:alice:hi</p>"
    assert answer["Cache-Control"] == "private, no-cache"
    assert "Cookie" in answer["Vary"]
    assert Client().get(hole).content.decode() == "<p>mine:anonymous:hi</p>"


def test_without_the_proxy_the_page_is_rendered_whole_and_not_offered():
    response = Client().get("/kept/")
    html = response.content.decode()
    assert "Surrogate-Control" not in response
    assert "DJ-Layout" not in response
    assert not _includes(html)
    assert "<p>mine:anonymous:-</p>" in html and "<nav>nav</nav>" in html


@pytest.mark.parametrize("method", ["post", "put"])
def test_only_get_and_head_are_offered(method):
    response = getattr(Client(), method)("/kept/", **ESI)
    assert "max-age" not in response.get("Surrogate-Control", "")
    assert "mine:anonymous" in response.content.decode()


@override_settings(DJ_LAYOUTS={"PARTIAL_DETECTORS": ["dj_layouts.detection.htmx_detector"]})
def test_a_partial_is_not_offered():
    response = Client().get("/kept/", HTTP_HX_REQUEST="true", **ESI)
    assert response.content.decode() == "<h1>kept</h1>"
    assert "Surrogate-Control" not in response


# -- pages that read the visitor are refused -----------------------------------------------------
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("/kept/session/", "the session"),
        ("/kept/user/", "the session"),
        ("/kept/form/", "the CSRF token"),
        ("/kept/cookie/", "a response cookie"),
        ("/kept/private/", "Cache-Control: max-age=0, Private"),
        ("/kept/varies/", "Vary: Cookie"),
    ],
)
def test_a_page_that_reads_the_visitor_is_not_offered_and_says_why(url, reason, caplog):
    with caplog.at_level(logging.WARNING, logger="dj_layouts"):
        first = Client().get(url, **ESI)
        Client().get(url, **ESI)
    # Still composed by the proxy (the hole is an include), never kept.
    assert first["Surrogate-Control"] == 'content="ESI/1.0"'
    assert "DJ-Layout" not in first
    assert len(_includes(first.content.decode())) == 2
    warnings = [r.getMessage() for r in caplog.records if "edge_page_timeout" in r.getMessage()]
    assert len(warnings) == 1  # once per layout and reason
    assert KeptLayout.key in warnings[0] and reason in warnings[0]


def test_a_user_read_by_middleware_refuses_the_page_before_it_renders(rf):
    request = rf.get("/kept/", **ESI)
    request.user = object()  # what a middleware that reads the user leaves
    edge = EdgePage.for_request(request, KeptLayout, list(KeptLayout.get_panels().values()))
    assert edge is not None
    assert not edge.keeps
    assert edge.holes == {}
    assert "the user was read before the view ran" in (edge.refused or "")


def test_a_per_visitor_panel_given_by_the_view_makes_the_page_whole_and_unkept(caplog):
    with caplog.at_level(logging.WARNING, logger="dj_layouts"):
        response = Client().get("/kept/view-panel/", **ESI)
    html = response.content.decode()
    # The endpoint cannot reach a view's panel: it renders inline and the page is not kept.
    assert "<p>mine:anonymous:-</p>" in html
    assert "max-age" not in response["Surrogate-Control"]
    assert any("'mine' is given by the view" in r.getMessage() for r in caplog.records)


def test_only_the_holes_of_a_kept_layout_are_reachable_at_the_endpoint():
    assert endpoint_panel(KeptLayout, "mine") is KeptLayout.get_panels()["mine"]
    with pytest.raises(ValueError, match=r"Panel 'shared' of layout tests\.KeptLayout has no URL"):
        endpoint_panel(KeptLayout, "shared")
    with pytest.raises(ValueError, match=r"Panel 'title' of layout tests\.KeptLayout has no URL"):
        endpoint_panel(KeptLayout, "title")


def test_a_hole_that_sets_a_cookie_says_the_proxy_drops_it(caplog):
    page = Client().get("/kept/writing/", **ESI)
    assert page["Surrogate-Control"].endswith("max-age=60")
    visits, form = _includes(page.content.decode())
    newcomer = Client()
    with caplog.at_level(logging.WARNING, logger="dj_layouts"):
        newcomer.get(visits, **ESI)
        newcomer.get(form, **ESI)
    warned = [
        r.getMessage() for r in caplog.records if "was fetched by an ESI proxy" in r.getMessage()
    ]
    assert len(warned) == 2
    assert "Panel 'visits'" in warned[0] and "a session change" in warned[0]
    assert "Panel 'form'" in warned[1] and "a new CSRF cookie" in warned[1]
    # Fetched by the browser itself (no proxy), the cookies arrive: nothing to say.
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="dj_layouts"):
        newcomer.get(visits)
        newcomer.get(form)
        # A visitor who has the CSRF cookie already loses nothing through the proxy.
        newcomer.get(form, **ESI)
    assert not [r for r in caplog.records if "was fetched by an ESI proxy" in r.getMessage()]


# -- HTMX smart routing ------------------------------------------------------------------------
ROUTING = {"HTMX_SMART_ROUTING": True}


@override_settings(DJ_LAYOUTS=ROUTING)
def test_smart_routing_leaves_its_cookie_out_of_a_page_that_names_its_layout():
    response = Client().get("/kept/named/", HTTP_COOKIE="dj_layout_current=other.Layout", **ESI)
    assert response["Surrogate-Control"] == 'content="ESI/1.0", max-age=60'
    assert not response.cookies  # the tracking cookie would be everyone's
    vary = [token.strip().lower() for token in response["Vary"].split(",")]
    assert "cookie" not in vary and "hx-request" in vary and "dj-layout" in vary
    html = response.content.decode()
    assert "hx-headers='{&quot;DJ-Layout&quot;: &quot;tests.NamedKeptLayout&quot;}'" in html


@override_settings(DJ_LAYOUTS=ROUTING)
def test_smart_routing_refuses_a_page_that_does_not_name_its_layout(caplog):
    with caplog.at_level(logging.WARNING, logger="dj_layouts"):
        response = Client().get("/kept/", **ESI)
    assert response["Surrogate-Control"] == 'content="ESI/1.0"'
    assert "dj_layout_current" in response.cookies
    assert "Cookie" in response["Vary"]
    assert any("{% layout_hx_headers %}" in r.getMessage() for r in caplog.records)


@override_settings(DJ_LAYOUTS=ROUTING)
def test_htmx_requests_are_never_offered():
    response = Client().get(
        "/kept/named/", HTTP_HX_REQUEST="true", HTTP_DJ_LAYOUT="other.Layout", **ESI
    )
    # Another layout's page asked: smart routing sends the whole page, for this request only.
    assert response["HX-Retarget"] == "body"
    # Rendered whole, its panel inline, nothing offered to the proxy.
    assert "Surrogate-Control" not in response and "DJ-Layout" not in response
    assert "<p>mine:anonymous:-</p>" in response.content.decode()


# -- declarations --------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [0, -5, 1.5, "60", True])
def test_a_bad_edge_page_timeout_is_refused_at_class_creation(value):
    with pytest.raises(TypeError, match=r"BadKept.edge_page_timeout must be a positive int"):
        type("BadKept", (Layout,), {"template": "x.html", "edge_page_timeout": value})


def test_a_streamed_layout_cannot_be_kept():
    with pytest.raises(TypeError, match="edge_page_timeout needs a buffered layout"):
        type(
            "StreamedKept",
            (Layout,),
            {"template": "x.html", "edge_page_timeout": 60, "streaming": "ordered"},
        )
