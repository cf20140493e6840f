"""Panel caching: strategies, the documented keys, stale-while-revalidate and a stampede lock.

``Panel("app:nav", cache=cache.sitewide(timeout=3600))`` stores the panel's HTML
(and the queue items it added) under ``layouts:panel:<name>`` or
``layouts:panel:<name>:<vary>``. Each entry also records which source rendered
it, so a panel of the same name with another source never serves it.

The logic of one lookup (hit, stale hit, miss with a lock, waiting for another
renderer) is written once, in ``PanelCache._flow``: a generator that yields the
cache operations it needs. The sync shell performs them directly; the async shell
performs them without blocking the event loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import hashlib
import inspect
import logging
import math
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Generator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.checks import CheckMessage, Error
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.functional import LazyObject, empty

from dj_layouts._utils import describe, is_async_callable
from dj_layouts.conf import get_settings
from dj_layouts.executors import close_thread_connections, io_pool, refresh_pool
from dj_layouts.panels import CallableSource, ListSource, Panel, Source, to_html

if TYPE_CHECKING:
    from dj_layouts.layout import Layout
    from dj_layouts.queues import QueueCollector

__all__ = [
    "KEY_PREFIX",
    "CacheConfig",
    "ainvalidate_panel",
    "custom",
    "invalidate_panel",
    "make_key",
    "per_path",
    "per_session",
    "per_user",
    "per_user_per_path",
    "sitewide",
]

logger = logging.getLogger("dj_layouts")

KEY_PREFIX = "layouts:panel"
# Locks and generations live outside ``layouts:panel:`` so that no vary part (a
# path such as "/a:lock") can ever produce one of their keys.
_LOCK_PREFIX = "layouts:panel-lock"
_REFRESH_PREFIX = "layouts:panel-refresh"
_GENERATION_PREFIX = "layouts:panel-generation"
# memcached refuses keys over 250 bytes; Django adds ":<version>:" and KEY_PREFIX,
# and the lock keys add a fingerprint.
_MAX_KEY = 200
_POLL_START = 0.005
_POLL_MAX = 0.025
# What a lock holds for a moment after its holder failed: waiters stop waiting.
_FAILED = "failed"
_FAILED_TTL = 1
_ALL: Any = object()


# -- strategies -----------------------------------------------------------------------


def _vary_sitewide(request: HttpRequest) -> str:
    return ""


def _user_id(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return "anonymous"
    return str(user.pk)


def _vary_user(request: HttpRequest) -> str:
    return _user_id(request)


def _vary_path(request: HttpRequest) -> str:
    return request.path


def _vary_user_path(request: HttpRequest) -> str:
    return f"{_user_id(request)}:{request.path}"


def _vary_session(request: HttpRequest) -> str:
    session = getattr(request, "session", None)
    if session is None:
        return "no-session"
    # The page now depends on the session as much as a render that read it would:
    # SessionMiddleware then adds ``Vary: Cookie``, also on a cache hit.
    session.accessed = True
    key = session.session_key
    return str(key) if key else "no-session"


# Key functions that never touch the database: their key can be made on the event loop.
_LOOP_SAFE = frozenset({_vary_sitewide, _vary_path, _vary_session})
# Safe too once ``request.user`` is loaded.
_NEEDS_USER = frozenset({_vary_user, _vary_user_path})


def _user_loaded(request: HttpRequest) -> bool:
    user = request.__dict__.get("user")
    if isinstance(user, LazyObject):
        return user._wrapped is not empty
    return True


def _seconds(value: Any, what: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{where}: {what} must be a number of seconds (0 or more), not {value!r}.")
    if not math.isfinite(value) or value < 0:
        raise ValueError(
            f"{where}: {what} must be a finite number of seconds, 0 or more, not {value!r}."
        )
    return float(value)


@dataclass(frozen=True)
class CacheConfig:
    """How one panel is cached. Made by ``sitewide()``, ``per_user()``, ... or ``custom()``.

    ``key_func(request)`` returns the vary part of the key (``""``: one entry).
    ``timeout`` is how long an entry is fresh; during the ``stale_ttl`` seconds
    after that it is still served, while one background refresh replaces it.
    ``refresh_func(request)``, when given, is what that refresh calls instead of the
    panel's source. ``backend`` names a ``CACHES`` alias (default:
    ``DJ_LAYOUTS["CACHE_BACKEND"]``).
    """

    key_func: Callable[[HttpRequest], str]
    timeout: float
    backend: str | None = None
    stale_ttl: float = 0
    refresh_func: Callable[..., Any] | None = None
    strategy: str = "custom"
    refresh_is_async: bool = field(init=False, repr=False, compare=False, default=False)

    def __post_init__(self) -> None:
        where = f"cache.{self.strategy}()"
        if not callable(self.key_func):
            raise TypeError(f"{where}: key_func must be callable, not {self.key_func!r}.")
        if is_async_callable(self.key_func):
            raise TypeError(
                f"{where}: key_func {describe(self.key_func)} is async; it must be a plain "
                "function that returns the key's vary part as a str."
            )
        object.__setattr__(self, "timeout", _seconds(self.timeout, "timeout", where))
        object.__setattr__(self, "stale_ttl", _seconds(self.stale_ttl, "stale_ttl", where))
        if self.backend is not None and (not isinstance(self.backend, str) or not self.backend):
            raise TypeError(
                f"{where}: backend must be the alias of a CACHES entry, not {self.backend!r}."
            )
        if self.refresh_func is not None:
            if not callable(self.refresh_func):
                raise TypeError(
                    f"{where}: refresh_func must be callable, not {self.refresh_func!r}."
                )
            object.__setattr__(self, "refresh_is_async", is_async_callable(self.refresh_func))

    def vary(self, request: HttpRequest) -> str:
        """The vary part of the key for ``request``."""
        value = self.key_func(request)
        if not isinstance(value, str):
            raise TypeError(
                f"The key_func {describe(self.key_func)} of cache.{self.strategy}() must "
                f"return a str, not {value!r}."
            )
        return value

    def make_key(self, panel_name: str, request: HttpRequest) -> str:
        """The full cache key of ``panel_name``'s entry for ``request``."""
        return make_key(panel_name, self.vary(request))

    def loop_safe(self, request: HttpRequest) -> bool:
        """Whether the key can be made on the event loop without touching the database."""
        if self.key_func in _LOOP_SAFE:
            return True
        return self.key_func in _NEEDS_USER and _user_loaded(request)

    def alias(self) -> str:
        return self.backend or get_settings().CACHE_BACKEND

    def check(self, where: str) -> list[CheckMessage]:
        """System check messages for this config, ``where`` naming the panel."""
        alias = self.alias()
        if alias in settings.CACHES:
            return []
        how = "backend=" if self.backend else 'DJ_LAYOUTS["CACHE_BACKEND"] ='
        return [
            Error(
                f"{where} caches in the backend {alias!r}, which is not in CACHES.",
                hint=f"Add {alias!r} to CACHES, or set {how} one of: "
                f"{', '.join(repr(a) for a in sorted(settings.CACHES))}.",
                id="dj_layouts.E006",
            )
        ]


