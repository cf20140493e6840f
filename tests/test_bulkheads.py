"""Bulkheads (SPEC §8): abandoned threads counted and bounded, circuit breakers, prompt exit.

Executor-level tests build ``PanelJob``s with their own ``key``; the whole-site tests
run tests/bulkapp under a real uvicorn.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgiref.sync import async_to_sync, sync_to_async

from dj_layouts import (
    GatherExecutor,
    PanelCircuitOpen,
    PanelThreadsExhausted,
    PanelTimeout,
    SequentialExecutor,
    ThreadedExecutor,
)
from dj_layouts.errors import PanelError
from dj_layouts.executors import (
    PanelExecutor,
    PanelJob,
    PanelOutcome,
    WorkerPool,
    panel_pool,
    reset_circuits,
    stats,
)
from tests import _services

ROOT = Path(__file__).resolve().parent.parent
ALL = [SequentialExecutor, GatherExecutor, ThreadedExecutor]


def job(
    name: str,
    *,
    key: str,
    index: int = 0,
    timeout: float | None = 0.1,
    wait: threading.Event | None = None,
    is_async: bool = False,
    started: threading.Event | None = None,
) -> PanelJob:
    """A job that answers ``<name>`` at once, or after ``wait`` is set (at most 10 s).

    ``started`` is set when it starts.
    """

    def run() -> PanelOutcome:
        if started is not None:
            started.set()
        if wait is not None:
            wait.wait(10)
        return PanelOutcome(index, name, html=f"<{name}>")

    async def arun() -> PanelOutcome:
        return await sync_to_async(run, thread_sensitive=False)()

    def failed(exc: BaseException) -> PanelOutcome:
        return PanelOutcome(index, name, error=PanelError(name, None, exc))

    return PanelJob(
        index=index,
        name=name,
        key=key,
        is_async=is_async,
        timeout=timeout,
        run=run,
        arun=arun,
        timed_out=failed,
    )


def run_one(executor: PanelExecutor, panel_job: PanelJob) -> PanelOutcome:
    [outcome] = executor.run([panel_job])
    return outcome


def error_of(outcome: PanelOutcome) -> BaseException:
    assert outcome.error is not None, outcome
    return outcome.error.exception


def wait_until_released(before: int, seconds: float = 5) -> None:
    """Hung threads of a test were released: wait until they are no longer counted."""
    deadline = time.monotonic() + seconds
    while stats().abandoned_now > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stats().abandoned_now <= before


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """An event hung jobs wait on; set at the end so no thread outlives the test."""
    event = threading.Event()
    # Threads other tests gave up on (a slow panel after its timeout) end on their own:
    # let them, so that one ending during this test does not change what it counts.
    deadline = time.monotonic() + 5
    while stats().abandoned_now and time.monotonic() < deadline:
        time.sleep(0.01)
    before = stats().abandoned_now
    yield event
    event.set()
    wait_until_released(before)


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "dj_layouts.executors" and r.levelno == logging.WARNING
    ]


# -- abandoned threads -------------------------------------------------------------------
@pytest.mark.parametrize("executor_class", ALL)
def test_a_thread_given_up_by_a_timeout_is_counted_and_logged(executor_class, release, caplog):
    before = stats()
    outcome = run_one(executor_class(), job("slow", key="src.count", wait=release))

    assert type(error_of(outcome)) is PanelTimeout
    now = stats()
    # Threads given up by earlier tests may end meanwhile: at least this one is counted.
    assert 1 <= now.abandoned_now <= before.abandoned_now + 1
    assert now.abandoned_total == before.abandoned_total + 1
    assert warnings_of(caplog) == [
        "Gave up on panel 'slow' (source 'src.count') after its 0.1 s timeout; its thread "
        f"keeps running. Threads given up in this process and still running: {now.abandoned_now}."
    ]
    release.set()
    wait_until_released(before.abandoned_now)
    assert stats().abandoned_total == before.abandoned_total + 1


async def test_a_sync_panel_given_up_on_the_event_loop_is_counted(release):
    before = stats()
    [outcome] = await GatherExecutor().arun([job("slow", key="src.acount", wait=release)])
    assert type(error_of(outcome)) is PanelTimeout
    assert stats().abandoned_now == before.abandoned_now + 1


@pytest.mark.parametrize("make", [GatherExecutor, lambda: ThreadedExecutor(max_workers=2)])
async def test_abandoned_threads_are_replaced_so_fresh_panels_still_run(make, settings, release):
    settings.DJ_LAYOUTS = {"SYNC_PANEL_WORKERS": 2}
    executor = make()
    hung = [job(f"hang{i}", key=f"src.hang{i}", wait=release) for i in range(2)]
    await executor.arun(hung)  # both pool threads are stuck now

    started = time.perf_counter()
    [outcome] = await executor.arun([job("fresh", key="src.fresh", timeout=3)])
    assert outcome.html == "<fresh>"
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize("on_loop", [False, True])
def test_beyond_the_cap_a_stuck_pool_fails_sync_panels_fast(on_loop, settings, release):
    wait_until_released(0, seconds=15)  # threads other tests gave up on have returned
    settings.DJ_LAYOUTS = {
        "SYNC_PANEL_WORKERS": 1,
        "MAX_ABANDONED_THREADS": 1,
        "CIRCUIT_BREAKER_FAILURES": None,
    }
    executor = SequentialExecutor()
    run_one(executor, job("first", key="src.first", wait=release))  # replaced
    run_one(executor, job("second", key="src.second", wait=release))  # beyond the cap

    started = time.perf_counter()
    third = job("third", key="src.third", timeout=3)
    if on_loop:
        [outcome] = async_to_sync(GatherExecutor().arun)([third])
    else:
        outcome = run_one(executor, third)
    assert time.perf_counter() - started < 0.5
    error = error_of(outcome)
    assert isinstance(error, PanelThreadsExhausted)
    assert isinstance(error, PanelTimeout)
    assert error.args == (
        "Panel 'third' was not run: every thread of the panel pool (1) runs a panel that "
        "timed out and has not returned, and DJ_LAYOUTS['MAX_ABANDONED_THREADS'] (1) "
        "threads were already started in place of such threads. Fix the upstream those "
        "panels wait on, or raise MAX_ABANDONED_THREADS.",
    )
    release.set()
    wait_until_released(0)
    assert run_one(executor, job("fourth", key="src.third", timeout=3)).html == "<fourth>"


def test_a_queued_job_past_its_deadline_never_starts():
    pool = WorkerPool(1, name="test")
    assert repr(pool) == "<WorkerPool test max_workers=1>"
    busy = threading.Event()
    blocker = pool.submit(busy.wait, 5)
    ran: list[int] = []
    late = pool.submit_until(time.monotonic() + 0.1, ran.append, 1)
    dropped = pool.submit(ran.append, 2)
    assert dropped.cancel()  # its caller gave up on it
    time.sleep(0.3)
    busy.set()
    blocker.result(5)
    pool.shutdown(wait=True)
    assert late.cancelled()
    assert ran == []


def test_shutdown_can_cancel_what_is_queued():
    pool = WorkerPool(1, name="test")
    busy = threading.Event()
    blocker = pool.submit(busy.wait, 5)
    while not blocker.running():
        time.sleep(0.01)
    queued = pool.submit(print, "never")
    pool.shutdown(wait=False, cancel_futures=True)
    busy.set()
    assert blocker.result(5) is True
    assert queued.cancelled()


async def test_a_sync_panel_still_queued_at_its_timeout_is_not_counted(settings, release):
    settings.DJ_LAYOUTS = {"SYNC_PANEL_WORKERS": 1, "MAX_ABANDONED_THREADS": 1}
    await sync_to_async(wait_until_released, thread_sensitive=False)(0, 15)
    before = stats()
    ran = threading.Event()
    queued = job("queued", key="src.queued", index=1, wait=release, started=ran)
    outcomes = await GatherExecutor().arun([job("hung", key="src.hung", wait=release), queued])
    assert [type(error_of(outcome)) for outcome in outcomes] == [PanelTimeout, PanelTimeout]
    assert stats().abandoned_total == before.abandoned_total + 1  # only the running one
    release.set()
    await sync_to_async(wait_until_released, thread_sensitive=False)(0)
    assert not ran.is_set()


async def test_a_cancelled_page_gives_its_sync_panel_threads_up(release, caplog):
    before = stats()
    task = asyncio.ensure_future(
        GatherExecutor().arun([job("endless", key="src.endless", timeout=None, wait=release)])
    )
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert stats().abandoned_now == before.abandoned_now + 1
    assert warnings_of(caplog) == [
        "Gave up on panel 'endless' (source 'src.endless') when its page was cancelled; its "
        "thread keeps running. Threads given up in this process and still running: "
        f"{before.abandoned_now + 1}."
    ]


def test_shutdown_does_not_wait_for_abandoned_threads():
    pool = WorkerPool(2, name="test")
    hang = threading.Event()
    stuck = pool.submit(hang.wait, 10)
    done = pool.submit(time.sleep, 0.2)
    while not stuck.running():
        time.sleep(0.01)
    assert pool.abandon(stuck) is not None
    assert pool.abandon(stuck) is None  # counted once
    assert pool.abandoned == 1
    started = time.perf_counter()
    pool.shutdown(wait=True)
    assert done.done()
    assert time.perf_counter() - started < 2
    hang.set()
    with pytest.raises(RuntimeError, match="cannot schedule new futures after shutdown"):
        pool.submit(print)


def test_an_exception_in_pool_work_is_the_future_s():
    pool = WorkerPool(1, name="test")
    with pytest.raises(ValueError, match="invalid literal"):
        pool.submit(int, "x").result(5)
    pool.shutdown()


def test_abandon_is_none_for_work_that_is_not_running():
    pool = WorkerPool(1, name="test")
    finished = pool.submit(int, "1")
    assert finished.result(5) == 1
    assert pool.abandon(finished) is None
    pool.shutdown()


def test_stats_report_the_pool_sizes(settings):
    settings.DJ_LAYOUTS = {"SYNC_PANEL_WORKERS": 3, "MAX_ABANDONED_THREADS": 7}
    assert panel_pool().max_workers == 3
    figures = stats()
    assert figures.pool_sizes["panel"] == 3
    assert figures.max_abandoned == 7


# -- circuit breakers --------------------------------------------------------------------
BREAKER = {
    "CIRCUIT_BREAKER_FAILURES": 2,
    "CIRCUIT_BREAKER_WINDOW": 60,
    "CIRCUIT_BREAKER_COOLDOWN": 0.3,
}


@pytest.mark.parametrize("executor_class", ALL)
def test_a_source_that_keeps_timing_out_fails_fast(executor_class, settings, release, caplog):
    settings.DJ_LAYOUTS = BREAKER
    executor = executor_class()
    for _ in range(2):
        run_one(executor, job("feed", key="src.feed", wait=release))
    before = stats()

    started = time.perf_counter()
    outcome = run_one(executor, job("feed", key="src.feed", wait=release))
    assert time.perf_counter() - started < 0.05
    error = error_of(outcome)
    assert isinstance(error, PanelCircuitOpen)
    assert isinstance(error, PanelTimeout)
    assert error.args == (
        "Panel 'feed' was not run: its source 'src.feed' kept timing out, so its circuit "
        f"breaker is open for another {error.retry_in:.1f} s. Fix the upstream it waits on, "
        "or tune DJ_LAYOUTS['CIRCUIT_BREAKER_FAILURES'].",
    )
    assert 0 < error.retry_in <= 0.3
    after = stats()
    assert after.abandoned_total == before.abandoned_total  # no thread used
    assert after.refused_total == before.refused_total + 1
    assert after.open_circuits == ("src.feed",)
    assert warnings_of(caplog)[-1] == (
        "Source 'src.feed' timed out 2 times in a row: its circuit breaker is open, its "
        "panels fail fast for 0.3 s (DJ_LAYOUTS['CIRCUIT_BREAKER_COOLDOWN'])."
    )
    # Other sources are not affected.
    assert run_one(executor, job("other", key="src.other", timeout=3)).html == "<other>"

    time.sleep(0.35)  # cool-down over: one trial goes through, answers, the circuit closes
    assert run_one(executor, job("feed", key="src.feed", timeout=3)).html == "<feed>"
    assert stats().open_circuits == ()


async def test_async_panels_that_keep_timing_out_open_the_circuit_too(settings, release):
    settings.DJ_LAYOUTS = BREAKER
    for _ in range(2):
        await GatherExecutor().arun([job("api", key="src.api", wait=release, is_async=True)])
    [outcome] = await GatherExecutor().arun([job("api", key="src.api", is_async=True)])
    assert isinstance(error_of(outcome), PanelCircuitOpen)


def test_one_trial_at_a_time_while_half_open(settings, release):
    settings.DJ_LAYOUTS = BREAKER
    executor = ThreadedExecutor(max_workers=4)
    for _ in range(2):
        run_one(executor, job("feed", key="src.half", wait=release))
    time.sleep(0.35)
    trial, second = executor.run(
        [job("feed", key="src.half", wait=release), job("again", key="src.half", index=1)]
    )
    assert type(error_of(trial)) is PanelTimeout  # let through, and timed out
    assert isinstance(error_of(second), PanelCircuitOpen)  # refused while the trial ran


def test_reset_circuits_closes_one_source_or_all(settings, release):
    settings.DJ_LAYOUTS = {**BREAKER, "CIRCUIT_BREAKER_FAILURES": 1}
    for key in ("src.one", "src.two"):
        run_one(SequentialExecutor(), job("feed", key=key, wait=release))
    assert stats().open_circuits == ("src.one", "src.two")
    reset_circuits("src.one")
    assert stats().open_circuits == ("src.two",)
    reset_circuits()
    assert stats().open_circuits == ()


def test_a_trial_that_times_out_opens_the_circuit_again(settings, release):
    settings.DJ_LAYOUTS = BREAKER
    executor = SequentialExecutor()
    for _ in range(2):
        run_one(executor, job("feed", key="src.trial", wait=release))
    time.sleep(0.35)
    trial = run_one(executor, job("feed", key="src.trial", wait=release))
    assert type(error_of(trial)) is PanelTimeout  # it ran, and timed out
    outcome = run_one(executor, job("feed", key="src.trial", timeout=3))
    assert isinstance(error_of(outcome), PanelCircuitOpen)


def test_a_timely_answer_resets_the_count(settings, release):
    settings.DJ_LAYOUTS = BREAKER
    executor = SequentialExecutor()
    run_one(executor, job("feed", key="src.reset", wait=release))
    assert run_one(executor, job("feed", key="src.reset", timeout=3)).html == "<feed>"
    run_one(executor, job("feed", key="src.reset", wait=release))
    assert stats().open_circuits == ()


def test_timeouts_further_apart_than_the_window_do_not_open_it(settings, release):
    settings.DJ_LAYOUTS = {**BREAKER, "CIRCUIT_BREAKER_WINDOW": 0.1}
    executor = SequentialExecutor()
    run_one(executor, job("feed", key="src.window", wait=release))
    time.sleep(0.15)
    run_one(executor, job("feed", key="src.window", wait=release))
    assert stats().open_circuits == ()


def test_no_breaker_when_failures_is_none(settings, release):
    settings.DJ_LAYOUTS = {**BREAKER, "CIRCUIT_BREAKER_FAILURES": None}
    for _ in range(3):
        outcome = run_one(SequentialExecutor(), job("feed", key="src.none", wait=release))
        assert type(error_of(outcome)) is PanelTimeout


# -- a real server -------------------------------------------------------------------------
def start_server(*command: str, ready: str = "/fast/") -> tuple[subprocess.Popen[bytes], str]:
    """Start ``python -m command`` ("{port}" is a free port); its process and URL."""
    port = _services.free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.bulkapp.settings",
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", *(part.format(port=port) for part in command)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{url}{ready}", timeout=5)
            return process, url
        except httpx.TransportError:
            if process.poll() is not None:
                break
            time.sleep(0.05)
    process.kill()
    pytest.fail(f"{command[0]} did not start")


def start_uvicorn() -> tuple[subprocess.Popen[bytes], str]:
    return start_server(
        "uvicorn",
        "tests.bulkapp.asgi:application",
        *("--host", "127.0.0.1", "--port", "{port}", "--log-level", "warning"),
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(10)


def timed_get(url: str, client: httpx.Client | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    response = (client or httpx).get(url, timeout=8)
    assert response.status_code == 200
    return time.perf_counter() - started, response.text


def test_hung_pages_never_hold_up_other_pages_under_uvicorn():
    process, url = start_uvicorn()
    try:
        assert "<p>cached</p>" in timed_get(f"{url}/cached/")[1]  # fills the cache
        # One client for all: making one per request costs more CPU than the pages.
        with (
            httpx.Client(limits=httpx.Limits(max_connections=20)) as client,
            ThreadPoolExecutor(14) as clients,
        ):
            hung = [clients.submit(timed_get, f"{url}/hang/?seconds=10", client) for _ in range(12)]
            time.sleep(0.2)  # the hung pages have filled the panel pool
            fast = clients.submit(timed_get, f"{url}/fast/", client)
            cached = clients.submit(timed_get, f"{url}/cached/", client)
            fast_time, fast_html = fast.result(10)
            cached_time, cached_html = cached.result(10)
            hung_results = [future.result(10) for future in hung]
    finally:
        stop(process)
    # The panel pool's threads are all stuck until the hung panels' 0.5 s timeout; then
    # they are replaced. Before bulkheads, this page waited for the 10 s hang.
    assert "<p>fast</p>" in fast_html
    assert fast_time < 1.5
    assert cached_html.count("<p>cached</p>") == 3
    assert cached_time < 1.5
    for elapsed, html in hung_results:
        assert elapsed < 3
        assert html.count('class="dj-layouts-panel-error"') == 5


def test_a_gunicorn_worker_exits_promptly_on_sigterm_while_threads_hang():
    # uvicorn re-raises SIGTERM after its shutdown and so never joins threads; a gunicorn
    # worker exits through sys.exit(), where ThreadPoolExecutor threads were joined.
    process, url = start_server(
        "gunicorn",
        "tests.bulkapp.wsgi:application",
        *("--workers", "1", "--bind", "127.0.0.1:{port}"),
        ready="/hang-sync/?seconds=0",
    )
    try:
        _, html = timed_get(f"{url}/hang-sync/?seconds=30")
        assert html.count('class="dj-layouts-panel-error"') == 1  # its thread hangs for 30 s
        started = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        process.wait(40)
        assert time.perf_counter() - started < 5
    finally:
        stop(process)


def stats_fields() -> Any:
    return sorted(stats().__dataclass_fields__)


def test_stats_fields():
    assert stats_fields() == [
        "abandoned_now",
        "abandoned_total",
        "circuits_opened_total",
        "max_abandoned",
        "open_circuits",
        "pool_sizes",
        "refused_total",
        "replacement_threads",
    ]
