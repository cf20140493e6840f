"""Panel caching: what a page of cache hits costs, stampedes, and stale-while-revalidate.

(e) CPU per page with 5 cached panels, every one a hit, against the plain Django page
    that renders the same HTML with ``{% include %}``s. Each panel is a navigation
    list of 20 links, the kind of fragment one caches. One row, for information,
    caches one-line panels: a hit costs more than rendering those.
(f) 50 concurrent requests on a cold cached panel that takes 200 ms: how many times
    it rendered, and the p99 latency.
(g) p99 latency while an entry is being revalidated in the background, against a
    fresh hit.

LocMemCache always; the rows marked "redis" run too when a Redis server can be
started (``tests/_services.py``).
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from asgiref.sync import sync_to_async
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test import RequestFactory, override_settings

from bench import pages
from bench._measure import acpu_us, cpu_us, percentile
from bench._table import Row
from dj_layouts import Panel, cache
from tests._background import drain_background, running_refreshes

GROUP_E = "e cpu/page, cached"
GROUP_F = "f stampede"
GROUP_G = "g stale hit"

# Issue #15: a page of hits costs at most half the plain page on the sync path.
CPU_TARGET_SYNC = 0.5
CPU_TARGET = 0.8
RENDER_TARGET = 1
STAMPEDE_REQUESTS = 50
STAMPEDE_SECONDS = 0.2
STALE_TARGET = 1.2
LATENCY_SAMPLES = 3000
PANELS = 5

_rf = RequestFactory()

NAV = engines["django"].from_string(
    '<nav class="menu"><ul>{% for link in links %}'
    '<li><a href="{{ link.url }}"{% if link.active %} class="active"{% endif %}>'
    "{{ link.title|title }}</a></li>{% endfor %}</ul></nav>"
)
PLAIN = engines["django"].from_string(
    "<!doctype html><html><head><title>{{ title }}</title></head><body><main>"
    '{% include "bench/content.html" %}</main>{% for links in menus %}<section>'
    "{% include nav with links=links %}</section>{% endfor %}</body></html>\n"
)
MENUS = [
    [
        {
            "url": f"/section-{menu}/page-{i}/",
            "title": f"page {i} of section {menu}",
            "active": i == 3,
        }
        for i in range(20)
    ]
    for menu in range(PANELS)
]


def _request() -> HttpRequest:
    return _rf.get("/")


def _nav_panel(menu: int) -> Callable[[HttpRequest], str]:
    def nav(request: HttpRequest) -> str:
        return NAV.render({"links": MENUS[menu]}, request)

    nav.__qualname__ = f"nav_{menu}"
    return nav


def _plain_view(request: HttpRequest) -> HttpResponse:
    context = {**pages.CONTENT, "title": pages.TITLE, "menus": MENUS, "nav": NAV}
    return HttpResponse(PLAIN.render(context, request))


def _cached_views(name: str, backend: str) -> tuple[Any, Any]:
    panels = {
        f"p{menu}": Panel(_nav_panel(menu), cache=cache.sitewide(3600, backend=backend))
        for menu in range(PANELS)
    }
    page_layout = pages.make_layout(name, panels)
    return pages.sync_page(page_layout), pages.async_page(page_layout)


def _cpu(view: Any) -> float:
    if asyncio.iscoroutinefunction(view):
        return asyncio.run(acpu_us(lambda: view(_request())))
    return cpu_us(lambda: view(_request()))


def _html(view: Any) -> bytes:
    if asyncio.iscoroutinefunction(view):
        return asyncio.run(view(_request())).content  # type: ignore[no-any-return]
    return view(_request()).content  # type: ignore[no-any-return]


# -- (e) ----------------------------------------------------------------------------------------


async def _plain_async_view(request: HttpRequest) -> HttpResponse:
    """Plain Django's async twin: it renders its template off the event loop too."""
    return await sync_to_async(_plain_view)(request)  # type: ignore[no-any-return]


def _uncached_panels() -> dict[str, Panel]:
    return {f"p{menu}": Panel(_nav_panel(menu)) for menu in range(PANELS)}


def _ratio(label: str, value: float, base: float, base_name: str, target: float | None) -> Row:
    ratio = value / base
    return Row(
        GROUP_E,
        label,
        f"{value:.0f} us = {ratio:.2f}x {base_name}",
        f"<= {target}x {base_name}" if target is not None else "(info)",
        ratio <= target if target is not None else None,
    )