def _strategy(
    name: str,
    key_func: Callable[[HttpRequest], str],
    timeout: float,
    backend: str | None,
    stale_ttl: float,
    refresh_func: Callable[..., Any] | None,
) -> CacheConfig:
    return CacheConfig(
        key_func, timeout, backend=backend, stale_ttl=stale_ttl,
        refresh_func=refresh_func, strategy=name,
    )  # fmt: skip


def sitewide(
    timeout: float,
    *,
    backend: str | None = None,
    stale_ttl: float = 0,
    refresh_func: Callable[..., Any] | None = None,
) -> CacheConfig:
    """One entry for every visitor: ``layouts:panel:<name>``."""
    return _strategy("sitewide", _vary_sitewide, timeout, backend, stale_ttl, refresh_func)


def per_user(
    timeout: float,
    *,
    backend: str | None = None,
    stale_ttl: float = 0,
    refresh_func: Callable[..., Any] | None = None,
) -> CacheConfig:
    """One entry per ``user.pk``; every anonymous visitor shares ``anonymous``."""
    return _strategy("per_user", _vary_user, timeout, backend, stale_ttl, refresh_func)


def per_path(
    timeout: float,
    *,
    backend: str | None = None,
    stale_ttl: float = 0,
    refresh_func: Callable[..., Any] | None = None,
) -> CacheConfig:
    """One entry per ``request.path`` (the query string is not part of it)."""
    return _strategy("per_path", _vary_path, timeout, backend, stale_ttl, refresh_func)


