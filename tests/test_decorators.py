"""@layout, @async_layout (decoration checks) and @panel_only."""

from __future__ import annotations

import asyncio
import functools
import inspect

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from dj_layouts import (
    Layout,
    LayoutMixin,
    Panel,
    PanelOnlyMixin,
    ScriptQueue,
    async_layout,
    layout,
    panel_only,
)


class DecoratorsPageLayout(Layout):
    template = "testapp/core/slots-scripts.html"
    layout_context_defaults = {"slots": ["side", "only", "aonly", "conly", "extra"]}
    scripts = ScriptQueue()
    side = Panel("<p>side</p>")
    only = Panel("deco:only")
    aonly = Panel("deco:async-only")
    conly = Panel("deco:class-only")


@layout(DecoratorsPageLayout)
def page(request):
    """A decorated page."""
    return HttpResponse(f"<p>{request.method} page, {request.layout_role}</p>")


@layout(
    DecoratorsPageLayout,
    panels={"side": "<p>deco side</p>", "extra": Panel("<p>extra</p>"), "only": None},
)
def overridden(request):
    return HttpResponse("<p>overridden</p>")


@layout(DecoratorsPageLayout)
@csrf_exempt
def exempt_inside(request):
    return HttpResponse("<p>exempt inside</p>")


@csrf_exempt
@layout(DecoratorsPageLayout)
def exempt_outside(request):
    return HttpResponse("<p>exempt outside</p>")


@layout(DecoratorsPageLayout)
def protected(request):
    return HttpResponse("<p>protected</p>")


@panel_only
def only(request):
    return HttpResponse(f"<p>only, {request.layout_role}</p>")


@panel_only
async def async_only(request):
    await asyncio.sleep(0)
    return HttpResponse(f"<p>async only, {request.layout_role}</p>")


@panel_only
class ClassOnly(View):
    def get(self, request):
        return HttpResponse(f"<p>class only, {request.layout_role}</p>")


deco_patterns = [
    path("page/", page, name="page"),
    path("overridden/", overridden, name="overridden"),
    path("exempt-inside/", exempt_inside, name="exempt-inside"),
    path("exempt-outside/", exempt_outside, name="exempt-outside"),
    path("protected/", protected, name="protected"),
    path("only/", only, name="only"),
    path("async-only/", async_only, name="async-only"),
    path("class-only/", ClassOnly.as_view(), name="class-only"),
]
urlpatterns = [path("deco/", include((deco_patterns, "deco")))]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.usefixtures("restore_layout_registry")]


# -- @layout ----------------------------------------------------------------------------------
def test_layout_renders_the_function_as_the_content(client, slots):
    response = client.get("/deco/page/")
    assert response.status_code == 200
    page_slots = slots(response)
    assert page_slots["content"] == "<p>GET page, main</p>"
    assert page_slots["side"] == "<p>side</p>"
    assert page_slots["only"] == "<p>only, panel</p>"
    assert page_slots["aonly"] == "<p>async only, panel</p>"
    assert page_slots["conly"] == "<p>class only, panel</p>"


def test_layout_keeps_the_functions_identity():
    assert page.__name__ == "page"
    assert page.__doc__ == "A decorated page."
    assert page.__module__ == __name__
    assert page.__wrapped__.__name__ == "page"
    assert issubclass(page.view_class, LayoutMixin)
    assert page.view_class.layout_class is DecoratorsPageLayout


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "options"])
def test_function_views_accept_any_http_method(client, slots, method):
    response = getattr(client, method)("/deco/page/")
    assert response.status_code == 200
    assert slots(response)["content"] == f"<p>{method.upper()} page, main</p>"


def test_decorator_panel_overrides(client, slots):
    page_slots = slots(client.get("/deco/overridden/"))
    assert page_slots["side"] == "<p>deco side</p>"
    assert page_slots["only"] == "fallback:only"
    assert page_slots["extra"] == "<p>extra</p>"
    assert page_slots["aonly"] == "<p>async only, panel</p>"


@pytest.mark.parametrize("url", ["/deco/exempt-inside/", "/deco/exempt-outside/"])
def test_csrf_exempt_keeps_working_on_either_side(url):
    client = Client(enforce_csrf_checks=True)
    assert client.post(url).status_code == 200
    assert client.post("/deco/protected/").status_code == 403


def test_a_layout_function_view_in_panel_role_returns_its_partial(rf, make_layout, slots):
    outer = make_layout("DecoratorsOuterLayout", inner=Panel("deco:page"))
    page_slots = slots(layout(outer)(lambda request: HttpResponse("outer"))(rf.get("/")))
    assert page_slots["inner"] == "<p>GET page, panel</p>"


