"""Executors decide *how* panels run: one after another, or all at once.

An executor never decides *what* a panel renders. It receives ``PanelJob``s and
hands back one ``PanelOutcome`` per job, either all at once in definition order
(``run``/``arun``) or one by one as each completes (``start``/``astart``), which
is what streaming needs. ``start``/``astart`` begin the work before returning,
so panels can run while the caller does something else (eager panels).
"""

from __future__ import annotations

import abc
import asyncio
import contextvars
import inspect
import os
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.db import connections

from dj_layouts.conf import get_settings
from dj_layouts.errors import PanelError, PanelTimeout

if TYPE_CHECKING:
    from dj_layouts.queues import QueueCollector


@dataclass
class PanelOutcome:
    """What one panel produced: its HTML and queue items, or its error."""

    index: int
    name: str
    html: str = ""
    queues: QueueCollector | None = None
    error: PanelError | None = None


class PanelJob:
    """One panel, ready to run. ``run``/``arun`` never raise: errors become outcomes."""

    __slots__ = ("_arun", "_probe", "_run", "_timed_out", "index", "is_async", "name", "timeout")

    def __init__(
        self,
        *,
        index: int,
        name: str,
        is_async: bool,
        timeout: float | None,
        run: Callable[[], PanelOutcome],
        arun: Callable[[], Awaitable[PanelOutcome]],
        timed_out: Callable[[PanelTimeout], PanelOutcome],
        probe: Callable[[], PanelOutcome | None] | None = None,
    ) -> None:
        self.index = index
        self.name = name
        self.is_async = is_async
        self.timeout = timeout
        self._run = run
        self._arun = arun
        self._timed_out = timed_out
        self._probe = probe

    def __repr__(self) -> str:
        return f"<PanelJob {self.index}:{self.name}>"

    def run(self) -> PanelOutcome:
        """Run in the calling thread (an async panel gets an event loop of its own)."""
        return self._run()

    async def arun(self) -> PanelOutcome:
        """Await an async panel; for a sync one, use ``run`` in a thread instead."""
        return await self._arun()

    def probe(self) -> PanelOutcome | None:
        """The outcome, if it can be had at once without blocking (a cache hit), else None.

        Executors call it where a thread hop would cost more than the answer.
        """
        return self._probe() if self._probe is not None else None

    def timed_out(self) -> PanelOutcome:
        assert self.timeout is not None
        return self._timed_out(PanelTimeout(self.name, self.timeout))


def close_thread_connections() -> None:
    # Worker threads outlive the panel; a connection left open would leak.
    for conn in connections.all(initialized_only=True):
        conn.close()


def run_in_worker(job: PanelJob) -> PanelOutcome:
    """Run a job in a worker thread and close the DB connections it opened."""
    try:
        return job.run()
    finally:
        close_thread_connections()


def in_definition_order(outcomes: Iterable[PanelOutcome]) -> list[PanelOutcome]:
    return sorted(outcomes, key=lambda outcome: outcome.index)


class PanelExecutor(abc.ABC):
    """Base class for executors. Override ``start`` (sync views) and ``astart`` (async views).

    Both must begin running the jobs before they return, and the iterator they
    return must yield exactly one outcome per job, in any order. A job with a
    ``timeout`` that has not finished in time yields ``job.timed_out()``.
    Closing the async iterator early must cancel what is still running.
    """

    #: Whether panels overlap in time; eager panels need this.
    concurrent: bool = False

    @abc.abstractmethod
    def start(self, jobs: Sequence[PanelJob]) -> Iterator[PanelOutcome]:
        """Start ``jobs`` from sync code; iterate to get outcomes as they complete."""

    @abc.abstractmethod
    def astart(self, jobs: Sequence[PanelJob]) -> AsyncIterator[PanelOutcome]:
        """Start ``jobs`` on the running event loop; iterate to get outcomes as they complete."""

    def run(self, jobs: Sequence[PanelJob]) -> list[PanelOutcome]:
        """Run every job; outcomes in definition order."""
        return in_definition_order(self.start(jobs))

    async def arun(self, jobs: Sequence[PanelJob]) -> list[PanelOutcome]:
        return in_definition_order([outcome async for outcome in self.astart(jobs)])


_shared: tuple[int, ThreadPoolExecutor] | None = None
_shared_lock = threading.Lock()


