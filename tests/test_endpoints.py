"""The panel endpoint (SPEC §16): signed references, lazy panels, refresh URLs, forms."""

from __future__ import annotations

import logging
import re

import pytest
from django.contrib.auth.models import User
from django.core import signing
from django.http import HttpResponse, HttpResponseRedirect
from django.template import engines
from django.test import AsyncClient, Client, override_settings
from django.urls import include, path

from dj_layouts import Layout, Panel, cache, get_layout_context, layout
from dj_layouts.endpoints import EDGE_SALT, SALT

calls: list[str] = []

FORM = engines["django"].from_string(
    '{% load layouts %}<form method="post" action="{% panel_action %}">{% csrf_token %}'
    '<input name="item"><button>add</button></form><p class="items">{{ items }}</p>'
)
REFRESH = engines["django"].from_string(
    '{% load layouts %}<p class="who">{{ who }}</p><a hx-get="{% panel_url "whoami" %}">r</a>'
)


def slow_panel(request):
    calls.append("lazy")
    word = get_layout_context(request).get("word", "-")
    return f"<p class='lazy'>lazy:{word}</p>"


def whoami(request):
    calls.append("whoami")
    who = request.user.username if request.user.is_authenticated else "anonymous"
    return HttpResponse(REFRESH.render({"who": who}, request))


def cart(request):
    if request.method == "POST":
        request.session["items"] = [*request.session.get("items", []), request.POST["item"]]
        return HttpResponseRedirect("/elsewhere/")
    return HttpResponse(FORM.render({"items": ",".join(request.session.get("items", []))}, request))


def invalid_form(request):
    return HttpResponse(f"<p>errors for {request.method}</p>")


class EndpointLayout(Layout):
    template = "testapp/core/slots.html"
    layout_context_defaults = {
        "slots": ["lazy", "visible", "whoami", "cart", "plain", "invalid"],
        "word": "default",
    }
    lazy = Panel(slow_panel, load="lazy")
    visible = Panel("<p>seen</p>", load="visible")
    whoami = Panel(whoami, endpoint=True)
    cart = Panel(cart, endpoint=True)
    plain = Panel("<p>plain</p>")
    invalid = Panel(invalid_form, endpoint=True)


@layout(EndpointLayout)
def page(request):
    if "word" in request.GET:
        request.layout_context["word"] = request.GET["word"]
    return HttpResponse("<h1>page</h1>")


@layout(EndpointLayout)
def unserialisable(request):
    request.layout_context["when"] = object()
    return HttpResponse("<h1>page</h1>")


class Marker:
    """Not JSON: stays on the server, rebuilt at the endpoint."""


def context_panel(request):
    context = get_layout_context(request)
    marker = type(context["marker"]).__name__
    return f"{marker}|{context['tags']}|{context.get('gone', 'removed')}|{context['visitor']}"


class ContextLayout(Layout):
    template = "testapp/core/slots.html"
    layout_context_defaults = {"slots": ["ctx"], "tags": ["a"], "gone": 1, "objects": []}
    ctx = Panel(context_panel, load="lazy")

    def get_layout_context(self, request):
        return {"marker": Marker(), "visitor": request.GET.get("as", "nobody")}


@layout(ContextLayout)
def context_page(request):
    request.layout_context["tags"].append("b")
    del request.layout_context["gone"]
    if "object" in request.GET:
        request.layout_context["objects"].append(Marker())
    return HttpResponse("<h1>page</h1>")


@layout(EndpointLayout, streaming="ordered")
def streamed(request):
    return HttpResponse("<h1>page</h1>")


@layout(EndpointLayout, streaming="unordered")
def streamed_unordered(request):
    return HttpResponse("<h1>page</h1>")


def nav_panel(request):
    calls.append("nav")
    return "<nav>nav</nav>"


class EdgeLayout(Layout):
    template = "testapp/core/slots.html"
    layout_context_defaults = {"slots": ["nav", "mine"]}
    # backend= named: other tests change DJ_LAYOUTS["CACHE_BACKEND"] and check every layout.
    nav = Panel(nav_panel, load="edge", cache=cache.sitewide(timeout=300, backend="default"))
    mine = Panel(whoami, load="lazy")


@layout(EdgeLayout)
def edge_page(request):
    return HttpResponse("<h1>page</h1>")


urlpatterns = [
    path("page/", page),
    path("edge/", edge_page),
    path("streamed/", streamed),
    path("streamed/unordered/", streamed_unordered),
    path("context/", context_page),
    path("bad-context/", unserialisable),
    path("_panels/", include("dj_layouts.urls")),
]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def _clear_calls():
    calls.clear()


