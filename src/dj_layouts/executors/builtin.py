"""The three executors dj-layouts ships: sequential, gather (async) and threaded (sync)."""

from __future__ import annotations

import asyncio
import inspect
import os
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any, TypeVar

from asgiref.sync import sync_to_async

from dj_layouts.executors import bulkhead
from dj_layouts.executors.base import (
    AsyncPanelRun,
    PanelExecutor,
    PanelJob,
    PanelOutcome,
    PanelRun,
)
from dj_layouts.executors.pools import panel_pool
from dj_layouts.executors.tasks import QuickGroup, TaskStream
from dj_layouts.executors.workers import WorkerPool

T = TypeVar("T")


def _overridden(executor: PanelExecutor, name: str, owner: type) -> bool:
    """Whether a subclass replaced ``start``/``astart``: then its own is what runs."""
    return getattr(type(executor), name) is not getattr(owner, name)


class _SequentialRun(PanelRun):
    def __init__(self, jobs: Sequence[PanelJob]) -> None:
        self.jobs: deque[PanelJob] = deque(jobs)

    def add(self, jobs: Sequence[PanelJob]) -> None:
        self.jobs.extend(jobs)

    def __next__(self) -> PanelOutcome:
        if not self.jobs:
            raise StopIteration
        job = self.jobs.popleft()
        if job.timeout is None:
            return job.run()
        return job.probe() or bulkhead.refused(job) or bulkhead.wait_in_pool(panel_pool(), job)

    def close(self) -> None:
        self.jobs.clear()


class _AsyncSequentialRun(AsyncPanelRun):
    def __init__(self, jobs: Sequence[PanelJob]) -> None:
        self.jobs: deque[PanelJob] = deque(jobs)

    def add(self, jobs: Sequence[PanelJob]) -> None:
        self.jobs.extend(jobs)

    async def __anext__(self) -> PanelOutcome:
        if not self.jobs:
            raise StopAsyncIteration
        job = self.jobs.popleft()
        outcome = job.probe() or bulkhead.refused(job)
        if outcome is not None:
            return outcome
        if job.is_async:
            return await bulkhead.with_timeout(job, job.arun())
        if job.timeout is not None:
            # An abandoned panel would hold the thread-sensitive thread, and the
            # layout template renders there next: the page would wait after all.
            return await bulkhead.await_in_pool(panel_pool(), job)
        return await sync_to_async(job.run)()

    async def aclose(self) -> None:
        self.jobs.clear()


class SequentialExecutor(PanelExecutor):
    """One panel after another, in definition order: the default for sync views.

    A panel with a ``timeout`` runs in a worker thread so the page need not wait
    for it. Under an async view, other sync panels run on asgiref's
    thread-sensitive thread, one by one, exactly as ``sync_to_async`` would run them.
    """

    def open(self, jobs: Sequence[PanelJob] = ()) -> PanelRun:
        if _overridden(self, "start", SequentialExecutor):
            return super().open(jobs)
        return _SequentialRun(jobs)

    def aopen(self, jobs: Sequence[PanelJob] = ()) -> AsyncPanelRun:
        if _overridden(self, "astart", SequentialExecutor):
            return super().aopen(jobs)
        return _AsyncSequentialRun(jobs)

    def start(self, jobs: Sequence[PanelJob]) -> Iterator[PanelOutcome]:
        return _SequentialRun(jobs)

    def astart(self, jobs: Sequence[PanelJob]) -> AsyncPanelRun:
        return _AsyncSequentialRun(jobs)


