"""Single flight: one piece of work per key in this process, which others can wait for.

The panel cache uses it so that concurrent misses of one entry render it once:
the first request to ``board()`` a key leads and does the work; the others wait
for what it ``land()``s, from sync code (``wait``) or async code (``await_``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Hashable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any


class Flight:
    """One piece of work under way in this process, which other requests can wait for."""

    __slots__ = ("future",)

    def __init__(self) -> None:
        self.future: Future[Any] = Future()
        # A running future cannot be cancelled by one waiter for all the others.
        self.future.set_running_or_notify_cancel()

    def wait(self, timeout: float) -> Any:
        """What the leader landed, or None when it takes longer than ``timeout`` seconds."""
        try:
            return self.future.result(timeout)
        except FutureTimeout:
            return None

    async def await_(self, timeout: float) -> Any:
        """``wait()`` without blocking the event loop."""
        try:
            return await asyncio.wait_for(asyncio.wrap_future(self.future), timeout)
        except asyncio.TimeoutError:
            return None


class FlightBoard:
    """The flights under way, by key. Safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[Hashable, Flight] = {}

    def board(self, key: Hashable) -> tuple[Flight, bool]:
        """The flight for ``key`` and whether the caller leads it (it must then ``land``)."""
        with self._lock:
            flight = self._flights.get(key)
            if flight is not None:
                return flight, False
            flight = self._flights[key] = Flight()
            return flight, True

    def land(self, key: Hashable, flight: Flight, result: Any) -> None:
        """End the leader's flight: its waiters get ``result``; the next ``board`` leads anew."""
        with self._lock:
            del self._flights[key]  # only its leader lands a flight, once
        flight.future.set_result(result)

    def __len__(self) -> int:
        return len(self._flights)
