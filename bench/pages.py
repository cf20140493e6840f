"""What the benchmarks render: dj-layouts pages and their plain-Django twins.

A layout page of ``n`` items renders ``bench/content.html`` as its content and one
``Panel(template="bench/item.html")`` per item; the plain twin renders the same HTML
from one template with ``{% include %}``s. ``check_same_html()`` proves they match.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.response import TemplateResponse

from dj_layouts import Layout, Panel, ThreadedExecutor, async_layout, layout

CONTENT = {"heading": "Hello"}
TITLE = "Bench"


def item_html(index: int) -> str:
    """What ``bench/item.html`` renders for item ``index``."""
    return f"<p>Item {index}</p>\n"


def item_panels(count: int, kind: str = "template") -> dict[str, Panel]:
    """``count`` panels that render the items: kind "template", "sync" or "async".

    "sync" and "async" panels are trivial callables that return the item's HTML,
    so what they cost is what dj-layouts costs.
    """
    panels = {}
    for index in range(count):
        if kind == "template":
            panels[f"p{index}"] = Panel(template="bench/item.html", context={"n": index})
        else:
            panels[f"p{index}"] = Panel(_trivial(item_html(index), is_async=kind == "async"))
    return panels


def _trivial(html: str, *, is_async: bool) -> Any:
    if is_async:

        async def async_panel(request: HttpRequest) -> str:
            return html

        return async_panel

    def panel(request: HttpRequest) -> str:
        return html

    return panel


def make_layout(name: str, panels: dict[str, Panel], **attrs: Any) -> type[Layout]:
    namespace: dict[str, Any] = {
        "__module__": __name__,
        "template": "bench/layout.html",
        "layout_context_defaults": {"title": TITLE, "slots": tuple(panels)},
        **panels,
        **attrs,
    }
    return type(name, (Layout,), namespace)


def content(request: HttpRequest) -> TemplateResponse:
    return TemplateResponse(request, "bench/content.html", CONTENT)


def sync_page(page_layout: type[Layout]) -> Any:
    @layout(page_layout)
    def view(request: HttpRequest) -> TemplateResponse:
        return content(request)

    return view


def async_page(page_layout: type[Layout]) -> Any:
    @async_layout(page_layout)
    async def view(request: HttpRequest) -> TemplateResponse:
        return content(request)

    return view


def plain_page(count: int) -> Any:
    items = range(count)

    def view(request: HttpRequest) -> HttpResponse:
        return render(request, "bench/plain.html", {**CONTENT, "title": TITLE, "items": items})

    return view


def plain_async_page(count: int) -> Any:
    """Plain Django's async twin: it must render its template off the event loop too."""
    sync_view = plain_page(count)
    render_off_loop = sync_to_async(sync_view)

    async def view(request: HttpRequest) -> HttpResponse:
        return await render_off_loop(request)  # type: ignore[no-any-return]

    return view


def items_pages(count: int, kind: str = "template") -> tuple[Any, Any, Any]:
    """(sync layout view, async layout view, plain view) for ``count`` items."""
    page_layout = make_layout(f"Items{count}{kind.title()}Layout", item_panels(count, kind))
    return sync_page(page_layout), async_page(page_layout), plain_page(count)


def check_same_html(ours: bytes, plain: bytes) -> None:
    if ours != plain:
        raise AssertionError(
            "The layout page and its plain twin differ, so comparing them is unfair:\n"
            f"{ours.decode()}\n---\n{plain.decode()}"
        )


# -- pages whose panels wait -------------------------------------------------------------------
def sleeping_sync_panel(seconds: float) -> Any:
    def panel(request: HttpRequest) -> str:
        time.sleep(seconds)
        return "<p>slept</p>"

    return panel


def sleeping_async_panel(seconds: float) -> Any:
    async def panel(request: HttpRequest) -> str:
        await asyncio.sleep(seconds)
        return "<p>slept</p>"

    return panel


def sleeping_page(name: str, panel: Any, count: int) -> Any:
    panels = {f"p{i}": Panel(panel) for i in range(count)}
    return async_page(make_layout(name, panels))


#: Served by uvicorn in the server benchmark (bench/urls.py).
SERVER_PANELS = 4
SERVER_PANEL_SECONDS = 0.02
server_page = sleeping_page(
    "ServerLayout", sleeping_async_panel(SERVER_PANEL_SECONDS), SERVER_PANELS
)


async def server_plain_page(request: HttpRequest) -> HttpResponse:
    """The server benchmark's baseline: a plain async Django view that waits once."""
    await asyncio.sleep(SERVER_PANEL_SECONDS)
    return HttpResponse("<p>slept</p>")


# -- the load scenario (bench/bench_load.py) ----------------------------------------------------
#: Sync panels (in the panel pool, or ThreadedExecutor's under WSGI), an async panel and
#: literal HTML, each with a timeout far above what it takes.
def load_panels() -> dict[str, Panel]:
    return {
        "p0": Panel(sleeping_sync_panel(0.002), timeout=5),
        "p1": Panel(sleeping_sync_panel(0.002), timeout=5),
        "p2": Panel(sleeping_async_panel(0.002), timeout=5),
        "p3": Panel(_trivial("<p>literal</p>", is_async=False)),
    }


load_async_page = async_page(make_layout("LoadAsyncLayout", load_panels()))
load_sync_page = sync_page(
    make_layout("LoadSyncLayout", load_panels(), executor=ThreadedExecutor(max_workers=16))
)
