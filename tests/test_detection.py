"""Partial detection and HTMX smart routing, through the mixins, decorators and shortcuts."""

from __future__ import annotations

import logging

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse, HttpResponseRedirect
from django.template import TemplateSyntaxError
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.test import AsyncRequestFactory, RequestFactory, override_settings
from django.views import View

from dj_layouts import (
    AsyncLayoutMixin,
    Layout,
    LayoutMixin,
    Panel,
    ScriptQueue,
    add_script,
    async_layout,
    async_render_error_page,
    async_render_with_layout,
    layout,
    render_error_page,
    render_with_layout,
)
from dj_layouts.detection import (
    current_layout,
    htmx_detector,
    never_detector,
    patch_vary,
    query_param_detector,
)

HTMX = "dj_layouts.detection.htmx_detector"
QUERY = "dj_layouts.detection.query_param_detector"
HERE = "tests.test_detection"

#: What the panels and detectors of this module saw, in order.
calls: list[str] = []


@pytest.fixture(autouse=True)
def _clear_calls():
    calls.clear()


def nav(request):
    calls.append("nav")
    return f"<a>nav of {request.layout_panel_name}</a>"


class HxShopLayout(Layout):
    template = "testapp/htmx/layout.html"
    layout_context_defaults = {"title": "Shop"}
    scripts = ScriptQueue()
    nav = Panel(nav)


class HxBlogLayout(Layout):
    template = "testapp/htmx/layout.html"
    layout_context_defaults = {"title": "Blog"}
    scripts = ScriptQueue()
    nav = Panel("<a>blog nav</a>")


SHOP = "tests.HxShopLayout"
BLOG = "tests.HxBlogLayout"


# -- detectors used by the settings below ------------------------------------------------------
def first_detector(request):
    calls.append("first")
    return request.GET.get("first") == "1"


def second_detector(request):
    calls.append("second")
    return True


def broken_detector(request):
    calls.append("broken")
    raise RuntimeError("no idea")


def header_detector(request):
    return request.META.get("HTTP_X_PARTIAL") == "1"


header_detector.vary_headers = ("X-Partial",)


def token_detector(request):
    return "HTTP_X_TOKEN" in request.META


token_detector.vary_headers = "X-Token"  # one header may be a plain string


async def async_detector(request):
    return True


not_callable = 42


def settings(**values):
    return override_settings(DJ_LAYOUTS=values)


def smart(**values):
    return settings(PARTIAL_DETECTORS=[HTMX], HTMX_SMART_ROUTING=True, **values)


rf = RequestFactory()
arf = AsyncRequestFactory()


def hx(path="/page/", *, layout_key=None, cookie=None, restore=False, **extra):
    headers = {"HX-Request": "true"}
    if layout_key is not None:
        headers["DJ-Layout"] = layout_key
    if restore:
        headers["HX-History-Restore-Request"] = "true"
    request = rf.get(path, headers=headers, **extra)
    if cookie is not None:
        request.COOKIES["dj_layout_current"] = cookie
    return request


# -- content views -----------------------------------------------------------------------------
seen: dict[str, object] = {}


def content(request):
    seen["partial"] = request.is_layout_partial
    seen["context_title"] = request.layout_context["title"]
    request.layout_context["title"] = "Changed"
    add_script(request, "/static/view.js")
    response = TemplateResponse(request, "testapp/htmx/content.html", {"heading": "Hello"})
    response["X-From-View"] = "yes"
    response.set_cookie("view_cookie", "1")
    return response


shop_page = layout(HxShopLayout)(content)
blog_page = layout(BLOG)(content)


@layout(HxShopLayout)
def forcing_page(request):
    seen["partial"] = request.is_layout_partial
    request.dj_layouts_force_full = True
    return HttpResponse("<p>saved</p>")


@layout(HxShopLayout)
def redirecting_page(request):
    return HttpResponseRedirect("/elsewhere/")


@layout(HxShopLayout)
def missing_page(request):
    return HttpResponse("gone", status=404)


