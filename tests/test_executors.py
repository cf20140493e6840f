"""Executors: PanelJob-level contracts, and executors chosen by layouts."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connections
from django.db.backends.signals import connection_created
from django.http import HttpResponse

from dj_layouts import (
    GatherExecutor,
    Layout,
    PanelExecutor,
    PanelTimeout,
    SequentialExecutor,
    ThreadedExecutor,
    add_script,
    async_layout,
    layout,
)
from dj_layouts.errors import PanelError
from dj_layouts.executors import PanelJob, PanelOutcome
from tests._slots import Tracker, make_layout, script_srcs, sections
from tests.testapp.models import Note

CONCURRENT = [GatherExecutor, ThreadedExecutor]
ALL = [SequentialExecutor, GatherExecutor, ThreadedExecutor]


# -- PanelJob helpers ---------------------------------------------------------------------
class Jobs:
    """Builds PanelJobs that record into a Tracker.

    ``after=i`` makes a job wait for job ``i`` to end, then sleep ``delay``: the jobs can
    only finish if they overlap, and they finish ``delay`` apart in a known order.
    """

    def __init__(self) -> None:
        self.tracker = Tracker()
        self.cancelled: list[str] = []
        self.thread_events: dict[int, threading.Event] = {}

    def job(
        self,
        index: int,
        delay: float = 0.0,
        *,
        is_async: bool = False,
        timeout: float | None = None,
        after: int | None = None,
        probe: Any = None,
        barrier: threading.Barrier | None = None,
    ) -> PanelJob:
        name = f"p{index}"
        tracker = self.tracker
        done_thread = self.thread_events.setdefault(index, threading.Event())

        def outcome() -> PanelOutcome:
            return PanelOutcome(index, name, html=f"<{name}>")

        def run() -> PanelOutcome:
            tracker.start(name)
            try:
                if after is not None:
                    # Deadlocks (and fails) unless the other job runs at the same time.
                    assert self.thread_events[after].wait(5), f"{name} waited for p{after}"
                if barrier is not None:
                    barrier.wait(timeout=5)  # all of the barrier's jobs at once, or it breaks
                time.sleep(delay)
            finally:
                tracker.end(name)
                done_thread.set()
            return outcome()

        async def arun() -> PanelOutcome:
            tracker.start(name)
            try:
                if after is not None:
                    other = self.thread_events[after]
                    for _ in range(1000):
                        if other.is_set():
                            break
                        await asyncio.sleep(0.005)
                    assert other.is_set(), f"{name} waited for p{after}"
                await asyncio.sleep(delay)
            except asyncio.CancelledError:
                self.cancelled.append(name)
                raise
            finally:
                tracker.end(name)
                done_thread.set()
            return outcome()

        def timed_out(exc: BaseException) -> PanelOutcome:
            return PanelOutcome(index, name, error=PanelError(name, None, exc))

        return PanelJob(
            index=index,
            name=name,
            is_async=is_async,
            timeout=timeout,
            run=run,
            arun=arun,
            timed_out=timed_out,
            probe=probe,
        )


def names(outcomes: Sequence[PanelOutcome]) -> list[str]:
    return [outcome.name for outcome in outcomes]


def wait_until(predicate: Any, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


# -- SequentialExecutor ----------------------------------------------------------------------
def test_sequential_start_runs_jobs_one_by_one_in_the_calling_thread():
    jobs = Jobs()
    outcomes = list(SequentialExecutor().start([jobs.job(0, 0.03), jobs.job(1), jobs.job(2, 0.01)]))
    assert names(outcomes) == ["p0", "p1", "p2"]
    assert jobs.tracker.events == [
        ("start", "p0"),
        ("end", "p0"),
        ("start", "p1"),
        ("end", "p1"),
        ("start", "p2"),
        ("end", "p2"),
    ]
    assert set(jobs.tracker.threads.values()) == {threading.current_thread().name}


async def test_sequential_astart_runs_sync_and_async_jobs_one_by_one():
    jobs = Jobs()
    stream = SequentialExecutor().astart(
        [jobs.job(0, 0.03, is_async=True), jobs.job(1, 0.02), jobs.job(2, is_async=True)]
    )
    outcomes = [outcome async for outcome in stream]
    assert names(outcomes) == ["p0", "p1", "p2"]
    assert jobs.tracker.peak == 1
    assert jobs.tracker.ended() == ["p0", "p1", "p2"]


# -- Gather and Threaded: start / run ---------------------------------------------------------
@pytest.mark.parametrize("executor_class", CONCURRENT)
def test_start_yields_outcomes_as_they_complete(executor_class):
    jobs = Jobs()
    # p0 ends after p1, p1 after p2: they can only finish if all three overlap.
    batch = [jobs.job(0, 0.05, after=1), jobs.job(1, 0.05, after=2), jobs.job(2, 0.05)]
    outcomes = list(executor_class().start(batch))
    assert names(outcomes) == ["p2", "p1", "p0"]
    assert jobs.tracker.peak == 3


@pytest.mark.parametrize("executor_class", CONCURRENT)
def test_start_begins_the_work_before_it_returns(executor_class):
    jobs = Jobs()
    stream = executor_class().start([jobs.job(0, 0.05), jobs.job(1, 0.05)])
    # Nothing iterated yet, and both jobs run anyway (what eager panels rely on).
    assert wait_until(lambda: sorted(jobs.tracker.started()) == ["p0", "p1"])
    assert sorted(names(list(stream))) == ["p0", "p1"]


@pytest.mark.parametrize("executor_class", CONCURRENT)
def test_run_returns_outcomes_in_definition_order(executor_class):
    jobs = Jobs()
    batch = [jobs.job(0, 0.05, after=1), jobs.job(1, 0.05, after=2), jobs.job(2, 0.05)]
    outcomes = executor_class().run(batch)
    assert names(outcomes) == ["p0", "p1", "p2"]
    assert jobs.tracker.ended() == ["p2", "p1", "p0"]
    assert [outcome.html for outcome in outcomes] == ["<p0>", "<p1>", "<p2>"]


def warmed(executor: PanelExecutor) -> PanelExecutor:
    """``executor`` with five pool threads started: timing tests measure overlap, not spawning."""
    jobs = Jobs()
    executor.run([jobs.job(i, 0.02) for i in range(5)])
    return executor


@pytest.mark.parametrize("executor_class", CONCURRENT)
def test_five_blocking_sync_jobs_overlap(executor_class):
    executor = warmed(executor_class())
    jobs = Jobs()
    started = time.perf_counter()
    outcomes = executor.run([jobs.job(i, 0.1) for i in range(5)])
    assert time.perf_counter() - started < 0.3
    assert names(outcomes) == ["p0", "p1", "p2", "p3", "p4"]


# -- Gather and Threaded: astart / arun --------------------------------------------------------
@pytest.mark.parametrize("executor_class", CONCURRENT)
async def test_astart_yields_async_outcomes_as_they_complete(executor_class):
    jobs = Jobs()
    batch = [
        jobs.job(0, 0.05, is_async=True, after=1),
        jobs.job(1, 0.05, is_async=True, after=2),
        jobs.job(2, 0.05, is_async=True),
    ]
    outcomes = [outcome async for outcome in executor_class().astart(batch)]
    assert names(outcomes) == ["p2", "p1", "p0"]


@pytest.mark.parametrize("executor_class", CONCURRENT)
async def test_astart_yields_sync_outcomes_as_they_complete(executor_class):
    jobs = Jobs()
    batch = [jobs.job(0, 0.05, after=1), jobs.job(1, 0.05, after=2), jobs.job(2, 0.05)]
    outcomes = [outcome async for outcome in executor_class().astart(batch)]
    assert names(outcomes) == ["p2", "p1", "p0"]


@pytest.mark.parametrize("executor_class", CONCURRENT)
async def test_arun_returns_outcomes_in_definition_order(executor_class):
    jobs = Jobs()
    batch = [
        jobs.job(0, 0.05, after=1),
        jobs.job(1, 0.05, is_async=True, after=2),
        jobs.job(2, 0.05, is_async=True),
    ]
    outcomes = await executor_class().arun(batch)
    assert names(outcomes) == ["p0", "p1", "p2"]
    assert jobs.tracker.ended() == ["p2", "p1", "p0"]


@pytest.mark.parametrize(
    ("executor_class", "prefix"),
    [(GatherExecutor, "dj-layouts-panel_"), (ThreadedExecutor, "dj-layouts-threaded_")],
)
async def test_astart_runs_each_sync_job_in_a_worker_thread_of_its_own(executor_class, prefix):
    executor = await sync_to_async(warmed, thread_sensitive=False)(executor_class())
    jobs = Jobs()
    barrier = threading.Barrier(5)
    started = time.perf_counter()
    outcomes = await executor.arun([jobs.job(i, 0.1, barrier=barrier) for i in range(5)])
    assert time.perf_counter() - started < 0.3
    assert names(outcomes) == ["p0", "p1", "p2", "p3", "p4"]
    threads = jobs.tracker.threads
    assert len(set(threads.values())) == 5
    assert all(thread.startswith(prefix) for thread in threads.values())


@pytest.mark.parametrize("executor_class", CONCURRENT)
async def test_closing_the_async_stream_early_cancels_what_still_runs(executor_class):
    jobs = Jobs()
    stream = executor_class().astart([jobs.job(0, is_async=True), jobs.job(1, 5, is_async=True)])
    first = await stream.__anext__()
    assert first.name == "p0"
    await stream.aclose()  # type: ignore[attr-defined]
    for _ in range(20):
        if jobs.cancelled:
            break
        await asyncio.sleep(0.01)
    assert jobs.cancelled == ["p1"]


# -- timeouts -------------------------------------------------------------------------------
def _timeout_error(outcome: PanelOutcome) -> BaseException:
    assert outcome.error is not None
    return outcome.error.exception


@pytest.mark.parametrize("executor_class", ALL)
def test_start_gives_a_timed_out_outcome_without_waiting(executor_class):
    jobs = Jobs()
    started = time.perf_counter()
    outcomes = executor_class().run([jobs.job(0, 2, timeout=0.2), jobs.job(1)])
    assert time.perf_counter() - started < 1
    error = _timeout_error(outcomes[0])
    assert isinstance(error, PanelTimeout)
    assert str(error) == "Panel 'p0' did not answer within 0.2 s."
    assert (error.panel_name, error.timeout) == ("p0", 0.2)
    assert outcomes[1].html == "<p1>"
    # The thread is abandoned, not killed: it finishes later and its result is dropped.
    assert jobs.thread_events[0].wait(3)


@pytest.mark.parametrize("executor_class", ALL)
async def test_astart_cancels_a_timed_out_async_job(executor_class):
    jobs = Jobs()
    started = time.perf_counter()
    outcomes = await executor_class().arun(
        [jobs.job(0, 2, is_async=True, timeout=0.2), jobs.job(1, is_async=True)]
    )
    assert time.perf_counter() - started < 1
    assert isinstance(_timeout_error(outcomes[0]), PanelTimeout)
    assert jobs.cancelled == ["p0"]
    assert outcomes[1].html == "<p1>"


@pytest.mark.parametrize("executor_class", ALL)
async def test_astart_abandons_a_timed_out_sync_job(executor_class):
    jobs = Jobs()
    started = time.perf_counter()
    outcomes = await executor_class().arun([jobs.job(0, 2, timeout=0.2), jobs.job(1)])
    assert time.perf_counter() - started < 1
    assert isinstance(_timeout_error(outcomes[0]), PanelTimeout)
    assert outcomes[1].html == "<p1>"
    assert not jobs.thread_events[0].is_set()
    assert await sync_to_async(jobs.thread_events[0].wait, thread_sensitive=False)(3)


# -- probes (cache hits) -----------------------------------------------------------------------
def _probe_for(index: int) -> Any:
    return lambda: PanelOutcome(index, f"p{index}", html="<from probe>")


@pytest.mark.parametrize("executor_class", CONCURRENT)
def test_start_uses_a_probe_hit_without_running_the_job(executor_class):
    jobs = Jobs()
    batch = [jobs.job(0, probe=_probe_for(0)), jobs.job(1, probe=lambda: None)]
    outcomes = executor_class().run(batch)
    assert [outcome.html for outcome in outcomes] == ["<from probe>", "<p1>"]
    assert jobs.tracker.started() == ["p1"]


def test_sequential_start_probes_before_sending_a_timed_job_to_a_thread():
    # Without a timeout a job runs in the calling thread, and runs its cache itself.
    jobs = Jobs()
    batch = [
        jobs.job(0, timeout=5, probe=_probe_for(0)),
        jobs.job(1, timeout=5, probe=lambda: None),
    ]
    outcomes = SequentialExecutor().run(batch)
    assert [outcome.html for outcome in outcomes] == ["<from probe>", "<p1>"]
    assert jobs.tracker.started() == ["p1"]
    assert jobs.tracker.threads["p1"].startswith("dj-layouts-panel_")


@pytest.mark.parametrize("executor_class", ALL)
async def test_astart_uses_a_probe_hit_without_running_the_job(executor_class):
    jobs = Jobs()
    batch = [jobs.job(0, is_async=True, probe=_probe_for(0)), jobs.job(1, probe=_probe_for(1))]
    outcomes = await executor_class().arun(batch)
    assert [outcome.html for outcome in outcomes] == ["<from probe>", "<from probe>"]
    assert jobs.tracker.started() == []


# -- ThreadedExecutor(max_workers=...) and SYNC_PANEL_WORKERS -----------------------------------
@pytest.mark.parametrize("value", [0, -1, True, 1.5, "2"])
def test_threaded_executor_rejects_a_bad_max_workers(value):
    with pytest.raises(TypeError) as excinfo:
        ThreadedExecutor(max_workers=value)
    assert excinfo.value.args == (
        f"ThreadedExecutor(max_workers=...) must be a positive int or None, not {value!r}.",
    )


def test_threaded_executor_max_workers_bounds_the_overlap():
    executor = ThreadedExecutor(max_workers=2)
    assert repr(executor) == "ThreadedExecutor(max_workers=2)"
    jobs = Jobs()
    started = time.perf_counter()
    outcomes = executor.run([jobs.job(i, 0.1) for i in range(5)])
    # Five 100 ms jobs, two at a time: at least three rounds.
    assert time.perf_counter() - started >= 0.29
    assert names(outcomes) == ["p0", "p1", "p2", "p3", "p4"]
    assert jobs.tracker.peak <= 2
    assert len(set(jobs.tracker.threads.values())) <= 2


def test_threaded_executor_uses_a_pool_of_its_own():
    jobs = Jobs()
    ThreadedExecutor().run([jobs.job(0)])
    GatherExecutor().run([jobs.job(1)])
    assert jobs.tracker.threads["p0"].startswith("dj-layouts-threaded_")
    assert jobs.tracker.threads["p1"].startswith("dj-layouts-panel_")


async def test_sync_panel_workers_setting_sizes_the_shared_pool(settings):
    settings.DJ_LAYOUTS = {"SYNC_PANEL_WORKERS": 2}
    jobs = Jobs()
    started = time.perf_counter()
    outcomes = await GatherExecutor().arun([jobs.job(i, 0.1) for i in range(5)])
    assert time.perf_counter() - started >= 0.29
    assert names(outcomes) == ["p0", "p1", "p2", "p3", "p4"]
    assert jobs.tracker.peak <= 2


# -- executors chosen by layouts ---------------------------------------------------------------
class ReversedSequentialExecutor(PanelExecutor):
    """One panel after another, last panel first: a custom executor as users write one."""

    def start(self, jobs: Sequence[PanelJob]) -> Iterator[PanelOutcome]:
        return iter([job.run() for job in reversed(jobs)])

    def astart(self, jobs: Sequence[PanelJob]) -> AsyncIterator[PanelOutcome]:
        async def outcomes() -> AsyncIterator[PanelOutcome]:
            for job in reversed(jobs):
                yield await (job.arun() if job.is_async else sync_to_async(job.run)())

        return outcomes()


def _scripted_panel(tracker: Tracker, name: str, *, is_async: bool, delay: float = 0.0) -> Any:
    inner = (tracker.async_panel if is_async else tracker.sync_panel)(name, delay)

    if is_async:

        async def panel(request: Any) -> str:
            add_script(request, f"/static/{name}.js")
            return await inner(request)

    else:

        def panel(request: Any) -> str:
            add_script(request, f"/static/{name}.js")
            return inner(request)  # type: ignore[no-any-return]

    return panel


def _page_views(layout_class: type[Layout]) -> tuple[Any, Any]:
    @layout(layout_class)
    def sync_view(request):
        add_script(request, "/static/content.js")
        return HttpResponse("<h1>content</h1>")

    @async_layout(layout_class)
    async def async_view(request):
        add_script(request, "/static/content.js")
        return HttpResponse("<h1>content</h1>")

    return sync_view, async_view


@pytest.mark.parametrize("is_async", [False, True], ids=["sync-view", "async-view"])
async def test_a_custom_executor_runs_the_panels_and_the_page_keeps_definition_order(rf, is_async):
    tracker = Tracker()
    panels = {
        "first": _scripted_panel(tracker, "first", is_async=False),
        "second": _scripted_panel(tracker, "second", is_async=True),
        "third": _scripted_panel(tracker, "third", is_async=False),
    }
    page_layout = make_layout(panels, executor=ReversedSequentialExecutor)
    assert isinstance(page_layout._executor, ReversedSequentialExecutor)
    sync_view, async_view = _page_views(page_layout)
    if is_async:
        response = await async_view(rf.get("/"))
    else:
        response = await sync_to_async(sync_view)(rf.get("/"))
    assert tracker.started() == ["third", "second", "first"]
    assert tracker.peak == 1
    assert sections(response.content) == {
        "first": "<p>first</p>",
        "second": "<p>second</p>",
        "third": "<p>third</p>",
    }
    assert script_srcs(response.content) == [
        "/static/content.js",
        "/static/first.js",
        "/static/second.js",
        "/static/third.js",
    ]


def test_a_custom_executors_run_returns_definition_order():
    jobs = Jobs()
    outcomes = ReversedSequentialExecutor().run([jobs.job(0), jobs.job(1), jobs.job(2)])
    assert jobs.tracker.started() == ["p2", "p1", "p0"]
    assert names(outcomes) == ["p0", "p1", "p2"]


def test_layout_executor_as_a_class_gets_an_instance_per_layout(rf):
    tracker = Tracker()
    page_layout = make_layout(
        {f"p{i}": tracker.sync_panel(f"p{i}", 0.05) for i in range(4)}, executor=ThreadedExecutor
    )
    assert isinstance(page_layout._executor, ThreadedExecutor)
    sync_view, _ = _page_views(page_layout)
    response = sync_view(rf.get("/"))
    assert list(sections(response.content)) == ["p0", "p1", "p2", "p3"]
    assert tracker.peak > 1
    assert all(name.startswith("dj-layouts-threaded_") for name in tracker.threads.values())


def test_layout_executor_as_an_instance_is_used_as_is(rf):
    tracker = Tracker()
    executor = ThreadedExecutor(max_workers=1)
    page_layout = make_layout(
        {f"p{i}": tracker.sync_panel(f"p{i}", 0.02) for i in range(3)}, executor=executor
    )
    assert page_layout._executor is executor
    sync_view, _ = _page_views(page_layout)
    response = sync_view(rf.get("/"))
    assert sections(response.content) == {"p0": "<p>p0</p>", "p1": "<p>p1</p>", "p2": "<p>p2</p>"}
    assert tracker.peak == 1
    assert all(name.startswith("dj-layouts-threaded_") for name in tracker.threads.values())


def test_default_executor_of_a_sync_view_is_sequential(rf):
    tracker = Tracker()
    page_layout = make_layout({f"p{i}": tracker.sync_panel(f"p{i}", 0.02) for i in range(3)})
    assert page_layout._executor is None
    sync_view, _ = _page_views(page_layout)
    sync_view(rf.get("/"))
    assert tracker.started() == ["p0", "p1", "p2"]
    assert tracker.peak == 1
    assert set(tracker.threads.values()) == {threading.current_thread().name}


async def test_default_executor_of_an_async_view_is_gather(rf):
    tracker = Tracker()
    barrier = threading.Barrier(3)  # only passes if the three run at once
    page_layout = make_layout(
        {f"p{i}": tracker.sync_panel(f"p{i}", barrier=barrier) for i in range(3)}
    )
    _, async_view = _page_views(page_layout)
    response = await async_view(rf.get("/"))
    assert sections(response.content) == {f"p{i}": f"<p>p{i}</p>" for i in range(3)}
    assert len(set(tracker.threads.values())) == 3
    assert all(name.startswith("dj-layouts-panel_") for name in tracker.threads.values())


def test_layout_sequential_executor_keeps_an_async_view_sequential(rf):
    tracker = Tracker()
    page_layout = make_layout(
        {f"p{i}": tracker.async_panel(f"p{i}", 0.02) for i in range(3)},
        executor=SequentialExecutor,
    )
    _, async_view = _page_views(page_layout)
    async_to_sync(async_view)(rf.get("/"))
    assert tracker.events == [
        ("start", "p0"),
        ("end", "p0"),
        ("start", "p1"),
        ("end", "p1"),
        ("start", "p2"),
        ("end", "p2"),
    ]


class NotAnExecutor:
    pass


@pytest.mark.parametrize("value", ["fast", NotAnExecutor, NotAnExecutor(), 3, GatherExecutor.start])
def test_a_bad_layout_executor_is_a_type_error_at_class_creation(value):
    with pytest.raises(TypeError) as excinfo:

        class BadExecutorLayout(Layout):
            template = "testapp/slots.html"
            executor = value

    assert excinfo.value.args == (
        "test_a_bad_layout_executor_is_a_type_error_at_class_creation.<locals>.BadExecutorLayout"
        f".executor must be a PanelExecutor subclass or instance, not {value!r}. "
        "Use SequentialExecutor, GatherExecutor or ThreadedExecutor(max_workers=8).",
    )


def test_an_abstract_layout_executor_is_a_type_error_at_class_creation():
    class HalfExecutor(PanelExecutor):
        def start(self, jobs):
            return iter(())

    with pytest.raises(TypeError) as excinfo:

        class AbstractExecutorLayout(Layout):
            template = "testapp/slots.html"
            executor = HalfExecutor

    assert excinfo.value.args == (
        "test_an_abstract_layout_executor_is_a_type_error_at_class_creation.<locals>"
        ".AbstractExecutorLayout.executor: "
        "test_an_abstract_layout_executor_is_a_type_error_at_class_creation.<locals>.HalfExecutor"
        " is abstract (it does not implement astart). Implement them, or use "
        "SequentialExecutor, GatherExecutor or ThreadedExecutor(max_workers=8).",
    )


# -- database connections of worker threads ------------------------------------------------------
THREADS_DB = ["default", "threads"]


def notes_panel(request: Any) -> str:
    return f"<p>{Note.objects.using('threads').count()} notes</p>"


@pytest.fixture
def created_connections() -> Iterator[list[tuple[str, Any]]]:
    """Every connection to the "threads" database opened during the test, with its thread."""
    created: list[tuple[str, Any]] = []

    def record(sender: Any, connection: Any, **kwargs: Any) -> None:
        if connection.alias == "threads":
            created.append((threading.current_thread().name, connection))

    connection_created.connect(record)
    yield created
    connection_created.disconnect(record)


def worker_connections(created: list[tuple[str, Any]], prefix: str) -> tuple[int, int]:
    """(opened, still open) connections of threads whose name starts with ``prefix``."""
    mine = [conn for thread, conn in created if thread.startswith(prefix)]
    return len(mine), sum(1 for conn in mine if conn.connection is not None)


@pytest.mark.django_db(transaction=True, databases=THREADS_DB)
def test_the_leak_check_sees_a_connection_left_open(created_connections):
    """The measure used below does detect a thread that keeps its connection."""
    Note.objects.using("threads").create(text="a")
    with ThreadPoolExecutor(1, thread_name_prefix="plain-worker") as pool:
        assert pool.submit(notes_panel, None).result() == "<p>1 notes</p>"
        assert worker_connections(created_connections, "plain-worker") == (1, 1)
        pool.submit(connections.close_all).result()
    assert worker_connections(created_connections, "plain-worker") == (1, 0)


PAGES = 30
PANELS = 3


def _notes_views(executor: Any) -> tuple[Any, Any]:
    page_layout = make_layout(
        {f"n{i}": notes_panel for i in range(PANELS)}, name="NotesLayout", executor=executor
    )
    return _page_views(page_layout)


def _check_page(response: Any) -> None:
    assert sections(response.content) == {f"n{i}": "<p>2 notes</p>" for i in range(PANELS)}


@pytest.mark.django_db(transaction=True, databases=THREADS_DB)
@pytest.mark.parametrize(
    ("executor", "prefix"),
    [
        (GatherExecutor, "dj-layouts-panel_"),
        (ThreadedExecutor(max_workers=4), "dj-layouts-threaded_"),
    ],
)
async def test_async_pages_close_the_connections_their_panel_threads_open(
    rf, created_connections, executor, prefix
):
    await Note.objects.using("threads").abulk_create([Note(text="a"), Note(text="b")])
    # The request's own thread (where quick panels may run) starts without a connection.
    await sync_to_async(lambda: connections["threads"].close())()
    created_connections.clear()
    _, async_view = _notes_views(executor)
    for _ in range(PAGES):
        _check_page(await async_view(rf.get("/")))
    # Every panel connected afresh, so each panel closed what it opened: the first
    # page's in the pool's threads, later pages' (quick by then) in the request's thread.
    assert worker_connections(created_connections, prefix)[0] >= PANELS
    assert len(created_connections) == PAGES * PANELS
    assert all(conn.connection is None for _, conn in created_connections)


@pytest.mark.django_db(transaction=True, databases=THREADS_DB)
@pytest.mark.parametrize(
    ("executor", "prefix"),
    [(ThreadedExecutor, "dj-layouts-threaded_"), (GatherExecutor, "dj-layouts-panel_")],
)
def test_sync_pages_close_the_connections_their_panel_threads_open(
    rf, created_connections, executor, prefix
):
    Note.objects.using("threads").bulk_create([Note(text="a"), Note(text="b")])
    sync_view, _ = _notes_views(executor)
    for _ in range(PAGES):
        _check_page(sync_view(rf.get("/")))
    opened, still_open = worker_connections(created_connections, prefix)
    assert opened == PAGES * PANELS
    assert still_open == 0


def test_a_patched_layout_executor_is_used_until_the_patch_ends(rf, monkeypatch):
    tracker = Tracker()
    page_layout = make_layout(
        {f"p{i}": tracker.sync_panel(f"p{i}", 0.02) for i in range(3)}, executor=ThreadedExecutor
    )
    original = page_layout._executor
    sync_view, _ = _page_views(page_layout)
    monkeypatch.setattr(page_layout, "executor", SequentialExecutor())
    sync_view(rf.get("/"))
    assert set(tracker.threads.values()) == {threading.current_thread().name}
    monkeypatch.undo()
    tracker.threads.clear()
    sync_view(rf.get("/"))
    assert all(name.startswith("dj-layouts-threaded_") for name in tracker.threads.values())
    assert isinstance(page_layout._executor, ThreadedExecutor)
    assert page_layout._executor is not original  # a class declaration: a fresh instance
