"""The async run of the pooled executors: tasks merged as they finish, quick jobs grouped.

``TaskStream`` is the ``AsyncPanelRun`` that ``GatherExecutor`` and ``ThreadedExecutor``
hand back on an event loop (and that user-written executors may use); ``QuickGroup``
gives quick sync jobs started together one thread hop, or the page's last hop.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from dj_layouts.executors import bulkhead
from dj_layouts.executors.base import AsyncPanelRun, PanelJob, PanelOutcome
from dj_layouts.executors.workers import WorkerPool

T = TypeVar("T")


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
        quick: QuickGroup | None = None,
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


class QuickGroup:
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