@layout(HxShopLayout)
def vary_page(request):
    response = HttpResponse("<p>hi</p>")
    response["Vary"] = "Accept-Language"
    return response


class ShopView(LayoutMixin, View):
    layout_class = HxShopLayout

    def get(self, request):
        seen["partial"] = request.is_layout_partial
        return TemplateResponse(request, "testapp/htmx/content.html", {"heading": "CBV"})


class AsyncShopView(AsyncLayoutMixin, View):
    layout_class = HxShopLayout

    async def get(self, request):
        seen["partial"] = request.is_layout_partial
        return TemplateResponse(request, "testapp/htmx/content.html", {"heading": "Async CBV"})


@async_layout(HxShopLayout)
async def async_shop_page(request):
    seen["partial"] = request.is_layout_partial
    return TemplateResponse(request, "testapp/htmx/content.html", {"heading": "Async"})


# The content template renders the queue itself when partial: the view's add_script()
# and the template's own {% addscript %} both arrive.
PARTIAL = (
    '<h1>Hello</h1><script src="/static/view.js"></script>\n'
    '<script src="/static/content.js"></script>'
)


def text(response):
    return response.content.decode()


def is_full(response):
    return text(response).startswith("<!doctype html>")


def vary(response):
    return [v.strip() for v in response.get("Vary", "").split(",") if v.strip()]


# == the built-in detectors =====================================================================
def test_never_detector_says_no_even_to_htmx():
    assert never_detector(hx()) is False
    assert never_detector(rf.get("/?_partial=1")) is False


def test_htmx_detector_needs_hx_request_true():
    assert htmx_detector(hx()) is True
    assert htmx_detector(rf.get("/", headers={"HX-Request": "false"})) is False
    assert htmx_detector(rf.get("/")) is False


def test_query_param_detector_reads_exactly_partial_1():
    assert query_param_detector(rf.get("/?_partial=1")) is True
    assert query_param_detector(rf.get("/?_partial=true")) is False
    assert query_param_detector(rf.get("/?_partial=0")) is False
    assert query_param_detector(rf.get("/")) is False


# == PARTIAL_DETECTORS ==========================================================================
def test_no_detectors_means_every_request_gets_the_full_page():
    with settings():
        response = shop_page(hx())
    assert is_full(response)
    assert seen["partial"] is False
    assert "HX-Retarget" not in response


@settings(PARTIAL_DETECTORS=[f"{HERE}.first_detector", f"{HERE}.second_detector"])
def test_detectors_run_in_order_and_the_first_true_wins():
    response = shop_page(rf.get("/?first=1"))
    assert calls == ["first"]  # second_detector is never asked
    assert text(response) == PARTIAL
    calls.clear()
    response = shop_page(rf.get("/"))
    assert calls == ["first", "second"]
    assert seen["partial"] is True


@settings(PARTIAL_DETECTORS=[f"{HERE}.broken_detector", f"{HERE}.second_detector"])
def test_a_raising_detector_is_logged_and_counts_as_false(caplog):
    with caplog.at_level(logging.WARNING, logger="dj_layouts"):
        response = shop_page(rf.get("/"))
    assert calls == ["broken", "second"]
    assert seen["partial"] is True
    assert not is_full(response)
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "Partial detector tests.test_detection.broken_detector raised RuntimeError: no idea; "
        "it counts as False. Set DJ_LAYOUTS['DETECTOR_RAISE_EXCEPTIONS'] = True to let it "
        "propagate."
    )
    assert record.exc_info[0] is RuntimeError


@settings(PARTIAL_DETECTORS=[f"{HERE}.broken_detector"])
def test_a_detector_that_raises_alone_gives_the_full_page(caplog):
    with caplog.at_level(logging.WARNING, logger="dj_layouts"):
        response = shop_page(rf.get("/"))
    assert is_full(response)
    assert len(caplog.records) == 1


