"""Sustained load: N requests against uvicorn and against gunicorn, 0 errors, flat memory.

A layout page with two sync panels, an async panel and literal HTML (every panel with a
timeout): under uvicorn the async view (``GatherExecutor``, the shared panel pool),
under gunicorn's gthread worker the sync view (``ThreadedExecutor``). The server's
resident memory (its worker processes included) is read at the start, the middle and
the end of the run: it must stay flat, so nothing (threads, connections, cache
entries, breaker state) grows per request.

    python bench/run.py load                        # 9000 requests per server
    BENCH_LOAD_REQUESTS=900 python bench/run.py load
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench._procs import rss_mib
from bench._table import Row
from tests._services import free_port, stop_process

GROUP = "h load"
ROOT = Path(__file__).resolve().parent.parent
REQUESTS = int(os.environ.get("BENCH_LOAD_REQUESTS", "9000"))
CONCURRENCY = 20
WARMUP = 200
#: Growth of resident memory from the middle to the end of the run, in MiB.
RSS_GROWTH_TARGET = 10.0

SERVERS = {
    "uvicorn": (
        ["uvicorn", "bench.asgi:application", "--host", "127.0.0.1", "--port", "{port}",
         "--log-level", "warning", "--no-access-log", "--lifespan", "off"],
        "/load/async/",
    ),
    "gunicorn": (
        ["gunicorn", "bench.wsgi:application", "--bind", "127.0.0.1:{port}",
         "--worker-class", "gthread", "--workers", "1", "--threads", "8",
         "--log-level", "warning"],
        "/load/sync/",
    ),
}  # fmt: skip


async def _load(url: str, requests: int, pid: int) -> tuple[str, list[float], float]:
    """(errors by kind, RSS at start/middle/end, seconds) for ``requests`` GETs of ``url``.

    An error is a failed request or a non-200 answer; a page that came back with a
    panel's error slot (a panel that timed out under the load) is counted apart.
    """
    errors = 0
    slots = 0
    sent = 0
    samples = [rss_mib(pid)]
    middle = requests // 2
    async with httpx.AsyncClient(timeout=30) as client:

        async def worker() -> None:
            nonlocal errors, slots, sent
            while sent < requests:
                sent += 1
                if sent == middle:
                    samples.append(rss_mib(pid))
                try:
                    response = await client.get(url)
                    if response.status_code != 200:
                        errors += 1
                    elif "dj-layouts-panel-error" in response.text:
                        slots += 1
                except httpx.HTTPError:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    samples.append(rss_mib(pid))
    return f"{errors} (panel error slots: {slots})", samples, elapsed


async def _ready(url: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with status {process.returncode}")
            try:
                if (await client.get(url)).status_code == 200:
                    for _ in range(WARMUP):
                        await client.get(url)
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the server did not answer on {url} within 30 s")


def measure(server: str, requests: int) -> tuple[str, list[float], float]:
    command, path = SERVERS[server]
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
    }
    args = [part.format(port=port) for part in command]
    process = subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}{path}"
    try:
        asyncio.run(_ready(url, process))
        return asyncio.run(_load(url, requests, process.pid))
    finally:
        stop_process(process)


def run() -> list[Row]:
    rows = []
    for server in SERVERS:
        errors, (start, middle, end), elapsed = measure(server, REQUESTS)
        growth = end - middle
        rows += [
            Row(GROUP, f"{server}: {REQUESTS} requests at concurrency {CONCURRENCY}, errors",
                errors, "0", errors.startswith("0 ")),
            Row(GROUP, f"  {server}: throughput", f"{REQUESTS / elapsed:.0f} req/s"),
            Row(GROUP, f"  {server}: RSS start / middle / end",
                f"{start:.1f} / {middle:.1f} / {end:.1f} MiB",
                f"middle -> end < +{RSS_GROWTH_TARGET:g} MiB", growth < RSS_GROWTH_TARGET),
        ]  # fmt: skip
    return rows
