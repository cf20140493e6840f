"""Pages for the endpoint group (SPEC §16): a slow panel lazy, inline or streamed; a small one.

The sync pages are measured in-process; the async ones are served by uvicorn.
"""

from __future__ import annotations

import asyncio
import time

from django.http import HttpRequest, HttpResponse

from bench.pages import make_layout
from dj_layouts import Panel, async_layout, layout

SLOW_SECONDS = 0.5


def slow_panel(request: HttpRequest) -> str:
    time.sleep(SLOW_SECONDS)
    return "<p>slow</p>"


async def slow_async_panel(request: HttpRequest) -> str:
    await asyncio.sleep(SLOW_SECONDS)
    return "<p>slow</p>"


def small_panel(request: HttpRequest) -> HttpResponse:
    """What a refresh renders: the bare view is the baseline of (m)."""
    return HttpResponse("<ul><li>one item</li><li>two items</li></ul>")


LazyLayout = make_layout(
    "BenchLazyLayout",
    {"slow": Panel(slow_panel, load="lazy"), "small": Panel(small_panel, endpoint=True)},
)
InlineLayout = make_layout("BenchInlineLayout", {"slow": Panel(slow_panel)})


@layout(LazyLayout)
def lazy(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<h1>lazy</h1>")


@layout(InlineLayout)
def inline(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<h1>inline</h1>")


# -- served by uvicorn: the same page, its slow panel lazy, inline, or inline and streamed -------
AsyncLazyLayout = make_layout(
    "BenchAsyncLazyLayout", {"slow": Panel(slow_async_panel, load="lazy")}
)
AsyncInlineLayout = make_layout("BenchAsyncInlineLayout", {"slow": Panel(slow_async_panel)})


async def _content(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<h1>page</h1>")


served = {
    "lazy": async_layout(AsyncLazyLayout)(_content),
    "inline": async_layout(AsyncInlineLayout)(_content),
    "ordered": async_layout(AsyncInlineLayout, streaming="ordered")(_content),
}