@settings(PARTIAL_DETECTORS=[f"{HERE}.broken_detector"], DETECTOR_RAISE_EXCEPTIONS=True)
def test_detector_raise_exceptions_lets_the_error_through():
    with pytest.raises(RuntimeError) as excinfo:
        shop_page(rf.get("/"))
    assert excinfo.value.args == ("no idea",)


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        (
            "tests.test_detection.nope",
            'which cannot be imported: Module "tests.test_detection" does not define a '
            '"nope" attribute/class. Give the dotted path of a function.',
        ),
        (
            "nodots",
            "which cannot be imported: nodots doesn't look like a module path. "
            "Give the dotted path of a function.",
        ),
        (f"{HERE}.not_callable", "which is not callable. Give the dotted path of a function."),
        (
            f"{HERE}.async_detector",
            "which is async. A detector is a plain function detector(request) -> bool.",
        ),
    ],
)
def test_a_bad_detector_path_is_improperly_configured_and_a_check_error(path, problem):
    message = f"DJ_LAYOUTS['PARTIAL_DETECTORS'] names {path!r}, {problem}"
    with settings(PARTIAL_DETECTORS=[HTMX, path]):
        with pytest.raises(ImproperlyConfigured) as excinfo:
            shop_page(rf.get("/"))
        assert excinfo.value.args == (message,)
        errors = [m for m in run_checks() if m.id == "dj_layouts.E001"]
    assert [e.msg for e in errors] == [message]


def test_settings_changes_take_effect_at_once():
    with settings(PARTIAL_DETECTORS=[QUERY]):
        assert not is_full(shop_page(rf.get("/?_partial=1")))
        with settings(PARTIAL_DETECTORS=[]):
            assert is_full(shop_page(rf.get("/?_partial=1")))
        assert not is_full(shop_page(rf.get("/?_partial=1")))


# == the partial response ==========================================================================
@settings(PARTIAL_DETECTORS=[QUERY])
def test_a_partial_is_the_content_views_own_rendered_response():
    response = shop_page(rf.get("/?_partial=1"))
    assert isinstance(response, TemplateResponse)
    assert response.is_rendered
    assert text(response) == PARTIAL
    assert response["X-From-View"] == "yes"
    assert response.cookies["view_cookie"].value == "1"
    assert calls == []  # no panel ran
    assert seen == {"partial": True, "context_title": "Shop"}  # layout context was there


class _MadeLayout(Layout):
    abstract = True
    template = "testapp/htmx/layout.html"
    layout_context_defaults = {"title": "Made"}
    nav = Panel("<a>nav</a>")


@settings(PARTIAL_DETECTORS=[QUERY])
@pytest.mark.parametrize("hooked", ["none", "get_layout_context", "__init__"])
def test_a_partial_makes_no_layout_unless_its_hook_may_need_one(
    hooked, restore_layout_registry, monkeypatch
):
    from dj_layouts.assembly import Assembler

    made: list[str] = []
    assemblers: list[object] = []
    real_init = Assembler.__init__

    def counting_init(self, *args, **kwargs):
        assemblers.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(Assembler, "__init__", counting_init)
    namespace: dict[str, object] = {"__qualname__": "f.<locals>.PartialMadeLayout"}

    def __init__(self):
        made.append("init")
        self.get_layout_context = lambda request: {"title": "From init"}

    def get_layout_context(self, request):
        made.append("hook")
        return {"title": "From hook"}

    if hooked != "none":
        namespace[hooked] = locals()[hooked]
    page_layout = type("PartialMadeLayout", (_MadeLayout,), namespace)

    @layout(page_layout)
    def view(request):
        return HttpResponse(request.layout_context["title"])

    partial = view(rf.get("/?_partial=1"))
    assert len(assemblers) == (0 if hooked == "none" else 1)
    full = view(rf.get("/"))

    title = {"none": "Made", "get_layout_context": "From hook", "__init__": "From init"}[hooked]
    assert text(partial) == title
    assert f"<title>{title}</title>" in text(full)
    assert made == {"none": [], "get_layout_context": ["hook", "hook"]}.get(
        hooked, ["init", "init"]
    )


