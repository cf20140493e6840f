"""Timing helpers shared by the benchmark groups."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

#: CPU seconds each repeat of a CPU measurement runs for, at least.
CPU_BUDGET = 0.25
REPEATS = 5


def cpu_us(call: Callable[[], Any], *, budget: float = CPU_BUDGET, repeats: int = REPEATS) -> float:
    """CPU microseconds one ``call()`` costs (the whole process, worker threads included).

    The best of ``repeats`` runs: other load on the machine only ever adds time.
    """
    for _ in range(3):
        call()
    loops = calibrate(call, budget)
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        for _ in range(loops):
            call()
        best = min(best, (time.process_time() - started) / loops)
    return best * 1e6


def calibrate(call: Callable[[], Any], budget: float) -> int:
    loops = 1
    while True:
        started = time.process_time()
        for _ in range(loops):
            call()
        spent = time.process_time() - started
        if spent >= budget / 10 or loops >= 1 << 20:
            return max(1, int(loops * budget / max(spent, 1e-9)))
        loops *= 4


async def acpu_us(
    call: Callable[[], Awaitable[Any]], *, budget: float = CPU_BUDGET, repeats: int = REPEATS
) -> float:
    """``cpu_us`` for a coroutine function, awaited one call after another on this loop."""
    for _ in range(3):
        await call()
    loops = 1
    while True:
        started = time.process_time()
        for _ in range(loops):
            await call()
        spent = time.process_time() - started
        if spent >= budget / 10 or loops >= 1 << 20:
            loops = max(1, int(loops * budget / max(spent, 1e-9)))
            break
        loops *= 4
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        for _ in range(loops):
            await call()
        best = min(best, (time.process_time() - started) / loops)
    return best * 1e6


async def awall_s(call: Callable[[], Awaitable[Any]], *, runs: int = 15, warmup: int = 3) -> float:
    """Median wall-clock seconds of one awaited ``call()``."""
    for _ in range(warmup):
        await call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def percentile(samples: list[float], fraction: float) -> float:
    """The ``fraction`` percentile (nearest rank) of ``samples``."""
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]
