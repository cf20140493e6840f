"""The headline: what a panel costs against the plain ``{% include %}`` page with the same HTML.

Each row compares one dj-layouts page with its plain-Django twin, measured in the same
run (issue #15): the ratio is ours / plain, where plain is always the **sync** view that
renders the same HTML with ``{% include %}``s (so the async rows show the whole price of
the async path). Every pair is checked to send the same bytes first.

- 5 panels: literal HTML, a callable, 3 URL-named sync views rendering a small template;
  with two rows of context: the *floor* (the same views run and their HTML joined by
  hand, no dj-layouts: what the page's own work costs) and the plain page sent through
  one thread hop (what Django's async path costs on this machine);
- one more panel: literal and callable panels alternating, CPU per panel between a page
  of 1 and one of 100, against one more ``{% include %}``;
- 5 URL-named panels cached with ``cache.sitewide(3600)`` on LocMem, all warm hits,
  against the plain page rendering everything (no cache); with its floor: the content
  view, the 5 panels' HTML read by hand with one ``get_many``, one template joining them;
- an HTMX partial (``HX-Request: true``, htmx detector): ``@layout`` and ``LayoutMixin`` +
  ``TemplateView`` against the same views undecorated, view call only.

CPU is the whole process's (``time.process_time``, worker threads included), the best of
several batches; the two sides of a pair alternate so other load hits both alike.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.test import RequestFactory, override_settings
from django.urls import path
from django.utils.safestring import mark_safe
from django.views.generic import TemplateView

from bench import pages
from bench._measure import calibrate
from bench._table import Row
from dj_layouts import LayoutMixin, Panel, cache, layout

GROUP = "headline"
SCALING = (1, 100)
#: Calls per batch and batches per side; the two sides' batches alternate.
BATCHES = 12
BATCH_SECONDS = 0.04

_rf = RequestFactory()


def item_view(request: HttpRequest, n: int) -> TemplateResponse:
    return TemplateResponse(request, "bench/item.html", {"n": n})


#: This module is the URLconf while the group runs.
urlpatterns = [path("item/<int:n>/", item_view, name="bench-item")]


def _callable(index: int) -> Callable[[HttpRequest], str]:
    html = pages.item_html(index)

    def panel(request: HttpRequest) -> str:
        return html

    return panel


def mixed_panels(**options: Any) -> dict[str, Panel]:
    """Literal, callable, then 3 URL-named sync views: ``<p>Item 0..4</p>``."""
    panels = {
        "p0": Panel(literal=pages.item_html(0), **options),
        "p1": Panel(_callable(1), **options),
    }
    for index in range(2, 5):
        panels[f"p{index}"] = Panel(url_name="bench-item", context={"n": index}, **options)
    return panels


def url_panels(**options: Any) -> dict[str, Panel]:
    return {
        f"p{index}": Panel(url_name="bench-item", context={"n": index}, **options)
        for index in range(5)
    }


def alternating_panels(count: int) -> dict[str, Panel]:
    return {
        f"p{index}": Panel(literal=pages.item_html(index))
        if index % 2 == 0
        else Panel(_callable(index))
        for index in range(count)
    }


# -- measuring -----------------------------------------------------------------------------------
def _request(headers: dict[str, str]) -> Any:
    return _rf.get("/", headers=headers)


_loops_made: list[asyncio.AbstractEventLoop] = []


def _loop() -> asyncio.AbstractEventLoop:
    """One event loop for every async view of the run (closed when the group ends)."""
    if not _loops_made:
        _loops_made.append(asyncio.new_event_loop())
    return _loops_made[0]


def _caller(view: Any, headers: dict[str, str]) -> Callable[[], Any]:
    """One call of ``view`` as a sync function (a coroutine view in one event loop)."""
    if asyncio.iscoroutinefunction(view):

        def run_async() -> Any:
            return _loop().run_until_complete(view(_request(headers)))

        return run_async

    def run_sync() -> Any:
        response = view(_request(headers))
        if getattr(response, "is_rendered", True) is False:
            response.render()  # a bare TemplateResponse view: what its handler would do
        return response

    return run_sync


def pair_us(plain: Any, ours: Any, headers: dict[str, str] | None = None) -> tuple[float, float]:
    """CPU microseconds per call of each view: the best batch of each, batches alternating."""
    calls = [_caller(plain, headers or {}), _caller(ours, headers or {})]
    bodies = [call().content for call in calls]
    pages.check_same_html(bodies[1], bodies[0])
    loops = [calibrate(call, BATCH_SECONDS) for call in calls]
    best = [float("inf"), float("inf")]
    for _ in range(BATCHES):
        for index, call in enumerate(calls):
            started = time.process_time()
            for _ in range(loops[index]):
                call()
            best[index] = min(best[index], (time.process_time() - started) / loops[index])
    return best[0] * 1e6, best[1] * 1e6


def _row(label: str, plain: float, ours: float, target: float, unit: str = "us") -> Row:
    ratio = ours / plain
    return Row(
        GROUP,
        label,
        f"plain {plain:7.1f} {unit} | ours {ours:7.1f} {unit} | {ratio:5.2f}x",
        f"<= {target}x",
        ratio <= target,
    )


# -- the floor: the same work written by hand ----------------------------------------------------
def floor_page() -> Callable[[HttpRequest], HttpResponse]:
    """The 5-panel page's work without dj-layouts: what no panel library can go below.

    The content view and the 3 item views run and render as the views they are (each a
    ``TemplateResponse`` with its own context), and one template joins their HTML.
    """
    literal = mark_safe(pages.item_html(0))
    callable_panel = _callable(1)

    def view(request: HttpRequest) -> HttpResponse:
        content = pages.content(request).render().content.decode()
        items = [literal, mark_safe(callable_panel(request))]
        for n in range(2, 5):
            items.append(mark_safe(item_view(request, n).render().content.decode()))
        context = {"title": pages.TITLE, "content": mark_safe(content), "items": items}
        return render(request, "bench/floor.html", context)

    return view


def cached_floor_page() -> Callable[[HttpRequest], HttpResponse]:
    """The cached page's work without dj-layouts: the content view, the 5 panels' HTML
    read with one ``get_many`` from the same LocMem cache, one template joining them."""
    from django.core.cache import caches

    backend = caches["default"]
    keys = [f"bench-floor-item-{n}" for n in range(5)]
    backend.set_many({key: pages.item_html(n) for n, key in enumerate(keys)}, timeout=3600)

    def view(request: HttpRequest) -> HttpResponse:
        content = pages.content(request).render().content.decode()
        found = backend.get_many(keys)
        items = [mark_safe(found[key]) for key in keys]
        context = {"title": pages.TITLE, "content": mark_safe(content), "items": items}
        return render(request, "bench/floor.html", context)

    return view


def _floor_row(label: str, plain: float, floor: float) -> Row:
    return Row(
        GROUP, label, f"plain {plain:7.1f} us | floor {floor:7.1f} us | {floor / plain:5.2f}x"
    )


# -- the rows ------------------------------------------------------------------------------------
def _page_rows() -> list[Row]:
    mixed = pages.make_layout("HeadlineMixedLayout", mixed_panels())
    plain = pages.plain_page(5)
    rows = []
    for label, view, target in (
        ("5 panels (literal, callable, 3 URL views), sync", pages.sync_page(mixed), 1.5),
        ("  same, async path (vs the plain sync page)", pages.async_page(mixed), 1.5),
    ):
        rows.append(_row(label, *pair_us(plain, view), target))
    rows.append(
        _floor_row("  floor: the same views and join by hand", *pair_us(plain, floor_page()))
    )
    hop = pages.plain_async_page(5)
    rows.append(
        _floor_row("  floor of async: the plain page in one thread hop", *pair_us(plain, hop))
    )
    return rows


def _scaling_rows() -> list[Row]:
    plain = {count: pages.plain_page(count) for count in SCALING}
    ours = {
        count: pages.make_layout(f"HeadlineScale{count}Layout", alternating_panels(count))
        for count in SCALING
    }
    low, high = SCALING
    rows = []
    for label, wrap, target in (
        ("one more panel (literal/callable, 1 -> 100), sync", pages.sync_page, 2.0),
        ("  same, async path", pages.async_page, 3.0),
    ):
        plain_low, ours_low = pair_us(plain[low], wrap(ours[low]))
        plain_high, ours_high = pair_us(plain[high], wrap(ours[high]))
        per_plain = (plain_high - plain_low) / (high - low)
        per_ours = (ours_high - ours_low) / (high - low)
        rows.append(_row(label, per_plain, per_ours, target, "us/panel"))
    return rows


def _cached_rows() -> list[Row]:
    cached = pages.make_layout("HeadlineCachedLayout", url_panels(cache=cache.sitewide(3600)))
    plain = pages.plain_page(5)
    return [
        _row("5 cached URL panels, all hits (LocMem), sync",
             *pair_us(plain, pages.sync_page(cached)), 0.5),
        _row("  same, async path", *pair_us(plain, pages.async_page(cached)), 0.8),
        _floor_row("  floor: the content view, one get_many, joined by hand",
                   *pair_us(plain, cached_floor_page())),
    ]  # fmt: skip


class ContentView(TemplateView):
    template_name = "bench/content.html"
    extra_context = pages.CONTENT


HtmxLayout = pages.make_layout("HeadlineHtmxLayout", mixed_panels())


class LayoutContentView(LayoutMixin, ContentView):
    layout_class = HtmxLayout


def _htmx_rows() -> list[Row]:
    conf = {"DEBUG_ERRORS": False, "PARTIAL_DETECTORS": ["dj_layouts.detection.htmx_detector"]}
    pairs: list[tuple[str, Any, Any]] = [
        ("HTMX partial, @layout vs the bare view", pages.content,
         layout(HtmxLayout)(pages.content)),
        ("HTMX partial, LayoutMixin + TemplateView vs TemplateView", ContentView.as_view(),
         LayoutContentView.as_view()),
    ]  # fmt: skip
    with override_settings(DJ_LAYOUTS=conf):
        return [
            _row(label, *pair_us(bare, ours, {"HX-Request": "true"}), 1.1)
            for label, bare, ours in pairs
        ]


def run() -> list[Row]:
    try:
        with override_settings(ROOT_URLCONF=__name__):
            return [*_page_rows(), *_scaling_rows(), *_cached_rows(), *_htmx_rows()]
    finally:
        while _loops_made:
            _loops_made.pop().close()
