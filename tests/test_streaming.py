"""Streamed layouts, driven through Django's ASGI handler and a real uvicorn server."""

from __future__ import annotations

import asyncio
import gzip
import logging
import time

import django
import pytest
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpResponse, StreamingHttpResponse
from django.test import AsyncRequestFactory, RequestFactory, override_settings

from dj_layouts import (
    Layout,
    LayoutMixin,
    Panel,
    ScriptQueue,
    StyleQueue,
    add_style,
    async_layout,
    layout,
)
from tests.streamapp import views

pytestmark = pytest.mark.urls("tests.streamapp.urls")


class Recorder:
    """An ASGI client: sends one GET, records every body chunk with its arrival time."""

    def __init__(self, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.path, _, query = path.partition("?")
        self.query = query.encode()
        self.headers = [(b"host", b"testserver"), *(headers or [])]
        self.start: dict | None = None
        self.chunks: list[tuple[float, bytes]] = []
        self.disconnect = asyncio.Event()
        self.sent_request = False

    async def receive(self) -> dict:
        if not self.sent_request:
            self.sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            self.start = message
        elif message["type"] == "http.response.body" and message.get("body"):
            self.chunks.append((time.perf_counter() - self.t0, message["body"]))

    async def run(self) -> Recorder:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": self.path,
            "raw_path": self.path.encode(),
            "query_string": self.query,
            "root_path": "",
            "headers": self.headers,
            "client": ("127.0.0.1", 5000),
            "server": ("testserver", 80),
        }
        self.t0 = time.perf_counter()
        await ASGIHandler()(scope, self.receive, self.send)
        return self

    @property
    def body(self) -> bytes:
        return b"".join(chunk for _, chunk in self.chunks)

    @property
    def header_dict(self) -> dict[str, str]:
        assert self.start is not None
        return {k.decode().lower(): v.decode() for k, v in self.start["headers"]}


async def get(path: str, **kwargs) -> Recorder:
    return await Recorder(path, **kwargs).run()


async def test_ordered_first_chunk_before_the_slow_panel_and_bytes_equal_buffered():
    streamed = await get("/stream/ordered/")
    buffered = await get("/stream/buffered/")

    assert streamed.start["status"] == 200
    first_at = streamed.chunks[0][0]
    last_at = streamed.chunks[-1][0]
    assert first_at < 0.3, streamed.chunks  # the slow panel takes 0.5 s
    assert last_at >= 0.45
    assert b"<h1>content</h1>" in streamed.chunks[0][1] + streamed.chunks[1][1]
    assert streamed.body == buffered.body
    # The final scripts queue holds everything, in the buffered order.
    assert streamed.body.count(b'src="/static/slow.js"') == 1


async def test_unordered_parts_arrive_in_completion_order_and_shell_first():
    streamed = await get("/stream/unordered/")
    body = streamed.body.decode()

    shell_time, shell = streamed.chunks[0]
    assert shell_time < 0.3
    assert b"<!--djl:slow--><p>loading slow</p><!--/djl:slow-->" in shell
    assert b"<!--djl:fast--><p>loading fast</p>" in shell
    assert body.index("<p>fast done</p>") < body.index("<p>slow done</p>")
    fast_at = next(t for t, c in streamed.chunks if b"fast done" in c)
    slow_at = next(t for t, c in streamed.chunks if b"slow done" in c)
    assert fast_at < slow_at - 0.2
    # The page still ends properly, after every panel's part.
    assert body.rstrip().endswith("</body></html>")
    assert "window.__djl" in body
    # The empty panel keeps its fallback: no part is sent for it.
    assert body.count("djl:empty") == 2


async def test_headers_status_and_cookies_come_from_the_content_view():
    streamed = await get("/stream/ordered/")
    headers = streamed.header_dict
    assert headers["x-content-view"] == "yes"
    assert headers["x-accel-buffering"] == "no"
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert "content-length" not in headers
    cookies = [v for k, v in streamed.start["headers"] if k == b"Set-Cookie"]
    assert any(b"flavour=oat" in c for c in cookies)


async def test_non_200_and_streaming_content_responses_are_not_wrapped():
    missing = await get("/stream/not-found/")
    assert missing.start["status"] == 404
    assert missing.body == b"<h1>missing</h1>"
    already = await get("/stream/already/")
    assert already.body == b"ab"


@override_settings(DJ_LAYOUTS={"PARTIAL_DETECTORS": ["dj_layouts.detection.htmx_detector"]})
async def test_htmx_partials_are_never_streamed():
    partial = await get("/stream/ordered/", headers=[(b"hx-request", b"true")])
    assert partial.body == b"<h1>content</h1>"
    assert "x-accel-buffering" not in partial.header_dict


async def test_panel_error_after_first_byte_fills_its_slot_and_is_logged(caplog):
    async def broken(request):
        await asyncio.sleep(0.05)
        raise RuntimeError("database down")

    @async_layout(views.StreamLayout, streaming="ordered", panels={"fast": Panel(broken)})
    async def page(request):
        return HttpResponse("<h1>c</h1>")

    with caplog.at_level(logging.ERROR, logger="dj_layouts"):
        response = await page(AsyncRequestFactory().get("/"))
        body = b"".join([chunk async for chunk in response.streaming_content]).decode()

    assert response.status_code == 200
    assert "This part of the page could not be loaded." in body
    assert "database down" not in body
    assert any("database down" in record.getMessage() for record in caplog.records)


