"""Render queues (queues.py): declaration, items, de-duplication, order, CSP nonces, errors.

Whole pages are rendered through ``@layout`` / ``@async_layout`` with the template
``testapp/queues/layout.html``, which wraps each queue in ``<!--name-->...<!--/name-->``.
"""

from __future__ import annotations

import asyncio
import inspect
import pickle
import re
import time
from collections.abc import Callable
from typing import Any

import django
import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.test import AsyncClient, AsyncRequestFactory, Client, RequestFactory, override_settings

from dj_layouts import (
    GatherExecutor,
    Layout,
    Panel,
    RenderQueue,
    ScriptQueue,
    SequentialExecutor,
    StyleQueue,
    ThreadedExecutor,
    add_inline_script,
    add_inline_style,
    add_script,
    add_style,
    add_to_queue,
    async_layout,
    cache,
    layout,
)
from dj_layouts.queues import (
    Fragment,
    InlineScript,
    InlineStyle,
    QueueCollector,
    Script,
    Stylesheet,
)

pytestmark = pytest.mark.usefixtures("restore_layout_registry")

LAYOUT_TEMPLATE = "testapp/queues/layout.html"
MODES = ["sync", "async"]
_SECTION = re.compile(r"<!--(\w+)-->(.*?)<!--/\1-->", re.S)
_HEADER_NONCE = re.compile(r"'nonce-([^']+)'")
_NONCE_ATTR = re.compile(r'nonce="([^"]*)"')


# -- helpers -------------------------------------------------------------------------------
def queues_of(response: Any) -> dict[str, list[str]]:
    """Each queue section of a page rendered with LAYOUT_TEMPLATE: one entry per item."""
    html = response.content.decode() if not isinstance(response, str) else response
    return {
        name: [line for line in body.split("\n") if line] for name, body in _SECTION.findall(html)
    }


def queue_layout(make_layout: Callable[..., type[Layout]], **attrs: Any) -> type[Layout]:
    """A layout with ``scripts``, ``styles`` and ``extra`` queues and the given panels."""
    attrs.setdefault("extra", RenderQueue())
    return make_layout("QueueLayout", template=LAYOUT_TEMPLATE, **attrs)


def page_view(mode: str, layout_class: type[Layout], content: Callable[[Any], Any]) -> Any:
    """``content(request)`` as a sync ``@layout`` or an async ``@async_layout`` view.

    For the async view, ``content`` may be a coroutine function (it is awaited).
    """
    if mode == "sync":

        @layout(layout_class)
        def sync_view(request):
            return content(request)

        return sync_view

    @async_layout(layout_class)
    async def async_view(request):
        result = content(request)
        return await result if inspect.isawaitable(result) else result

    return async_view


async def get_page(view: Any, mode: str, path: str = "/page/") -> Any:
    """Call a view as Django would: a sync view in a thread, an async one on the loop."""
    if mode == "sync":
        return await sync_to_async(view)(RequestFactory().get(path))
    return await view(AsyncRequestFactory().get(path))


def collector_for(layout_class: type[Layout]) -> Any:
    """A request carrying fresh queues of ``layout_class``, as a layout page's request does."""
    request = RequestFactory().get("/")
    request.layout_queues = QueueCollector.for_layout(layout_class)
    return request


def queue_everything(request: Any, name: str) -> None:
    add_script(request, f"/{name}.js")
    add_inline_script(request, f"{name}()")
    add_style(request, f"/{name}.css")
    add_inline_style(request, f".{name}{{}}")
    add_to_queue(request, "extra", f"<i>{name}</i>")


def expected_queues(*names: str, early: tuple[str, ...] = ()) -> dict[str, list[str]]:
    scripts: list[str] = []
    for name in names:
        if name in early:
            scripts.append(f'<script src="/{name}-early.js"></script>')
        scripts += [f'<script src="/{name}.js"></script>', f"<script>{name}()</script>"]
    return {
        "styles": [
            line
            for name in names
            for line in (
                f'<link rel="stylesheet" href="/{name}.css">',
                f"<style>.{name}{{}}</style>",
            )
        ],
        "scripts": scripts,
        "extra": [f"<i>{name}</i>" for name in names],
    }


# -- declaration ---------------------------------------------------------------------------
def test_queues_are_collected_by_attribute_name_with_inheritance():
    class BaseQueues(Layout):
        abstract = True
        template = LAYOUT_TEMPLATE
        scripts = ScriptQueue()
        styles = StyleQueue()
        extra = RenderQueue()

    class ChildQueues(BaseQueues):
        head_scripts = ScriptQueue()
        extra = None

    assert list(BaseQueues.get_queues()) == ["scripts", "styles", "extra"]
    assert list(ChildQueues.get_queues()) == ["scripts", "styles", "head_scripts"]
    queue = ChildQueues.get_queues()["head_scripts"]
    assert type(queue) is ScriptQueue
    assert queue.name == "head_scripts"
    assert repr(queue) == "<ScriptQueue head_scripts>"
    assert repr(RenderQueue()) == "<RenderQueue ?>"


