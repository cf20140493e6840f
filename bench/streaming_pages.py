"""Pages for the streaming group: served by uvicorn (bench/urls.py) and measured in-process."""

from __future__ import annotations

import asyncio
from typing import Any

from django.http import HttpRequest, HttpResponse

from bench.pages import item_panels, make_layout
from dj_layouts import GatherExecutor, Panel, async_layout

CONTENT_SECONDS = 0.01
FAST_SECONDS = 0.02
SLOW_SECONDS = 0.5
EAGER_SECONDS = 0.1


def _waiting(seconds: float, html: str) -> Any:
    async def panel(request: HttpRequest) -> str:
        await asyncio.sleep(seconds)
        return html

    return panel


StreamingLayout = make_layout(
    "BenchStreamingLayout",
    {
        "fast1": Panel(_waiting(FAST_SECONDS, "<p>fast 1</p>")),
        "fast2": Panel(_waiting(FAST_SECONDS, "<p>fast 2</p>")),
        "fast3": Panel(_waiting(FAST_SECONDS, "<p>fast 3</p>")),
        "slow": Panel(_waiting(SLOW_SECONDS, "<p>slow</p>")),
    },
)


def _streaming_view(mode: str | None) -> Any:
    @async_layout(StreamingLayout, streaming=mode)
    async def view(request: HttpRequest) -> HttpResponse:
        await asyncio.sleep(CONTENT_SECONDS)
        return HttpResponse("<h1>Hello</h1>")

    return view


ordered = _streaming_view("ordered")
unordered = _streaming_view("unordered")
buffered = _streaming_view(None)

# Five trivial panels: what streaming itself costs in CPU, against the same page buffered.
TrivialLayout = make_layout("BenchTrivialStreamLayout", item_panels(5, "async"))


def trivial_view(mode: str | None) -> Any:
    @async_layout(TrivialLayout, streaming=mode)
    async def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("<h1>Hello</h1>")

    return view


def eager_view(eager: bool) -> Any:
    page_layout = make_layout(
        f"BenchEager{eager}Layout",
        {f"p{i}": Panel(_waiting(EAGER_SECONDS, f"<p>{i}</p>"), eager=eager) for i in range(3)},
        executor=GatherExecutor,
    )

    @async_layout(page_layout)
    async def view(request: HttpRequest) -> HttpResponse:
        await asyncio.sleep(EAGER_SECONDS)
        return HttpResponse("<h1>Hello</h1>")

    return view
