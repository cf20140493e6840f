"""The three executors dj-layouts ships: sequential, gather (async) and threaded (sync)."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import os
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
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
from dj_layouts.executors.workers import WorkerPool

T = TypeVar("T")


def _overridden(executor: PanelExecutor, name: str, owner: type) -> bool:
    """Whether a subclass replaced ``start``/``astart``: then its own is what runs."""
    return getattr(type(executor), name) is not getattr(owner, name)


class TaskStream(AsyncPanelRun):
    """Outcomes of running tasks as they complete; closing it cancels what still runs.

    A plain async generator would not do: closing one that was never iterated
    does not reach its ``finally``, and eager panels may be dropped unread.
    ``starter`` (a job -> outcome-or-task function) lets ``add`` take more jobs.
    """

    def __init__(
        self,
        tasks: Sequence[asyncio.Future[PanelOutcome]],
        ready: Sequence[PanelOutcome] = (),
        *,
        starter: Callable[[PanelJob], PanelOutcome | asyncio.Future[PanelOutcome]] | None = None,
        quick: _QuickGroup | None = None,
    ) -> None:
        self._pending: set[asyncio.Future[PanelOutcome]] = set(tasks)
        # Popped from the end: lowest index first.
        self._ready: list[PanelOutcome] = sorted(ready, key=lambda o: -o.index)
        self._starter = starter
        self._quick = quick

    def add(self, jobs: Sequence[PanelJob]) -> None:
        if self._starter is None:
            raise TypeError("This TaskStream was made without a starter; it cannot take jobs.")
        for job in jobs:
            started = self._starter(job)
            if isinstance(started, PanelOutcome):
                self._ready.append(started)
            else:
                self._pending.add(started)
        self._ready.sort(key=lambda o: -o.index)

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

    def ready(self) -> bool:
        return bool(self._ready) or any(task.done() for task in self._pending)

    async def afinish(
        self,
        then: Callable[[list[PanelOutcome]], T],
        hop: Callable[[Callable[[], T]], Awaitable[T]],
    ) -> T:
        # Quick sync jobs not sent to a thread yet, while nothing else runs: render them
        # in the hop that ``then`` takes anyway (one hop for the page, not two).
        group = self._quick
        taken = group.take(self._pending) if group is not None else []
        if not taken:
            return await super().afinish(then, hop)
        assert group is not None
        outcomes = [outcome async for outcome in self]

        def work() -> T:
            outcomes.extend(bulkhead.run_group_here(group.pool(), taken))
            return then(outcomes)

        return await hop(work)

    #: The name the first version documented.
    has_ready = ready

    def cancel(self) -> None:
        for task in self._pending:
            task.cancel()

    async def aclose(self) -> None:
        self.cancel()


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


class _QuickGroup:
    """Quick sync jobs started in the same loop iteration: one thread hop for them all.

    A thread hop costs more than such a job's render. Each job still gets a future
    of its own, so a run hands back the same outcomes whichever way its jobs ran.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, pool: Callable[[], WorkerPool]) -> None:
        self.loop = loop
        self.pool = pool
        self.members: list[tuple[PanelJob, asyncio.Future[PanelOutcome]]] = []
        self.running: set[asyncio.Task[None]] = set()

    def add(self, job: PanelJob) -> asyncio.Future[PanelOutcome]:
        future: asyncio.Future[PanelOutcome] = self.loop.create_future()
        if not self.members:
            self.loop.call_soon(self._flush)
        self.members.append((job, future))
        return future

    def take(
        self, pending: set[asyncio.Future[PanelOutcome]]
    ) -> list[tuple[contextvars.Context, PanelJob]]:
        """The jobs not sent to a thread yet, if they are all that ``pending`` waits for.

        Taken jobs leave the group and ``pending``: the caller runs them (each in its
        own copy of the context, as the group would) and gives their outcomes.
        """
        futures = {future for _, future in self.members}
        if not futures or pending - futures:
            return []
        pending.difference_update(futures)
        members, self.members = self.members, []
        return [(contextvars.copy_context(), job) for job, _ in members]

    def _flush(self) -> None:
        members, self.members = self.members, []
        if not members:  # taken by the run's last hop
            return
        task = self.loop.create_task(self._run(members))
        self.running.add(task)
        task.add_done_callback(self.running.discard)

        def cancelled(_: asyncio.Future[PanelOutcome]) -> None:
            # The page gave up on every job of the group: give up the thread too.
            if all(future.cancelled() for _, future in members):
                task.cancel()

        for _, future in members:
            future.add_done_callback(cancelled)

    async def _run(self, members: list[tuple[PanelJob, asyncio.Future[PanelOutcome]]]) -> None:
        wanted = [(job, future) for job, future in members if not future.done()]
        if not wanted:
            return
        try:
            outcomes = await bulkhead.await_group_in_pool(self.pool(), [job for job, _ in wanted])
        except asyncio.CancelledError:
            for _, future in wanted:
                future.cancel()
            raise
        except Exception as exc:  # the pool refused work: each job reports it, as alone
            for _, future in wanted:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), outcome in zip(wanted, outcomes, strict=True):
            if not future.done():
                future.set_result(outcome)


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
        group = _QuickGroup(loop, lambda: pools[0])

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