@pytest.mark.parametrize("queue_class", [RenderQueue, ScriptQueue, StyleQueue])
def test_a_queue_template_must_be_a_template_name(queue_class):
    with pytest.raises(TypeError) as excinfo:
        queue_class(template_name=["a.html"])
    assert excinfo.value.args == (
        f"{queue_class.__name__}(template_name=...) must be a template name, not ['a.html'].",
    )


@pytest.mark.parametrize("mode", MODES)
async def test_each_request_gets_fresh_empty_queues(mode, make_layout):
    seen: list[Any] = []
    queue_class = queue_layout(make_layout)

    def content(request):
        seen.append(request.layout_queues)
        assert [len(request.layout_queues[name]) for name in request.layout_queues] == [0, 0, 0]
        if request.GET.get("first"):
            add_script(request, "/first-only.js")
        add_script(request, "/every.js")
        return HttpResponse("<h1>c</h1>")

    view = page_view(mode, queue_class, content)
    first = await get_page(view, mode, "/page/?first=1")
    second = await get_page(view, mode, "/page/")
    assert queues_of(first)["scripts"] == [
        '<script src="/first-only.js"></script>',
        '<script src="/every.js"></script>',
    ]
    assert queues_of(second)["scripts"] == ['<script src="/every.js"></script>']
    assert seen[0] is not seen[1]
    # The declaration is a factory: it never holds a request's items.
    assert not hasattr(queue_class.get_queues()["scripts"], "items")


@pytest.mark.parametrize("mode", MODES)
async def test_request_layout_queues_exposes_the_queues_by_name(mode, make_layout):
    captured: dict[str, Any] = {}
    panel_collectors: list[Any] = []

    def side(request):
        panel_collectors.append(request.layout_queues)
        add_script(request, "/side.js")
        return "<p>side</p>"

    def content(request):
        queues = request.layout_queues
        add_script(request, "/a.js", defer=True)
        add_inline_script(request, "a()")
        captured["names"] = list(queues)
        captured["len"] = len(queues)
        captured["membership"] = ("scripts" in queues, "extra" in queues, "nope" in queues)
        captured["bound"] = (queues["scripts"].name, queues["scripts"].queue)
        captured["items"] = list(queues["scripts"])
        captured["count"] = len(queues["scripts"])
        captured["rendered"] = str(queues["scripts"].render(request))
        captured["rendered without a request"] = str(queues["scripts"].render())
        queues["extra"].add(Fragment("<i>added directly</i>"))
        captured["collector"] = queues
        return HttpResponse("<h1>c</h1>")

    queue_class = queue_layout(make_layout, side=Panel(side))
    response = await get_page(page_view(mode, queue_class, content), mode)

    assert captured["names"] == ["scripts", "styles", "extra"]
    assert captured["len"] == 3
    assert captured["membership"] == (True, True, False)
    assert captured["bound"] == ("scripts", queue_class.get_queues()["scripts"])
    assert captured["items"] == [Script("/a.js", (("defer", True),)), InlineScript("a()")]
    assert captured["count"] == 2
    assert captured["rendered"] == '<script src="/a.js" defer></script>\n<script>a()</script>'
    assert captured["rendered without a request"] == captured["rendered"]
    # A panel queues on a collector of its own; the page merges it after the content's.
    assert panel_collectors[0] is not captured["collector"]
    assert [item.src for item in captured["collector"]["scripts"] if isinstance(item, Script)] == [
        "/a.js",
        "/side.js",
    ]
    assert queues_of(response)["scripts"] == [
        '<script src="/a.js" defer></script>',
        "<script>a()</script>",
        '<script src="/side.js"></script>',
    ]
    assert queues_of(response)["extra"] == ["<i>added directly</i>"]


# -- items and rendering ----------------------------------------------------------------------
@pytest.fixture
def request_with_queues(make_layout):
    return collector_for(queue_layout(make_layout))


def test_external_script_attributes(request_with_queues):
    request = request_with_queues
    add_script(
        request,
        "/app.js",
        defer=True,
        async_=True,
        module=True,
        integrity="sha384-abc",
        crossorigin="anonymous",
        nonce="n0nce",
        data_user_id=7,
    )
    add_script(request, "/legacy.js", nomodule=True, defer=False, integrity=None)
    assert str(request.layout_queues["scripts"].render(request)) == (
        '<script src="/app.js" defer async integrity="sha384-abc" crossorigin="anonymous" '
        'nonce="n0nce" data-user-id="7" type="module"></script>\n'
        '<script src="/legacy.js" nomodule></script>'
    )


def test_stylesheets_with_media_and_rel(request_with_queues):
    request = request_with_queues
    add_style(request, "/screen.css")
    add_style(request, "/print.css", media="print")
    add_style(request, "/contrast.css", rel="alternate stylesheet", title="High contrast")
    assert str(request.layout_queues["styles"].render(request)) == (
        '<link rel="stylesheet" href="/screen.css">\n'
        '<link rel="stylesheet" href="/print.css" media="print">\n'
        '<link rel="alternate stylesheet" href="/contrast.css" title="High contrast">'
    )


