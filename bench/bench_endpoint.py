"""Panels with their own URL (SPEC §16): (k) a lazy slow panel, (m) the endpoint's overhead.

(k) A page whose only slow panel (500 ms) is lazy answers without waiting for it; the
browser then fetches the panel from the endpoint. Measured in-process (test client)
and over a real socket: uvicorn serves the same async page three ways, its slow panel
lazy, inline (buffered) and inline in an ordered stream; for each, the time to the
first byte and to the whole page (for the lazy page, its last byte plus the panel's
fetch, made as soon as the page is in, as htmx does on load).

(m) CPU per refresh of one small panel through the panel endpoint, against calling
the same view at its own URL, both through the test client; measured alternately,
best of each.

(l), edge panels through Varnish, is ``bench/bench_edge.py``.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time

import httpx
from django.test import Client

from bench._measure import cpu_us
from bench._table import Row
from bench.bench_server import start_server, wait_ready
from tests._services import free_port, stop_process

GROUP_K = "k lazy"
GROUP_M = "m endpoint"
RUNS = 5
SERVED_RUNS = 7
LAZY_TARGET_MS = 25.0
OVERHEAD_TARGET = 1.2
#: Rounds of (bare view, endpoint) CPU measurements, alternated.
CPU_ROUNDS = 4
_PLACEHOLDER = re.compile(rb'data-src="([^"]+)" data-load="lazy"')


def _wall_ms(client: Client, url: str) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def _timed(client: httpx.AsyncClient, url: str) -> tuple[float, float, bytes]:
    """Seconds to the first byte of the body and to the last, and the body."""
    started = time.perf_counter()
    first = None
    chunks = []
    async with client.stream("GET", url) as response:
        async for chunk in response.aiter_raw():
            if first is None and chunk:
                first = time.perf_counter() - started
            chunks.append(chunk)
    last = time.perf_counter() - started
    return first or last, last, b"".join(chunks)


WAYS = {
    "lazy": "panel lazy",
    "inline": "panel inline, buffered",
    "ordered": "panel inline, ordered stream",
}


async def _served(client: httpx.AsyncClient, way: str) -> tuple[float, float]:
    """One load of the page served ``way``: (first byte, whole page), in seconds."""
    first, last, body = await _timed(client, f"/endpoint/served/{way}/")
    if way == "lazy":
        match = _PLACEHOLDER.search(body)
        if match is None:
            raise RuntimeError(f"no lazy placeholder in the page: {body[:300]!r}")
        started = time.perf_counter()
        panel = await client.get(match.group(1).decode())
        if panel.text != "<p>slow</p>":
            raise RuntimeError(f"the lazy panel answered {panel.status_code}: {panel.text}")
        last += time.perf_counter() - started
    elif b"<p>slow</p>" not in body:
        raise RuntimeError(f"the slow panel is missing: {body[:300]!r}")
    return first, last


async def _served_way(client: httpx.AsyncClient, way: str) -> list[Row]:
    await _served(client, way)  # warm up
    samples = [await _served(client, way) for _ in range(SERVED_RUNS)]
    first = statistics.median(s[0] for s in samples) * 1000
    whole = statistics.median(s[1] for s in samples) * 1000
    lazy = way == "lazy"
    return [
        Row(
            GROUP_K,
            f"uvicorn, {WAYS[way]}: time to first byte",
            f"{first:.1f} ms",
            f"<= {LAZY_TARGET_MS:.0f} ms" if lazy else "(info)",
            first <= LAZY_TARGET_MS if lazy else None,
        ),
        Row(
            GROUP_K,
            f"  {WAYS[way]}: whole page" + (" + the panel's fetch" if lazy else ""),
            f"{whole:.1f} ms",
            "(info)",
        ),
    ]


async def _served_rows() -> list[Row]:
    port = free_port()
    process = start_server(port)
    base = f"http://127.0.0.1:{port}"
    try:
        # One client, its connection kept alive between loads, as a browser's would be.
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            await wait_ready(client, f"{base}/endpoint/served/lazy/", process)
            return [row for way in WAYS for row in await _served_way(client, way)]
    finally:
        stop_process(process)


def run() -> list[Row]:
    client = Client()
    html = client.get("/endpoint/lazy/").content
    lazy_url = _PLACEHOLDER.search(html)
    assert lazy_url is not None
    from dj_layouts.endpoints import panel_url

    request = client.get("/endpoint/lazy/").wsgi_request
    small_url = panel_url(request, "small")
    lazy_ms = _wall_ms(client, "/endpoint/lazy/")
    inline_ms = _wall_ms(client, "/endpoint/inline/")
    panel_ms = _wall_ms(client, lazy_url.group(1).decode())
    bare = endpoint = float("inf")
    for _ in range(CPU_ROUNDS):
        bare = min(bare, cpu_us(lambda: client.get("/endpoint/bare/")))
        endpoint = min(endpoint, cpu_us(lambda: client.get(small_url)))
    ratio = endpoint / bare
    return [
        Row(
            GROUP_K,
            "test client, page with a lazy 500 ms panel",
            f"{lazy_ms:.1f} ms",
            f"<= {LAZY_TARGET_MS:.0f} ms",
            lazy_ms <= LAZY_TARGET_MS,
        ),
        Row(GROUP_K, "  same page, panel inline (buffered)", f"{inline_ms:.1f} ms", "(info)"),
        Row(GROUP_K, "  the lazy panel fetched after", f"{panel_ms:.1f} ms", "(info)"),
        *asyncio.run(_served_rows()),
        Row(
            GROUP_M,
            "CPU per refresh via the endpoint (test client)",
            f"{endpoint:.0f} us = {ratio:.2f}x bare view",
            f"<= {OVERHEAD_TARGET}x",
            ratio <= OVERHEAD_TARGET,
        ),
        Row(GROUP_M, "  CPU per bare panel view (test client)", f"{bare:.0f} us", "(info)"),
        Row(GROUP_M, "  the endpoint's own share", f"{endpoint - bare:.0f} us", "(info)"),
    ]
