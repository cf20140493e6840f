"""The stampede lock: a lease stored in the cache itself, so that processes share it.

Whoever adds the lock key renders; the others wait for its entry. The lock is a
lease of ``CACHE_LOCK_TIMEOUT`` seconds: when it runs out before the entry
appears, the backend drops it and one waiter takes over. A holder whose render
failed leaves ``FAILED`` for a moment, so that waiters stop waiting and render
for themselves, side by side.
"""

from __future__ import annotations

import math

from django.core.cache import BaseCache

FAILED = "failed"
FAILED_TTL = 1
#: What a waiter's look at the lock found: the lock is now its own.
TAKEN = "taken"
#: How often a waiter looks again at the lock and the entry.
POLL_INTERVAL = 0.02


def lease_seconds(lock_timeout: float) -> int:
    """The lease in whole seconds: most backends keep no less."""
    return max(1, math.ceil(lock_timeout))


def wait_limit(lock_timeout: float) -> float:
    """How long a waiter waits for a lease that should have run out by then."""
    return 2.0 * lease_seconds(lock_timeout) + 1.0


def release(cache: BaseCache, key: str, token: str, failed: bool = False) -> None:
    """Let go of the lock ``key`` if ``token`` still holds it."""
    # One that expired and was taken over stays with its new holder.
    if cache.get(key) == token:
        if failed:
            cache.set(key, FAILED, FAILED_TTL)
        else:
            cache.delete(key)


async def arelease(cache: BaseCache, key: str, token: str, failed: bool = False) -> None:
    """``release()`` through the backend's async API."""
    if await cache.aget(key) == token:
        if failed:
            await cache.aset(key, FAILED, FAILED_TTL)
        else:
            await cache.adelete(key)
