"""Panel caching across processes: two uvicorn servers share one Redis server.

The project is ``tests/cacheproc``: a page whose cached panel is a sync view that
sleeps (``DJ_LAYOUTS_TEST_PANEL_SLEEP``) and counts its renders in Redis.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests import _services
from tests.cacheproc.fixtures import redis_server  # noqa: F401 - the redis_url fixture

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parent.parent
COUNTER = "cacheproc:renders"


def _wait_ready(process: subprocess.Popen[bytes], port: int, log: Path, deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            raise AssertionError(f"uvicorn on port {port} exited early:\n{output}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready/", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"uvicorn on port {port} did not answer within the deadline")


@pytest.fixture
def servers(redis_url: str, tmp_path: Path) -> Iterator[Callable[..., list[str]]]:
    """Start N uvicorn processes of tests/cacheproc on one Redis; return their base URLs."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Any] = []

    def start(count: int = 2, **env: str) -> list[str]:
        urls = []
        environment = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.cacheproc.settings",
            "DJ_LAYOUTS_TEST_REDIS_URL": redis_url,
            **env,
        }
        environment.pop("PYTHONDEVMODE", None)
        ports = [_services.free_port() for _ in range(count)]
        for port in ports:
            command = [
                sys.executable, "-m", "uvicorn", "tests.cacheproc.asgi:application",
                "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                "--no-access-log",
            ]  # fmt: skip
            log = (tmp_path / f"uvicorn-{port}.log").open("wb")
            logs.append(log)
            processes.append(
                subprocess.Popen(
                    command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
                )
            )
        deadline = time.monotonic() + 30
        for process, port, log in zip(processes[-count:], ports, logs[-count:], strict=True):
            _wait_ready(process, port, Path(log.name), deadline)
            urls.append(f"http://127.0.0.1:{port}")
        return urls

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for log in logs:
        log.close()
    client.flushdb()
    client.close()
    for log in logs:
        output = Path(log.name).read_text(errors="replace")
        assert "Traceback" not in output and "ERROR" not in output, output


async def _fetch_all(urls: list[str], path: str, count: int) -> list[tuple[str, float]]:
    """``count`` concurrent GETs spread over ``urls``: (body, seconds) each."""
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def one(i: int) -> tuple[str, float]:
            started = time.perf_counter()
            response = await client.get(urls[i % len(urls)] + path)
            assert response.status_code == 200, response.text
            return response.text, time.perf_counter() - started

        return await asyncio.gather(*(one(i) for i in range(count)))


def _renders(redis_url: str) -> int:
    with redis.Redis.from_url(redis_url) as client:
        return int(client.get(COUNTER) or 0)


def _wait_for_renders(redis_url: str, count: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while _renders(redis_url) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def _served_by(body: str) -> str:
    return body.split("served by ", 1)[1].split("<", 1)[0]


def _panel(body: str) -> str:
    return body.split("<aside>", 1)[1].split("</aside>", 1)[0]


async def test_forty_concurrent_misses_on_two_processes_render_the_panel_once(
    servers: Callable[..., list[str]], redis_url: str
) -> None:
    urls = servers(2)
    results = await _fetch_all(urls, "/page/", 40)

    assert _renders(redis_url) == 1
    panels = {_panel(body) for body, _ in results}
    assert len(panels) == 1
    assert panels.pop().startswith("render 1 in ")
    # Both processes answered, so the lock in Redis (not a lock in one process) held.
    assert len({_served_by(body) for body, _ in results}) == 2


async def test_a_waiter_whose_lock_holder_is_too_slow_renders_for_itself(
    servers: Callable[..., list[str]], redis_url: str
) -> None:
    # The panel takes 1.5 s; the lock is a 1 s lease. When it runs out, one waiter
    # takes the lock over and renders; everyone else keeps waiting for an entry,
    # which the first holder stores before the second lease runs out.
    urls = servers(2, DJ_LAYOUTS_TEST_PANEL_SLEEP="1.5", DJ_LAYOUTS_TEST_LOCK_TIMEOUT="1")
    started = time.perf_counter()
    results = await _fetch_all(urls, "/page/", 20)
    elapsed = time.perf_counter() - started

    assert _renders(redis_url) == 2
    panels = {_panel(body) for body, _ in results}
    assert panels <= {p for p in panels if p.startswith(("render 1 in ", "render 2 in "))}
    assert "render 1" in " ".join(panels)  # most waiters got the first holder's entry
    assert elapsed < 5  # 1 s lease + 1.5 s render, with a wide margin


async def test_a_stale_entry_is_refreshed_once_across_processes_without_delaying_anyone(
    servers: Callable[..., list[str]], redis_url: str
) -> None:
    urls = servers(2, DJ_LAYOUTS_TEST_PANEL_SLEEP="1")
    # One request per process: this also warms both up (their first request is slow).
    warm = await _fetch_all(urls, "/swr/", 2)
    first = warm[0][0]
    assert {_panel(body) for body, _ in warm} == {_panel(first)}
    assert _panel(first).startswith("render 1 in ")
    await asyncio.sleep(1.2)  # past the 1 s timeout, well inside stale_ttl

    results = await _fetch_all(urls, "/swr/", 40)

    assert {_panel(body) for body, _ in results} == {_panel(first)}
    assert max(seconds for _, seconds in results) < 0.8  # the refresh takes 1 s
    await asyncio.to_thread(_wait_for_renders, redis_url, 2)
    [(after, _)] = await _fetch_all(urls, "/swr/", 1)
    assert _panel(after).startswith("render 2 in ")
    await asyncio.sleep(1.2)  # a second refresh, had one been started, would have ended
    assert _renders(redis_url) == 2