# Read once: os.cpu_count() is a system call, and this runs for every page.
_DEFAULT_WORKERS = max(32, (os.cpu_count() or 1) + 4)


def shared_pool() -> ThreadPoolExecutor:
    """The pool sync panels share (size: ``DJ_LAYOUTS["SYNC_PANEL_WORKERS"]``, default 32)."""
    global _shared
    size = get_settings().SYNC_PANEL_WORKERS or _DEFAULT_WORKERS
    with _shared_lock:
        if _shared is None or _shared[0] != size:
            old = _shared
            _shared = (size, ThreadPoolExecutor(size, thread_name_prefix="dj-layouts-panel"))
            if old is not None:
                old[1].shutdown(wait=False)
        return _shared[1]


def _wait_in_pool(pool: ThreadPoolExecutor, job: PanelJob) -> PanelOutcome:
    future = pool.submit(contextvars.copy_context().run, run_in_worker, job)
    try:
        return future.result(timeout=job.timeout)
    except FutureTimeout:
        future.cancel()  # still queued behind busy workers: never start it
        return job.timed_out()


async def _with_timeout(job: PanelJob, awaitable: Awaitable[PanelOutcome]) -> PanelOutcome:
    if job.timeout is None:
        return await awaitable
    try:
        return await asyncio.wait_for(awaitable, job.timeout)
    except asyncio.TimeoutError:
        return job.timed_out()


class SequentialExecutor(PanelExecutor):
    """One panel after another, in definition order: the default for sync views.

    A panel with a ``timeout`` runs in a worker thread so the page need not wait
    for it. Under an async view, other sync panels run on asgiref's
    thread-sensitive thread, one by one, exactly as ``sync_to_async`` would run them.
    """

    def start(self, jobs: Sequence[PanelJob]) -> Iterator[PanelOutcome]:
        for job in jobs:
            if job.timeout is None:
                yield job.run()
            else:
                yield job.probe() or _wait_in_pool(shared_pool(), job)

    async def _one(self, job: PanelJob) -> PanelOutcome:
        outcome = job.probe()
        if outcome is not None:
            return outcome
        if job.is_async:
            return await _with_timeout(job, job.arun())
        if job.timeout is not None:
            # An abandoned panel would hold the thread-sensitive thread, and the
            # layout template renders there next: the page would wait after all.
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(
                shared_pool(), contextvars.copy_context().run, run_in_worker, job
            )
            return await _with_timeout(job, future)
        return await sync_to_async(job.run)()

    async def _drain(self, jobs: Sequence[PanelJob]) -> AsyncIterator[PanelOutcome]:
        for job in jobs:
            yield await self._one(job)

    def astart(self, jobs: Sequence[PanelJob]) -> AsyncIterator[PanelOutcome]:
        return self._drain(jobs)


class _PooledExecutor(PanelExecutor):
    """All panels at once: async panels as tasks, sync panels each in a pool thread."""

    concurrent = True

    def pool(self) -> ThreadPoolExecutor:
        return shared_pool()

    # -- sync views -------------------------------------------------------
    def start(self, jobs: Sequence[PanelJob]) -> Iterator[PanelOutcome]:
        pool = self.pool()
        started = time.monotonic()
        ready: list[PanelOutcome] = []
        futures: dict[Future[PanelOutcome], PanelJob] = {}
        for job in jobs:
            outcome = job.probe()
            if outcome is not None:
                ready.append(outcome)
            else:
                futures[pool.submit(contextvars.copy_context().run, run_in_worker, job)] = job
        return self._drain_futures(ready, futures, started)

    @staticmethod
    def _drain_futures(
        ready: list[PanelOutcome], futures: dict[Future[PanelOutcome], PanelJob], started: float
    ) -> Iterator[PanelOutcome]:
        yield from ready
        pending = set(futures)
        while pending:
            deadlines = [started + futures[f].timeout for f in pending if futures[f].timeout]  # type: ignore[operator]
            timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            done, pending = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: futures[f].index):
                yield future.result()
            now = time.monotonic()
            for future in sorted(pending, key=lambda f: futures[f].index):
                job = futures[future]
                if job.timeout is not None and now >= started + job.timeout:
                    pending.discard(future)
                    future.cancel()  # a running thread is abandoned; its result is dropped
                    yield job.timed_out()

    # -- async views ------------------------------------------------------
    async def _one(self, job: PanelJob, pool: ThreadPoolExecutor | None) -> PanelOutcome:
        if job.is_async:
            return await _with_timeout(job, job.arun())
        assert pool is not None  # astart gives every sync job a pool
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(pool, contextvars.copy_context().run, run_in_worker, job)
        return await _with_timeout(job, future)

    def astart(self, jobs: Sequence[PanelJob]) -> AsyncIterator[PanelOutcome]:
        loop = asyncio.get_running_loop()
        ready: list[PanelOutcome] = []
        tasks: list[asyncio.Task[PanelOutcome]] = []
        pool: ThreadPoolExecutor | None = None
        for job in jobs:
            # A cache hit or literal HTML is ready now: no task, no thread.
            outcome = job.probe()
            if outcome is not None:
                ready.append(outcome)
                continue
            if job.is_async and job.timeout is None:
                tasks.append(loop.create_task(job.arun()))
                continue
            if pool is None and not job.is_async:
                pool = self.pool()
            tasks.append(loop.create_task(self._one(job, pool)))
        return TaskStream(tasks, ready)