def per_user_per_path(
    timeout: float,
    *,
    backend: str | None = None,
    stale_ttl: float = 0,
    refresh_func: Callable[..., Any] | None = None,
) -> CacheConfig:
    """One entry per user and path: ``<pk or anonymous>:<path>``."""
    return _strategy(
        "per_user_per_path", _vary_user_path, timeout, backend, stale_ttl, refresh_func
    )


def per_session(
    timeout: float,
    *,
    backend: str | None = None,
    stale_ttl: float = 0,
    refresh_func: Callable[..., Any] | None = None,
) -> CacheConfig:
    """One entry per session key; visitors without a session share ``no-session``."""
    return _strategy("per_session", _vary_session, timeout, backend, stale_ttl, refresh_func)


def custom(
    key_func: Callable[[HttpRequest], str],
    timeout: float,
    *,
    backend: str | None = None,
    stale_ttl: float = 0,
    refresh_func: Callable[..., Any] | None = None,
) -> CacheConfig:
    """One entry per ``key_func(request)`` (a str); ``""`` behaves like ``sitewide``."""
    return _strategy("custom", key_func, timeout, backend, stale_ttl, refresh_func)


# -- keys ---------------------------------------------------------------------------------


def make_key(panel_name: str, vary: str = "") -> str:
    """The documented key of a panel's entry: ``layouts:panel:<name>[:<vary>]``.

    A vary part that some backend cannot store (whitespace, control characters,
    or a key too long for memcached) becomes ``h-`` and a SHA-256 digest.
    """
    if not vary:
        return f"{KEY_PREFIX}:{panel_name}"
    key = f"{KEY_PREFIX}:{panel_name}:{vary}"
    if (
        " " in vary
        or not vary.isprintable()
        or len(key) > _MAX_KEY
        or (not key.isascii() and len(key.encode("utf-8", "surrogatepass")) > _MAX_KEY)
    ):
        digest = hashlib.sha256(vary.encode("utf-8", "surrogatepass")).hexdigest()[:40]
        key = f"{KEY_PREFIX}:{panel_name}:h-{digest}"
    return key


def _generation_key(panel_name: str) -> str:
    return f"{_GENERATION_PREFIX}:{panel_name}"


def _side_key(prefix: str, key: str, fingerprint: str) -> str:
    return f"{prefix}:{fingerprint}:{key[len(KEY_PREFIX) + 1 :]}"


# -- invalidation ---------------------------------------------------------------------------


def _invalidation(
    panel_name: str, vary: Any, backend: str | None
) -> list[tuple[BaseCache, str, tuple[Any, ...]]]:
    """The cache operations that invalidate ``panel_name``: (cache, method, args)."""
    if not isinstance(panel_name, str) or not panel_name:
        raise TypeError(
            f"invalidate_panel(): panel_name must be a panel's name, not {panel_name!r}."
        )
    if backend is not None:
        aliases = [backend]
    else:
        aliases = sorted(
            {get_settings().CACHE_BACKEND} | _aliases_of(panel_name) & set(settings.CACHES)
        )
    operations: list[tuple[BaseCache, str, tuple[Any, ...]]] = []
    for alias in aliases:
        cache = caches[alias]
        if vary is _ALL:
            # Entries remember the generation they were stored under; a new one
            # retires them all, whatever their vary part, on any backend.
            operations.append((cache, "set", (_generation_key(panel_name), uuid.uuid4().hex, None)))
            operations.append((cache, "delete", (make_key(panel_name),)))
        else:
            operations.append((cache, "delete", (make_key(panel_name, str(vary)),)))
    return operations