def test_inline_blocks_and_fragments(request_with_queues):
    request = request_with_queues
    add_inline_script(request, "\n  start();\n")
    add_inline_style(request, "  body { margin: 0 }  ")
    add_to_queue(request, "extra", '  <meta name="x" content="<b>trusted</b>">  ')
    queues = request.layout_queues
    assert str(queues["scripts"].render(request)) == "<script>start();</script>"
    assert str(queues["styles"].render(request)) == "<style>body { margin: 0 }</style>"
    # RenderQueue items are trusted HTML: rendered as written, only stripped.
    assert str(queues["extra"].render(request)) == '<meta name="x" content="<b>trusted</b>">'


def test_blank_blocks_add_nothing(request_with_queues):
    request = request_with_queues
    add_inline_script(request, "  \n ")
    add_inline_style(request, "")
    add_to_queue(request, "scripts", "\n")
    add_to_queue(request, "extra", "   ")
    assert request.layout_queues.dump() == {}


def test_attribute_values_are_escaped(request_with_queues):
    request = request_with_queues
    add_script(request, '/a.js?x=1&y="2"', integrity='"><script>alert(1)</script>')
    add_style(request, "/a.css?<x>", media="print' onload='x()")
    queues = request.layout_queues
    assert str(queues["scripts"].render(request)) == (
        '<script src="/a.js?x=1&amp;y=&quot;2&quot;" '
        'integrity="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"></script>'
    )
    assert str(queues["styles"].render(request)) == (
        '<link rel="stylesheet" href="/a.css?&lt;x&gt;" media="print&#x27; onload=&#x27;x()">'
    )


def test_attribute_values_are_kept_as_text(request_with_queues):
    # Items are compared, cached and rendered later: values become text when queued.
    request = request_with_queues
    add_script(request, "/a.js", data_version=3)
    (item,) = request.layout_queues["scripts"]
    assert item.attrs == (("data-version", "3"),)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("  go();  ", ["<script>go();</script>"]),
        ("if (a < b) { go(); }", ["<script>if (a < b) { go(); }</script>"]),
        (
            '<script type="module">import "/m.js";</script>',
            ['<script type="module">import "/m.js";</script>'],
        ),
        (
            "<script>a()</script>\n  <SCRIPT defer>b()</SCRIPT>",
            ["<script>a()</script>", "<script defer>b()</script>"],
        ),
        ('<script src="/x.js" defer></script>', ['<script src="/x.js" defer></script>']),
        # Any other HTML is kept as written, as a trusted fragment.
        (
            '<link rel="modulepreload" href="/m.js">',
            ['<link rel="modulepreload" href="/m.js">'],
        ),
        (
            "<script>a()</script><noscript>no js</noscript>",
            ["<script>a()</script><noscript>no js</noscript>"],
        ),
        (
            "<b>x</b><script>a()</script>",
            ["<b>x</b><script>a()</script>"],
        ),
    ],
)
def test_blocks_queued_on_a_script_queue(request_with_queues, body, expected):
    request = request_with_queues
    add_to_queue(request, "scripts", body)
    assert str(request.layout_queues["scripts"].render(request)).split("\n") == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("p { color: red }", ["<style>p { color: red }</style>"]),
        ('<style media="print">p{}</style>', ['<style media="print">p{}</style>']),
        ("<style>a{}</style><style>b{}</style>", ["<style>a{}</style>", "<style>b{}</style>"]),
        ('<link rel="preload" href="/f.woff2">', ['<link rel="preload" href="/f.woff2">']),
    ],
)
def test_blocks_queued_on_a_style_queue(request_with_queues, body, expected):
    request = request_with_queues
    add_to_queue(request, "styles", body)
    assert str(request.layout_queues["styles"].render(request)).split("\n") == expected


# -- de-duplication ----------------------------------------------------------------------------
def test_inline_blocks_are_compared_after_strip(request_with_queues):
    request = request_with_queues
    add_inline_script(request, "a()")
    add_inline_script(request, "\n  a()  \n")
    add_to_queue(request, "scripts", "<script> a() </script>")
    add_inline_script(request, "a();")  # different content
    add_to_queue(request, "scripts", '<script type="module">a()</script>')  # different tag
    add_inline_style(request, "p{}")
    add_to_queue(request, "styles", "<style>\np{}\n</style>")
    add_to_queue(request, "extra", "<i>x</i>")
    add_to_queue(request, "extra", "  <i>x</i>\n")
    add_to_queue(request, "extra", "<i>X</i>")
    queues = request.layout_queues
    assert str(queues["scripts"].render(request)).split("\n") == [
        "<script>a()</script>",
        "<script>a();</script>",
        '<script type="module">a()</script>',
    ]
    assert str(queues["styles"].render(request)) == "<style>p{}</style>"
    assert str(queues["extra"].render(request)).split("\n") == ["<i>x</i>", "<i>X</i>"]


def test_external_scripts_are_one_per_src_and_the_first_attributes_win(request_with_queues):
    request = request_with_queues
    add_script(request, "/lib.js", defer=True)
    add_script(request, "/lib.js", async_=True, integrity="sha384-other")
    add_script(request, "/lib.js?v=2")
    assert str(request.layout_queues["scripts"].render(request)).split("\n") == [
        '<script src="/lib.js" defer></script>',
        '<script src="/lib.js?v=2"></script>',
    ]


