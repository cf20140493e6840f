"""The executor protocol: what a panel job offers and what an executor hands back.

An executor never decides *what* a panel renders. It receives ``PanelJob``s and
hands back one ``PanelOutcome`` per job as each completes, through a run
(``PanelRun`` from sync code, ``AsyncPanelRun`` on an event loop). A run can take
more jobs while it is going (``add``): a page starts its eager panels, runs the
content view, then adds the rest to the same run, so every page merges its panels
in one place.
"""

from __future__ import annotations

import abc
import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from dj_layouts.errors import PanelError, PanelTimeout

if TYPE_CHECKING:
    from dj_layouts.queues import QueueCollector

T = TypeVar("T")


@dataclass
class PanelOutcome:
    """What one panel produced: its HTML and queue items, or its error."""

    index: int
    name: str
    html: str = ""
    queues: QueueCollector | None = None
    error: PanelError | None = None
    #: Whether the HTML came from the panel cache without rendering.
    cached: bool = False
    #: When the panel started (``time.perf_counter()``) and how long it took, in seconds.
    started: float = 0.0
    elapsed: float = 0.0
    #: The name of the thread it ran in.
    thread: str = ""
    #: SQL queries it ran, when counted (pages whose timing is wanted), in whatever
    #: thread: its own, or those its ``sync_to_async`` calls went to.
    queries: int | None = None
    #: Those queries by the name of the thread that ran them.
    query_threads: dict[str, int] = field(default_factory=dict)


class PanelJob:
    """One panel, ready to run. ``run``/``arun`` never raise: errors become outcomes."""

    __slots__ = (
        "_arun",
        "_probe",
        "_run",
        "_timed_out",
        "in_thread",
        "index",
        "is_async",
        "key",
        "name",
        "quick",
        "timeout",
    )

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
        key: str = "",
        in_thread: bool | None = None,
        quick: bool = False,
    ) -> None:
        self.index = index
        self.name = name
        self.is_async = is_async
        self.timeout = timeout
        self._run = run
        self._arun = arun
        self._timed_out = timed_out
        self._probe = probe
        #: What the job renders (layout, panel, source): timeouts are counted per key.
        self.key = key or name
        #: Whether the job runs sync code that may block (so in a worker thread when
        #: panels overlap); literal HTML and async panels do not.
        self.in_thread = (not is_async) if in_thread is None else in_thread
        #: A sync job measured to take far less than a thread hop costs: on an event
        #: loop, quick jobs started together may share one worker thread, one after another.
        self.quick = quick

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

    def timed_out(self, exc: PanelTimeout | None = None) -> PanelOutcome:
        """The outcome of a job that did not answer in time (or, given ``exc``, was not run)."""
        if exc is None:
            assert self.timeout is not None
            exc = PanelTimeout(self.name, self.timeout)
        return self._timed_out(exc)


def in_definition_order(outcomes: Iterable[PanelOutcome]) -> list[PanelOutcome]:
    return sorted(outcomes, key=lambda outcome: outcome.index)


class PanelRun(abc.ABC):
    """The outcomes of jobs started from sync code, in completion order.

    Iterating yields one outcome per job added so far; ``close`` gives up on the
    rest (queued jobs never start; running threads are abandoned).
    """

    @abc.abstractmethod
    def add(self, jobs: Sequence[PanelJob]) -> None:
        """Start more jobs in this run."""

    @abc.abstractmethod
    def __next__(self) -> PanelOutcome: ...

    def __iter__(self) -> Iterator[PanelOutcome]:
        return self

    @abc.abstractmethod
    def close(self) -> None:
        """Give up on what has not finished."""


