"""(h) What a partial (HTMX) response costs: the layout's view against the bare view.

The bare view is the content view itself, ``bench.pages.content`` (a
``TemplateResponse`` of ``bench/content.html``), with no dj-layouts. The layout view
is the same function under ``@layout`` / ``@async_layout`` of a layout with 5 panels;
the request carries ``HX-Request: true`` (and, for smart routing, ``DJ-Layout``
naming that layout), so dj-layouts answers with the content view's own response.

Both are served through Django's own request handler, as a server would call it:
``WSGIHandler`` for the sync views, ``ASGIHandler`` for the async ones (the bench
settings have no middleware, so the baseline is as small as Django makes it). CPU is
measured on the whole process and the two views are measured alternately, so other
load on the machine hits both alike. Two rows without a target help read the rest:
the view call alone, without the handler, where dj-layouts' own work is most
visible; and the content view wrapped in a plain Django ``View`` class, what any
class-based wrapper costs before it does anything (``@layout`` builds on one).
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable, Mapping
from typing import Any

from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler
from django.test import RequestFactory, override_settings
from django.urls import path
from django.views import View

from bench import pages
from bench._table import Row
from dj_layouts import async_layout, layout

GROUP = "h cpu/partial"
TARGET = 1.1
#: Calls per batch and batches per view; the two views' batches alternate.
BATCH = 200
ASYNC_BATCH = 40
BATCHES = 40

HtmxLayout = pages.make_layout("HtmxBenchLayout", pages.item_panels(5, "sync"))


async def async_content(request: Any) -> Any:
    return pages.content(request)


sync_partial = layout(HtmxLayout)(pages.content)
async_partial = async_layout(HtmxLayout)(async_content)


class ContentView(View):
    def get(self, request: Any) -> Any:
        return pages.content(request)


SYNC_VIEWS = {"bare": pages.content, "partial": sync_partial, "cbv": ContentView.as_view()}
ASYNC_VIEWS = {"bare": async_content, "partial": async_partial}


def route(request: Any, view: str) -> Any:
    return SYNC_VIEWS[view](request)


async def aroute(request: Any, view: str) -> Any:
    return await ASYNC_VIEWS[view](request)


#: This module is the URLconf while the group runs. One pattern serves both views of a
#: kind, so URL resolution costs them the same.
urlpatterns = [
    path("sync/<slug:view>/", route),
    path("async/<slug:view>/", aroute),
]

DETECT = {"DEBUG_ERRORS": False, "PARTIAL_DETECTORS": ["dj_layouts.detection.htmx_detector"]}
SMART = {**DETECT, "HTMX_SMART_ROUTING": True}
HEADERS = {"HX-Request": "true", "DJ-Layout": HtmxLayout.key}


def _environ(url: str) -> dict[str, Any]:
    environ: dict[str, Any] = dict(RequestFactory().get(url, headers=HEADERS).environ)
    environ["wsgi.input"] = io.BytesIO(b"")
    return environ


def _wsgi(url: str) -> Callable[[], bytes]:
    handler = WSGIHandler()
    environ = _environ(url)

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        pass

    def call() -> bytes:
        environ["wsgi.input"].seek(0)
        response = handler(dict(environ), start_response)
        try:
            return b"".join(response)
        finally:
            response.close()

    return call


def _asgi(url: str) -> Callable[[], Any]:
    handler = ASGIHandler()
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": url, "raw_path": url.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
        "headers": [(b"host", b"testserver")]
        + [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()],
    }  # fmt: skip

    async def call() -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []
        received = False

        async def receive() -> dict[str, Any]:
            nonlocal received
            if not received:
                received = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Event().wait()  # never: the response is sent first
            return {"type": "http.disconnect"}

        async def send(message: Mapping[str, Any]) -> None:
            sent.append(dict(message))

        await handler(dict(scope), receive, send)
        return sent

    return call


def _check(bare: bytes, partial: bytes) -> None:
    if bare != partial:
        raise AssertionError(f"The partial differs from the bare view's: {partial!r} != {bare!r}")


def _body(messages: list[dict[str, Any]]) -> bytes:
    return b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")


def _interleaved(
    bare: Callable[[], Any], ours: Callable[[], Any], batch: int
) -> tuple[float, float]:
    """CPU microseconds per call of each: the best batch of each, batches alternating.

    Short alternating batches and the best of each: load from other processes only
    ever adds time, and it hits both views alike.
    """
    best = [float("inf"), float("inf")]
    for call in (bare, ours, bare, ours):  # warm up
        call()
    for _ in range(BATCHES):
        for index, call in enumerate((bare, ours)):
            started = time.process_time()
            for _ in range(batch):
                call()
            best[index] = min(best[index], (time.process_time() - started) / batch)
    return best[0] * 1e6, best[1] * 1e6


async def _ainterleaved(
    bare: Callable[[], Any], ours: Callable[[], Any], batch: int
) -> tuple[float, float]:
    best = [float("inf"), float("inf")]
    for call in (bare, ours, bare, ours):
        await call()
    for _ in range(BATCHES):
        for index, call in enumerate((bare, ours)):
            started = time.process_time()
            for _ in range(batch):
                await call()
            best[index] = min(best[index], (time.process_time() - started) / batch)
    return best[0] * 1e6, best[1] * 1e6


def _row(label: str, bare: float, ours: float, *, targeted: bool) -> Row:
    ratio = ours / bare
    return Row(
        GROUP,
        label,
        f"{ours:.1f} us vs {bare:.1f} us = {ratio:.2f}x bare",
        f"<= {TARGET}x bare" if targeted else "(info)",
        ratio <= TARGET if targeted else None,
    )


def _cbv_row() -> Row:
    bare, cbv = _wsgi("/sync/bare/"), _wsgi("/sync/cbv/")
    _check(bare(), cbv())
    handler_bare, handler_cbv = _interleaved(bare, cbv, BATCH)
    return _row(
        "the content view in a plain django View, through WSGIHandler",
        handler_bare,
        handler_cbv,
        targeted=False,
    )


def _sync_rows(label: str) -> list[Row]:
    bare, ours = _wsgi("/sync/bare/"), _wsgi("/sync/partial/")
    _check(bare(), ours())
    handler_bare, handler_ours = _interleaved(bare, ours, BATCH)
    rf = RequestFactory()

    def view_bare() -> Any:
        return pages.content(rf.get("/", headers=HEADERS)).render()

    def view_ours() -> Any:
        return sync_partial(rf.get("/", headers=HEADERS))

    _check(view_bare().content, view_ours().content)
    call_bare, call_ours = _interleaved(view_bare, view_ours, BATCH)
    return [
        _row(f"@layout partial, {label}, through WSGIHandler", handler_bare, handler_ours,
             targeted=True),
        _row(f"@layout partial, {label}, view call only", call_bare, call_ours, targeted=False),
    ]  # fmt: skip


async def _async_rows(label: str) -> list[Row]:
    bare, ours = _asgi("/async/bare/"), _asgi("/async/partial/")
    _check(_body(await bare()), _body(await ours()))
    best_bare, best_ours = await _ainterleaved(bare, ours, ASYNC_BATCH)
    return [
        _row(f"@async_layout partial, {label}, through ASGIHandler", best_bare, best_ours,
             targeted=True),
    ]  # fmt: skip


def run() -> list[Row]:
    with override_settings(ROOT_URLCONF=__name__):
        rows = [_cbv_row()]
    for label, conf in (("htmx_detector", DETECT), ("smart routing", SMART)):
        with override_settings(ROOT_URLCONF=__name__, DJ_LAYOUTS=conf):
            rows.extend(_sync_rows(label))
            rows.extend(asyncio.run(_async_rows(label)))
    return rows