def _cpu_rows(backends: dict[str, str]) -> list[Row]:
    plain_html = _html(_plain_view)
    plain, plain_async = _cpu(_plain_view), _cpu(_plain_async_view)
    uncached = pages.make_layout("NavUncachedLayout", _uncached_panels())
    uncached_sync, uncached_async = pages.sync_page(uncached), pages.async_page(uncached)
    for view in (_plain_async_view, uncached_sync, uncached_async):
        pages.check_same_html(_html(view), plain_html)
    rows = [
        Row(GROUP_E, "plain sync view, 5 nav {% include %}s", f"{plain:.0f} us", "baseline"),
        Row(GROUP_E, "plain async view, same, rendered off the loop", f"{plain_async:.0f} us",
            "baseline (async)"),
        _ratio("@layout, 5 nav panels, not cached", _cpu(uncached_sync), plain, "plain", None),
        _ratio("@async_layout, 5 nav panels, not cached (threads)", _cpu(uncached_async),
               plain_async, "plain async", None),
    ]  # fmt: skip
    for label, alias in backends.items():
        sync_view, async_view = _cached_views(f"NavCached{label.title()}Layout", alias)
        for view in (sync_view, async_view):
            pages.check_same_html(_html(view), plain_html)  # the first call fills the cache
        target = CPU_TARGET if label == "locmem" else None
        sync_target = CPU_TARGET_SYNC if label == "locmem" else None
        rows.append(_ratio(f"@layout, 5 cached nav panels, all hits ({label})",
                           _cpu(sync_view), plain, "plain", sync_target))  # fmt: skip
        rows.append(_ratio(f"@async_layout, the same ({label})", _cpu(async_view),
                           plain_async, "plain async", target))  # fmt: skip
    rows.append(_trivial_row())
    return rows


def _trivial_row() -> Row:
    """What caching costs where it cannot pay: panels that are one-line templates."""
    panels = {
        f"p{index}": Panel(template="bench/item.html", context={"n": index},
                           cache=cache.sitewide(3600))
        for index in range(PANELS)
    }  # fmt: skip
    view, plain = pages.sync_page(pages.make_layout("TrivialCached", panels)), pages.plain_page(5)
    pages.check_same_html(_html(view), _html(plain))
    return _ratio("@layout, 5 cached one-line panels, all hits (locmem)", _cpu(view),
                  _cpu(plain), "its plain twin", None)  # fmt: skip


# -- (f) ----------------------------------------------------------------------------------------


class _Counter:
    def __init__(self) -> None:
        self.value = 0
        self.lock = threading.Lock()

    def __call__(self) -> int:
        with self.lock:
            self.value += 1
            return self.value


def _stampede_views(alias: str, counter: _Counter) -> dict[str, Any]:
    def slow_sync(request: HttpRequest) -> str:
        number = counter()
        time.sleep(STAMPEDE_SECONDS)
        return f"<p>render {number}</p>"

    async def slow_async(request: HttpRequest) -> str:
        number = counter()
        await asyncio.sleep(STAMPEDE_SECONDS)
        return f"<p>render {number}</p>"

    views = {}
    for kind, source in (("sync", slow_sync), ("async", slow_async)):
        panel = Panel(source, cache=cache.sitewide(3600, backend=alias))
        page_layout = pages.make_layout(f"Stampede{kind.title()}{alias.title()}", {"slow": panel})
        views[kind] = pages.async_page(page_layout)
    return views


async def _stampede(view: Any) -> list[float]:
    async def one() -> float:
        started = time.perf_counter()
        response = await view(_request())
        assert b"<p>render 1</p>" in response.content, response.content
        return time.perf_counter() - started

    return list(await asyncio.gather(*(one() for _ in range(STAMPEDE_REQUESTS))))


def _stampede_rows(backends: dict[str, str]) -> list[Row]:
    rows = []
    for label, alias in backends.items():
        for kind in ("async", "sync"):
            counter = _Counter()
            view = _stampede_views(alias, counter)[kind]
            caches[alias].clear()
            latencies = asyncio.run(_stampede(view))
            p99 = percentile(latencies, 0.99)
            rows.append(Row(GROUP_F, f"50 requests, cold {kind} panel of 200 ms: renders ({label})",
                            str(counter.value), f"== {RENDER_TARGET}",
                            counter.value == RENDER_TARGET))  # fmt: skip
            measured = f"{p99 * 1000:.0f} ms = {p99 / STAMPEDE_SECONDS:.2f}x the render"
            rows.append(Row(GROUP_F, f"  the same: p99 latency ({label})", measured))
    return rows