def _aliases_of(panel_name: str) -> set[str]:
    """The backends that the registered layouts' panels named ``panel_name`` cache in."""
    from dj_layouts.layout import Layout

    aliases = set()
    for layout in Layout.registry.values():
        panel = layout._panels.get(panel_name)
        if panel is not None and panel.cache is not None:
            aliases.add(panel.cache.alias())
    return aliases


def invalidate_panel(panel_name: str, *, vary: Any = _ALL, backend: str | None = None) -> None:
    """Drop cached entries of the panel ``panel_name``.

    Without ``vary``, every entry of the panel goes, whatever its vary part. With
    ``vary``, only that entry: ``""`` for a sitewide panel, a user's pk for
    ``per_user``, ``"<pk>:<path>"`` for ``per_user_per_path``, and so on.
    ``backend`` defaults to every backend that a registered layout's panel of
    that name uses, plus ``DJ_LAYOUTS["CACHE_BACKEND"]``.
    """
    for cache, method, args in _invalidation(panel_name, vary, backend):
        getattr(cache, method)(*args)


async def ainvalidate_panel(
    panel_name: str, *, vary: Any = _ALL, backend: str | None = None
) -> None:
    """``invalidate_panel()`` for async code, through Django's async cache API."""
    for cache, method, args in _invalidation(panel_name, vary, backend):
        await getattr(cache, f"a{method}")(*args)


# -- where an entry came from ---------------------------------------------------------------

_fingerprints: weakref.WeakKeyDictionary[Panel, str] = weakref.WeakKeyDictionary()


def _callable_identity(func: Any) -> str:
    """What a callable is, the same in every process (no memory addresses)."""
    parts = []
    while isinstance(func, functools.partial):
        parts.append(f"partial{func.args!r}{sorted(func.keywords.items())!r}")
        func = func.func
    view_class = getattr(func, "view_class", None)
    if isinstance(view_class, type):
        # Every as_view() function is the same closure: tell them apart by class.
        initkwargs = sorted(getattr(func, "view_initkwargs", {}).items())
        parts.append(f"view:{view_class.__module__}.{view_class.__qualname__}{initkwargs!r}")
        return "|".join(parts)
    target = inspect.unwrap(func) if inspect.isfunction(func) or inspect.ismethod(func) else func
    if inspect.isfunction(target) or inspect.ismethod(target):
        name = describe(func)
    else:
        target = getattr(type(target), "__call__", None)  # noqa: B004 - a callable object
        name = f"{type(func).__module__}.{type(func).__qualname__}"
    code = getattr(target, "__code__", None)
    # Lambdas and functions declared in functions share a qualname; their code does not.
    where = f"@{code.co_filename}:{code.co_firstlineno}" if code is not None else ""
    parts.append(f"{name}{where}")
    return "|".join(parts)


def _source_identity(source: Source) -> str:
    if isinstance(source, CallableSource):
        return f"callable:{_callable_identity(source.func)}"
    if isinstance(source, ListSource):
        items = ",".join(_source_identity(item) for item in source.items)
        return f"list:{source.join!r}:[{items}]"
    return source.identity()


def _fingerprint(panel: Panel) -> str:
    """A short digest of what renders ``panel``: its source and its context."""
    try:
        return _fingerprints[panel]
    except KeyError:
        pass
    identity = f"{_source_identity(panel.source)}|{sorted(panel.context.items())!r}"
    digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    _fingerprints[panel] = digest
    return digest


# -- in-process coordination --------------------------------------------------------------


class _Flight:
    """One render of one entry in this process, which other requests can wait for."""

    __slots__ = ("future",)

    def __init__(self) -> None:
        self.future: Future[Any] = Future()
        # A running future cannot be cancelled by one waiter for all the others.
        self.future.set_running_or_notify_cancel()

    def wait(self, timeout: float) -> Any:
        """The leader's outcome: (html, queues), ``_FAILED``, or None (gone or too slow)."""
        try:
            return self.future.result(timeout)
        except FutureTimeout:
            return None

    async def await_(self, timeout: float) -> Any:
        try:
            return await asyncio.wait_for(asyncio.wrap_future(self.future), timeout)
        except asyncio.TimeoutError:
            return None