@override_settings(DJ_LAYOUTS={"DEBUG_ERRORS": True})
async def test_panel_error_in_debug_mode_shows_the_error_text_in_the_slot(caplog):
    async def broken(request):
        raise RuntimeError("x < y")

    @async_layout(views.StreamLayout, streaming="unordered", panels={"fast": Panel(broken)})
    async def page(request):
        return HttpResponse("<h1>c</h1>")

    with caplog.at_level(logging.ERROR, logger="dj_layouts"):
        response = await page(AsyncRequestFactory().get("/"))
        body = b"".join([chunk async for chunk in response.streaming_content]).decode()
    assert (
        '<pre class="dj-layouts-debug-error">Panel &#x27;fast&#x27; failed to render: '
        "RuntimeError: x &lt; y</pre>"
    ) in body
    assert any("x < y" in record.getMessage() for record in caplog.records)


async def test_timeouts_apply_to_streamed_panels():
    @async_layout(
        views.StreamLayout,
        streaming="ordered",
        panels={"slow": Panel(views.slow, timeout=0.1)},
    )
    async def page(request):
        return HttpResponse("<h1>c</h1>")

    start = time.perf_counter()
    response = await page(AsyncRequestFactory().get("/?slow=3"))
    body = b"".join([chunk async for chunk in response.streaming_content]).decode()
    assert time.perf_counter() - start < 1.5
    assert "This part of the page could not be loaded." in body


@pytest.mark.skipif(
    django.VERSION < (5, 0), reason="Django 4.2's ASGI handler does not watch for disconnects"
)
async def test_client_disconnect_cancels_the_panels_still_running():
    views.EVENTS.clear()
    recorder = Recorder("/stream/unordered/?slow=5")
    task = asyncio.ensure_future(recorder.run())
    for _ in range(100):
        if recorder.chunks:
            break
        await asyncio.sleep(0.01)
    assert recorder.chunks, "the shell should have been sent"
    recorder.disconnect.set()
    await asyncio.wait_for(task, 2)
    for _ in range(50):
        if views.EVENTS:
            break
        await asyncio.sleep(0.01)
    assert views.EVENTS == ["slow cancelled"]


async def test_queue_items_for_a_queue_already_sent_go_out_with_the_panel():
    async def styled(request):
        add_style(request, "/static/panel.css")
        return "<p>styled</p>"

    @async_layout(views.StreamLayout, streaming="ordered", panels={"fast": Panel(styled)})
    async def page(request):
        add_style(request, "/static/content.css")
        return HttpResponse("<h1>c</h1>")

    response = await page(AsyncRequestFactory().get("/?slow=0.01"))
    body = b"".join([chunk async for chunk in response.streaming_content]).decode()
    head = body[: body.index("</head>")]
    assert '<link rel="stylesheet" href="/static/content.css">' in head
    assert "panel.css" not in head
    # Sent once, right after the panel's own HTML.
    assert body.count("/static/panel.css") == 1
    assert '<p>styled</p><link rel="stylesheet" href="/static/panel.css">' in body


@override_settings(
    MIDDLEWARE=["django.middleware.gzip.GZipMiddleware"],
)
async def test_gzip_middleware_compresses_the_stream():
    streamed = await get("/stream/ordered/", headers=[(b"accept-encoding", b"gzip")])
    buffered = await get("/stream/buffered/")
    assert streamed.header_dict["content-encoding"] == "gzip"
    assert gzip.decompress(streamed.body) == buffered.body
    assert len(streamed.chunks) > 1


@pytest.mark.parametrize(
    "view", [views.sync_ordered, views.SyncOrderedView.as_view()], ids=["function", "class"]
)
def test_sync_path_streams_with_a_sync_iterator(view):
    start = time.perf_counter()
    response = view(RequestFactory().get("/"))
    assert isinstance(response, StreamingHttpResponse)
    assert not response.is_async
    chunks = []
    for chunk in response.streaming_content:
        chunks.append((time.perf_counter() - start, chunk))
    assert chunks[0][0] < 0.2  # the slow sync panel sleeps 0.4 s
    buffered = views.sync_buffered(RequestFactory().get("/"))
    assert b"".join(c for _, c in chunks) == buffered.content


def test_streaming_values_are_checked_at_class_creation_and_decoration():
    with pytest.raises(TypeError) as excinfo:

        class BadLayout(Layout):
            template = "x.html"
            streaming = "sideways"

    here = "test_streaming_values_are_checked_at_class_creation_and_decoration.<locals>"
    assert excinfo.value.args == (
        f"{here}.BadLayout.streaming must be None, 'ordered' or 'unordered', not 'sideways'.",
    )
    with pytest.raises(TypeError) as excinfo:
        layout(views.StreamLayout, streaming=True)
    assert excinfo.value.args == (
        "@layout(streaming=...) must be None, 'ordered' or 'unordered', not True.",
    )
    with pytest.raises(TypeError) as excinfo:

        class BadView(LayoutMixin):
            layout_class = views.StreamLayout
            layout_streaming = "fast"

    assert excinfo.value.args == (
        f"{here}.BadView.layout_streaming must be None, 'ordered' or 'unordered', not 'fast'.",
    )


def test_a_view_can_turn_streaming_off_for_a_streaming_layout():
    class StreamingByDefault(Layout):
        template = "streamapp/layout.html"
        streaming = "ordered"
        scripts = ScriptQueue()
        styles = StyleQueue()

    @layout(StreamingByDefault, streaming=None)
    def page(request):
        return HttpResponse("<h1>c</h1>")

    response = page(RequestFactory().get("/"))
    assert not response.streaming
    assert b"<h1>c</h1>" in response.content


async def test_class_based_async_view_streams_unordered():
    response = await views.AsyncUnorderedView.as_view(
        layout_panels={"slow": Panel("<p>instant</p>")}
    )(AsyncRequestFactory().get("/"))
    body = b"".join([chunk async for chunk in response.streaming_content]).decode()
    assert "<template" in body and "<p>instant</p>" in body