def test_stylesheets_are_one_per_href_and_media(request_with_queues):
    request = request_with_queues
    add_style(request, "/site.css")
    add_style(request, "/site.css", title="again")
    add_style(request, "/site.css", media="print")
    add_style(request, "/site.css", media="print", title="again")
    assert str(request.layout_queues["styles"].render(request)).split("\n") == [
        '<link rel="stylesheet" href="/site.css">',
        '<link rel="stylesheet" href="/site.css" media="print">',
    ]


@pytest.mark.parametrize("mode", MODES)
async def test_duplicates_across_content_and_panels_appear_once_where_first_queued(
    mode, make_layout
):
    def one(request):
        add_script(request, "/shared.js", async_=True)
        add_script(request, "/one.js")
        add_inline_script(request, "shared()")
        return "<p>one</p>"

    def two(request):
        add_script(request, "/one.js", defer=True)
        add_script(request, "/two.js")
        add_inline_script(request, "  shared()  ")
        add_to_queue(request, "extra", "<i>shared</i>")
        return "<p>two</p>"

    def content(request):
        add_script(request, "/shared.js", defer=True)
        add_to_queue(request, "extra", "<i>shared</i>")
        return HttpResponse("<h1>c</h1>")

    queue_class = queue_layout(make_layout, one=Panel(one), two=Panel(two))
    response = await get_page(page_view(mode, queue_class, content), mode)
    assert queues_of(response)["scripts"] == [
        '<script src="/shared.js" defer></script>',
        '<script src="/one.js"></script>',
        "<script>shared()</script>",
        '<script src="/two.js"></script>',
    ]
    assert queues_of(response)["extra"] == ["<i>shared</i>"]


# -- order ---------------------------------------------------------------------------------------
EXECUTORS = {
    "sequential": SequentialExecutor,
    "gather": GatherExecutor,
    "threaded": ThreadedExecutor(max_workers=4),
}
DELAYS = {"first": 0.4, "second": 0.2, "third": 0.0}


def timed_panel(name: str, is_async: bool, finished: list[str]) -> Callable[..., Any]:
    """Queues one script at once and everything else after its delay."""
    delay = DELAYS[name]
    if is_async:

        async def async_panel(request):
            add_script(request, f"/{name}-early.js")
            await asyncio.sleep(delay)
            queue_everything(request, name)
            finished.append(name)
            return f"<p>{name}</p>"

        return async_panel

    def sync_panel(request):
        add_script(request, f"/{name}-early.js")
        time.sleep(delay)
        queue_everything(request, name)
        finished.append(name)
        return f"<p>{name}</p>"

    return sync_panel


@pytest.mark.parametrize("panel_kind", ["sync panels", "async panels"])
@pytest.mark.parametrize("executor", list(EXECUTORS))
@pytest.mark.parametrize("mode", MODES)
async def test_order_is_content_then_panels_in_definition_order(
    mode, executor, panel_kind, make_layout
):
    finished: list[str] = []
    is_async = panel_kind == "async panels"
    queue_class = queue_layout(
        make_layout,
        executor=EXECUTORS[executor],
        first=Panel(timed_panel("first", is_async, finished)),
        second=Panel(timed_panel("second", is_async, finished)),
        third=Panel(timed_panel("third", is_async, finished)),
    )

    def content(request):
        queue_everything(request, "content")
        return HttpResponse("<h1>c</h1>")

    response = await get_page(page_view(mode, queue_class, content), mode)

    if executor == "sequential":
        assert finished == ["first", "second", "third"]
    else:
        # The panels really finished last-defined first...
        assert finished == ["third", "second", "first"]
    # ...and the queues still follow definition order.
    assert queues_of(response) == expected_queues(
        "content", "first", "second", "third", early=("first", "second", "third")
    )


@pytest.mark.parametrize("mode", MODES)
async def test_items_from_templates_keep_the_order(mode, make_layout, rf):
    """A content TemplateResponse is rendered after the panels ran; its items still come first."""

    def content(request):
        add_script(request, "/content-code.js")
        return TemplateResponse(request, "testapp/page.html", {"heading": "Hi"})

    def side(request):
        add_script(request, "/static/page.js", async_=True)  # the content template queues it too
        add_script(request, "/side.js")
        return "<p>side</p>"

    queue_class = queue_layout(
        make_layout,
        side=Panel(side),
        tpl=Panel(template="testapp/queues/panel.html", context={"greeting": "tpl"}),
    )
    response = await get_page(page_view(mode, queue_class, content), mode)
    assert queues_of(response) == {
        "styles": ['<link rel="stylesheet" href="/panel-template.css" media="print">'],
        "scripts": [
            '<script src="/content-code.js"></script>',
            '<script src="/static/page.js" defer></script>',
            '<script src="/side.js"></script>',
            '<script src="/panel-template.js" defer></script>',
        ],
        "extra": ["<i>from tpl</i>"],
    }


