"""A real server: uvicorn on 127.0.0.1 serving an async layout page under a bounded load.

One uvicorn process serves both the layout page (4 panels, each awaiting 20 ms) and
a plain async Django view that awaits 20 ms once, the baseline. The load alternates
between the two so that other load on the machine hits both alike.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench import pages
from bench._measure import percentile
from bench._table import Row
from tests._services import free_port, stop_process

GROUP = "d server"
ROOT = Path(__file__).resolve().parent.parent
REQUESTS = 400
CONCURRENCY = 20
ROUNDS = 2
SINGLE_REQUESTS = 50
WARMUP = 40
TIMEOUT = 10.0
THROUGHPUT_TARGET = 0.7
LATENCY_TARGET = 1.5
PANEL_MS = pages.SERVER_PANEL_SECONDS * 1000


def start_server(port: int) -> subprocess.Popen[bytes]:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    command = [
        sys.executable, "-m", "uvicorn", "bench.asgi:application",
        "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "warning", "--no-access-log", "--lifespan", "off",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env)


async def wait_ready(client: httpx.AsyncClient, url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with status {process.returncode}")
        try:
            if (await client.get(url)).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"uvicorn did not answer on {url} within 30 s")


class Load:
    """Latencies and failures of one URL over several rounds of requests."""

    def __init__(self, client: httpx.AsyncClient, url: str) -> None:
        self.client = client
        self.url = url
        self.latencies: list[float] = []
        self.failures = 0
        self.best_rps = 0.0

    async def round(self, requests: int, concurrency: int) -> None:
        remaining = iter(range(requests))

        async def worker() -> None:
            for _ in remaining:
                started = time.perf_counter()
                try:
                    response = await self.client.get(self.url)
                    ok = response.status_code == 200 and b"<p>slept</p>" in response.content
                except httpx.HTTPError:
                    ok = False
                self.latencies.append(time.perf_counter() - started)
                self.failures += not ok

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        self.best_rps = max(self.best_rps, requests / (time.perf_counter() - started))

    def ms(self, fraction: float) -> float:
        return percentile(self.latencies, fraction) * 1000


async def _run(base: str, process: subprocess.Popen[bytes]) -> dict[str, Load]:
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(limits=limits, timeout=TIMEOUT) as client:
        await wait_ready(client, f"{base}/page/", process)
        loads = {
            "plain": Load(client, f"{base}/plain/"),
            "page": Load(client, f"{base}/page/"),
            "page-1": Load(client, f"{base}/page/"),
        }
        for name in ("plain", "page"):
            for _ in range(WARMUP):
                await client.get(loads[name].url)
        for _ in range(ROUNDS):
            for name in ("plain", "page"):
                await loads[name].round(REQUESTS, CONCURRENCY)
        await loads["page-1"].round(SINGLE_REQUESTS, 1)
        return loads


def run() -> list[Row]:
    port = free_port()
    process = start_server(port)
    try:
        loads = asyncio.run(_run(f"http://127.0.0.1:{port}", process))
    finally:
        stop_process(process)
    plain, page, single = loads["plain"], loads["page"], loads["page-1"]
    ratio = page.best_rps / plain.best_rps
    load = f"{ROUNDS} x {REQUESTS} requests at concurrency {CONCURRENCY}"
    waits = f"{pages.SERVER_PANELS} panels x asyncio.sleep(0.02)"
    return [
        Row(GROUP, f"plain async view, 1 x asyncio.sleep(0.02): {load}",
            f"{plain.best_rps:.0f} req/s", "baseline"),
        Row(GROUP, "  plain: p50 / p99 latency", f"{plain.ms(0.5):.1f} / {plain.ms(0.99):.1f} ms"),
        Row(GROUP, f"@async_layout, {waits}: same load",
            f"{page.best_rps:.0f} req/s = {ratio:.2f}x plain",
            f">= {THROUGHPUT_TARGET}x plain", ratio >= THROUGHPUT_TARGET),
        Row(GROUP, "  layout: p50 / p99 latency", f"{page.ms(0.5):.1f} / {page.ms(0.99):.1f} ms"),
        Row(GROUP, f"@async_layout, {waits}: {SINGLE_REQUESTS} requests one at a time, p50",
            f"{single.ms(0.5):.1f} ms = {single.ms(0.5) / PANEL_MS:.2f}x one panel",
            f"<= {LATENCY_TARGET}x one panel ({PANEL_MS:.0f} ms)",
            single.ms(0.5) <= LATENCY_TARGET * PANEL_MS),
        Row(GROUP, "  failed requests (all rounds)",
            str(plain.failures + page.failures + single.failures), "0",
            plain.failures + page.failures + single.failures == 0),
    ]  # fmt: skip
