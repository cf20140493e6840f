"""Pages for the endpoint group (SPEC §16): a slow panel lazy or inline, a refreshable one."""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponse

from bench.pages import make_layout
from dj_layouts import Panel, layout

SLOW_SECONDS = 0.5


def slow_panel(request: HttpRequest) -> str:
    time.sleep(SLOW_SECONDS)
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