def test_a_registry_key_is_resolved_lazily_at_request_time(rf):
    @layout("tests.DecoratorsLazyLayout")
    def lazy(request):
        return HttpResponse("<p>lazy</p>")

    with pytest.raises(KeyError) as excinfo:
        lazy(rf.get("/"))
    assert excinfo.value.args[0].startswith(
        "No layout is registered under 'tests.DecoratorsLazyLayout'. Registered layouts: "
    )

    class DecoratorsLazyLayout(Layout):
        template = "testapp/core/other.html"

    assert lazy(rf.get("/")).content.decode() == (
        '<body class="core-other"><main><p>lazy</p></main><!-- /content --></body>\n'
    )

    class DecoratorsLazyLayout(Layout):  # noqa: F811 - re-declared on purpose
        template = "testapp/core/context.html"

    assert lazy(rf.get("/")).content.decode().endswith("|content=<p>lazy</p>\n")


def test_partials_and_callable_objects_can_be_decorated(rf, slots):
    def greet(request, word):
        return HttpResponse(f"<p>{word}</p>")

    class CallableView:
        def __call__(self, request):
            return HttpResponse("<p>callable object</p>")

    partial_view = layout(DecoratorsPageLayout)(functools.partial(greet, word="partial"))
    object_view = layout(DecoratorsPageLayout)(CallableView())
    assert slots(partial_view(rf.get("/")))["content"] == "<p>partial</p>"
    assert slots(object_view(rf.get("/")))["content"] == "<p>callable object</p>"
    assert partial_view.view_class.__name__ == "partial"
    assert object_view.view_class.__name__ == "CallableView"


@pytest.mark.parametrize("mode", [None, "ordered", "unordered"])
def test_a_valid_streaming_mode_is_kept_on_the_view(mode):
    view = layout(DecoratorsPageLayout, streaming=mode)(lambda request: HttpResponse("x"))
    assert view.view_class.layout_streaming == mode


# -- decoration-time errors ------------------------------------------------------------------
def test_layout_on_an_async_function_points_to_async_layout():
    async def async_view(request):
        return HttpResponse("x")

    with pytest.raises(TypeError) as excinfo:
        layout(DecoratorsPageLayout)(async_view)
    assert excinfo.value.args == (
        "@layout cannot wrap the async view tests.test_decorators."
        "test_layout_on_an_async_function_points_to_async_layout.<locals>.async_view; "
        "use @async_layout.",
    )


def test_an_unnamed_async_callable_is_described_by_its_repr():
    class AsyncCallable:
        async def __call__(self, request):
            return HttpResponse("x")

        def __repr__(self):
            return "<AsyncCallable view>"

    with pytest.raises(TypeError) as excinfo:
        layout(DecoratorsPageLayout)(AsyncCallable())
    assert excinfo.value.args == (
        "@layout cannot wrap the async view <AsyncCallable view>; use @async_layout.",
    )


def test_async_layout_on_a_sync_function_points_to_layout():
    def sync_view(request):
        return HttpResponse("x")

    with pytest.raises(TypeError) as excinfo:
        async_layout(DecoratorsPageLayout)(sync_view)
    assert excinfo.value.args == (
        "@async_layout needs an async view, and tests.test_decorators."
        "test_async_layout_on_a_sync_function_points_to_layout.<locals>.sync_view is sync; "
        "use @layout (or make it async def).",
    )


@pytest.mark.parametrize(
    ("decorator", "view", "name"),
    [
        (layout, only, "only"),
        (async_layout, async_only, "async_only"),
    ],
)
def test_a_layout_decorator_over_panel_only_is_a_type_error(decorator, view, name):
    with pytest.raises(TypeError) as excinfo:
        decorator(DecoratorsPageLayout)(view)
    assert excinfo.value.args == (
        f"@{decorator.__name__} cannot wrap tests.test_decorators.{name}: it is a @panel_only "
        "view, which only renders inside a layout. Remove one of the two decorators.",
    )