_flights: dict[tuple[str, str, str, int], _Flight] = {}
_refreshing: set[tuple[str, str, str]] = set()
_registry_lock = threading.Lock()
_background: set[Future[None]] = set()


def _board(ident: tuple[str, str, str, int]) -> tuple[_Flight, bool]:
    """The flight rendering ``ident`` and whether the caller leads it."""
    with _registry_lock:
        flight = _flights.get(ident)
        if flight is not None:
            return flight, False
        flight = _flights[ident] = _Flight()
        return flight, True


def _land(ident: tuple[str, str, str, int], flight: _Flight, result: Any) -> None:
    with _registry_lock:
        del _flights[ident]  # only its leader lands a flight, once
    flight.future.set_result(result)


def _drain_background(timeout: float = 10.0) -> None:
    """Wait for the background refreshes started so far (tests and benchmarks).

    Raises ``TimeoutError`` when they are not done within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    for future in list(_background):
        future.exception(max(0.0, deadline - time.monotonic()))


def _release(cache: BaseCache, key: str, token: str, failed: bool = False) -> None:
    # Only the holder lets go of its lock; one that expired and was taken over stays.
    if cache.get(key) == token:
        if failed:
            # Waiters then render for themselves at once, rather than one after another.
            cache.set(key, _FAILED, _FAILED_TTL)
        else:
            cache.delete(key)


def _inline_io(cache: BaseCache) -> bool:
    """In-memory backends answer at once: no need to leave the event loop for them."""
    return isinstance(cache, (LocMemCache, DummyCache))


def _async_api(cache: BaseCache) -> bool:
    """Whether to use the backend's own async methods rather than a worker thread.

    Backends with native async methods, and the database backend, whose thread-
    sensitive default keeps connections where Django manages them.
    """
    return isinstance(cache, DatabaseCache) or type(cache).aget_many is not BaseCache.aget_many


# The operations ``PanelCache._flow`` yields: (kind, *args).
_GET, _ADD, _SET, _RELEASE, _SLEEP, _RENDER, _WAIT, _REVALIDATE = range(8)
_Op = tuple[Any, ...]
# Operations that do not talk to the cache backend.
_LOCAL = frozenset({_SLEEP, _RENDER, _WAIT, _REVALIDATE})
# What a cache operation stands for once the backend failed: a miss, a lock of our
# own (so the panel renders), and nothing to store or release.
_UNAVAILABLE = {_GET: {}, _ADD: True, _SET: None, _RELEASE: None}


class PanelCache:
    """The cache of one panel for one panel request (made by ``Page``)."""

    def __init__(
        self, panel: Panel, config: CacheConfig, request: HttpRequest, timeout: float | None = None
    ) -> None:
        self.panel = panel
        self.config = config
        self.request = request
        self.name = panel.name or "?"
        self.fingerprint = _fingerprint(panel)
        self.alias = config.alias()
        #: The panel's own timeout: a render slower than that is not stored.
        self.panel_timeout = timeout
        self.lock_timeout = get_settings().CACHE_LOCK_TIMEOUT
        self.queues: QueueCollector = request.layout_queues  # type: ignore[attr-defined]
        self._cache: BaseCache | None = None
        self._key: str | None = None
        self._down = False  # the backend failed during this request: leave it alone
        self._started = time.monotonic()

    @classmethod
    def for_panel(
        cls, panel: Panel, layout_class: type[Layout], request: HttpRequest
    ) -> PanelCache | None:
        """The cache for ``panel`` on ``request``, or None when it is not cached."""
        if panel.cache is None or not get_settings().CACHE_ENABLED:
            return None
        return cls(panel, panel.cache, request, panel.timeout or layout_class.panel_timeout)

    @property
    def cache(self) -> BaseCache:
        if self._cache is None:
            if self.alias not in settings.CACHES:
                raise ImproperlyConfigured(
                    f"Panel {self.name!r} caches in the backend {self.alias!r}, which is not "
                    f"in CACHES. Add it to CACHES or pass backend= one of: "
                    f"{', '.join(repr(a) for a in sorted(settings.CACHES))}."
                )
            self._cache = caches[self.alias]
        return self._cache

    @property
    def key(self) -> str:
        if self._key is None:
            self._key = make_key(self.name, self.config.vary(self.request))
        return self._key

    @property
    def _ident(self) -> tuple[str, str, str]:
        return (self.alias, self.key, self.fingerprint)

    @property
    def _generation(self) -> str:
        return _generation_key(self.name)

    @property
    def _lock_key(self) -> str:
        return _side_key(_LOCK_PREFIX, self.key, self.fingerprint)

    @property
    def _refresh_key(self) -> str:
        return _side_key(_REFRESH_PREFIX, self.key, self.fingerprint)

    # -- entries ------------------------------------------------------------------------
    def _entry(self, html: str, generation: Any, queues: QueueCollector) -> dict[str, Any]:
        now = time.time()
        return {
            "source": self.fingerprint,
            "generation": generation,
            "html": str(html),
            "queues": queues.dump(),
            "fresh_until": now + self.config.timeout,
            "stale_until": now + self.config.timeout + self.config.stale_ttl,
        }

    def _usable(self, found: dict[str, Any]) -> dict[str, Any] | None:
        entry = found.get(self.key)
        if (
            type(entry) is not dict
            or entry.get("source") != self.fingerprint
            or entry.get("generation") != found.get(self._generation)
            # Backends round timeouts to whole seconds: keep to our own.
            or time.time() >= entry.get("stale_until", 0)
        ):
            return None
        return entry

    def _ttl(self) -> int:
        return math.ceil(self.config.timeout + self.config.stale_ttl)

    def _replay(self, html: str, queues: dict[str, Any]) -> str:
        self.queues.load(queues)
        return html

    # -- the one logic body ---------------------------------------------------------------
    def _flow(self) -> Generator[_Op, Any, str]:
        # Not what probe() read: a job can wait in a pool's queue for a while.
        found = yield (_GET, [self.key, self._generation])
        entry = self._usable(found)
        if entry is not None:
            if time.time() >= entry["fresh_until"]:
                yield (_REVALIDATE,)
            return self._replay(entry["html"], entry["queues"])
        generation = found.get(self._generation)
        level = 0
        while True:
            flight_id = (*self._ident, level)
            flight, leader = _board(flight_id)
            if leader:
                break
            outcome = yield (_WAIT, flight, self.lock_timeout)
            if isinstance(outcome, tuple):
                return self._replay(*outcome)
            if outcome is _FAILED:
                # Like an uncached panel: each request tries for itself, side by side.
                return (yield from self._render_and_store(generation))
            # Too slow, or its request went away: line up behind the next one in line,
            # so that one request of this process, not all of them, takes over.
            level += 1
        landed: Any = None
        try:
            html = yield from self._locked_render(generation, waited=level > 0)
            landed = (html, self.queues.dump())
            return html
        except Exception:
            landed = _FAILED
            raise
        finally:
            _land(flight_id, flight, landed)

    def _locked_render(self, generation: Any, *, waited: bool) -> Generator[_Op, Any, str]:
        """Render under the cache lock, or wait for whoever holds it.

        The lock is a lease of ``CACHE_LOCK_TIMEOUT`` seconds: when it runs out
        before the entry appears, one waiter takes it over and renders.
        """
        lock, token = self._lock_key, uuid.uuid4().hex
        lease = math.ceil(self.lock_timeout)  # most backends keep whole seconds
        delay = _POLL_START
        look = waited  # after a wait, the entry may be there by now
        while True:
            holder = None
            if look:
                # The lock first: a holder stores its entry before it lets go.
                found = yield (_GET, [lock, self.key, self._generation])
                entry = self._usable(found)
                if entry is not None:
                    return self._replay(entry["html"], entry["queues"])
                holder = found.get(lock)
                if holder == _FAILED:
                    return (yield from self._render_and_store(generation))
            if holder is None and (yield (_ADD, lock, token, lease)):
                break
            yield (_SLEEP, delay)
            delay = min(delay * 2, _POLL_MAX)
            look = True
        try:
            html = yield from self._render_and_store(generation)
        except GeneratorExit:
            raise  # abandoned: no more cache I/O; the lease runs out by itself
        except Exception:
            yield (_RELEASE, lock, token, True)
            raise
        except BaseException:
            yield (_RELEASE, lock, token, False)  # cancelled: the next waiter takes over
            raise
        yield (_RELEASE, lock, token, False)
        return html

    def _render_and_store(self, generation: Any) -> Generator[_Op, Any, str]:
        html = yield (_RENDER,)
        if self.panel_timeout is None or time.monotonic() - self._started <= self.panel_timeout:
            yield (_SET, self.key, self._entry(html, generation, self.queues), self._ttl())
        return str(html)

    # -- the sync shell -----------------------------------------------------------------------
    def probe(self) -> str | None:
        """A hit answered at once (in-memory backends, a key that needs no query), else None.

        Executors call it on the event loop before deciding to use a thread.
        """
        if not self.config.loop_safe(self.request) or not _inline_io(self.cache):
            return None
        entry = self._usable(self.cache.get_many([self.key, self._generation]))
        if entry is None:
            return None
        if time.time() >= entry["fresh_until"]:
            self._revalidate(inline=True)
        return self._replay(entry["html"], entry["queues"])

    def render(self, panel: Panel | None = None, request: HttpRequest | None = None) -> str:
        """The panel's HTML from sync code: cached, or rendered and stored.

        ``panel`` and ``request`` are the ones this cache was made for.
        """
        self.cache  # noqa: B018 - a missing alias is an error, not a cache outage
        flow = self._flow()
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                op = flow.send(value) if error is None else flow.throw(error)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            value, error = None, None
            try:
                value = self._do(op) if op[0] in _LOCAL or not self._down else _UNAVAILABLE[op[0]]
            except Exception as exc:
                value, error = self._failed(op, exc)
            except BaseException as exc:
                error = exc

    def _failed(self, op: _Op, exc: Exception) -> tuple[Any, BaseException | None]:
        """What a failed cache operation stands for: the panel renders without its cache."""
        if op[0] in _LOCAL:
            return None, exc
        logger.warning(
            "Panel %r: the cache %r failed (%s: %s); the panel renders without it.",
            self.name, self.alias, type(exc).__name__, exc,
        )  # fmt: skip
        self._down = True  # no more cache operations for this request
        return _UNAVAILABLE[op[0]], None

    def _do(self, op: _Op) -> Any:
        kind = op[0]
        if kind == _RENDER:
            return self.panel.render(self.request)
        if kind == _WAIT:
            return op[1].wait(op[2])
        if kind == _SLEEP:
            time.sleep(op[1])
            return None
        if kind == _REVALIDATE:
            self._revalidate(inline=True)
            return None
        return self._io(op)

    def _io(self, op: _Op) -> Any:
        kind, cache = op[0], self.cache
        if kind == _GET:
            return cache.get_many(op[1])
        if kind == _ADD:
            return cache.add(op[1], op[2], op[3])
        if kind == _SET:
            return cache.set(op[1], op[2], op[3])
        return _release(cache, op[1], op[2], *op[3:])

    # -- the async shell ----------------------------------------------------------------------
    async def arender(self, panel: Panel | None = None, request: HttpRequest | None = None) -> str:
        """The panel's HTML from async code; cache I/O never blocks the event loop."""
        if self._key is None and not self.config.loop_safe(self.request):
            # The key may need request.user, i.e. the database.
            await sync_to_async(lambda: self.key)()
        inline = _inline_io(self.cache)
        flow = self._flow()
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                op = flow.send(value) if error is None else flow.throw(error)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            value, error = None, None
            try:
                if op[0] in _LOCAL or not self._down:
                    value = await self._ado(op, inline)
                else:
                    value = _UNAVAILABLE[op[0]]
            except Exception as exc:
                value, error = self._failed(op, exc)
            except BaseException as exc:
                error = exc

    async def _ado(self, op: _Op, inline: bool) -> Any:
        kind = op[0]
        if kind == _RENDER:
            return await self.panel.arender(self.request)
        if kind == _WAIT:
            return await op[1].await_(op[2])
        if kind == _SLEEP:
            await asyncio.sleep(op[1])
            return None
        if kind == _REVALIDATE:
            self._revalidate(inline=inline)
            return None
        if inline:
            return self._io(op)
        cache = self.cache
        if _async_api(cache):
            if kind == _GET:
                return await cache.aget_many(op[1])
            if kind == _ADD:
                return await cache.aadd(op[1], op[2], op[3])
            if kind == _SET:
                return await cache.aset(op[1], op[2], op[3])
            if await cache.aget(op[1]) == op[2]:
                if op[3]:
                    await cache.aset(op[1], _FAILED, _FAILED_TTL)
                else:
                    await cache.adelete(op[1])
            return None
        # Django's default async methods queue every call on one shared thread;
        # the cache I/O pool runs them side by side, apart from panel work.
        return await asyncio.get_running_loop().run_in_executor(io_pool(), self._io_in_worker, op)

    def _io_in_worker(self, op: Any) -> Any:
        # A database cache opens a connection in this pool thread: don't leave it open.
        try:
            return self._io(op)
        finally:
            close_thread_connections()

    # -- stale-while-revalidate ----------------------------------------------------------------
    def _revalidate(self, *, inline: bool) -> None:
        """Start one background refresh of a stale entry, unless one is running.

        ``inline``: take the refresh lock here (sync code, in-memory backends);
        otherwise the worker takes it, so the event loop never waits for the cache.
        """
        ident = self._ident
        with _registry_lock:
            if ident in _refreshing:
                return
            _refreshing.add(ident)
        token = uuid.uuid4().hex
        try:
            if inline and not self.cache.add(
                self._refresh_key, token, math.ceil(self.lock_timeout)
            ):
                self._forget_refresh()
                return  # another process refreshes it
            future = refresh_pool().submit(
                contextvars.copy_context().run, self._refresh, token, not inline
            )
        except Exception:
            # The stale HTML is still good to serve; a later hit tries again.
            logger.warning(
                "Panel %r: could not start refreshing its stale entry.", self.name, exc_info=True
            )
            self._forget_refresh()
            return
        _background.add(future)
        future.add_done_callback(_background.discard)

    def _forget_refresh(self) -> None:
        with _registry_lock:
            _refreshing.discard(self._ident)

    def _refresh(self, token: str, acquire: bool) -> None:
        cache = self.cache
        try:
            if acquire and not cache.add(self._refresh_key, token, math.ceil(self.lock_timeout)):
                return  # another process refreshes it
            try:
                found = cache.get_many([self.key, self._generation])
                entry = self._usable(found)
                if entry is not None and time.time() < entry["fresh_until"]:
                    return  # refreshed meanwhile
                request, queues = self._refresh_request()
                html = self._render_fresh(request)
                cache.set(
                    self.key, self._entry(html, found.get(self._generation), queues), self._ttl()
                )
            finally:
                _release(cache, self._refresh_key, token)
        except Exception:
            logger.exception(
                "Background refresh of panel %r failed; its stale entry is kept until it expires.",
                self.name,
            )
        finally:
            self._forget_refresh()
            close_thread_connections()

    def _refresh_request(self) -> tuple[HttpRequest, QueueCollector]:
        """A copy of the panel request with empty queues: the page has moved on."""
        from dj_layouts.queues import QueueCollector

        request = object.__new__(type(self.request))
        request.__dict__.update(self.request.__dict__)
        queues = QueueCollector(self.queues.spec)
        request.layout_queues = queues  # type: ignore[attr-defined]
        return request, queues

    def _render_fresh(self, request: HttpRequest) -> str:
        func = self.config.refresh_func
        if func is None:
            return self.panel.render(request)
        if self.config.refresh_is_async:
            return to_html(self.name, async_to_sync(func)(request))
        return to_html(self.name, func(request))
