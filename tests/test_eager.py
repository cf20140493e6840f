"""Eager panels: started together with the content view."""

from __future__ import annotations

import asyncio
import time

import pytest
from django.http import HttpResponse
from django.test import AsyncRequestFactory, RequestFactory

from dj_layouts import (
    ConditionalPanel,
    GatherExecutor,
    Layout,
    Panel,
    ScriptQueue,
    SequentialExecutor,
    StyleQueue,
    ThreadedExecutor,
    add_script,
    async_layout,
    layout,
)
from dj_layouts.checks import check_layouts

SEEN: dict[str, object] = {}


def eager_sync(request):
    SEEN["eager_sync"] = dict(request.layout_context)
    add_script(request, "/eager.js")
    time.sleep(0.2)
    return "<p>eager</p>"


async def eager_async(request):
    SEEN["eager_async"] = dict(request.layout_context)
    add_script(request, "/eager.js")
    await asyncio.sleep(0.2)
    return "<p>eager</p>"


def normal(request):
    SEEN["normal"] = dict(request.layout_context)
    add_script(request, "/normal.js")
    return "<p>normal</p>"


def make_layout(executor, source):
    class EagerLayout(Layout):
        template = "streamapp/layout.html"
        scripts = ScriptQueue()
        styles = StyleQueue()
        slow = Panel(source, eager=True)
        fast = Panel(normal)

    EagerLayout.executor = executor
    EagerLayout._executor = executor
    return EagerLayout


@pytest.fixture(autouse=True)
def _clear():
    SEEN.clear()


@pytest.mark.parametrize("executor", [GatherExecutor(), ThreadedExecutor(4)], ids=repr)
async def test_eager_panel_runs_while_the_async_content_view_runs(executor):
    @async_layout(make_layout(executor, eager_async))
    async def page(request):
        request.layout_context["title"] = "set by the view"
        await asyncio.sleep(0.2)
        return HttpResponse("<h1>c</h1>")

    start = time.perf_counter()
    response = await page(AsyncRequestFactory().get("/"))
    elapsed = time.perf_counter() - start
    assert elapsed < 0.35  # 0.2 s view and 0.2 s panel overlap; not 0.4 s
    body = response.content.decode()
    assert "<p>eager</p>" in body and "<p>normal</p>" in body
    # Eager panels see the context from before the view ran; normal ones after.
    assert "title" not in SEEN["eager_async"]
    assert SEEN["normal"]["title"] == "set by the view"
    # Queue items stay in definition order: eager 'slow' is defined before 'fast'.
    assert body.index("/eager.js") < body.index("/normal.js")


def test_eager_panel_runs_while_the_sync_content_view_runs_under_threaded():
    @layout(make_layout(ThreadedExecutor(4), eager_sync))
    def page(request):
        time.sleep(0.2)
        return HttpResponse("<h1>c</h1>")

    start = time.perf_counter()
    response = page(RequestFactory().get("/"))
    assert time.perf_counter() - start < 0.35
    assert b"<p>eager</p>" in response.content


def test_eager_has_no_effect_under_the_sequential_executor():
    @layout(make_layout(SequentialExecutor(), eager_sync))
    def page(request):
        request.layout_context["title"] = "set by the view"
        time.sleep(0.2)
        return HttpResponse("<h1>c</h1>")

    start = time.perf_counter()
    page(RequestFactory().get("/"))
    assert time.perf_counter() - start >= 0.4
    # Not started early, so it sees the view's writes like any panel.
    assert SEEN["eager_sync"]["title"] == "set by the view"


async def test_eager_panels_are_cancelled_when_the_content_view_fails():
    cancelled = asyncio.Event()

    async def waits(request):
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    @async_layout(make_layout(GatherExecutor(), waits))
    async def page(request):
        await asyncio.sleep(0.01)
        raise ValueError("view broke")

    with pytest.raises(ValueError, match="view broke"):
        await page(AsyncRequestFactory().get("/"))
    await asyncio.wait_for(cancelled.wait(), 1)


async def test_eager_panels_stream_as_soon_as_they_are_ready():
    @async_layout(make_layout(GatherExecutor(), eager_async), streaming="unordered")
    async def page(request):
        await asyncio.sleep(0.2)
        return HttpResponse("<h1>c</h1>")

    start = time.perf_counter()
    response = await page(AsyncRequestFactory().get("/"))
    body = b"".join([chunk async for chunk in response.streaming_content]).decode()
    assert time.perf_counter() - start < 0.35
    assert 'data-html="&lt;p&gt;eager&lt;/p&gt;' in body  # its unordered fill


def test_check_warns_about_an_eager_conditional_panel_with_a_context_lookup():
    class WarnLayout(Layout):
        template = "streamapp/layout.html"
        scripts = ScriptQueue()
        styles = StyleQueue()
        slow = ConditionalPanel(normal, condition="object.visible", eager=True)
        fast = ConditionalPanel(normal, condition=lambda context: True, eager=True)

    warnings = [m for m in check_layouts() if m.id == "dj_layouts.W002"]
    mine = [m for m in warnings if m.obj is WarnLayout]
    assert [m.msg for m in mine] == [
        f"Panel 'slow' of layout {WarnLayout.key} is eager and its condition looks up "
        "'object.visible' in the layout context, which it sees before the content view runs."
    ]