class TaskStream:
    """Outcomes of running tasks as they complete; closing it cancels what still runs.

    A plain async generator would not do: closing one that was never iterated
    does not reach its ``finally``, and eager panels may be dropped unread.
    """

    def __init__(
        self, tasks: list[asyncio.Task[PanelOutcome]], ready: Sequence[PanelOutcome] = ()
    ) -> None:
        self._pending: set[asyncio.Task[PanelOutcome]] = set(tasks)
        # Popped from the end: lowest index first.
        self._ready: list[PanelOutcome] = sorted(ready, key=lambda o: -o.index)

    def __aiter__(self) -> TaskStream:
        return self

    async def __anext__(self) -> PanelOutcome:
        if not self._ready:
            if not self._pending:
                raise StopAsyncIteration
            try:
                done, self._pending = await asyncio.wait(
                    self._pending, return_when=asyncio.FIRST_COMPLETED
                )
            except BaseException:
                # The view was cancelled (client gone): stop the panels too.
                self.cancel()
                raise
            self._ready = sorted((task.result() for task in done), key=lambda o: -o.index)
        return self._ready.pop()

    def has_ready(self) -> bool:
        """Whether the next outcome is already there (a streamed page flushes otherwise)."""
        return bool(self._ready) or any(task.done() for task in self._pending)

    def cancel(self) -> None:
        for task in self._pending:
            task.cancel()

    async def aclose(self) -> None:
        self.cancel()


class GatherExecutor(_PooledExecutor):
    """Every panel starts at once: the default for async views.

    Async panels run as tasks on the event loop. Sync panels run each in a
    worker thread of a shared pool (``DJ_LAYOUTS["SYNC_PANEL_WORKERS"]``), not
    one by one on asgiref's thread-sensitive thread; the database connections
    such a thread opens are closed when its panel ends.
    """


class ThreadedExecutor(_PooledExecutor):
    """Every panel at once in a pool of its own: concurrency for sync (WSGI) views."""

    def __init__(self, max_workers: int | None = None) -> None:
        if max_workers is not None and (
            isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1
        ):
            raise TypeError(
                f"ThreadedExecutor(max_workers=...) must be a positive int or None, "
                f"not {max_workers!r}."
            )
        self.max_workers = max_workers
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ThreadedExecutor(max_workers={self.max_workers!r})"

    def pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    self.max_workers, thread_name_prefix="dj-layouts-threaded"
                )
            return self._pool


def coerce_executor(value: Any, *, owner: str) -> PanelExecutor | None:
    """An executor instance from a ``Layout.executor`` value (class, instance or None)."""
    if value is None or isinstance(value, PanelExecutor):
        return value
    if isinstance(value, type) and issubclass(value, PanelExecutor):
        if inspect.isabstract(value):
            missing = ", ".join(sorted(value.__abstractmethods__))
            raise TypeError(
                f"{owner}.executor: {value.__qualname__} is abstract (it does not implement "
                f"{missing}). Implement them, or use SequentialExecutor, GatherExecutor or "
                "ThreadedExecutor(max_workers=8)."
            )
        return value()
    raise TypeError(
        f"{owner}.executor must be a PanelExecutor subclass or instance, not {value!r}. "
        "Use SequentialExecutor, GatherExecutor or ThreadedExecutor(max_workers=8)."
    )
