"""Three pages: five sync panels that hang (``?seconds=``), one fast sync panel, cache hits."""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpResponse

from dj_layouts import Panel, async_layout, cache, layout
from tests._slots import make_layout


def hanging(request: Any) -> str:
    time.sleep(float(request.GET.get("seconds", "10")))
    return "<p>too late</p>"


def quick(request: Any) -> str:
    time.sleep(0.01)
    return "<p>fast</p>"


def remembered(request: Any) -> str:
    time.sleep(0.01)
    return "<p>cached</p>"


HangLayout = make_layout(
    {f"hang{i}": Panel(hanging) for i in range(5)}, name="HangLayout", panel_timeout=0.5
)
#: For a sync (WSGI) view: the default SequentialExecutor runs a panel with a timeout in
#: the panel pool.
HangSyncLayout = make_layout({"hang": Panel(hanging)}, name="HangSyncLayout", panel_timeout=0.5)
FastLayout = make_layout({"quick": Panel(quick, timeout=5)}, name="FastLayout")
CachedLayout = make_layout(
    {f"hit{i}": Panel(remembered, cache=cache.sitewide(timeout=600)) for i in range(3)},
    name="CachedLayout",
)


def content(request: Any) -> HttpResponse:
    return HttpResponse("<h1>content</h1>")


@async_layout(HangLayout)
async def hang(request: Any) -> HttpResponse:
    return content(request)


@async_layout(FastLayout)
async def fast(request: Any) -> HttpResponse:
    return content(request)


@async_layout(CachedLayout)
async def cached(request: Any) -> HttpResponse:
    return content(request)


@layout(HangSyncLayout)
def hang_sync(request: Any) -> HttpResponse:
    return content(request)
