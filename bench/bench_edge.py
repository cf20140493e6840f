"""(l) Edge panels through a real varnishd: pages per second and Django CPU per page.

gunicorn (gthread, one worker) serves ``bench/edge_pages.py``: a page of three panels
cached ``sitewide`` and marked ``load="edge"`` and one per-visitor panel, with the panel
cache on a private Redis server. varnishd runs the VCL that ships with the docs
(``docs/varnish/dj-layouts.vcl``) in front of it. The same page is loaded by a
concurrent client (``bench/_http.py``), by visitors with their own cookie, two ways:

- **kept by Varnish** (the layout has ``edge_page_timeout``), warm: Varnish serves the
  page and the three edge panels from its cache; Django renders only the per-visitor
  panel, a hole Varnish fetches from the panel endpoint on every visit;
- **edge panels through Varnish**, warm: Django renders the content view and the
  per-visitor panel; the three edge panels are ``<esi:include>``s Varnish answers;
- **Django alone**: it composes the whole page, the three panels from the Redis panel
  cache (warm);
- **a bare view** through the same gunicorn, as the floor: a kept page still needs one
  Django request (its hole), so its pages per second cannot pass this.

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
import functools
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
from bench._http import load, wrk_load
from bench._procs import cpu_seconds
from bench._table import Row
from tests._services import free_port, stop_process

GROUP = "l edge"
ROOT = Path(__file__).resolve().parent.parent
VCL = ROOT / "docs" / "varnish" / "dj-layouts.vcl"
REQUESTS = int(os.environ.get("BENCH_EDGE_REQUESTS", "3000"))
#: How gunicorn serves Django (``BENCH_EDGE_GUNICORN`` to try another shape).
GUNICORN = os.environ.get("BENCH_EDGE_GUNICORN", "--worker-class gthread --workers 1 --threads 8")
#: Seconds of each round when wrk loads the servers.
WRK_SECONDS = float(os.environ.get("BENCH_EDGE_SECONDS", "5"))
CONCURRENCY = 16
ROUNDS = 2
WARMUP = 100
VISITORS = 20
RPS_TARGET = 3.0


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
            django_port, varnish_port = free_port(), free_port()
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
                "--bind", f"127.0.0.1:{django_port}", "--log-level", "warning",
                *GUNICORN.split(),
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
            stop_process(process)
        stop_redis(redis_url)


def renders(servers: Servers) -> dict[str, int]:
    """What Django has rendered so far, by name (asked of Django, not through Varnish)."""
    return dict(httpx.get(f"{servers.django}/edge/renders/", timeout=10).json())


def _changed(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    counts = {name: after.get(name, 0) - before.get(name, 0) for name in sorted({*before, *after})}
    return {name: count for name, count in counts.items() if count}


#: What wrk checks in every page (it cannot tell which visitor asked).
#: A bare view through the same gunicorn: what any request costs there.
BARE = "/edge/bare/"
_MARKS = (*(f'<ul class="{name}">' for name in edge_pages.EDGE_PANELS), '<p class="me">me:visitor')


@functools.cache
def _wrk() -> tuple[str | None, str]:
    """wrk's path (installed like varnishd when missing), or None and why not."""
    from tests._services import find_wrk, wrk_unavailable_reason

    path = find_wrk()
    return path, "" if path is not None else (wrk_unavailable_reason() or "not found")


def _right(html: str, who: str) -> bool:
    return all(f'<ul class="{name}">' in html for name in edge_pages.EDGE_PANELS) and (
        f'<p class="me">me:{who}</p>' in html
    )


def _load(base: str, requests: int, page: str = "/edge/") -> tuple[float, int]:
    """(seconds, wrong or failed pages) for ``requests`` page loads at ``CONCURRENCY``."""

    def visit(number: int) -> tuple[str, dict[str, str]]:
        return page, {"Cookie": f"who=visitor{number % VISITORS}"}

    def right(number: int, status: int, body: bytes) -> bool:
        if page == BARE:
            return status == 200 and body == edge_pages.BARE_HTML.encode()
        return status == 200 and _right(body.decode(), f"visitor{number % VISITORS}")

    return asyncio.run(load(base, requests, CONCURRENCY, visit, right))


@dataclass
class Run:
    """One way of serving the page, over every round."""

    name: str
    base: str
    page: str = "/edge/"
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
        wrk, _why = _wrk()
        if wrk is not None:
            requests, seconds, wrong = wrk_load(
                wrk, self.base, self.page, seconds=WRK_SECONDS, connections=CONCURRENCY,
                visitors=VISITORS,
                marks=(edge_pages.BARE_HTML,) if self.page == BARE else _MARKS,
            )  # fmt: skip
        else:
            seconds, wrong = _load(self.base, requests, self.page)
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


def _one_warm_page(servers: Servers, page: str) -> dict[str, int]:
    """What Django rendered for one warm page through Varnish."""
    before = renders(servers)
    with httpx.Client(base_url=servers.varnish, timeout=10) as client:
        html = client.get(page, headers={"Cookie": "who=alice"}).text
    if not _right(html, "alice"):
        raise RuntimeError(f"the page {page} through Varnish is not whole: {html[:500]}")
    return _changed(before, renders(servers))