def test_a_bad_layout_reference_is_a_type_error():
    class AbstractDecoratorsLayout(Layout):
        abstract = True

    with pytest.raises(TypeError) as bad:
        layout(42)
    assert bad.value.args == (
        "@layout: the layout must be a Layout subclass or a registry key such as "
        "'myapp.DefaultLayout', not 42.",
    )
    with pytest.raises(TypeError) as not_a_layout:
        async_layout(dict)
    assert not_a_layout.value.args == (
        "@async_layout: the layout must be a Layout subclass or a registry key such as "
        "'myapp.DefaultLayout', not <class 'dict'>.",
    )
    with pytest.raises(TypeError) as abstract:
        layout(AbstractDecoratorsLayout)
    assert abstract.value.args == (
        "@layout: layout test_a_bad_layout_reference_is_a_type_error.<locals>."
        "AbstractDecoratorsLayout is abstract and cannot render.",
    )


@pytest.mark.parametrize(
    ("panels", "message"),
    [
        ("side", "panels must be a dict of name -> Panel or None, not 'side'."),
        (
            {"content": None},
            "'content' is not a valid panel name (an identifier other than 'content').",
        ),
        ({1: None}, "1 is not a valid panel name (an identifier other than 'content')."),
        (
            {"side": 4.5},
            "panel 'side': Panel: unsupported panel source 4.5 (float). Use a URL name "
            "('app:name'), literal HTML, a template=, a callable, a list of those, or None.",
        ),
    ],
)
@pytest.mark.parametrize("decorator", [layout, async_layout])
def test_bad_panels_are_a_type_error(decorator, panels, message):
    with pytest.raises(TypeError) as excinfo:
        decorator(DecoratorsPageLayout, panels=panels)
    assert excinfo.value.args == (f"@{decorator.__name__}: {message}",)


@pytest.mark.parametrize("decorator", [layout, async_layout])
def test_bad_streaming_is_a_type_error(decorator):
    with pytest.raises(TypeError) as excinfo:
        decorator(DecoratorsPageLayout, streaming="sometimes")
    assert excinfo.value.args == (
        f"@{decorator.__name__}(streaming=...) must be None, 'ordered' or 'unordered', "
        "not 'sometimes'.",
    )


def test_decorating_something_that_is_not_callable():
    with pytest.raises(TypeError) as excinfo:
        layout(DecoratorsPageLayout)("not a view")
    assert excinfo.value.args == ("@layout decorates a view function, not 'not a view'.",)
    with pytest.raises(TypeError) as panel_only_error:
        panel_only(None)
    assert panel_only_error.value.args == ("@panel_only decorates a view, not None.",)


# -- @panel_only --------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["/deco/only/", "/deco/async-only/", "/deco/class-only/"])
def test_panel_only_views_are_forbidden_as_pages(client, url):
    assert client.get(url).status_code == 403


def test_panel_only_sync_function(rf):
    with pytest.raises(PermissionDenied) as excinfo:
        only(rf.get("/"))
    assert excinfo.value.args == (
        "tests.test_decorators.only only renders as a panel of a layout, not as a page of its own.",
    )
    request = rf.get("/")
    request.layout_role = "panel"
    assert only(request).content == b"<p>only, panel</p>"
    assert only.__name__ == "only"


async def test_panel_only_async_function(rf):
    assert inspect.iscoroutinefunction(async_only)
    with pytest.raises(PermissionDenied) as excinfo:
        await async_only(rf.get("/"))
    assert excinfo.value.args == (
        "tests.test_decorators.async_only only renders as a panel of a layout, "
        "not as a page of its own.",
    )
    request = rf.get("/")
    request.layout_role = "panel"
    assert (await async_only(request)).content == b"<p>async only, panel</p>"


def test_panel_only_class(rf):
    assert issubclass(ClassOnly, PanelOnlyMixin)
    assert ClassOnly.__name__ == "ClassOnly"
    assert ClassOnly.__module__ == __name__
    with pytest.raises(PermissionDenied) as excinfo:
        ClassOnly.as_view()(rf.get("/"))
    assert excinfo.value.args == (
        "ClassOnly only renders as a panel of a layout, not as a page of its own.",
    )
    request = rf.get("/")
    request.layout_role = "panel"
    assert ClassOnly.as_view()(request).content == b"<p>class only, panel</p>"


def test_panel_only_callables_as_panel_sources(rf, make_layout, slots):
    outer = make_layout(
        "PanelOnlyCallablesLayout",
        sync=Panel(only),
        asynchronous=Panel(async_only),
        klass=Panel(ClassOnly),
    )
    page_slots = slots(layout(outer)(lambda request: HttpResponse("c"))(rf.get("/")))
    assert (page_slots["sync"], page_slots["asynchronous"], page_slots["klass"]) == (
        "<p>only, panel</p>",
        "<p>async only, panel</p>",
        "<p>class only, panel</p>",
    )