# -- (g) ----------------------------------------------------------------------------------------


def _stale_views(alias: str, release: threading.Event) -> tuple[Any, Any, Any, Any]:
    """(fresh sync, stale sync, fresh async, stale async) page views."""

    def refresh(request: HttpRequest) -> str:
        release.wait(60)  # the refresh stays in progress while we measure
        return NAV.render({"links": MENUS[0]}, request)

    def build(name: str, config: Any) -> tuple[Any, Any]:
        # Panel names of their own: the same source under the same name shares entries.
        panels = {
            f"{name.lower()}{menu}": Panel(_nav_panel(menu), cache=config) for menu in range(PANELS)
        }
        page_layout = pages.make_layout(f"{name}{alias.title()}Layout", panels)
        return pages.sync_page(page_layout), pages.async_page(page_layout)

    fresh = cache.sitewide(3600, backend=alias)
    stale = cache.sitewide(0, stale_ttl=3600, backend=alias, refresh_func=refresh)
    fresh_sync, fresh_async = build("Fresh", fresh)
    stale_sync, stale_async = build("Stale", stale)
    return fresh_sync, stale_sync, fresh_async, stale_async


def _latencies(view: Any, count: int) -> list[float]:
    """Seconds each of ``count`` requests to ``view`` took, one after another."""

    async def awaited() -> list[float]:
        samples = []
        for _ in range(count):
            started = time.perf_counter()
            await view(_request())
            samples.append(time.perf_counter() - started)
        return samples

    if asyncio.iscoroutinefunction(view):
        return asyncio.run(awaited())
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        view(_request())
        samples.append(time.perf_counter() - started)
    return samples


def _stale_rows(backends: dict[str, str]) -> list[Row]:
    rows = []
    for label, alias in backends.items():
        release = threading.Event()
        fresh_sync, stale_sync, fresh_async, stale_async = _stale_views(alias, release)
        try:
            for view in (fresh_sync, stale_sync):
                _html(view)  # the miss
                _html(view)  # a hit; for the stale entries, their refreshes start and wait
            for path, fresh, stale in (
                ("sync", fresh_sync, stale_sync),
                ("async", fresh_async, stale_async),
            ):
                samples: dict[str, list[float]] = {"fresh": [], "stale": []}
                # Alternate blocks, so that other load on the machine hits both alike.
                for _ in range(10):
                    samples["fresh"] += _latencies(fresh, LATENCY_SAMPLES // 10)
                    samples["stale"] += _latencies(stale, LATENCY_SAMPLES // 10)
                fresh_p99 = percentile(samples["fresh"], 0.99)
                stale_p99 = percentile(samples["stale"], 0.99)
                ratio = stale_p99 / fresh_p99
                rows.append(Row(GROUP_G, f"{path} path, p99 of a fresh hit ({label})",
                                f"{fresh_p99 * 1e6:.0f} us"))  # fmt: skip
                measured = f"{stale_p99 * 1e6:.0f} us = {ratio:.2f}x"
                target = f"<= {STALE_TARGET}x fresh hit"
                rows.append(Row(GROUP_G, f"{path} path, p99 while revalidating ({label})",
                                measured, target, ratio <= STALE_TARGET))  # fmt: skip
            running = running_refreshes()
            if running != PANELS:  # then the stale rows did not measure what they say
                raise RuntimeError(f"{running} refreshes in progress, not {PANELS}")
        finally:
            release.set()
            drain_background()
    return rows


# -- backends -------------------------------------------------------------------------------------


@contextmanager
def _backends() -> Iterator[dict[str, str]]:
    """CACHES with a LocMemCache and, when a server can be started, a Redis cache."""
    from tests._services import redis_unavailable_reason, start_redis, stop_redis

    configured = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"bench-{uuid.uuid4().hex}",
        }
    }
    backends = {"locmem": "default"}
    url = start_redis()
    if url is not None:
        configured["redis"] = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
        }
        backends["redis"] = "redis"
    else:
        print(f"[cache: no Redis rows: {redis_unavailable_reason()}]", flush=True)
    try:
        with override_settings(CACHES=configured):
            yield backends
            caches.close_all()
    finally:
        if url is not None:
            stop_redis(url)


def run() -> list[Row]:
    with _backends() as backends:
        return [*_cpu_rows(backends), *_stampede_rows(backends), *_stale_rows(backends)]
