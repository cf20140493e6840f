"""Runs over executors that only implement ``start``/``astart`` (user-written ones)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING

from dj_layouts.executors.base import AsyncPanelRun, PanelJob, PanelOutcome, PanelRun

if TYPE_CHECKING:
    from dj_layouts.executors.base import PanelExecutor


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
