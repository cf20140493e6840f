"""The one logic body of a cached panel: hit, stale hit, miss under a lock, waiting.

Written once as generators that yield the operations they need (``driver``), so
that the sync and async shells of ``PanelCache`` only say how each is done.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from dj_layouts.cache.driver import ADD, GET, LEASE, RELEASE, RENDER, REVALIDATE, SET, WAIT, Flow
from dj_layouts.cache.lock import FAILED, TAKEN, lease_seconds
from dj_layouts.executors import FlightBoard

if TYPE_CHECKING:
    from dj_layouts.cache.entry import PanelCache

#: The renders of cache entries under way in this process, by (alias, key, fingerprint, level).
flights = FlightBoard()


def lookup(cache: PanelCache) -> Flow[str]:
    """The panel's HTML: from its entry, or rendered and stored."""
    prefetched = cache.take_prefetched()
    entry = cache.usable(prefetched) if prefetched is not None else None
    found: dict[str, Any] = prefetched or {}
    if entry is None:
        # Not what probe() read: a job can wait in a pool's queue for a while.
        found = yield (GET, [cache.key, cache.generation_key])
        entry = cache.usable(found)
    if entry is not None:
        if time.time() >= entry["fresh_until"]:
            yield (REVALIDATE,)
        return cache.replay(entry)
    return (yield from _single_flight(cache, found.get(cache.generation_key)))


def _single_flight(cache: PanelCache, generation: Any) -> Flow[str]:
    """A miss: one request of this process renders; the others wait for its outcome."""
    level = 0
    while True:
        flight_id = (*cache.ident, level)
        flight, leader = flights.board(flight_id)
        if leader:
            break
        outcome = yield (WAIT, flight, cache.lock_timeout)
        if isinstance(outcome, dict):
            return cache.replay(outcome)
        if outcome == FAILED:
            # Like an uncached panel: each request tries for itself, side by side.
            return (yield from _render_and_store(cache, generation))
        # Too slow, or its request went away: line up behind the next one in line,
        # so that one request of this process, not all of them, takes over.
        level += 1
    landed: Any = None
    try:
        html = yield from _locked_render(cache, generation, waited=level > 0)
        landed = {"html": html, "queues": cache.queues.dump()}
        return html
    except Exception:
        landed = FAILED
        raise
    finally:
        flights.land(flight_id, flight, landed)


def _locked_render(cache: PanelCache, generation: Any, *, waited: bool) -> Flow[str]:
    """Render under the cache lock, or wait for whoever holds it (``lock``)."""
    lock, token = cache.lock_key, uuid.uuid4().hex
    # After a wait, the entry may be there by now: look before taking the lock.
    if waited or not (yield (ADD, lock, token, lease_seconds(cache.lock_timeout))):
        outcome = yield (LEASE, token)
        if isinstance(outcome, dict):
            return cache.replay(outcome)
        if outcome != TAKEN:
            # The holder failed, or its lease never ran out: render without the lock.
            return (yield from _render_and_store(cache, generation))
    try:
        html = yield from _render_and_store(cache, generation)
    except GeneratorExit:
        raise  # abandoned: no more cache I/O; the lease runs out by itself
    except Exception:
        yield (RELEASE, lock, token, True)
        raise
    except BaseException:
        yield (RELEASE, lock, token, False)  # cancelled: the next waiter takes over
        raise
    yield (RELEASE, lock, token, False)
    return html


def lease_check(cache: PanelCache, token: str) -> Flow[Any]:
    """One look at another holder's lock: the entry it stored, ``FAILED``, ``TAKEN`` or None.

    The lock first: a holder stores its entry before it lets go.
    """
    found = yield (GET, [cache.lock_key, cache.key, cache.generation_key])
    entry = cache.usable(found)
    if entry is not None:
        return entry
    holder = found.get(cache.lock_key)
    if holder == FAILED:
        return FAILED
    if holder is None and (yield (ADD, cache.lock_key, token, lease_seconds(cache.lock_timeout))):
        return TAKEN
    return None


def _render_and_store(cache: PanelCache, generation: Any) -> Flow[str]:
    html = yield (RENDER,)
    if cache.in_time():
        yield (SET, cache.key, cache.entry(html, generation), cache.ttl())
    return str(html)