def urls_in(html: str) -> dict[str, str]:
    """Panel URL by slot, from the placeholders and the refresh links of a page."""
    found = dict(re.findall(r'data-src="(/_panels/[^"]+)" data-load="(\w+)"', html))
    return {load: url for url, load in found.items()}


def slot(html: str, name: str) -> str:
    match = re.search(rf'<section data-slot="{name}">(.*?)</section>', html, re.S)
    assert match is not None, name
    return match.group(1)


def refresh_url(html: str) -> str:
    match = re.search(r'hx-get="(/_panels/[^"]+)">r</a>', html)
    assert match is not None
    return match.group(1)


# -- declaration ---------------------------------------------------------------------------------
def test_load_must_be_a_known_mode():
    with pytest.raises(TypeError) as excinfo:
        Panel("<p>x</p>", load="later")
    assert excinfo.value.args == (
        "Panel(load=...) must be one of 'inline', 'lazy', 'visible', 'edge', not 'later'.",
    )


def test_a_late_panel_cannot_be_eager():
    with pytest.raises(TypeError) as excinfo:
        Panel("<p>x</p>", load="lazy", eager=True)
    assert excinfo.value.args == (
        "Panel(load='lazy') is fetched after the page loads and cannot be eager: "
        "drop eager=True or use load='inline'.",
    )


def test_a_late_panel_needs_the_endpoint():
    with pytest.raises(TypeError) as excinfo:
        Panel("<p>x</p>", load="visible", endpoint=False)
    assert excinfo.value.args == (
        "Panel(load='visible') is fetched from the panel endpoint: "
        "drop endpoint=False or use load='inline'.",
    )


def test_endpoint_must_be_a_bool():
    with pytest.raises(TypeError) as excinfo:
        Panel("<p>x</p>", endpoint="yes")
    assert excinfo.value.args == ("Panel(endpoint=...) must be True, False or None, not 'yes'.",)


def test_only_late_panels_reach_the_endpoint_by_default():
    assert (Panel("x").endpoint, Panel("x", load="lazy").endpoint) == (False, True)
    assert Panel("x", load="edge").endpoint is True


# -- lazy pages ----------------------------------------------------------------------------------
def test_a_lazy_panel_does_not_run_with_the_page_and_its_slot_is_a_placeholder():
    html = Client().get("/page/").content.decode()
    assert "lazy" not in calls
    lazy = slot(html, "lazy")
    assert re.fullmatch(
        r'<djl-panel data-src="(/_panels/[^"]+/)" data-load="lazy" hx-get="\1" '
        r'hx-trigger="load" hx-swap="outerHTML">fallback:lazy</djl-panel>'
        r'<script src="/static/dj_layouts/panels.js" defer></script>',
        lazy,
    ), lazy
    visible = slot(html, "visible")
    assert 'hx-trigger="revealed"' in visible
    assert "panels.js" not in visible  # the loader once a page
    assert slot(html, "plain") == "<p>plain</p>"


def test_the_endpoint_sends_the_panel_html_alone_with_the_page_context():
    client = Client()
    url = urls_in(client.get("/page/?word=hello").content.decode())["lazy"]
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        assert response.content == b"<p class='lazy'>lazy:hello</p>"
        assert response["DJ-Panel"] == "lazy"
        assert response["Cache-Control"] == "private, no-cache"


async def test_the_endpoint_serves_under_asgi():
    client = AsyncClient()
    page_html = (await client.get("/page/?word=async")).content.decode()
    response = await client.get(urls_in(page_html)["lazy"])
    assert response.content == b"<p class='lazy'>lazy:async</p>"


@pytest.mark.parametrize("path", ["/streamed/", "/streamed/unordered/"])
def test_a_streamed_page_sends_the_placeholder_with_its_shell(path):
    client = Client()
    response = client.get(path)
    assert response.streaming
    html = b"".join(response.streaming_content).decode()
    assert "lazy" not in calls
    url = urls_in(html)["lazy"]
    assert html.count("dj_layouts/panels.js") == 1
    assert client.get(url).content == b"<p class='lazy'>lazy:default</p>"


def test_a_context_value_that_cannot_travel_is_a_clear_error():
    with pytest.raises(TypeError) as excinfo:
        Client(raise_request_exception=True).get("/bad-context/")
    assert excinfo.value.args == (
        "Panel 'lazy' of layout tests.EndpointLayout: the layout context value 'when' "
        "(object) cannot travel in a panel URL, which carries only JSON values (str, int, "
        "float, bool, None, lists and dicts of them). Put an id in the layout context "
        "instead of the object, or render the panel load='inline' without endpoint=True.",
    )


