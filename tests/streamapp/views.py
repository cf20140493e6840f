"""Views for the streaming tests: panels that take known times and record what happened."""

from __future__ import annotations

import asyncio
import time

from django.http import HttpResponse, StreamingHttpResponse
from django.views import View

from dj_layouts import (
    AsyncLayoutMixin,
    Layout,
    LayoutMixin,
    Panel,
    ScriptQueue,
    StyleQueue,
    add_script,
    async_layout,
    layout,
)

EVENTS: list[str] = []


async def slow(request):
    add_script(request, "/static/slow.js")
    try:
        await asyncio.sleep(float(request.GET.get("slow", "0.5")))
    except asyncio.CancelledError:
        EVENTS.append("slow cancelled")
        raise
    return HttpResponse("<p>slow done</p>")


async def fast(request):
    add_script(request, "/static/fast.js")
    await asyncio.sleep(0.05)
    return HttpResponse("<p>fast done</p>")


def sync_slow(request):
    time.sleep(0.4)
    return HttpResponse("<p>slow done</p>")


def sync_fast(request):
    add_script(request, "/static/fast.js")
    time.sleep(0.05)
    return HttpResponse("<p>fast done</p>")


class StreamLayout(Layout):
    template = "streamapp/layout.html"
    scripts = ScriptQueue()
    styles = StyleQueue()
    slow = Panel(slow)
    fast = Panel(fast)
    empty = Panel()


class SyncStreamLayout(StreamLayout):
    slow = Panel(sync_slow)
    fast = Panel(sync_fast)


def _content(request):
    add_script(request, "/static/content.js")
    request.layout_context["title"] = "Streamed"
    response = HttpResponse("<h1>content</h1>")
    response["X-Content-View"] = "yes"
    response.set_cookie("flavour", "oat")
    return response


@async_layout(StreamLayout)
async def buffered(request):
    await asyncio.sleep(0.01)
    return _content(request)


@async_layout(StreamLayout, streaming="ordered")
async def ordered(request):
    await asyncio.sleep(0.01)
    return _content(request)


@async_layout(StreamLayout, streaming="unordered")
async def unordered(request):
    await asyncio.sleep(0.01)
    return _content(request)


@async_layout(StreamLayout, streaming="ordered")
async def not_found(request):
    return HttpResponse("<h1>missing</h1>", status=404)


async def _parts():
    yield b"a"
    yield b"b"


@async_layout(StreamLayout, streaming="ordered")
async def already_streaming(request):
    return StreamingHttpResponse(_parts())


class SyncOrderedView(LayoutMixin, View):
    layout_class = SyncStreamLayout
    layout_streaming = "ordered"

    def get(self, request):
        return _content(request)


@layout(SyncStreamLayout, streaming="ordered")
def sync_ordered(request):
    return _content(request)


@layout(SyncStreamLayout)
def sync_buffered(request):
    return _content(request)


class AsyncUnorderedView(AsyncLayoutMixin, View):
    layout_class = StreamLayout
    layout_streaming = "unordered"

    async def get(self, request):
        return _content(request)