@pytest.mark.parametrize("mode", MODES)
async def test_eager_panels_keep_definition_order(mode, make_layout):
    events: list[str] = []

    def eager(request):
        add_script(request, "/eager.js")
        events.append("eager queued")
        return "<p>eager</p>"

    def normal(request):
        add_script(request, "/normal.js")
        return "<p>normal</p>"

    def queue_content(request):
        events.append("content queued")
        add_script(request, "/content.js")
        return HttpResponse("<h1>c</h1>")

    def content(request):
        time.sleep(0.3)  # a sync view blocks its thread; the eager panel runs meanwhile
        return queue_content(request)

    async def async_content(request):
        await asyncio.sleep(0.3)
        return queue_content(request)

    queue_class = queue_layout(
        make_layout,
        executor=GatherExecutor,
        normal=Panel(normal),
        eager=Panel(eager, eager=True),
    )
    view = page_view(mode, queue_class, content if mode == "sync" else async_content)
    response = await get_page(view, mode)
    assert events == ["eager queued", "content queued"]
    assert queues_of(response)["scripts"] == [
        '<script src="/content.js"></script>',
        '<script src="/normal.js"></script>',
        '<script src="/eager.js"></script>',
    ]


# -- failures ----------------------------------------------------------------------------------
def failing_panel(is_async: bool) -> Callable[..., Any]:
    if is_async:

        async def async_broken(request):
            queue_everything(request, "broken")
            await asyncio.sleep(0)
            raise RuntimeError("broken panel")

        return async_broken

    def sync_broken(request):
        queue_everything(request, "broken")
        raise RuntimeError("broken panel")

    return sync_broken


@pytest.mark.parametrize("panel_kind", ["sync panel", "async panel"])
@pytest.mark.parametrize("executor", list(EXECUTORS))
@pytest.mark.parametrize("mode", MODES)
async def test_a_panel_that_failed_contributes_nothing(
    mode, executor, panel_kind, make_layout, caplog
):
    def ok(request):
        queue_everything(request, "ok")
        return "<p>ok</p>"

    queue_class = queue_layout(
        make_layout,
        executor=EXECUTORS[executor],
        broken=Panel(failing_panel(panel_kind == "async panel")),
        ok=Panel(ok),
    )

    def content(request):
        queue_everything(request, "content")
        return HttpResponse("<h1>c</h1>")

    response = await get_page(page_view(mode, queue_class, content), mode)
    assert response.status_code == 200
    assert queues_of(response) == expected_queues("content", "ok")
    assert [record.getMessage() for record in caplog.records if record.name == "dj_layouts"] == [
        "Panel 'broken' of layout tests.QueueLayout failed: RuntimeError: broken panel"
    ]


@pytest.mark.parametrize("mode", MODES)
async def test_a_panel_that_timed_out_contributes_nothing(mode, make_layout, caplog):
    async def slow(request):
        queue_everything(request, "slow")
        await asyncio.sleep(5)
        return "<p>slow</p>"

    queue_class = queue_layout(make_layout, executor=GatherExecutor, slow=Panel(slow, timeout=0.2))

    def content(request):
        queue_everything(request, "content")
        return HttpResponse("<h1>c</h1>")

    started = time.monotonic()
    response = await get_page(page_view(mode, queue_class, content), mode)
    assert time.monotonic() - started < 3
    assert queues_of(response) == expected_queues("content")


# -- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
async def test_an_unknown_queue_is_a_key_error_listing_the_declared_ones(mode, make_layout):
    def content(request):
        add_to_queue(request, "sidebar_js", "<i>x</i>")
        return HttpResponse("never")

    view = page_view(mode, queue_layout(make_layout), content)
    with pytest.raises(KeyError) as excinfo:
        await get_page(view, mode)
    assert excinfo.value.args == (
        "Layout tests.QueueLayout has no queue named 'sidebar_js'. Declared queues: "
        "'scripts', 'styles', 'extra'. Declare it on the layout, e.g. sidebar_js = RenderQueue().",
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda r: add_script(r, "/a.js", queue="nope"),
        lambda r: add_inline_script(r, "a()", queue="nope"),
        lambda r: add_style(r, "/a.css", queue="nope"),
        lambda r: add_inline_style(r, "a{}", queue="nope"),
        lambda r: add_to_queue(r, "nope", "<i>x</i>"),
        lambda r: r.layout_queues["nope"],
    ],
)
def test_every_way_of_naming_an_unknown_queue_says_which_exist(request_with_queues, call):
    with pytest.raises(KeyError) as excinfo:
        call(request_with_queues)
    assert excinfo.value.args == (
        "Layout tests.QueueLayout has no queue named 'nope'. Declared queues: "
        "'scripts', 'styles', 'extra'. Declare it on the layout, e.g. nope = RenderQueue().",
    )


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("add_script()", lambda r: add_script(r, "/a.js")),
        ("add_inline_script()", lambda r: add_inline_script(r, "a()")),
        ("add_style()", lambda r: add_style(r, "/a.css")),
        ("add_inline_style()", lambda r: add_inline_style(r, "a{}")),
        ("add_to_queue()", lambda r: add_to_queue(r, "scripts", "a()")),
    ],
)
def test_queueing_outside_a_layout_request_says_so(rf, name, call):
    with pytest.raises(RuntimeError) as excinfo:
        call(rf.get("/"))
    assert excinfo.value.args == (
        f"{name} needs a request rendered by a layout, and this one is not (it has no request.layout_queues). Call it from a "
        "view under @layout/@async_layout or a layout mixin, or from one of their panels.",
    )


