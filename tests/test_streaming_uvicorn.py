"""Streamed pages over a real socket: uvicorn on 127.0.0.1, chunks timed by an HTTP client."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import _services

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _services.free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.streamapp.settings",
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tests.streamapp.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{url}/stream/buffered/?slow=0", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None:
                    break
                time.sleep(0.05)
        else:
            pytest.fail("uvicorn did not start")
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            pytest.fail(f"uvicorn exited: {output}")
        yield url
    finally:
        _services.stop_process(process)


def timed_chunks(url: str) -> list[tuple[float, bytes]]:
    chunks = []
    start = time.perf_counter()
    with httpx.stream("GET", url, timeout=10) as response:
        assert response.status_code == 200
        for chunk in response.iter_raw():
            chunks.append((time.perf_counter() - start, chunk))
    return chunks


def test_ordered_page_reaches_the_client_before_its_slow_panel_is_done(server):
    chunks = timed_chunks(f"{server}/stream/ordered/?slow=0.6")
    assert chunks[0][0] < 0.4, chunks[:2]
    assert chunks[-1][0] >= 0.55
    assert b"<h1>content</h1>" in b"".join(c for t, c in chunks if t < 0.4)
    buffered = httpx.get(f"{server}/stream/buffered/?slow=0.6", timeout=10).content
    assert b"".join(c for _, c in chunks) == buffered


def test_unordered_fast_panel_arrives_while_the_slow_one_is_pending(server):
    chunks = timed_chunks(f"{server}/stream/unordered/?slow=1.0")
    fast_at = next(t for t, c in chunks if b"fast done" in c)
    slow_at = next(t for t, c in chunks if b"slow done" in c)
    assert slow_at >= 0.95
    assert fast_at < slow_at - 0.4