class AsyncPanelRun(abc.ABC):
    """The outcomes of jobs started on an event loop, in completion order.

    ``aclose`` (or cancelling the task that waits on it) cancels what still runs.
    """

    @abc.abstractmethod
    def add(self, jobs: Sequence[PanelJob]) -> None:
        """Start more jobs in this run."""

    @abc.abstractmethod
    async def __anext__(self) -> PanelOutcome: ...

    def __aiter__(self) -> AsyncPanelRun:
        return self

    def ready(self) -> bool:
        """Whether the next outcome can be had without waiting (streams flush otherwise)."""
        return False

    async def afinish(
        self,
        then: Callable[[list[PanelOutcome]], T],
        hop: Callable[[Callable[[], T]], Awaitable[T]],
    ) -> T:
        """Every outcome, then ``then(outcomes)`` through ``hop`` (one thread hop: it blocks).

        A run may do work of its own in that same hop instead of a hop of its own:
        the built-in runs render their quick sync jobs there when nothing else runs.
        """
        outcomes = [outcome async for outcome in self]
        return await hop(lambda: then(outcomes))

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Cancel what still runs."""


class PanelExecutor(abc.ABC):
    """Base class for executors. Override ``start`` (sync views) and ``astart`` (async views).

    Both must begin running the jobs before they return, and the iterator they
    return must yield exactly one outcome per job, in any order. A job with a
    ``timeout`` that has not finished in time yields ``job.timed_out()``.
    Closing the async iterator early must cancel what is still running.

    The page drives an executor through ``open``/``aopen``, which the built-in
    executors implement natively; for an executor that only implements
    ``start``/``astart``, the base class merges the iterators those return.
    """

    #: Whether panels overlap in time; eager panels need this.
    concurrent: bool = False

    @abc.abstractmethod
    def start(self, jobs: Sequence[PanelJob]) -> Iterator[PanelOutcome]:
        """Start ``jobs`` from sync code; iterate to get outcomes as they complete."""

    @abc.abstractmethod
    def astart(self, jobs: Sequence[PanelJob]) -> AsyncIterator[PanelOutcome]:
        """Start ``jobs`` on the running event loop; iterate to get outcomes as they complete."""

    def open(self, jobs: Sequence[PanelJob] = ()) -> PanelRun:
        """A run that starts ``jobs`` now and takes more with ``add``."""
        return ChainedRun(self, jobs)

    def aopen(self, jobs: Sequence[PanelJob] = ()) -> AsyncPanelRun:
        """Like ``open``, on the running event loop."""
        return MergedAsyncRun(self, jobs)

    def run(self, jobs: Sequence[PanelJob]) -> list[PanelOutcome]:
        """Run every job; outcomes in definition order."""
        return in_definition_order(self.open(jobs))

    async def arun(self, jobs: Sequence[PanelJob]) -> list[PanelOutcome]:
        """Run every job on the running loop; outcomes in definition order."""
        run = self.aopen(jobs)
        try:
            return in_definition_order([outcome async for outcome in run])
        finally:
            await run.aclose()


# -- runs over executors that only implement start/astart (user-written ones) --------------
class ChainedRun(PanelRun):
    """Each ``add`` starts a batch with ``executor.start``; batches are read in turn."""

    def __init__(self, executor: PanelExecutor, jobs: Sequence[PanelJob]) -> None:
        self.executor = executor
        self.batches: list[Iterator[PanelOutcome]] = []
        self.current: Iterator[PanelOutcome] = iter(())
        if jobs:
            self.add(jobs)

    def add(self, jobs: Sequence[PanelJob]) -> None:
        if jobs:
            self.batches.append(self.executor.start(jobs))
            self.current = itertools.chain(self.current, self.batches[-1])

    def __next__(self) -> PanelOutcome:
        return next(self.current)

    def close(self) -> None:
        for batch in self.batches:
            close = getattr(batch, "close", None)
            if close is not None:
                close()


class MergedAsyncRun(AsyncPanelRun):
    """Each ``add`` starts a batch with ``executor.astart``; outcomes merge as they come."""

    def __init__(self, executor: PanelExecutor, jobs: Sequence[PanelJob]) -> None:
        self.executor = executor
        self.queue: asyncio.Queue[PanelOutcome | BaseException] = asyncio.Queue()
        self.pumps: list[asyncio.Task[None]] = []
        self.sources: list[AsyncIterator[PanelOutcome]] = []
        self.expected = 0
        self.received = 0
        if jobs:
            self.add(jobs)

    def add(self, jobs: Sequence[PanelJob]) -> None:
        if not jobs:
            return
        source = self.executor.astart(jobs)
        self.sources.append(source)
        self.expected += len(jobs)
        self.pumps.append(asyncio.ensure_future(self._pump(source)))

    async def _pump(self, source: AsyncIterator[PanelOutcome]) -> None:
        try:
            async for outcome in source:
                self.queue.put_nowait(outcome)
        except Exception as exc:  # an executor's own bug: surface it to the reader
            self.queue.put_nowait(exc)

    def ready(self) -> bool:
        return not self.queue.empty()

    async def __anext__(self) -> PanelOutcome:
        if self.received >= self.expected:
            raise StopAsyncIteration
        try:
            item = await self.queue.get()
        except BaseException:
            await self.aclose()
            raise
        if isinstance(item, BaseException):
            raise item
        self.received += 1
        return item

    async def aclose(self) -> None:
        for pump in self.pumps:
            pump.cancel()
        await asyncio.gather(*self.pumps, return_exceptions=True)
        for source in self.sources:
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                await aclose()
