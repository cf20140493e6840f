"""Doing one cache operation against a backend, from sync or async code.

In-memory backends answer at once, even on the event loop. Backends with native
async methods (and the database backend) are used through their async API; the
others run on the cache I/O pool, which panel work cannot starve.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import BaseCache
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache

from dj_layouts.cache.driver import ADD, GET, SET, Op
from dj_layouts.cache.lock import arelease, release
from dj_layouts.executors import arun_io


def inline_io(cache: BaseCache) -> bool:
    """In-memory backends answer at once: no need to leave the event loop for them."""
    return isinstance(cache, (LocMemCache, DummyCache))


def async_api(cache: BaseCache) -> bool:
    """Whether to use the backend's own async methods rather than a worker thread.

    Backends with native async methods, and the database backend, whose thread-
    sensitive default keeps connections where Django manages them.
    """
    return isinstance(cache, DatabaseCache) or type(cache).aget_many is not BaseCache.aget_many


def perform(cache: BaseCache, op: Op) -> Any:
    """Do the cache operation ``op`` (GET, ADD, SET or RELEASE) from sync code."""
    kind = op[0]
    if kind == GET:
        return cache.get_many(op[1])
    if kind == ADD:
        return cache.add(op[1], op[2], op[3])
    if kind == SET:
        return cache.set(op[1], op[2], op[3])
    return release(cache, op[1], op[2], op[3])


async def aperform(cache: BaseCache, op: Op) -> Any:
    """Do the cache operation ``op`` from async code, never blocking the event loop."""
    if inline_io(cache):
        return perform(cache, op)
    if not async_api(cache):
        # Django's default async methods queue every call on one shared thread;
        # the cache I/O pool runs them side by side, apart from panel work.
        return await arun_io(lambda: perform(cache, op))
    kind = op[0]
    if kind == GET:
        return await cache.aget_many(op[1])
    if kind == ADD:
        return await cache.aadd(op[1], op[2], op[3])
    if kind == SET:
        return await cache.aset(op[1], op[2], op[3])
    return await arelease(cache, op[1], op[2], op[3])