@settings(PARTIAL_DETECTORS=[QUERY])
def test_the_full_page_for_the_same_view_without_the_detector_saying_so():
    response = shop_page(rf.get("/"))
    html = text(response)
    assert is_full(response)
    assert "<title>Changed</title>" in html
    assert '<main id="panel-content"><h1>Hello</h1></main>' in html
    assert '<p class="partial-flag">False</p>' in html
    assert calls == ["nav"]
    assert seen["partial"] is False


@settings(PARTIAL_DETECTORS=[QUERY])
@pytest.mark.parametrize("view", [ShopView.as_view(), shop_page])
def test_sync_mixin_and_decorator_detect(view):
    assert not is_full(view(rf.get("/?_partial=1")))
    assert seen["partial"] is True
    assert is_full(view(rf.get("/")))
    assert seen["partial"] is False


@settings(PARTIAL_DETECTORS=[QUERY])
@pytest.mark.parametrize("view", [AsyncShopView.as_view(), async_shop_page])
async def test_async_mixin_and_decorator_detect(view):
    response = await view(arf.get("/?_partial=1"))
    assert response.is_rendered
    assert not is_full(response)
    assert seen["partial"] is True
    assert is_full(await view(arf.get("/")))
    assert seen["partial"] is False


@settings(PARTIAL_DETECTORS=[HTMX, QUERY])
def test_render_with_layout_always_assembles_the_full_page():
    def view(request):
        return render_with_layout(
            request, HxShopLayout, "testapp/htmx/content.html", {"heading": "S"}
        )

    response = view(hx("/?_partial=1"))
    assert is_full(response)
    assert '<main id="panel-content"><h1>S</h1></main>' in text(response)


@settings(PARTIAL_DETECTORS=[HTMX, QUERY])
async def test_async_render_with_layout_always_assembles_the_full_page():
    request = arf.get("/?_partial=1", headers={"HX-Request": "true"})
    response = await async_render_with_layout(
        request, HxShopLayout, "testapp/htmx/content.html", {"heading": "S"}
    )
    assert is_full(response)


@settings(PARTIAL_DETECTORS=[QUERY])
def test_non_200_responses_leave_as_they_are():
    response = missing_page(rf.get("/"))
    assert (response.status_code, text(response)) == (404, "gone")
    response = redirecting_page(rf.get("/?_partial=1"))
    assert (response.status_code, response["Location"]) == (302, "/elsewhere/")


# == smart routing ================================================================================
@smart()
def test_same_layout_gets_the_partial_retargeted_to_the_content_slot():
    response = shop_page(hx(layout_key=SHOP))
    assert not is_full(response)
    assert response["HX-Retarget"] == "#panel-content"
    assert "HX-Reswap" not in response
    assert "dj_layout_current" not in response.cookies
    assert seen["partial"] is True


@smart()
def test_a_cookie_of_the_existing_package_with_the_bare_class_name_still_matches():
    # A rolling deploy: the cookie was written by the existing package.
    response = shop_page(hx(cookie="HxShopLayout"))
    assert not is_full(response)
    assert response["HX-Retarget"] == "#panel-content"
    assert current_layout(hx(cookie="HxShopLayout")) == SHOP


@smart()
def test_an_ambiguous_bare_class_name_in_the_cookie_counts_as_another_layout(
    restore_layout_registry,
):
    class HxShopLayout(Layout):  # a second layout of that name, under another key
        template = "testapp/htmx/layout.html"
        registry_key = "other.HxShopLayout"

    response = shop_page(hx(cookie="HxShopLayout"))
    assert is_full(response)
    assert response["HX-Retarget"] == "body"
    assert response.cookies["dj_layout_current"].value == SHOP
    assert current_layout(hx(cookie="HxShopLayout")) is None
    assert current_layout(hx(cookie="NoSuchLayout")) is None
    assert current_layout(hx(cookie="tests.NoSuchLayout")) is None


@smart(HTMX_CONTENT_TARGET="#main")
def test_the_content_target_is_a_setting():
    assert shop_page(hx(layout_key=SHOP))["HX-Retarget"] == "#main"


