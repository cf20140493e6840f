"""Executors: the one place that decides how a page's panels run (SPEC §8).

``base`` holds the protocol (jobs, outcomes, runs), ``builtin`` the three shipped
executors, ``pools`` the bounded thread pools (bulkheads) and the helpers the rest
of the package uses instead of starting threads or tasks of its own.
"""

from __future__ import annotations

from dj_layouts.executors.base import (
    AsyncPanelRun,
    PanelExecutor,
    PanelJob,
    PanelOutcome,
    PanelRun,
    in_definition_order,
)
from dj_layouts.executors.breaker import reset_circuits
from dj_layouts.executors.builtin import (
    GatherExecutor,
    SequentialExecutor,
    ThreadedExecutor,
    coerce_executor,
)
from dj_layouts.executors.flight import Flight, FlightBoard
from dj_layouts.executors.pools import (
    ExecutorStats,
    agather,
    apoll,
    arun_io,
    close_thread_connections,
    io_pool,
    panel_pool,
    poll,
    refresh_pool,
    run_in_worker,
    shared_pool,
    stats,
    submit_background,
)
from dj_layouts.executors.tasks import TaskStream
from dj_layouts.executors.workers import PoolExhausted, WorkerPool

__all__ = [
    "AsyncPanelRun",
    "ExecutorStats",
    "Flight",
    "FlightBoard",
    "GatherExecutor",
    "PanelExecutor",
    "PanelJob",
    "PanelOutcome",
    "PanelRun",
    "PoolExhausted",
    "SequentialExecutor",
    "TaskStream",
    "ThreadedExecutor",
    "WorkerPool",
    "agather",
    "apoll",
    "arun_io",
    "close_thread_connections",
    "coerce_executor",
    "in_definition_order",
    "io_pool",
    "panel_pool",
    "poll",
    "refresh_pool",
    "reset_circuits",
    "run_in_worker",
    "shared_pool",
    "stats",
    "submit_background",
]