def test_the_endpoint_rebuilds_the_context_and_applies_the_views_changes():
    client = Client()
    html = client.get("/context/?as=alice").content.decode()
    url = urls_in(html)["lazy"]
    # get_layout_context() runs again for the request at the panel URL (no ?as= there).
    assert client.get(url).content == b"Marker|['a', 'b']|removed|nobody"
    assert client.get(url + "?as=bob").content == b"Marker|['a', 'b']|removed|bob"


def test_a_change_to_a_value_that_cannot_travel_is_an_error_not_dropped():
    with pytest.raises(TypeError) as excinfo:
        Client(raise_request_exception=True).get("/context/?object=1")
    assert excinfo.value.args[0].startswith(
        "Panel 'ctx' of layout tests.ContextLayout: the layout context value 'objects' (list)"
    )


# -- refresh URLs --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_url_made_on_alices_page_renders_as_bob():
    alice = User.objects.create_user("alice")
    bob = User.objects.create_user("bob")
    client = Client()
    client.force_login(alice)
    html = client.get("/page/").content.decode()
    assert '<p class="who">alice</p>' in slot(html, "whoami")
    url = refresh_url(html)
    other = Client()
    other.force_login(bob)
    refreshed = other.get(url).content.decode()
    assert '<p class="who">bob</p>' in refreshed
    assert refresh_url(refreshed) != ""  # the panel gives its own URL again at the endpoint


def test_panel_url_refuses_a_panel_without_a_url():
    template = engines["django"].from_string('{% load layouts %}{% panel_url "plain" %}')

    @layout(EndpointLayout)
    def view(request):
        return HttpResponse(template.render({}, request))

    from django.test import RequestFactory

    with pytest.raises(ValueError) as excinfo:
        view(RequestFactory().get("/"))
    assert excinfo.value.args == (
        "Panel 'plain' of layout tests.EndpointLayout has no URL of its own. Declare it "
        "with Panel(..., endpoint=True), or load='lazy', 'visible' or 'edge'.",
    )


# -- refused references --------------------------------------------------------------------------
def _reference(**payload):
    data = {"l": "tests.EndpointLayout", "p": "lazy", "c": {}, "d": [], "u": "/page/", **payload}
    return f"/_panels/{signing.dumps(data, salt=SALT, compress=True)}/"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (_reference(p="plain"), "Panel 'plain' of layout tests.EndpointLayout has no URL"),
        (_reference(p="nope"), "Layout tests.EndpointLayout has no panel 'nope'"),
        (_reference(l="tests.Missing"), "tests.Missing"),
        (_reference(u="https://evil.example/"), "is not a local path"),
        ("/_panels/not:a:reference/", "bad signature"),
    ],
)
def test_unlisted_or_forged_references_are_404_and_logged(url, reason, caplog):
    with caplog.at_level(logging.WARNING, logger="dj_layouts"):
        response = Client().get(url)
    assert response.status_code == 404
    assert reason in caplog.text
    assert calls == []


def test_a_tampered_reference_is_404():
    url = urls_in(Client().get("/page/").content.decode())["lazy"]
    reference = url.split("/")[2]
    head, signature = reference.rsplit(":", 1)
    forged = f"/_panels/{head}:{signature[:-2]}AA/"
    calls.clear()
    assert Client().get(forged).status_code == 404
    assert calls == []


def test_an_expired_reference_is_404(monkeypatch, caplog):
    url = urls_in(Client().get("/page/").content.decode())["lazy"]
    now = signing.time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now + 3601)
    with caplog.at_level(logging.WARNING, logger="dj_layouts"):
        assert Client().get(url).status_code == 404
    assert "expired" in caplog.text
    with override_settings(DJ_LAYOUTS={"PANEL_URL_MAX_AGE": 7200}):
        assert Client().get(url).status_code == 200


def test_a_reference_served_before_still_expires(monkeypatch, caplog):
    url = urls_in(Client().get("/page/").content.decode())["lazy"]
    assert Client().get(url).status_code == 200  # verified, and kept
    now = signing.time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now + 3601)
    with caplog.at_level(logging.WARNING, logger="dj_layouts"):
        assert Client().get(url).status_code == 404
    assert "expired" in caplog.text
    assert calls.count("lazy") == 1  # the page's whoami panel runs with the page
    with override_settings(DJ_LAYOUTS={"PANEL_URL_MAX_AGE": 7200}):
        assert Client().get(url).status_code == 200