def test_a_layout_without_a_script_queue_has_no_default(restore_layout_registry):
    class FragmentsOnly(Layout):
        template = LAYOUT_TEMPLATE
        extra = RenderQueue()

    request = collector_for(FragmentsOnly)
    for call, caller, kind in [
        (lambda: add_script(request, "/a.js"), "add_script()", "script"),
        (lambda: add_inline_script(request, "a()"), "add_inline_script()", "script"),
        (lambda: add_style(request, "/a.css"), "add_style()", "style"),
        (lambda: add_inline_style(request, "a{}"), "add_inline_style()", "style"),
    ]:
        queue_class = "ScriptQueue" if kind == "script" else "StyleQueue"
        with pytest.raises(KeyError) as excinfo:
            call()
        assert excinfo.value.args == (
            f"{caller}: layout tests.FragmentsOnly has no default {queue_class}. Declare one "
            f"(e.g. {kind}s = {queue_class}()) or pass queue='name'. Declared queues: 'extra'.",
        )


def test_the_default_queue_is_the_one_named_scripts_or_styles_else_the_only_one():
    class Named(Layout):
        template = LAYOUT_TEMPLATE
        late_js = ScriptQueue()
        scripts = ScriptQueue()
        css = StyleQueue()

    class Ambiguous(Layout):
        template = LAYOUT_TEMPLATE
        head_js = ScriptQueue()
        body_js = ScriptQueue()

    request = collector_for(Named)
    add_script(request, "/a.js")
    add_style(request, "/a.css")
    assert request.layout_queues.dump() == {
        "scripts": [Script("/a.js")],
        "css": [Stylesheet("/a.css")],
    }

    request = collector_for(Ambiguous)
    with pytest.raises(KeyError) as excinfo:
        add_script(request, "/a.js")
    assert excinfo.value.args == (
        "add_script(): layout tests.Ambiguous has no default ScriptQueue. Declare one "
        "(e.g. scripts = ScriptQueue()) or pass queue='name'. Declared queues: "
        "'head_js', 'body_js'.",
    )
    add_script(request, "/b.js", queue="body_js")
    assert request.layout_queues.dump() == {"body_js": [Script("/b.js")]}


@pytest.mark.parametrize(
    ("call", "queue", "kind", "item", "wanted"),
    [
        (
            lambda r: add_script(r, "/a.js", queue="extra"),
            "extra",
            "RenderQueue",
            "Script",
            "ScriptQueue",
        ),
        (
            lambda r: add_inline_script(r, "a()", queue="styles"),
            "styles",
            "StyleQueue",
            "InlineScript",
            "ScriptQueue",
        ),
        (
            lambda r: add_style(r, "/a.css", queue="scripts"),
            "scripts",
            "ScriptQueue",
            "Stylesheet",
            "StyleQueue",
        ),
        (
            lambda r: add_inline_style(r, "a{}", queue="extra"),
            "extra",
            "RenderQueue",
            "InlineStyle",
            "StyleQueue",
        ),
    ],
)
def test_an_item_for_a_queue_of_another_kind_is_a_type_error(
    request_with_queues, call, queue, kind, item, wanted
):
    with pytest.raises(TypeError) as excinfo:
        call(request_with_queues)
    assert excinfo.value.args == (
        f"Queue {queue!r} of layout tests.QueueLayout is a {kind} and does not take {item} "
        f"items. Pass queue= the name of a {wanted}.",
    )


def test_an_invalid_attribute_name_is_a_value_error(request_with_queues):
    with pytest.raises(ValueError) as excinfo:
        add_script(request_with_queues, "/a.js", **{"on click": "x()"})
    assert excinfo.value.args == (
        "add_script(): 'on click' is not a valid HTML attribute name. Use letters, digits, "
        "'-', ':' and '.' (in Python, data_id=1 gives data-id=\"1\").",
    )


# -- a template per queue ------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
async def test_each_queue_can_name_its_own_template(mode, make_layout):
    custom = "testapp/queues/custom.html"
    queue_class = queue_layout(
        make_layout,
        scripts=ScriptQueue(template_name=custom),
        styles=StyleQueue(template_name=custom),
    )

    def content(request):
        add_script(request, "/a.js", defer=True)
        add_inline_script(request, "a()")
        add_style(request, "/a.css")
        add_to_queue(request, "extra", "<i>plain</i>")
        return HttpResponse("<h1>c</h1>")

    response = await get_page(page_view(mode, queue_class, content), mode)
    assert queues_of(response) == {
        "styles": [
            "<!-- queue styles: 1 items, nonce=none, urls=/a.css| -->",
            '<ul><li><link rel="stylesheet" href="/a.css"></li></ul>',
        ],
        "scripts": [
            "<!-- queue scripts: 2 items, nonce=none, urls=/a.js|| -->",
            '<ul><li><script src="/a.js" defer></script></li><li><script>a()</script></li></ul>',
        ],
        "extra": ["<i>plain</i>"],
    }