@smart()
def test_another_layout_gets_the_full_page_swapped_into_the_body():
    response = blog_page(hx(layout_key=SHOP, cookie=SHOP))
    assert is_full(response)
    assert '<p class="partial-flag">False</p>' in text(response)
    assert seen["partial"] is False  # known before the view ran
    assert response["HX-Retarget"] == "body"
    assert response["HX-Reswap"] == "outerHTML"
    cookie = response.cookies["dj_layout_current"]
    assert cookie.value == BLOG
    assert (cookie["path"], cookie["httponly"], cookie["samesite"], cookie["domain"]) == (
        "/",
        True,
        "Lax",
        "",
    )
    # The content view's own cookie is kept beside it.
    assert response.cookies["view_cookie"].value == "1"


@smart(HTMX_COOKIE_NAME="layout", HTMX_COOKIE_DOMAIN=".example.com")
def test_cookie_name_and_domain_are_settings():
    response = blog_page(rf.get("/"))
    cookie = response.cookies["layout"]
    assert (cookie.value, cookie["domain"]) == (BLOG, ".example.com")
    assert "dj_layout_current" not in response.cookies


@smart()
def test_the_cookie_is_secure_on_https():
    assert blog_page(rf.get("/", secure=True)).cookies["dj_layout_current"]["secure"] is True
    assert blog_page(rf.get("/")).cookies["dj_layout_current"]["secure"] == ""


@smart()
def test_a_plain_navigation_gets_the_full_page_and_the_cookie_without_htmx_headers():
    response = shop_page(rf.get("/"))
    assert is_full(response)
    assert "HX-Retarget" not in response
    assert response.cookies["dj_layout_current"].value == SHOP


@smart()
def test_the_cookie_is_not_sent_again_when_it_already_names_the_layout():
    request = rf.get("/")
    request.COOKIES["dj_layout_current"] = SHOP
    assert "dj_layout_current" not in shop_page(request).cookies


@smart()
def test_without_header_the_cookie_decides():
    assert not is_full(shop_page(hx(cookie=SHOP)))
    response = shop_page(hx(cookie=BLOG))
    assert is_full(response)
    assert response["HX-Retarget"] == "body"
    assert response.cookies["dj_layout_current"].value == SHOP


@smart()
def test_without_header_or_cookie_the_page_is_full():
    response = shop_page(hx())
    assert is_full(response)
    assert response["HX-Retarget"] == "body"


@smart()
def test_the_per_tab_header_wins_over_the_cookie():
    # Two tabs share one cookie, last set by the tab now on the blog.
    shop_tab = hx(layout_key=SHOP, cookie=BLOG)
    blog_tab = hx(layout_key=BLOG, cookie=BLOG)
    shop_response = shop_page(shop_tab)
    assert not is_full(shop_response)
    assert shop_response["HX-Retarget"] == "#panel-content"
    blog_response = blog_page(blog_tab)
    assert not is_full(blog_response)
    # The shop tab going to the blog gets the full page although the cookie says blog.
    response = blog_page(hx(layout_key=SHOP, cookie=BLOG))
    assert is_full(response)
    assert response["HX-Retarget"] == "body"


def test_layouts_are_told_apart_by_registry_key_not_class_name(restore_layout_registry):
    shop_main = type("Main", (HxShopLayout,), {"__module__": "shop.layouts"})
    blog_main = type("Main", (HxBlogLayout,), {"__module__": "blog.layouts"})
    assert (shop_main.key, blog_main.key) == ("shop.Main", "blog.Main")
    view = layout(blog_main)(content)
    with smart():
        response = view(hx(layout_key="shop.Main"))
        assert is_full(response)
        assert response["HX-Retarget"] == "body"
        assert not is_full(view(hx(layout_key="blog.Main")))


@smart()
def test_an_unknown_layout_key_counts_as_no_layout():
    response = shop_page(hx(layout_key="nope.Layout", cookie=SHOP))
    assert is_full(response)
    assert current_layout(hx(layout_key="nope.Layout")) is None