@pytest.mark.parametrize("edge", [False, True])
def test_a_reference_served_before_is_refused_once_its_key_is_gone(edge, caplog):
    if edge:
        html = Client().get("/edge/", headers=ESI).content.decode()
        url = re.search(r'<esi:include src="([^"]+)"', html).group(1)
    else:
        url = urls_in(Client().get("/page/").content.decode())["lazy"]
    assert Client().get(url).status_code == 200
    with override_settings(SECRET_KEY="rotated"):
        with caplog.at_level(logging.WARNING, logger="dj_layouts"):
            assert Client().get(url).status_code == 404
        assert "bad signature" in caplog.text
        # The old key kept as a fallback still verifies it, as django.core.signing does.
        with override_settings(SECRET_KEY_FALLBACKS=["tests-only-not-secret"]):
            assert Client().get(url).status_code == 200
        assert Client().get(url).status_code == 404


@pytest.mark.usefixtures("restore_layout_registry")
def test_a_layout_declared_again_is_looked_up_again():
    def declare(html):
        class AgainLayout(Layout):
            template = "testapp/core/slots.html"
            layout_context_defaults = {"slots": ["again"]}
            again = Panel(html, load="lazy")

        return AgainLayout

    data = {"l": declare("<p>first</p>").key, "p": "again", "c": {}, "d": [], "u": "/"}
    url = f"/_panels/{signing.dumps(data, salt=SALT, compress=True)}/"
    assert Client().get(url).content == b"<p>first</p>"
    declare("<p>second</p>")
    assert Client().get(url).content == b"<p>second</p>"


def test_other_methods_are_refused():
    url = urls_in(Client().get("/page/").content.decode())["lazy"]
    response = Client().put(url)
    assert (response.status_code, response["Allow"]) == (405, "GET, HEAD, POST")


# -- forms ---------------------------------------------------------------------------------------
def _form(client: Client) -> tuple[str, str]:
    html = slot(client.get("/page/?word=x").content.decode(), "cart")
    action = re.search(r'action="([^"]+)"', html)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert action and token
    return action.group(1), token.group(1)


@pytest.mark.django_db
def test_a_plain_form_post_runs_the_view_and_redirects_back_to_the_page():
    client = Client(enforce_csrf_checks=True)
    action, token = _form(client)
    response = client.post(action, {"item": "apple", "csrfmiddlewaretoken": token})
    assert (response.status_code, response["Location"]) == (303, "/page/?word=x")
    assert '<p class="items">apple</p>' in client.get("/page/").content.decode()