@dataclass
class Measured:
    kept: Run
    edge: Run
    alone: Run
    bare: Run
    #: What Django rendered for one warm page, and for every page of the rounds, by run.
    one: dict[str, dict[str, int]]
    during: dict[str, dict[str, int]]


def measure(servers: Servers) -> Measured:
    kept = Run("page kept by Varnish", servers.varnish, "/edge/kept/")
    edge = Run("edge panels through Varnish", servers.varnish)
    alone = Run("Django alone", servers.django)
    bare = Run("a bare view", servers.django, BARE)
    runs = (kept, edge, alone, bare)
    for run in runs:  # fills Varnish's cache and the Redis panel cache
        _load(run.base, WARMUP, run.page)
    one = {run.name: _one_warm_page(servers, run.page) for run in (kept, edge)}
    during: dict[str, dict[str, int]] = {run.name: {} for run in runs}
    for _ in range(ROUNDS):
        for run in runs:
            for name, count in run.round(servers, REQUESTS).items():
                during[run.name][name] = during[run.name].get(name, 0) + count
    return Measured(kept, edge, alone, bare, one, during)


def _only_per_page(counts: dict[str, int], names: tuple[str, ...], pages: int) -> bool:
    """Django rendered ``names`` once a page and nothing else (wrk may end with a few
    requests in flight, which Django served and wrk did not count)."""
    slack = ROUNDS * CONCURRENCY if _wrk()[0] is not None else 0
    return set(counts) == set(names) and all(
        pages <= counts[name] <= pages + slack for name in names
    )


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items()) or "nothing"


def run() -> list[Row]:
    try:
        with servers() as running:
            measured = measure(running)
    except Unavailable as exc:
        skipped = Row(
            GROUP, "edge panels through varnishd", f"skipped: {exc}", f">= {RPS_TARGET:g}x"
        )
        return [skipped]
    kept, edge, alone = measured.kept, measured.edge, measured.alone
    alone_us = alone.us_per_page(alone.django_cpu)
    wrk, why = _wrk()
    if wrk is not None:
        load = f"wrk, {ROUNDS} x {WRK_SECONDS:g} s at concurrency {CONCURRENCY}"
    else:
        load = f"{ROUNDS} x {REQUESTS} pages at concurrency {CONCURRENCY} (no wrk: {why})"
    rows = []
    for run, target, renders_per_page in (
        (kept, RPS_TARGET, ("endpoint", "me")),
        (edge, None, ("me", "page")),
    ):
        ratio = run.best_rps / alone.best_rps
        run_us = run.us_per_page(run.django_cpu)
        one, during = measured.one[run.name], measured.during[run.name]
        expected = {name: 1 for name in renders_per_page}
        rows += [
            Row(GROUP, f"{run.name}, warm: {load}",
                f"{run.best_rps:.0f} pages/s = {ratio:.2f}x Django alone",
                f">= {target:g}x Django alone" if target else "context",
                ratio >= target if target else None),
            Row(GROUP, "  Django CPU per page: this way / alone",
                f"{run_us:.0f} us / {alone_us:.0f} us = {alone_us / run_us:.2f}x less"),
            Row(GROUP, "  Varnish / Redis CPU per page",
                f"{run.us_per_page(run.varnish_cpu):.0f} us / "
                f"{run.us_per_page(run.redis_cpu):.0f} us"),
            Row(GROUP, "  what Django rendered for one warm page", _counts(one),
                _counts(expected), one == expected),
            Row(GROUP, f"  ... and for the {run.pages} pages", _counts(during),
                _counts({name: run.pages for name in renders_per_page}),
                _only_per_page(during, renders_per_page, run.pages)),
        ]  # fmt: skip
    bare = measured.bare
    bare_us = bare.us_per_page(bare.django_cpu)
    wrong = kept.wrong + edge.wrong + alone.wrong + bare.wrong
    return [
        *rows,
        Row(GROUP, f"Django alone, 3 panels from the Redis panel cache: {load}",
            f"{alone.best_rps:.0f} pages/s, {alone_us:.0f} us of Django CPU per page",
            "baseline"),
        Row(GROUP, "  Varnish / Redis CPU per page, Django alone",
            f"{alone.us_per_page(alone.varnish_cpu):.0f} us / "
            f"{alone.us_per_page(alone.redis_cpu):.0f} us"),
        Row(GROUP, "  floor: a bare view (HttpResponse) through the same gunicorn",
            f"{bare.best_rps:.0f} requests/s = {bare.best_rps / alone.best_rps:.2f}x Django "
            f"alone, {bare_us:.0f} us of Django CPU per request",
            "the ceiling of a page that needs one Django request"),
        Row(GROUP, "  wrong or failed pages (every way)", str(wrong), "0", wrong == 0),
    ]  # fmt: skip
