"""How the executors start a job and give up on it: circuit breakers, deadlines, abandonment.

Every built-in executor starts a job through ``refused`` (its source's circuit
breaker) and runs a sync job through ``wait_in_pool``/``await_in_pool``, so the
accounting holds whichever executor a layout uses.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Awaitable
from concurrent.futures import CancelledError, Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from dj_layouts.errors import PanelCircuitOpen, PanelThreadsExhausted
from dj_layouts.executors.base import PanelJob, PanelOutcome
from dj_layouts.executors.breaker import BREAKERS
from dj_layouts.executors.pools import in_transaction, run_closing_its_connections, run_in_worker
from dj_layouts.executors.workers import PoolExhausted, WorkerPool

logger = logging.getLogger("dj_layouts.executors")


def refused(job: PanelJob) -> PanelOutcome | None:
    """The outcome of a job whose source's circuit is open; None when it may run."""
    if job.timeout is None:  # it cannot time out, so it never trips a breaker
        return None
    retry_in = BREAKERS.refuses(job.key)
    if retry_in is None:
        return None
    return job.timed_out(PanelCircuitOpen(job.name, job.timeout, key=job.key, retry_in=retry_in))


def answered(job: PanelJob) -> None:
    if job.timeout is not None:
        BREAKERS.answered(job.key)


def timed_out(job: PanelJob) -> PanelOutcome:
    BREAKERS.timed_out(job.key)
    return job.timed_out()


def submit(pool: WorkerPool, job: PanelJob) -> Future[PanelOutcome] | PanelOutcome:
    """Queue a sync job; it never starts once its timeout has passed."""
    deadline = None if job.timeout is None else time.monotonic() + job.timeout
    try:
        return pool.submit_until(deadline, contextvars.copy_context().run, run_in_worker, job)
    except PoolExhausted as exc:
        return job.timed_out(PanelThreadsExhausted(job.name, job.timeout or 0.0, str(exc)))


def give_up(pool: WorkerPool, future: Future[Any], job: PanelJob, *, why: str) -> bool:
    """Stop waiting for ``future``: never start it if queued, else count its thread as abandoned.

    True when a running thread was abandoned (the source's fault, for its breaker).
    """
    if future.cancel():
        return False
    count = pool.abandon(future)
    if count is None:  # it finished meanwhile
        return False
    logger.warning(
        "Gave up on panel %r (source %r) %s; its thread keeps running. "
        "Threads given up in this process and still running: %d.",
        job.name,
        job.key,
        why,
        count,
    )
    return True


def _timeout_reason(job: PanelJob) -> str:
    return f"after its {job.timeout:g} s timeout"


def wait_in_pool(pool: WorkerPool, job: PanelJob) -> PanelOutcome:
    """Run a sync job with a timeout in the pool, from sync code."""
    started = submit(pool, job)
    if isinstance(started, PanelOutcome):
        return started
    try:
        outcome = started.result(timeout=job.timeout)
    except (FutureTimeout, CancelledError):
        return settle(pool, started, job)
    answered(job)
    return outcome


def settle(pool: WorkerPool, future: Future[PanelOutcome], job: PanelJob) -> PanelOutcome:
    """The outcome of a job whose deadline passed (queued, running or dropped by the pool)."""
    if give_up(pool, future, job, why=_timeout_reason(job)):
        return timed_out(job)
    return job.timed_out()


def collect(job: PanelJob, future: Future[PanelOutcome]) -> PanelOutcome:
    """The outcome of a finished future: the pool drops a job whose deadline passed in queue."""
    if future.cancelled():
        return job.timed_out()
    answered(job)
    return future.result()


async def await_in_pool(pool: WorkerPool, job: PanelJob) -> PanelOutcome:
    """Run a sync job in the pool from the event loop; cancelling it gives the thread up."""
    started = submit(pool, job)
    if isinstance(started, PanelOutcome):
        return started
    waiting = asyncio.wrap_future(started)
    try:
        done, _ = await asyncio.wait({waiting}, timeout=job.timeout)
    except asyncio.CancelledError:
        waiting.cancel()
        give_up(pool, started, job, why="when its page was cancelled")
        raise
    if not done:
        waiting.cancel()
        return settle(pool, started, job)
    return collect(job, started)


def _run_group(members: list[tuple[contextvars.Context, PanelJob]]) -> list[PanelOutcome]:
    # Each job as if it had a thread of its own: its own context, its own connections.
    return [context.run(run_in_worker, job) for context, job in members]


def run_group_here(
    pool: WorkerPool, members: list[tuple[contextvars.Context, PanelJob]]
) -> list[PanelOutcome]:
    """Run quick sync jobs in the calling thread (a hop the page takes anyway), in order.

    Not inside a transaction the thread holds open: a panel never sees uncommitted
    writes of its page, so then the jobs go to a pool thread as usual (and this waits).
    """
    if in_transaction():
        try:
            return pool.submit(_run_group, members).result()
        except PoolExhausted as exc:
            return [
                job.timed_out(PanelThreadsExhausted(job.name, 0.0, str(exc))) for _, job in members
            ]
    return [context.run(run_closing_its_connections, job) for context, job in members]


async def await_group_in_pool(pool: WorkerPool, jobs: list[PanelJob]) -> list[PanelOutcome]:
    """Run quick sync jobs (no timeout) one after another in one pool thread: one hop for all.

    Outcomes in the order of ``jobs``; each job runs in its own copy of the context.
    """
    members = [(contextvars.copy_context(), job) for job in jobs]
    try:
        future = pool.submit(_run_group, members)
    except PoolExhausted as exc:
        return [job.timed_out(PanelThreadsExhausted(job.name, 0.0, str(exc))) for job in jobs]
    try:
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        give_up(pool, future, jobs[0], why="when its page was cancelled")
        raise


async def with_timeout(job: PanelJob, awaitable: Awaitable[PanelOutcome]) -> PanelOutcome:
    """Await an async job; one past its timeout is cancelled and counts for its breaker."""
    if job.timeout is None:
        return await awaitable
    try:
        outcome = await asyncio.wait_for(awaitable, job.timeout)
    except asyncio.TimeoutError:
        return timed_out(job)
    answered(job)
    return outcome
