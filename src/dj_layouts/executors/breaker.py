"""Circuit breakers, one per source (``PanelJob.key``): a source that keeps timing out fails fast.

After ``CIRCUIT_BREAKER_FAILURES`` timeouts in a row, the first of them no longer than
``CIRCUIT_BREAKER_WINDOW`` seconds before the last, the source's circuit opens: its
jobs fail at once with ``PanelCircuitOpen``, using no thread, for
``CIRCUIT_BREAKER_COOLDOWN`` seconds. Then one job is let through (half-open): if it
answers in time the circuit closes, if it times out the circuit opens again.
A job that finishes in time, with or without an error, resets the count.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from dj_layouts.conf import get_settings

logger = logging.getLogger("dj_layouts.executors")


@dataclass
class _Source:
    failures: int = 0
    first: float = 0.0
    opened_at: float | None = None
    trial_at: float | None = None


class CircuitBreakers:
    """The process's breakers; a source is tracked only while it has recent timeouts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sources: dict[str, _Source] = {}
        self.opened_total = 0
        self.refused_total = 0

    def refuses(self, key: str) -> float | None:
        """Seconds until ``key`` may be tried again, or None when a job may run now."""
        if not self._sources:  # the common case: no source has timed out
            return None
        with self._lock:
            source = self._sources.get(key)
            if source is None or source.opened_at is None:
                return None
            cooldown = get_settings().CIRCUIT_BREAKER_COOLDOWN
            now = time.monotonic()
            retry_at = source.opened_at + cooldown
            if source.trial_at is not None:
                # One trial at a time; one that never reported frees the slot after a cooldown.
                retry_at = max(retry_at, source.trial_at + cooldown)
            if now < retry_at:
                self.refused_total += 1
                return retry_at - now
            source.trial_at = now  # half-open: this job is the trial
            return None

    def answered(self, key: str) -> None:
        """A job for ``key`` finished in time: its circuit closes."""
        if key not in self._sources:
            return
        with self._lock:
            source = self._sources.pop(key, None)
        if source is not None and source.opened_at is not None:
            logger.info("Source %r answered in time again: its circuit breaker closed.", key)

    def timed_out(self, key: str) -> None:
        """A job for ``key`` ran past its timeout."""
        config = get_settings()
        threshold = config.CIRCUIT_BREAKER_FAILURES
        if threshold is None:
            return
        now = time.monotonic()
        with self._lock:
            source = self._sources.setdefault(key, _Source())
            if source.opened_at is not None:  # the trial failed: open again
                source.opened_at, source.trial_at = now, None
                return
            if source.failures == 0 or now - source.first > config.CIRCUIT_BREAKER_WINDOW:
                source.failures, source.first = 0, now
            source.failures += 1
            if source.failures < threshold:
                return
            source.opened_at = now
            self.opened_total += 1
        logger.warning(
            "Source %r timed out %d times in a row: its circuit breaker is open, its panels "
            "fail fast for %g s (DJ_LAYOUTS['CIRCUIT_BREAKER_COOLDOWN']).",
            key,
            threshold,
            config.CIRCUIT_BREAKER_COOLDOWN,
        )

    def reset(self, key: str | None = None) -> None:
        with self._lock:
            if key is None:
                self._sources.clear()
            else:
                self._sources.pop(key, None)

    def open_sources(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(sorted(k for k, s in self._sources.items() if s.opened_at is not None))


BREAKERS = CircuitBreakers()


def reset_circuits(key: str | None = None) -> None:
    """Close the circuit of source ``key`` (all circuits when None) and forget its timeouts.

    For when an upstream is known to be back (an admin action, a deploy hook), rather
    than waiting for the cool-down.
    """
    BREAKERS.reset(key)
