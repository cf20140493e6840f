"""The thread pools, one per kind of work (bulkheads), and the helpers that use them.

Panels calling upstreams can hang; cache I/O and background refreshes must stay
fast. Each gets a bounded pool of its own, so one can never starve another:

- ``panel_pool()``: sync panels (``DJ_LAYOUTS["SYNC_PANEL_WORKERS"]``);
- ``io_pool()``: cache reads and writes made off the event loop;
- ``refresh_pool()``: stale-while-revalidate refreshes in the background.

They are ``WorkerPool``s (``workers.py``): daemon threads, so a process exits
promptly even while threads given up on hung panels still run. ``stats()`` reads
the figures.

Nothing outside the ``executors`` package starts threads, tasks or sleep loops:
the cache and the list source call the helpers below.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import connections

from dj_layouts.conf import get_settings
from dj_layouts.executors.breaker import BREAKERS
from dj_layouts.executors.workers import ABANDONED, WorkerPool

if TYPE_CHECKING:
    from dj_layouts.executors.base import PanelJob, PanelOutcome

T = TypeVar("T")

# Read once: os.cpu_count() is a system call, and this runs for every page.
_DEFAULT_WORKERS = max(32, (os.cpu_count() or 1) + 4)


def close_thread_connections() -> None:
    # Worker threads outlive the panel; a connection left open would leak.
    for conn in connections.all(initialized_only=True):
        conn.close()


def in_transaction() -> bool:
    """Whether this thread holds a transaction open on any database."""
    return any(conn.in_atomic_block for conn in connections.all(initialized_only=True))


def run_closing_its_connections(job: PanelJob) -> PanelOutcome:
    """Run a job in a thread that is not its own: close only the connections it opened."""
    already = {id(conn) for conn in connections.all(initialized_only=True) if conn.connection}
    try:
        return job.run()
    finally:
        for conn in connections.all(initialized_only=True):
            if conn.connection is not None and id(conn) not in already:
                conn.close()


def run_in_worker(job: PanelJob) -> PanelOutcome:
    """Run a job in a worker thread and close the DB connections it opened."""
    try:
        return job.run()
    finally:
        close_thread_connections()


class _Pools:
    """The process's pools, made on first use and remade when their size setting changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pools: dict[str, WorkerPool] = {}

    def get(self, kind: str, size: int) -> WorkerPool:
        with self._lock:
            found = self._pools.get(kind)
            if found is not None and found.max_workers == size:
                return found
            pool = WorkerPool(size, name=kind)
            self._pools[kind] = pool
            if found is not None:
                found.shutdown(wait=False)
            return pool

    def sizes(self) -> dict[str, int]:
        with self._lock:
            return {kind: pool.max_workers for kind, pool in sorted(self._pools.items())}


_pools = _Pools()


def panel_pool() -> WorkerPool:
    """The pool sync panels share (size: ``DJ_LAYOUTS["SYNC_PANEL_WORKERS"]``, default 32)."""
    return _pools.get("panel", get_settings().SYNC_PANEL_WORKERS or _DEFAULT_WORKERS)


#: The name the first version used for the panel pool.
shared_pool = panel_pool


def io_pool() -> WorkerPool:
    """The pool for cache I/O made off the event loop (``CACHE_IO_WORKERS``)."""
    return _pools.get("io", get_settings().CACHE_IO_WORKERS)


def refresh_pool() -> WorkerPool:
    """The pool for background refreshes (``REFRESH_WORKERS``)."""
    return _pools.get("refresh", get_settings().REFRESH_WORKERS)


@dataclass(frozen=True)
class ExecutorStats:
    """The process's bulkhead figures (``dj_layouts.executors.stats()``)."""

    #: Threads given up on (their panel timed out or its page closed) that still run.
    abandoned_now: int
    #: Threads given up on since the process started.
    abandoned_total: int
    #: Extra threads started in place of abandoned ones, now.
    replacement_threads: int
    #: The most such threads at once (``MAX_ABANDONED_THREADS``).
    max_abandoned: int
    #: Sources (``PanelJob.key``) whose circuit breaker is open now.
    open_circuits: tuple[str, ...]
    #: Circuits opened since the process started.
    circuits_opened_total: int
    #: Jobs failed fast by an open circuit since the process started.
    refused_total: int
    #: Pool sizes by kind ("io", "panel", "refresh"), for the pools made so far.
    pool_sizes: dict[str, int]


def stats() -> ExecutorStats:
    """The bulkhead figures of this process, for a health check, a metric or a test."""
    return ExecutorStats(
        abandoned_now=ABANDONED.now,
        abandoned_total=ABANDONED.total,
        replacement_threads=ABANDONED.granted,
        max_abandoned=get_settings().MAX_ABANDONED_THREADS,
        open_circuits=BREAKERS.open_sources(),
        circuits_opened_total=BREAKERS.opened_total,
        refused_total=BREAKERS.refused_total,
        pool_sizes=_pools.sizes(),
    )


def _closing(func: Callable[[], T]) -> Callable[[], T]:
    def call() -> T:
        try:
            return func()
        finally:
            close_thread_connections()

    return call


async def arun_io(func: Callable[[], T]) -> T:
    """Run blocking cache I/O on the I/O pool without blocking the event loop."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    return await loop.run_in_executor(io_pool(), context.run, _closing(func))


def submit_background(func: Callable[[], Any]) -> Future[Any]:
    """Run ``func`` on the refresh pool; the caller does not wait for it."""
    return refresh_pool().submit(contextvars.copy_context().run, _closing(func))


async def agather(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    """Await all, results in order; the first failure cancels the rest and is raised."""
    tasks = [asyncio.ensure_future(awaitable) for awaitable in awaitables]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def poll(check: Callable[[], T | None], *, timeout: float, interval: float) -> T | None:
    """Call ``check`` until it returns something other than None, or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found is not None:
            return found
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        time.sleep(min(interval, remaining))


async def apoll(
    check: Callable[[], Awaitable[T | None]], *, timeout: float, interval: float
) -> T | None:
    """Like ``poll``, awaiting ``check`` and sleeping on the event loop."""
    deadline = time.monotonic() + timeout
    while True:
        found = await check()
        if found is not None:
            return found
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        await asyncio.sleep(min(interval, remaining))