@smart()
def test_current_layout_reads_the_header_then_the_cookie():
    assert current_layout(hx(layout_key=BLOG, cookie=SHOP)) == BLOG
    assert current_layout(hx(cookie=SHOP)) == SHOP
    assert current_layout(rf.get("/")) is None


@settings(PARTIAL_DETECTORS=[HTMX, QUERY], HTMX_SMART_ROUTING=True)
def test_a_partial_detected_without_htmx_is_not_retargeted():
    response = blog_page(rf.get("/?_partial=1"))
    assert not is_full(response)
    assert "HX-Retarget" not in response


@smart()
def test_smart_routing_through_the_class_based_view_and_async_paths():
    assert ShopView.as_view()(hx(layout_key=SHOP))["HX-Retarget"] == "#panel-content"
    assert ShopView.as_view()(hx(layout_key=BLOG))["HX-Retarget"] == "body"


@smart()
async def test_smart_routing_on_the_async_path():
    same = await AsyncShopView.as_view()(
        arf.get("/", headers={"HX-Request": "true", "DJ-Layout": SHOP})
    )
    assert (same["HX-Retarget"], is_full(same)) == ("#panel-content", False)
    other = await async_shop_page(arf.get("/", headers={"HX-Request": "true", "DJ-Layout": BLOG}))
    assert (other["HX-Retarget"], other["HX-Reswap"], is_full(other)) == ("body", "outerHTML", True)
    assert other.cookies["dj_layout_current"].value == SHOP


# == request.dj_layouts_force_full ====================================================================
@smart()
def test_a_view_can_force_the_full_page_after_it_ran():
    response = forcing_page(hx(layout_key=SHOP))
    assert seen["partial"] is True  # the view saw the prediction...
    html = text(response)
    assert is_full(response)  # ...and overruled it
    assert '<main id="panel-content"><p>saved</p></main>' in html
    assert '<p class="partial-flag">False</p>' in html
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("body", "outerHTML")
    assert calls == ["nav"]


@settings(PARTIAL_DETECTORS=[HTMX])
def test_force_full_swaps_the_body_without_smart_routing_too():
    response = forcing_page(hx())
    assert is_full(response)
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("body", "outerHTML")
    assert "dj_layout_current" not in response.cookies


@settings(PARTIAL_DETECTORS=[QUERY])
def test_force_full_for_a_non_htmx_partial_adds_no_htmx_headers():
    response = forcing_page(rf.get("/?_partial=1"))
    assert is_full(response)
    assert "HX-Retarget" not in response


# == history restore ====================================================================================
@smart()
def test_a_history_restore_gets_the_full_page_without_retargeting():
    response = shop_page(hx(layout_key=SHOP, cookie=SHOP, restore=True))
    assert is_full(response)
    assert seen["partial"] is False
    assert "HX-Retarget" not in response
    assert "HX-Reswap" not in response


@settings(PARTIAL_DETECTORS=[HTMX])
def test_a_history_restore_gets_the_full_page_with_the_htmx_detector_alone():
    assert is_full(shop_page(hx(restore=True)))
    assert not is_full(shop_page(hx()))


# == Vary =================================================================================================
@settings(PARTIAL_DETECTORS=[HTMX])
@pytest.mark.parametrize(
    ("view", "request_"),
    [
        (shop_page, hx()),  # partial
        (shop_page, rf.get("/")),  # full
        (redirecting_page, rf.get("/")),
        (missing_page, hx()),
        (forcing_page, hx()),
    ],
)
def test_a_header_detector_makes_every_response_vary_on_it(view, request_):
    assert vary(view(request_)) == ["HX-Request", "HX-History-Restore-Request"]


@smart()
@pytest.mark.parametrize("request_", [hx(layout_key=SHOP), hx(cookie=BLOG), rf.get("/")])
def test_smart_routing_also_varies_on_the_layout_header_and_the_cookie(request_):
    assert vary(shop_page(request_)) == [
        "HX-Request",
        "HX-History-Restore-Request",
        "DJ-Layout",
        "Cookie",
    ]