class _FutureRun(PanelRun):
    """Sync panels each in a pool thread; outcomes as their futures complete."""

    def __init__(self, pool: WorkerPool, jobs: Sequence[PanelJob]) -> None:
        self.pool = pool
        self.ready: list[PanelOutcome] = []
        # future -> (job, deadline)
        self.futures: dict[Future[PanelOutcome], tuple[PanelJob, float | None]] = {}
        self.add(jobs)

    def add(self, jobs: Sequence[PanelJob]) -> None:
        now = time.monotonic()
        for job in jobs:
            started = job.probe() or bulkhead.refused(job) or bulkhead.submit(self.pool, job)
            if isinstance(started, PanelOutcome):
                self.ready.append(started)
                continue
            deadline = None if job.timeout is None else now + job.timeout
            self.futures[started] = (job, deadline)

    def __next__(self) -> PanelOutcome:
        while not self.ready:
            if not self.futures:
                raise StopIteration
            self._wait()
        return self.ready.pop(0)

    def _wait(self) -> None:
        deadlines = [d for _, d in self.futures.values() if d is not None]
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        done, _ = wait(self.futures, timeout=timeout, return_when=FIRST_COMPLETED)
        for future in sorted(done, key=lambda f: self.futures[f][0].index):
            job, _ = self.futures.pop(future)
            self.ready.append(bulkhead.collect(job, future))
        now = time.monotonic()
        for future, (job, deadline) in sorted(self.futures.items(), key=lambda i: i[1][0].index):
            if deadline is not None and now >= deadline:
                del self.futures[future]
                # A running thread is abandoned; its result is dropped.
                self.ready.append(bulkhead.settle(self.pool, future, job))

    def close(self) -> None:
        for future, (job, _) in self.futures.items():
            bulkhead.give_up(self.pool, future, job, why="when its page was closed")
        self.futures.clear()


class _PooledExecutor(PanelExecutor):
    """All panels at once: async panels as tasks, sync panels each in a pool thread."""

    concurrent = True

    def pool(self) -> WorkerPool:
        return panel_pool()

    def open(self, jobs: Sequence[PanelJob] = ()) -> PanelRun:
        if _overridden(self, "start", _PooledExecutor):
            return super().open(jobs)
        return _FutureRun(self.pool(), jobs)

    def start(self, jobs: Sequence[PanelJob]) -> Iterator[PanelOutcome]:
        return _FutureRun(self.pool(), jobs)

    def _stream(self) -> TaskStream:
        loop = asyncio.get_running_loop()
        pools: list[WorkerPool] = []
        group = QuickGroup(loop, lambda: pools[0])

        async def one(job: PanelJob) -> PanelOutcome:
            if job.is_async:
                return await bulkhead.with_timeout(job, job.arun())
            return await bulkhead.await_in_pool(pools[0], job)

        def start(job: PanelJob) -> PanelOutcome | asyncio.Future[PanelOutcome]:
            # A cache hit or literal HTML is ready now: no task, no thread. An open
            # circuit fails the job fast, also without a thread.
            outcome = job.probe() or bulkhead.refused(job)
            if outcome is not None:
                return outcome
            if job.is_async and job.timeout is None:
                return loop.create_task(job.arun())
            if not job.is_async and not pools:
                pools.append(self.pool())
            if job.quick and not job.is_async and job.timeout is None:
                return group.add(job)
            return loop.create_task(one(job))

        return TaskStream([], starter=start, quick=group)

    def aopen(self, jobs: Sequence[PanelJob] = ()) -> AsyncPanelRun:
        if _overridden(self, "astart", _PooledExecutor):
            return super().aopen(jobs)
        stream = self._stream()
        stream.add(jobs)
        return stream

    def astart(self, jobs: Sequence[PanelJob]) -> AsyncPanelRun:
        stream = self._stream()
        stream.add(jobs)
        return stream


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
        self._pool: WorkerPool | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ThreadedExecutor(max_workers={self.max_workers!r})"

    def pool(self) -> WorkerPool:
        with self._lock:
            if self._pool is None:
                # ThreadPoolExecutor's default size.
                size = self.max_workers or min(32, (os.cpu_count() or 1) + 4)
                self._pool = WorkerPool(size, name="threaded")
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