@pytest.mark.django_db
def test_an_htmx_form_post_gets_the_panel_back_to_swap():
    client = Client(enforce_csrf_checks=True)
    action, token = _form(client)
    data = {"item": "pear", "csrfmiddlewaretoken": token}
    response = client.post(action, data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert '<p class="items">pear</p>' in response.content.decode()
    assert response.content.decode().startswith("<form")


@pytest.mark.django_db
def test_a_form_view_answering_200_is_swapped_as_it_is():
    client = Client(enforce_csrf_checks=True)
    html = client.get("/page/").content.decode()
    action = re.search(r'action="([^"]+)"', slot(html, "cart")).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    invalid = action.replace(action.split("/")[2], _reference(p="invalid").split("/")[2])
    response = client.post(invalid, {"csrfmiddlewaretoken": token}, headers={"HX-Request": "true"})
    assert response.content == b"<p>errors for POST</p>"


@pytest.mark.django_db
def test_a_form_fetched_from_the_endpoint_without_a_csrf_cookie_posts():
    action, _token = _form(Client())
    visitor = Client(enforce_csrf_checks=True)  # never saw the page: no CSRF cookie yet
    form = visitor.get(action)
    assert "csrftoken" in form.cookies
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode())
    response = visitor.post(action, {"item": "fig", "csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 303


@pytest.mark.django_db
def test_csrf_is_enforced_on_the_endpoint():
    client = Client(enforce_csrf_checks=True)
    action, _token = _form(client)
    response = client.post(action, {"item": "x"})
    assert response.status_code == 403


# -- edge (ESI) ----------------------------------------------------------------------------------
ESI = {"Surrogate-Capability": 'varnish="ESI/1.0"'}


def test_without_an_esi_proxy_an_edge_panel_renders_inline():
    from django.core.cache import cache as default_cache

    default_cache.clear()  # the panel is cached sitewide
    response = Client().get("/edge/")
    assert slot(response.content.decode(), "nav") == "<nav>nav</nav>"
    assert "Surrogate-Control" not in response
    assert calls == ["nav"]


def test_through_an_esi_proxy_an_edge_panel_is_an_include_with_a_stable_url():
    first = Client().get("/edge/", headers=ESI)
    assert first["Surrogate-Control"] == 'content="ESI/1.0"'
    include = slot(first.content.decode(), "nav")
    match = re.fullmatch(r'<esi:include src="(/_panels/[^"]+/)"/>', include)
    assert match is not None, include
    assert "nav" not in calls
    second = Client().get("/edge/", headers=ESI)
    assert slot(second.content.decode(), "nav") == include  # the proxy can cache it
    fragment = Client().get(match.group(1))
    assert fragment.content == b"<nav>nav</nav>"
    assert fragment["Cache-Control"] == "public, max-age=300"
    assert "Cookie" not in fragment.get("Vary", "")


def test_an_edge_include_is_signed_again_under_a_new_key():
    def include():
        html = Client().get("/edge/", headers=ESI).content.decode()
        return re.search(r'<esi:include src="([^"]+)"', html).group(1)

    before = include()
    with override_settings(SECRET_KEY="rotated"):
        rotated = include()
        assert rotated != before
        assert Client().get(rotated).content == b"<nav>nav</nav>"
        assert Client().get(before).status_code == 404
    assert include() == before


@pytest.mark.parametrize("load", ["lazy", "edge"])
def test_panel_urls_carry_the_script_prefix(load):
    from django.urls import set_script_prefix

    pattern = r'<esi:include src="([^"]+)"' if load == "edge" else r'data-src="([^"]+)" data-load'
    set_script_prefix("/shop/")  # what WSGIHandler does for SCRIPT_NAME; the test client does not
    try:
        prefixed = re.search(pattern, Client().get("/edge/", headers=ESI).content.decode())
    finally:
        set_script_prefix("/")
    plain = re.search(pattern, Client().get("/edge/", headers=ESI).content.decode())
    assert prefixed.group(1).startswith("/shop/_panels/")
    assert plain.group(1).startswith("/_panels/")
    if load == "edge":  # the same reference (a lazy one carries the second it was made)
        assert prefixed.group(1) == "/shop" + plain.group(1)


def test_a_per_visitor_panel_at_the_endpoint_is_private():
    html = Client().get("/edge/", headers=ESI).content.decode()
    response = Client().get(urls_in(html)["lazy"])
    assert response["Cache-Control"] == "private, no-cache"
    assert response["Vary"] == "Cookie, HX-Request"


def test_a_reference_that_does_not_expire_only_reaches_edge_panels(caplog):
    data = {"l": "tests.EdgeLayout", "p": "mine", "c": {}, "d": [], "u": "/edge/"}
    forged = signing.Signer(salt=EDGE_SALT).sign_object(data, compress=True)
    with caplog.at_level(logging.WARNING, logger="dj_layouts"):
        assert Client().get(f"/_panels/{forged}/").status_code == 404
    assert "does not expire" in caplog.text
    assert calls == []


def test_panel_url_outside_a_layout_says_where_it_works():
    from django.test import RequestFactory

    from dj_layouts import panel_url

    with pytest.raises(ValueError) as excinfo:
        panel_url(RequestFactory().get("/"), "lazy")
    assert excinfo.value.args == (
        "panel_url('lazy') needs a request rendered by a layout. Call it from a view under "
        "@layout/@async_layout or a layout mixin, or from one of their panels.",
    )


@pytest.mark.usefixtures("restore_layout_registry")
def test_a_conditional_panel_whose_condition_fails_renders_empty_at_the_endpoint():
    from dj_layouts import ConditionalPanel

    class MaybeLayout(Layout):
        template = "testapp/core/slots.html"
        layout_context_defaults = {"slots": ["maybe"], "show": False}
        maybe = ConditionalPanel(slow_panel, condition="show", load="lazy")

    data = {"l": MaybeLayout.key, "p": "maybe", "c": {}, "d": [], "u": "/"}
    url = f"/_panels/{signing.dumps(data, salt=SALT, compress=True)}/"
    assert Client().get(url).content == b""
    data["c"] = {"show": True}
    url = f"/_panels/{signing.dumps(data, salt=SALT, compress=True)}/"
    assert Client().get(url).content == b"<p class='lazy'>lazy:-</p>"