@settings(PARTIAL_DETECTORS=[QUERY])
def test_a_query_parameter_detector_needs_no_vary():
    assert "Vary" not in shop_page(rf.get("/?_partial=1"))
    assert "Vary" not in shop_page(rf.get("/"))


@settings(PARTIAL_DETECTORS=[f"{HERE}.header_detector", HTMX])
def test_a_custom_detector_declares_its_headers_and_the_views_vary_is_kept():
    assert vary(vary_page(rf.get("/", headers={"X-Partial": "1"}))) == [
        "Accept-Language",
        "X-Partial",
        "HX-Request",
        "HX-History-Restore-Request",
    ]


@settings(PARTIAL_DETECTORS=[f"{HERE}.token_detector", QUERY, HTMX])
def test_patch_vary_adds_what_the_settings_call_for():
    def vary_headers():
        return vary(patch_vary(HttpResponse()))

    assert vary_headers() == ["X-Token", "HX-Request", "HX-History-Restore-Request"]
    with smart():
        assert vary_headers() == ["HX-Request", "HX-History-Restore-Request", "DJ-Layout", "Cookie"]
    with settings(PARTIAL_DETECTORS=[QUERY]):
        assert vary_headers() == []
        assert "Vary" not in patch_vary(HttpResponse())


@settings(PARTIAL_DETECTORS=[HTMX])
def test_a_content_view_that_returns_no_response_is_left_for_django_to_report():
    assert layout(HxShopLayout)(lambda request: None)(hx()) is None


@settings(HTMX_SMART_ROUTING=True)
def test_smart_routing_without_detectors_sends_every_htmx_request_the_full_page():
    response = shop_page(hx(layout_key=SHOP))
    assert is_full(response)
    assert response["HX-Retarget"] == "body"
    assert "HX-Request" in vary(response)


# == the layout_hx_headers tag ===============================================================================
@settings(PARTIAL_DETECTORS=[QUERY])
def test_the_full_page_names_its_layout_for_htmx():
    html = text(shop_page(rf.get("/")))
    assert (
        "<div id=\"page\" hx-headers='{&quot;DJ-Layout&quot;: &quot;tests.HxShopLayout&quot;}'>"
        in html
    )


def test_the_tag_writes_htmx_4s_inherited_attribute(restore_layout_registry):
    @layout(HxShopLayout)
    def page(request):
        return TemplateResponse(request, "testapp/htmx/tag.html", {"inherited": True})

    class TagLayout(Layout):
        template = "testapp/htmx/tag.html"
        layout_context_defaults = {"inherited": True}

    html = text(layout(TagLayout)(lambda request: HttpResponse(""))(rf.get("/")))
    assert (
        html
        == "<div hx-headers:inherited='{&quot;DJ-Layout&quot;: &quot;tests.TagLayout&quot;}'></div>"
    )
    # Outside a layout page (here: the content view's own template) it writes nothing.
    with settings(PARTIAL_DETECTORS=[QUERY]):
        assert text(page(rf.get("/?_partial=1"))) == "<div ></div>"


def test_the_tag_rejects_a_non_boolean_inherited():
    with pytest.raises(TemplateSyntaxError) as excinfo:
        render_to_string("testapp/htmx/tag.html", {"inherited": "yes"})
    assert excinfo.value.args == (
        "'layout_hx_headers' takes inherited=True or inherited=False, not 'yes'.",
    )


# == error pages ===============================================================================================
def not_found(request):
    return render_error_page(
        request, HxShopLayout, "testapp/htmx/error.html", {"missing": "/x/"}, status=404
    )


@smart()
def test_an_htmx_error_from_the_same_layout_is_the_partial_with_the_status():
    response = not_found(hx(layout_key=SHOP))
    assert response.status_code == 404
    assert text(response) == "<h1>Not found</h1><p>/x/</p>"
    assert response["HX-Retarget"] == "#panel-content"
    assert calls == []


@smart()
def test_an_error_for_another_layout_or_a_plain_request_is_the_full_page():
    response = not_found(hx(layout_key=BLOG))
    assert response.status_code == 404
    assert is_full(response)
    assert '<main id="panel-content"><h1>Not found</h1><p>/x/</p></main>' in text(response)
    assert response["HX-Retarget"] == "body"
    plain = not_found(rf.get("/"))
    assert (plain.status_code, is_full(plain), calls) == (404, True, ["nav", "nav"])


