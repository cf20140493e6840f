"""Source kinds: the stable identity cache entries record, lists and their join."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import pytest
from django.http import HttpResponse
from django.template import engines
from django.template.response import TemplateResponse
from django.views import View

from dj_layouts import Panel
from dj_layouts.panels import CallableSource, ListSource, LiteralSource
from dj_layouts.sources import to_html


def greet(request, word="hi"):
    return f"<p>{word}</p>"


class Greeter:
    def __init__(self, word):
        self.word = word

    def __call__(self, request):
        return f"<p>{self.word}</p>"


class Shouter(Greeter):
    def __call__(self, request):
        return f"<p>{self.word.upper()}</p>"


class NavView(View):
    heading = "Nav"

    def get(self, request):
        return HttpResponse("<nav>nav</nav>")


class OtherNavView(NavView):
    pass


def identity(source):
    return Panel(source).source.identity()


# -- identity: what renders, the same in every process -----------------------------------


def test_a_function_is_named_with_where_its_code_is():
    code = greet.__code__
    assert identity(greet) == (
        f"callable:tests.test_sources.greet@{code.co_filename}:{code.co_firstlineno}"
    )


def test_partials_are_told_apart_by_their_arguments():
    hello = functools.partial(greet, word="hello")
    assert identity(hello) == identity(functools.partial(greet, word="hello"))
    assert identity(hello) != identity(functools.partial(greet, word="bye"))
    assert identity(hello).startswith(
        "callable:partial()[('word', 'hello')]|tests.test_sources.greet@"
    )


def test_callable_objects_are_told_apart_by_class_not_by_instance():
    assert identity(Greeter("a")) == identity(Greeter("b"))
    assert identity(Greeter("a")) != identity(Shouter("a"))
    assert identity(Greeter("a")).startswith("callable:tests.test_sources.Greeter@")


def test_lambdas_are_told_apart_by_where_they_are_declared():
    first = lambda r: "<p>a</p>"  # noqa: E731
    second = lambda r: "<p>b</p>"  # noqa: E731
    assert identity(first) != identity(second)
    assert identity(first) == Panel(first).source.identity()


def test_view_functions_are_told_apart_by_view_class_and_initkwargs():
    assert identity(NavView) == "callable:view:tests.test_sources.NavView[]"
    assert identity(NavView) != identity(OtherNavView)
    assert identity(NavView.as_view()) == identity(NavView)
    assert identity(NavView.as_view(heading="Menu")) == (
        "callable:view:tests.test_sources.NavView[('heading', 'Menu')]"
    )
    assert identity(NavView.as_view(heading="Menu")) != identity(NavView.as_view(heading="Nav"))


def test_no_memory_address_is_in_an_identity():
    for source in (Greeter("a"), functools.partial(greet), lambda r: "", NavView, [greet, "<hr>"]):
        assert " at 0x" not in identity(source)
        assert hex(id(source)) not in identity(source)


def test_a_list_is_its_join_and_its_items():
    code = greet.__code__
    assert Panel([greet, "<hr>"], join="\n").source.identity() == (
        f"list:'\\n':[callable:tests.test_sources.greet@{code.co_filename}:{code.co_firstlineno},"
        "literal:<hr>]"
    )
    assert identity([greet, "<hr>"]) != Panel([greet, "<hr>"], join="\n").source.identity()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (None, "empty"),
        ("<p>x</p>", "literal:<p>x</p>"),
        ("app:name", "url:app:name"),
    ],
)
def test_the_other_kinds_keep_their_identity(source, expected):
    assert identity(source) == expected


def test_a_template_source_is_its_template_name():
    assert Panel(template="x.html").source.identity() == "template:x.html"


# -- lists --------------------------------------------------------------------------------


def test_a_list_gets_its_join_at_construction(rf):
    source = ListSource([LiteralSource("a"), LiteralSource("b")], " | ")
    assert source.join == " | "
    assert source.render(rf.get("/"), "side", {}) == "a | b"
    assert Panel(["a", "b"], join=",").source.join == ","
    assert ListSource([LiteralSource("a"), LiteralSource("b")]).render(rf.get("/"), "x", {}) == "ab"


def test_only_the_outer_list_takes_the_join(rf):
    source = Panel(["a", ["b", "c"]], join="-").source
    assert source.render(rf.get("/"), "side", {}) == "a-bc"


async def test_async_items_render_concurrently(rf):
    started = []
    both = asyncio.Event()

    async def item(request):
        started.append(1)
        if len(started) == 2:
            both.set()
        await asyncio.wait_for(both.wait(), timeout=5)
        return "<i>x</i>"

    source = Panel([item, item], join="/").source
    assert await source.arender(rf.get("/"), "side", {}) == "<i>x</i>/<i>x</i>"


async def test_a_failing_async_item_cancels_the_others(rf):
    cancelled = asyncio.Event()

    async def fails(request):
        raise ValueError("upstream down")

    async def slow(request):
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "<p>late</p>"  # pragma: no cover

    source = ListSource([CallableSource(slow), CallableSource(fails)])
    with pytest.raises(ValueError) as excinfo:
        await source.arender(rf.get("/"), "side", {})
    assert excinfo.value.args == ("upstream down",)
    # Nothing is left running once the panel has failed.
    assert cancelled.is_set()


def test_a_url_source_knows_the_colour_of_the_view_the_current_urlconf_names():
    from types import ModuleType

    from django.urls import path, set_urlconf

    from dj_layouts.sources import UrlSource

    def sync_view(request):
        return "<p>sync</p>"

    async def async_view(request):
        return "<p>async</p>"

    sync_conf, async_conf = ModuleType("sync_urls"), ModuleType("async_urls")
    sync_conf.urlpatterns = [path("x/", sync_view, name="colour")]  # type: ignore[attr-defined]
    async_conf.urlpatterns = [path("x/", async_view, name="colour")]  # type: ignore[attr-defined]
    source = UrlSource("colour", {})
    try:
        set_urlconf(sync_conf)
        assert source.is_async is False
        assert source.is_async is False  # asked again: answered from what was learnt
        set_urlconf(async_conf)
        assert source.is_async is True
        assert source.resolve()[0] is async_view
    finally:
        set_urlconf(None)


def _template_view(callback: Any = None) -> Any:
    def view(request: Any) -> TemplateResponse:
        response = TemplateResponse(
            request, engines["django"].from_string("<p>{{ n }}</p>"), {"n": 1}
        )
        if callback is not None:
            response.add_post_render_callback(callback)
        return response

    return view


def test_a_template_response_panel_renders_to_its_html(rf):
    assert to_html("p", _template_view()(rf.get("/"))) == "<p>1</p>"


def test_a_template_response_panel_runs_its_post_render_callbacks(rf):
    seen: list[bytes] = []
    html = to_html("p", _template_view(lambda response: seen.append(response.content))(rf.get("/")))
    assert html == "<p>1</p>"
    assert seen == [b"<p>1</p>"]