def test_a_shared_queue_declaration_renders_under_each_layouts_name():
    shared = ScriptQueue(template_name="testapp/queues/custom.html")

    class First(Layout):
        template = LAYOUT_TEMPLATE
        scripts = shared

    class Second(Layout):
        template = LAYOUT_TEMPLATE
        body_js = shared

    request = collector_for(Second)
    add_script(request, "/a.js")
    assert str(request.layout_queues["body_js"].render(request)).startswith(
        "<!-- queue body_js: 1 items"
    )
    assert First.get_queues()["scripts"] is Second.get_queues()["body_js"]


# -- CSP nonces ------------------------------------------------------------------------------------
def assert_every_tag_carries_the_header_nonce(response: Any, header: str) -> str:
    policy = response.headers[header]
    nonces = set(_HEADER_NONCE.findall(policy))
    assert len(nonces) == 1, policy
    (nonce,) = nonces
    html = response.content.decode()
    sections = queues_of(html)
    tags = sections["styles"] + sections["scripts"]
    assert tags == [
        f'<link rel="stylesheet" href="/static/content.css" nonce="{nonce}">',
        f'<style nonce="{nonce}">.content{{}}</style>',
        f'<style nonce="{nonce}">.aside{{}}</style>',
        f'<script src="/static/content.js" nonce="{nonce}"></script>',
        f'<script nonce="{nonce}">content()</script>',
        f'<script src="/static/aside.js" defer nonce="{nonce}"></script>',
        f'<script nonce="{nonce}">aside()</script>',
    ]
    assert sections["extra"] == ["<i>extra</i>"]  # trusted HTML is left as written
    return nonce


def test_no_nonce_without_a_csp_middleware(client):
    response = client.get("/queues/sync/")
    assert "Content-Security-Policy" not in response.headers
    assert _NONCE_ATTR.findall(response.content.decode()) == []
    assert queues_of(response)["scripts"][0] == '<script src="/static/content.js"></script>'


def django_csp_settings() -> dict[str, Any]:
    from csp.constants import NONCE, SELF

    return {
        "MIDDLEWARE": [*settings.MIDDLEWARE, "csp.middleware.CSPMiddleware"],
        "CONTENT_SECURITY_POLICY": {
            "DIRECTIVES": {
                "default-src": [SELF],
                "script-src": [SELF, NONCE],
                "style-src": [SELF, NONCE],
            }
        },
    }


def test_django_csp_nonce_on_a_sync_page():
    with override_settings(**django_csp_settings()):
        response = Client().get("/queues/sync/")
    assert response.status_code == 200
    assert_every_tag_carries_the_header_nonce(response, "Content-Security-Policy")


async def test_django_csp_nonce_on_an_async_page():
    with override_settings(**django_csp_settings()):
        response = await AsyncClient().get("/queues/async/")
    assert response.status_code == 200
    assert_every_tag_carries_the_header_nonce(response, "Content-Security-Policy")


needs_django_6 = pytest.mark.skipif(
    django.VERSION < (6,),
    reason="Django's own CSP middleware (django.middleware.csp) arrived in Django 6.0",
)


def django6_csp_settings() -> dict[str, Any]:
    from django.utils.csp import CSP

    templates = [dict(engine) for engine in settings.TEMPLATES]
    options = dict(templates[0]["OPTIONS"])
    options["context_processors"] = [
        *options["context_processors"],
        "django.template.context_processors.csp",
    ]
    templates[0]["OPTIONS"] = options
    return {
        "MIDDLEWARE": [
            *settings.MIDDLEWARE,
            "django.middleware.csp.ContentSecurityPolicyMiddleware",
        ],
        "SECURE_CSP": {
            "default-src": [CSP.SELF],
            "script-src": [CSP.SELF, CSP.NONCE],
            "style-src": [CSP.SELF, CSP.NONCE],
        },
        "TEMPLATES": templates,
    }


def _context_nonce(response: Any) -> str | None:
    found = re.search(r'<p class="nonce-from-context">([^<]*)</p>', response.content.decode())
    return found.group(1) if found else None


# Whether or not a template read {{ csp_nonce }} first: Django's nonce is lazy.
@needs_django_6
@pytest.mark.parametrize("query", ["", "?show_nonce=1"])
def test_django_6_csp_nonce_on_a_sync_page(query):
    with override_settings(**django6_csp_settings()):
        response = Client().get(f"/queues/sync/{query}")
    assert response.status_code == 200
    nonce = assert_every_tag_carries_the_header_nonce(response, "Content-Security-Policy")
    assert _context_nonce(response) == (nonce if query else None)


@needs_django_6
@pytest.mark.parametrize("query", ["", "?show_nonce=1"])
async def test_django_6_csp_nonce_on_an_async_page(query):
    with override_settings(**django6_csp_settings()):
        response = await AsyncClient().get(f"/queues/async/{query}")
    assert response.status_code == 200
    nonce = assert_every_tag_carries_the_header_nonce(response, "Content-Security-Policy")
    assert _context_nonce(response) == (nonce if query else None)