@settings(PARTIAL_DETECTORS=[HTMX])
def test_error_page_panels_and_500():
    response = render_error_page(
        rf.get("/"), SHOP, "testapp/htmx/error.html", status=500, panels={"nav": "<b>help</b>"}
    )
    assert response.status_code == 500
    assert "<nav><b>help</b></nav>" in text(response)
    assert vary(response) == ["HX-Request", "HX-History-Restore-Request"]


@smart()
async def test_async_render_error_page():
    request = arf.get("/", headers={"HX-Request": "true", "DJ-Layout": SHOP})
    response = await async_render_error_page(
        request, HxShopLayout, "testapp/htmx/error.html", {"missing": "a"}, status=410
    )
    assert (response.status_code, text(response)) == (410, "<h1>Not found</h1><p>a</p>")
    full = await async_render_error_page(
        arf.get("/"), HxShopLayout, "testapp/htmx/error.html", status=404
    )
    assert (full.status_code, is_full(full)) == (404, True)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (
            "404",
            TypeError("render_error_page(): status must be an int such as 404 or 500, not '404'."),
        ),
        (
            True,
            TypeError("render_error_page(): status must be an int such as 404 or 500, not True."),
        ),
        (
            200,
            ValueError(
                "render_error_page(): status must be an HTTP error status from 400 to 599, "
                "not 200. Use render_with_layout() for other pages."
            ),
        ),
        (
            600,
            ValueError(
                "render_error_page(): status must be an HTTP error status from 400 to 599, "
                "not 600. Use render_with_layout() for other pages."
            ),
        ),
    ],
)
def test_render_error_page_checks_the_status(status, error):
    with pytest.raises(type(error)) as excinfo:
        render_error_page(rf.get("/"), HxShopLayout, "testapp/htmx/error.html", status=status)
    assert excinfo.value.args == error.args


async def test_async_render_error_page_checks_the_status():
    with pytest.raises(ValueError) as excinfo:
        await async_render_error_page(arf.get("/"), HxShopLayout, "x.html", status=302)
    assert excinfo.value.args == (
        "async_render_error_page(): status must be an HTTP error status from 400 to 599, "
        "not 302. Use render_with_layout() for other pages.",
    )


def test_render_error_page_names_itself_in_panel_errors():
    with pytest.raises(TypeError) as excinfo:
        render_error_page(rf.get("/"), HxShopLayout, "x.html", status=404, panels={"content": None})
    assert excinfo.value.args == (
        "render_error_page(): 'content' is not a valid panel name (an identifier other than 'content').",
    )


# == streamed layouts ===============================================================================
class HxStreamedLayout(HxShopLayout):
    streaming = "ordered"


@async_layout(HxStreamedLayout)
async def streamed_page(request):
    return TemplateResponse(request, "testapp/htmx/content.html", {"heading": "Streamed"})


@smart()
async def test_a_streamed_layout_sends_partials_unstreamed_and_full_pages_with_routing():
    key = HxStreamedLayout.key
    partial = await streamed_page(arf.get("/", headers={"HX-Request": "true", "DJ-Layout": key}))
    assert not partial.streaming
    assert (partial["HX-Retarget"], partial.content.decode().startswith("<h1>Streamed</h1>")) == (
        "#panel-content",
        True,
    )
    full = await streamed_page(arf.get("/", headers={"HX-Request": "true", "DJ-Layout": SHOP}))
    assert full.streaming
    body = b"".join([chunk async for chunk in full.streaming_content]).decode()
    assert body.startswith("<!doctype html>")
    assert (full["HX-Retarget"], full["HX-Reswap"]) == ("body", "outerHTML")
    assert full.cookies["dj_layout_current"].value == key
    assert vary(full) == ["HX-Request", "HX-History-Restore-Request", "DJ-Layout", "Cookie"]
