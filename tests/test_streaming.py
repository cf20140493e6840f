"""Streamed layouts, driven through Django's ASGI handler and a real uvicorn server."""

from __future__ import annotations

import asyncio
import gzip
import logging
import re
import time
from html.parser import HTMLParser
from unittest.mock import ANY

import django
import pytest
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.core.management import call_command
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


class _Fills(HTMLParser):
    """The ``<djl-fill>`` elements of a page, as a browser's parser reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fills: list[dict[str, str | None]] = []
        self.tags_after_runtime: list[str] = []
        self.inline_scripts = 0
        self.runtime: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and "src" not in found:
            self.inline_scripts += 1
        if self.runtime is not None:
            self.tags_after_runtime.append(tag)
        if tag == "script" and "data-page" in found:
            self.runtime = found
        if tag == "djl-fill":
            self.fills.append(found)


def fills_of(body: str) -> _Fills:
    parser = _Fills()
    parser.feed(body)
    parser.close()
    return parser


async def test_unordered_parts_arrive_in_completion_order_and_shell_first():
    streamed = await get("/stream/unordered/")
    body = streamed.body.decode()
    page = fills_of(body)
    assert page.runtime == {"src": "/static/dj_layouts/stream.js", "data-page": ANY}
    token = page.runtime["data-page"]

    shell_time, shell = streamed.chunks[0]
    assert shell_time < 0.3
    # Slots are marked by number (slow 0, fast 1, empty 2) and the page's token.
    assert f"<!--djl:{token}:0--><p>loading slow</p><!--/djl:{token}:0-->".encode() in shell
    assert f"<!--djl:{token}:1--><p>loading fast</p>".encode() in shell
    assert b"slow done" not in shell
    # Completion order: the empty panel, the fast one, then the slow one.
    assert page.fills == [
        {"data-page": token, "data-slots": "2"},  # no HTML: the fallback stays
        {
            "data-page": token,
            "data-slots": "1",
            "data-html": '<p>fast done</p><script src="/static/fast.js"></script>',
        },
        {
            "data-page": token,
            "data-slots": "0",
            "data-html": '<p>slow done</p><script src="/static/slow.js"></script>',
        },
    ]
    fast_at = next(t for t, c in streamed.chunks if b"fast done" in c)
    slow_at = next(t for t, c in streamed.chunks if b"slow done" in c)
    assert fast_at < slow_at - 0.2
    # The page still ends properly, after every panel's part; no inline script at all.
    assert body.rstrip().endswith("</djl-fill></body></html>")
    assert page.inline_scripts == 0


class NamesLayout(Layout):
    template = "streamapp/names.html"


def names_page(name: str, html: str = "<p>fast done</p>"):
    panels = {name: Panel("<p>named</p>"), "fast": Panel(html)}

    @layout(NamesLayout, streaming="unordered", panels=panels)
    def page(request):
        return HttpResponse("<h1>c</h1>")

    return page


HOSTILE = '--><img src="x" onerror="alert(1)"><!--'


def test_unordered_writes_slot_numbers_never_slot_names(rf):
    # {% panel request.GET.slot %} with a name no panel has (panel names are identifiers).
    response = names_page("x")(rf.get("/", {"slot": HOSTILE}))
    body = b"".join(response.streaming_content).decode()
    assert "<img" not in body
    assert '<div id="asked"><p>asked fallback</p></div>' in body
    # The panel in two slots fills both.
    assert fills_of(body).fills[-1] == {
        "data-page": ANY,
        "data-slots": "1 2",
        "data-html": "<p>fast done</p>",
    }


def test_no_panel_html_can_end_its_fill_early(rf):
    html = "<p>a</template>b</script>c<!--d\"e'</djl-fill>&amp;<svg><circle/></svg>"

    page = names_page("x", html)
    body = b"".join(page(rf.get("/", {"slot": "x"})).streaming_content).decode()
    page_parts = fills_of(body)
    assert [fill["data-html"] for fill in page_parts.fills] == ["<p>named</p>", html]
    # After the runtime, the parser sees fill elements and nothing else.
    assert page_parts.tags_after_runtime == ["djl-fill", "djl-fill"]


def test_the_runtime_carries_the_nonce_and_panels_need_no_inline_script(rf):
    @layout(views.SyncStreamLayout, streaming="unordered")
    def page(request):
        return HttpResponse("<h1>c</h1>")

    request = rf.get("/")
    request.csp_nonce = "n0nce"  # what django-csp's middleware sets
    body = b"".join(page(request).streaming_content).decode()
    page_parts = fills_of(body)
    assert page_parts.runtime == {
        "src": "/static/dj_layouts/stream.js",
        "data-page": ANY,
        "nonce": "n0nce",
    }
    assert page_parts.inline_scripts == 0
    assert len(page_parts.fills) == 3


def test_the_runtime_url_comes_from_the_staticfiles_storage(rf, tmp_path):
    @layout(views.SyncStreamLayout, streaming="unordered")
    def page(request):
        return HttpResponse("<h1>c</h1>")

    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
        body = b"".join(page(rf.get("/")).streaming_content).decode()
    src = fills_of(body).runtime["src"]
    assert re.fullmatch(r"/static/dj_layouts/stream\.[0-9a-f]{12}\.js", src), src


async def test_without_staticfiles_unordered_streams_ordered_and_warns_once(caplog):
    apps = [app for app in settings.INSTALLED_APPS if app != "django.contrib.staticfiles"]
    with override_settings(INSTALLED_APPS=apps), caplog.at_level(logging.WARNING, "dj_layouts"):
        streamed = await get("/stream/unordered/?slow=0.1")
    buffered = await get("/stream/buffered/?slow=0.1")
    assert streamed.body == buffered.body
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "WARNING",
            "Page /stream/unordered/ asked for unordered streaming, which needs the runtime "
            "dj_layouts/stream.js served by django.contrib.staticfiles; it is not installed, "
            "so the page streams ordered. Add 'django.contrib.staticfiles' to INSTALLED_APPS, "
            "or use streaming='ordered'.",
        )
    ]


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
    ) in [fill.get("data-html") for fill in fills_of(body).fills]
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
    assert "<p>instant</p>" in [fill.get("data-html") for fill in fills_of(body).fills]


def test_a_layout_without_body_end_gets_its_fills_at_the_end(rf):
    class BareLayout(Layout):
        template = "streamapp/bare.html"
        fast = Panel("<p>fast done</p>")

    @layout(BareLayout, streaming="unordered")
    def page(request):
        return HttpResponse("<h1>c</h1>")

    body = b"".join(page(rf.get("/")).streaming_content).decode()
    token = fills_of(body).runtime["data-page"]
    assert body == (
        f'<div id="fast"><!--djl:{token}:0--><p>wait</p><!--/djl:{token}:0--></div>\n'
        f'<script src="/static/dj_layouts/stream.js" data-page="{token}"></script>'
        f'<djl-fill data-page="{token}" data-slots="0" data-html="&lt;p&gt;fast done&lt;/p&gt;">'
        "</djl-fill>"
    )


class LoadingLayout(Layout):
    template = "streamapp/loading.html"
    full = Panel("<p>full</p>")
    empty = Panel("")
    plain = Panel("")


@pytest.mark.parametrize("mode", ["unordered", "ordered", None])
def test_a_loading_placeholder_shows_until_the_panel_comes_then_its_html_or_the_fallback(rf, mode):
    @layout(LoadingLayout, streaming=mode)
    def page(request):
        return HttpResponse("<h1>c</h1>")

    response = page(rf.get("/"))
    if mode is None:
        body = response.content.decode()
        assert '<div id="empty"><p>nothing here</p></div>' in body
        assert "Loading" not in body
        return
    body = b"".join(response.streaming_content).decode()
    if mode == "ordered":  # slots wait for their panel: no placeholder is ever shown
        assert '<div id="full"><p>full</p></div>' in body
        assert '<div id="empty"><p>nothing here</p></div>' in body
        assert "Loading" not in body
        return
    # Unordered: the shell shows the placeholders; an empty panel's fill brings the fallback.
    assert '<div id="full"><!--djl:' in body
    shell = body[: body.index("<djl-fill")]
    assert shell.count("<p>Loading</p>") == 2
    assert "plain fallback" in shell  # no {% loading %}: the fallback, as before
    fills = {fill["data-slots"]: fill.get("data-html") for fill in fills_of(body).fills}
    assert fills == {"0": "<p>full</p>", "1": "<p>nothing here</p>", "2": None}
