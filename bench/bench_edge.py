"""(l) Edge panels through a real varnishd: pages per second and Django CPU per page.

gunicorn (gthread, one worker) serves ``bench/edge_pages.py``: a page of three panels
cached ``sitewide`` and marked ``load="edge"`` and one per-visitor panel, with the panel
cache on a private Redis server. varnishd runs the VCL that ships with the docs
(``docs/varnish/dj-layouts.vcl``) in front of it. The same page is loaded by a
concurrent client (``bench/_http.py``), by visitors with their own cookie, two ways:

- **through Varnish**, warm: Django renders the content view and the per-visitor
  panel; the three edge panels are ``<esi:include>``s Varnish answers from its cache;
- **Django alone**: it composes the whole page, the three panels from the Redis panel
  cache (warm).

Django CPU per page is the CPU time of the gunicorn processes (``/proc/<pid>/stat``)
over a run, divided by its pages; Varnish's own CPU is shown beside it. The client
runs in this process and shares the machine with both servers.

Skipped, saying why, when varnishd or redis-server cannot be had (``tests/_services.py``
finds them).

    python bench/run.py edge
    BENCH_EDGE_REQUESTS=1000 python bench/run.py edge
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import edge_pages
from bench._http import load
from bench._table import Row
from bench.bench_load import _free_port, _tree
from bench.bench_server import _stop_server

GROUP = "l edge"
ROOT = Path(__file__).resolve().parent.parent
VCL = ROOT / "docs" / "varnish" / "dj-layouts.vcl"
REQUESTS = int(os.environ.get("BENCH_EDGE_REQUESTS", "3000"))
CONCURRENCY = 16
ROUNDS = 2
WARMUP = 100
VISITORS = 20
RPS_TARGET = 3.0
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its descendants (Linux)."""
    total = 0
    for each in _tree(pid):
        try:
            stat = Path(f"/proc/{each}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / TICKS


class Unavailable(Exception):
    """A program the group needs cannot be had; the message says why."""


@dataclass
class Servers:
    django: str
    varnish: str
    django_pid: int
    varnish_pid: int
    redis_pid: int | None


def _start(command: list[str], log: Path, **kwargs: object) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **kwargs)  # type: ignore[call-overload]


def _wait(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{process.args[0]} did not answer on {url}: {log.read_text()[-500:]}")


@contextmanager
def servers() -> Iterator[Servers]:
    """Redis, gunicorn serving the bench project on it, and varnishd in front of gunicorn."""
    from tests._services import (
        find_varnishd,
        redis_pid,
        redis_unavailable_reason,
        start_redis,
        stop_redis,
        varnish_unavailable_reason,
    )

    varnishd = find_varnishd()
    if varnishd is None:
        raise Unavailable(f"no varnishd: {varnish_unavailable_reason()}")
    redis_url = start_redis()
    if redis_url is None:
        raise Unavailable(f"no redis-server: {redis_unavailable_reason()}")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="dj-layouts-edge-") as work:
            workdir = Path(work)
            django_port, varnish_port = _free_port(), _free_port()
            path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
            env = {
                **os.environ,
                "PYTHONPATH": path,
                "DJANGO_SETTINGS_MODULE": "bench.edge_settings",
                "BENCH_REDIS_URL": redis_url,
            }
            env.pop("PYTHONDEVMODE", None)
            gunicorn = [
                sys.executable, "-m", "gunicorn", "bench.wsgi:application",
                "--bind", f"127.0.0.1:{django_port}", "--worker-class", "gthread",
                "--workers", "1", "--threads", "8", "--log-level", "warning",
            ]  # fmt: skip
            django_log = workdir / "gunicorn.log"
            processes.append(_start(gunicorn, django_log, cwd=ROOT, env=env))
            vcl = workdir / "dj-layouts.vcl"
            vcl.write_text(VCL.read_text().replace('.port = "8000"', f'.port = "{django_port}"'))
            varnish = [
                varnishd, "-F", "-j", "none", "-n", str(workdir / "n"), "-f", str(vcl),
                "-a", f"127.0.0.1:{varnish_port}", "-T", "none", "-s", "malloc,64m",
            ]  # fmt: skip
            varnish_log = workdir / "varnishd.log"
            processes.append(_start(varnish, varnish_log))
            django_url = f"http://127.0.0.1:{django_port}"
            varnish_url = f"http://127.0.0.1:{varnish_port}"
            _wait(f"{django_url}/edge/renders/", processes[0], django_log)
            _wait(f"{varnish_url}/edge/renders/", processes[1], varnish_log)
            pids = processes[0].pid, processes[1].pid, redis_pid(redis_url)
            yield Servers(django_url, varnish_url, *pids)
    finally:
        for process in reversed(processes):
            _stop_server(process)
        stop_redis(redis_url)


def renders(servers: Servers) -> dict[str, int]:
    """What Django has rendered so far, by name (asked of Django, not through Varnish)."""
    return dict(httpx.get(f"{servers.django}/edge/renders/", timeout=10).json())


