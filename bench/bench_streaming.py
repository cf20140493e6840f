"""Streaming and eager panels: first and last byte over a real socket, CPU, eager overlap.

(i) uvicorn serves a page whose content view takes 10 ms, with three 20 ms panels
and one 500 ms panel. Time to first byte should be the content view's time (plus
10 ms); time to last byte about the slow panel's. (j) An eager page whose content
view and panels each take 100 ms should cost about 100 ms, not 200 ms.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx
from django.test import RequestFactory

from bench import streaming_pages as pages
from bench._measure import acpu_us, awall_s
from bench._table import Row
from bench.bench_server import start_server, wait_ready
from tests._services import free_port, stop_process

GROUP_I = "i streaming"
GROUP_J = "j eager"
RUNS = 15
TTFB_SLACK = 0.010
TTLB_TARGET = 1.1
CPU_TARGET = 1.2
EAGER_TARGET = 1.2

_rf = RequestFactory()


async def _first_and_last(client: httpx.AsyncClient, url: str) -> tuple[float, float]:
    started = time.perf_counter()
    first = None
    async with client.stream("GET", url) as response:
        async for chunk in response.aiter_raw():
            if first is None and chunk:
                first = time.perf_counter() - started
    last = time.perf_counter() - started
    return first or last, last


async def _socket_rows() -> list[Row]:
    port = free_port()
    process = start_server(port)
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            await wait_ready(client, f"{base}/stream/buffered/", process)
            for mode in ("ordered", "unordered", "buffered"):
                url = f"{base}/stream/{mode}/"
                await _first_and_last(client, url)  # warm up
                samples = [await _first_and_last(client, url) for _ in range(RUNS)]
                ttfb = statistics.median(s[0] for s in samples)
                ttlb = statistics.median(s[1] for s in samples)
                ttfb_target = pages.CONTENT_SECONDS + TTFB_SLACK
                streamed = mode != "buffered"
                rows.append(
                    Row(
                        GROUP_I,
                        f"{mode}: time to first byte (content view 10 ms)",
                        f"{ttfb * 1000:.1f} ms",
                        f"<= {ttfb_target * 1000:.0f} ms" if streamed else "",
                        ttfb <= ttfb_target if streamed else None,
                    )
                )
                rows.append(
                    Row(
                        GROUP_I,
                        f"{mode}: time to last byte (slowest panel 500 ms)",
                        f"{ttlb * 1000:.1f} ms = {ttlb / pages.SLOW_SECONDS:.2f}x",
                        f"<= {TTLB_TARGET}x 500 ms",
                        ttlb <= TTLB_TARGET * pages.SLOW_SECONDS,
                    )
                )
    finally:
        stop_process(process)
    return rows


async def _consume(view: Any) -> None:
    response = await view(_rf.get("/"))
    if response.streaming:
        async for _ in response.streaming_content:
            pass


async def _cpu_rows() -> list[Row]:
    buffered = pages.trivial_view(None)
    buffered_us = await acpu_us(lambda: _consume(buffered))
    rows = [Row(GROUP_I, "CPU per page, 5 trivial async panels, buffered", f"{buffered_us:.0f} us")]
    for mode in ("ordered", "unordered"):
        view = pages.trivial_view(mode)
        us = await acpu_us(lambda view=view: _consume(view))
        ratio = us / buffered_us
        rows.append(
            Row(
                GROUP_I,
                f"CPU per page, {mode} stream",
                f"{us:.0f} us = {ratio:.2f}x buffered",
                f"<= {CPU_TARGET}x buffered",
                ratio <= CPU_TARGET,
            )
        )
    return rows


async def _eager_rows() -> list[Row]:
    rows = []
    for eager in (True, False):
        view = pages.eager_view(eager)
        seconds = await awall_s(lambda view=view: view(_rf.get("/")))
        ratio = seconds / pages.EAGER_SECONDS
        rows.append(
            Row(
                GROUP_J,
                f"content view 100 ms + 3 panels x 100 ms, eager={eager}",
                f"{seconds * 1000:.0f} ms = {ratio:.2f}x 100 ms",
                f"<= {EAGER_TARGET}x 100 ms" if eager else "(about 2x expected)",
                ratio <= EAGER_TARGET if eager else None,
            )
        )
    return rows


def run() -> list[Row]:
    async def everything() -> list[Row]:
        return [*await _socket_rows(), *await _cpu_rows(), *await _eager_rows()]

    return asyncio.run(everything())