@pytest.mark.parametrize("mode", MODES)
async def test_a_nonce_written_by_the_author_wins(mode, make_layout):
    from csp.middleware import CSPMiddleware

    def content(request):
        add_script(request, "/own.js", nonce="mine")
        add_to_queue(request, "scripts", '<script nonce="mine">own()</script>')
        add_to_queue(request, "scripts", '<script data-nonce="x">other()</script>')
        add_to_queue(request, "styles", '<style nonce="mine">p{}</style>')
        return HttpResponse("<h1>c</h1>")

    view = page_view(mode, queue_layout(make_layout), content)
    with override_settings(**django_csp_settings()):
        middleware = CSPMiddleware(view)
        if mode == "sync":
            response = await sync_to_async(middleware)(RequestFactory().get("/"))
        else:
            response = await middleware(AsyncRequestFactory().get("/"))
    (nonce,) = _HEADER_NONCE.findall(response.headers["Content-Security-Policy"])[:1]
    assert queues_of(response)["scripts"] == [
        '<script src="/own.js" nonce="mine"></script>',
        '<script nonce="mine">own()</script>',
        f'<script data-nonce="x" nonce="{nonce}">other()</script>',
    ]
    assert queues_of(response)["styles"] == ['<style nonce="mine">p{}</style>']


# -- what a panel cache stores: dump() and load() -----------------------------------------------------
def test_dump_lists_every_item_by_queue_and_survives_pickling(request_with_queues):
    request = request_with_queues
    request.layout_queues["styles"]  # looking at a queue does not make it dumped
    add_script(request, "/a.js", defer=True, data_n=1)
    add_to_queue(request, "scripts", "<script>a()</script><script type=module>b()</script>")
    add_to_queue(request, "extra", "<i>x</i>")
    dumped = request.layout_queues.dump()
    assert dumped == {
        "scripts": [
            Script("/a.js", (("defer", True), ("data-n", "1"))),
            InlineScript("a()", ""),
            InlineScript("b()", " type=module"),
        ],
        "extra": [Fragment("<i>x</i>")],
    }
    assert pickle.loads(pickle.dumps(dumped)) == dumped


def test_a_collector_is_true_even_without_queues(restore_layout_registry):
    # `collector or fallback` (the panel cache does it) must never pick the fallback.
    class NoQueues(Layout):
        template = LAYOUT_TEMPLATE

    collector = collector_for(NoQueues).layout_queues
    assert len(collector) == 0
    assert bool(collector) is True


def test_load_replays_items_after_what_is_there_without_duplicates(make_layout):
    queue_class = queue_layout(make_layout)
    stored = collector_for(queue_class)
    add_script(stored, "/cached.js", async_=True)
    add_script(stored, "/first.js", async_=True)
    add_inline_style(stored, "p{}")
    add_to_queue(stored, "extra", "<i>cached</i>")
    dumped = pickle.loads(pickle.dumps(stored.layout_queues.dump()))

    request = collector_for(queue_class)
    add_script(request, "/first.js", defer=True)
    request.layout_queues.load(dumped)
    request.layout_queues.load(dumped)  # a second replay changes nothing
    assert request.layout_queues.dump() == {
        "scripts": [
            Script("/first.js", (("defer", True),)),
            Script("/cached.js", (("async", True),)),
        ],
        "styles": [InlineStyle("p{}")],
        "extra": [Fragment("<i>cached</i>")],
    }


def test_load_skips_queues_the_layout_does_not_declare_or_items_it_cannot_take(make_layout):
    request = collector_for(queue_layout(make_layout))
    request.layout_queues.load(
        {
            "head_js": [Script("/gone.js")],
            "extra": [Script("/wrong-kind.js"), Fragment("<i>kept</i>")],
            "scripts": [Stylesheet("/wrong-kind.css"), Script("/kept.js")],
        }
    )
    assert request.layout_queues.dump() == {
        "extra": [Fragment("<i>kept</i>")],
        "scripts": [Script("/kept.js")],
    }


@pytest.mark.parametrize("mode", MODES)
async def test_a_cached_panel_replays_its_items_on_a_hit(mode, make_layout):
    calls: list[str] = []

    def cached(request):
        calls.append("rendered")
        add_script(request, "/cached.js", defer=True)
        add_to_queue(request, "extra", "<i>cached</i>")
        return "<p>cached</p>"

    def content(request):
        add_script(request, "/content.js")
        return HttpResponse("<h1>c</h1>")

    caches["default"].clear()
    try:
        queue_class = queue_layout(
            make_layout, queues_cached=Panel(cached, cache=cache.sitewide(60))
        )
        view = page_view(mode, queue_class, content)
        first = await get_page(view, mode)
        second = await get_page(view, mode)
    finally:
        caches["default"].clear()
    assert calls == ["rendered"]
    for response in (first, second):
        assert queues_of(response)["scripts"] == [
            '<script src="/content.js"></script>',
            '<script src="/cached.js" defer></script>',
        ]
        assert queues_of(response)["extra"] == ["<i>cached</i>"]