def _changed(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    counts = {name: after.get(name, 0) - before.get(name, 0) for name in sorted({*before, *after})}
    return {name: count for name, count in counts.items() if count}


def _right(html: str, who: str) -> bool:
    return all(f'<ul class="{name}">' in html for name in edge_pages.EDGE_PANELS) and (
        f'<p class="me">me:{who}</p>' in html
    )


def _load(base: str, requests: int) -> tuple[float, int]:
    """(seconds, wrong or failed pages) for ``requests`` page loads at ``CONCURRENCY``."""

    def visit(number: int) -> tuple[str, dict[str, str]]:
        return "/edge/", {"Cookie": f"who=visitor{number % VISITORS}"}

    def right(number: int, status: int, body: bytes) -> bool:
        return status == 200 and _right(body.decode(), f"visitor{number % VISITORS}")

    return asyncio.run(load(base, requests, CONCURRENCY, visit, right))


@dataclass
class Run:
    """One way of serving the page, over every round."""

    name: str
    base: str
    best_rps: float = 0.0
    pages: int = 0
    wrong: int = 0
    django_cpu: float = 0.0
    varnish_cpu: float = 0.0
    redis_cpu: float = 0.0

    def round(self, servers: Servers, requests: int) -> dict[str, int]:
        before = renders(servers)
        django, varnish = cpu_seconds(servers.django_pid), cpu_seconds(servers.varnish_pid)
        redis = cpu_seconds(servers.redis_pid) if servers.redis_pid else 0.0
        seconds, wrong = _load(self.base, requests)
        self.django_cpu += cpu_seconds(servers.django_pid) - django
        self.varnish_cpu += cpu_seconds(servers.varnish_pid) - varnish
        if servers.redis_pid:
            self.redis_cpu += cpu_seconds(servers.redis_pid) - redis
        self.best_rps = max(self.best_rps, requests / seconds)
        self.pages += requests
        self.wrong += wrong
        return _changed(before, renders(servers))

    def us_per_page(self, cpu: float) -> float:
        return cpu / self.pages * 1e6


def measure(servers: Servers) -> tuple[Run, Run, dict[str, int], dict[str, int]]:
    edge = Run("through Varnish", servers.varnish)
    alone = Run("Django alone", servers.django)
    for run in (edge, alone):  # fills Varnish's cache and the Redis panel cache
        _load(run.base, WARMUP)
    # One warm page through Varnish, alone: what did Django render for it?
    before = renders(servers)
    with httpx.Client(base_url=servers.varnish, timeout=10) as client:
        html = client.get("/edge/", headers={"Cookie": "who=alice"}).text
    one = _changed(before, renders(servers))
    if not _right(html, "alice"):
        raise RuntimeError(f"the page through Varnish is not whole: {html[:500]}")
    during: dict[str, int] = {}
    for _ in range(ROUNDS):
        for run in (edge, alone):
            changed = run.round(servers, REQUESTS)
            if run is edge:
                for name, count in changed.items():
                    during[name] = during.get(name, 0) + count
    return edge, alone, one, during


def run() -> list[Row]:
    try:
        with servers() as running:
            edge, alone, one, during = measure(running)
    except Unavailable as exc:
        skipped = Row(
            GROUP, "edge panels through varnishd", f"skipped: {exc}", f">= {RPS_TARGET:g}x"
        )
        return [skipped]
    ratio = edge.best_rps / alone.best_rps
    edge_us, alone_us = edge.us_per_page(edge.django_cpu), alone.us_per_page(alone.django_cpu)
    load = f"{ROUNDS} x {REQUESTS} pages at concurrency {CONCURRENCY}"
    only_mine = one == {"me": 1, "page": 1}
    edge_pages_total = ROUNDS * REQUESTS
    during_ok = during == {"me": edge_pages_total, "page": edge_pages_total}
    return [
        Row(GROUP, f"through Varnish, warm edge hits: {load}",
            f"{edge.best_rps:.0f} pages/s = {ratio:.2f}x Django alone",
            f">= {RPS_TARGET:g}x Django alone", ratio >= RPS_TARGET),
        Row(GROUP, "  Django alone, 3 panels from the Redis panel cache: same load",
            f"{alone.best_rps:.0f} pages/s", "baseline"),
        Row(GROUP, "  Django CPU per page: through Varnish / alone",
            f"{edge_us:.0f} us / {alone_us:.0f} us = {alone_us / edge_us:.2f}x less"),
        Row(GROUP, "  Varnish / Redis CPU per page, through Varnish",
            f"{edge.us_per_page(edge.varnish_cpu):.0f} us / "
            f"{edge.us_per_page(edge.redis_cpu):.0f} us"),
        Row(GROUP, "  Varnish / Redis CPU per page, Django alone",
            f"{alone.us_per_page(alone.varnish_cpu):.0f} us / "
            f"{alone.us_per_page(alone.redis_cpu):.0f} us"),
        Row(GROUP, "  what Django rendered for one warm page through Varnish",
            ", ".join(f"{name} {count}" for name, count in one.items()) or "nothing",
            "page 1, me 1 (the per-visitor panel only)", only_mine),
        Row(GROUP, f"  ... and for the {edge_pages_total} pages through Varnish",
            ", ".join(f"{name} {count}" for name, count in during.items()) or "nothing",
            f"page {edge_pages_total}, me {edge_pages_total}", during_ok),
        Row(GROUP, "  wrong or failed pages (both ways)", str(edge.wrong + alone.wrong), "0",
            edge.wrong + alone.wrong == 0),
    ]  # fmt: skip
