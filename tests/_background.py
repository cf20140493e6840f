"""Waiting for the panel cache's background refreshes (tests and benchmarks)."""

from __future__ import annotations

from dj_layouts.cache import refresh
from dj_layouts.executors import poll


def drain_background(timeout: float = 10.0) -> None:
    """Wait for the background refreshes started so far.

    Raises ``TimeoutError`` when they are not done within ``timeout`` seconds.
    """
    if poll(lambda: (not refresh.refreshing) or None, timeout=timeout, interval=0.002) is None:
        raise TimeoutError(f"Refreshes still running after {timeout} s: {list(refresh.refreshing)}")


def running_refreshes() -> int:
    """How many background refreshes are under way (or starting)."""
    return len(refresh.refreshing)
