"""The operations a cache flow yields, and the loop that drives a flow (sync or async).

A flow (``PanelCache.flow``) is a generator: it yields what it needs done as
``(kind, *args)`` and gets the answer back, so its logic is written once. The
``Driver`` sends the answers back; the sync and async shells only say how each
operation is done. When the backend fails, the driver logs it once and answers
every later cache operation of the request as if the backend were empty, so the
panel renders without its cache.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar, cast

logger = logging.getLogger("dj_layouts")

T = TypeVar("T")

Op = tuple[Any, ...]
Flow = Generator[Op, Any, T]

#: Cache operations: ``(GET, keys)``, ``(ADD, key, value, ttl)``, ``(SET, key, value, ttl)``,
#: ``(RELEASE, lock, token, failed)``.
GET, ADD, SET, RELEASE = "get", "add", "set", "release"
#: ``(LEASE, token)``: wait for another process's lock; ``(RENDER,)``: render the panel;
#: ``(WAIT, flight, timeout)``: wait for this process's render; ``(REVALIDATE,)``: start
#: refreshing a stale entry.
LEASE, RENDER, WAIT, REVALIDATE = "lease", "render", "wait", "revalidate"
# What a cache operation stands for once the backend failed: a miss, a lock of our
# own (so the panel renders), and nothing to store or release.
UNAVAILABLE: dict[str, Any] = {GET: {}, ADD: True, SET: None, RELEASE: None}


class Driver:
    """Drives the flows of one panel cache for one request."""

    __slots__ = ("alias", "down", "name")

    def __init__(self, name: str, alias: str) -> None:
        self.name = name
        self.alias = alias
        self.down = False  # the backend failed during this request: leave it alone

    def run(self, flow: Flow[T], do: Callable[[Op], Any]) -> T:
        """Drive ``flow`` to its end from sync code, ``do(op)`` answering each operation."""
        step = self._step(flow, None, None)
        while not isinstance(step, _Done):
            try:
                value, error = do(step), None
            except BaseException as exc:
                value, error = self._failed(step, exc)
            step = self._step(flow, value, error)
        return cast(T, step.value)

    async def arun(self, flow: Flow[T], ado: Callable[[Op], Awaitable[Any]]) -> T:
        """Drive ``flow`` from async code: ``run()``, awaiting ``ado(op)``."""
        step = self._step(flow, None, None)
        while not isinstance(step, _Done):
            try:
                value, error = await ado(step), None
            except BaseException as exc:
                value, error = self._failed(step, exc)
            step = self._step(flow, value, error)
        return cast(T, step.value)

    def _step(self, flow: Flow[Any], value: Any, error: BaseException | None) -> Op | _Done:
        """Send ``value`` (or throw ``error``) into ``flow``: its next operation, or its end.

        Cache operations of a request whose backend is down are answered here.
        """
        while True:
            try:
                op = flow.send(value) if error is None else flow.throw(error)
            except StopIteration as stop:
                return _Done(stop.value)
            if not (self.down and op[0] in UNAVAILABLE):
                return op
            value, error = UNAVAILABLE[op[0]], None

    def _failed(self, op: Op, exc: BaseException) -> tuple[Any, BaseException | None]:
        """What a failed operation stands for: the panel renders without its cache."""
        if op[0] not in UNAVAILABLE or not isinstance(exc, Exception):
            return None, exc  # the render, a wait, or a cancellation: the flow deals with it
        logger.warning(
            "Panel %r: the cache %r failed (%s: %s); the panel renders without it.",
            self.name, self.alias, type(exc).__name__, exc,
        )  # fmt: skip
        self.down = True  # no more cache operations for this request
        return UNAVAILABLE[op[0]], None


class _Done:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value
