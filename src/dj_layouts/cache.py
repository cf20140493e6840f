"""Panel caching: strategies, the documented keys, stale-while-revalidate and a stampede lock.

``Panel("app:nav", cache=cache.sitewide(timeout=3600))`` stores the panel's HTML
(and the queue items it added) under ``layouts:panel:<name>`` or
``layouts:panel:<name>:<vary>``. Each entry also records which source rendered
it, so a panel of the same name with another source never serves it.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.checks import CheckMessage, Error
from django.http import HttpRequest

from dj_layouts.conf import get_settings
from dj_layouts.panels import to_html

if TYPE_CHECKING:
    from dj_layouts.layout import Layout
    from dj_layouts.panels import Panel
    from dj_layouts.queues import QueueCollector

logger = logging.getLogger("dj_layouts")

KEY_PREFIX = "layouts:panel"
_MAX_KEY = 200  # memcached allows 250 with Django's prefix and version
_ALL: Any = object()
_POLL_START = 0.005
_POLL_MAX = 0.05


def _number(value: Any, name: str, *, allow_zero: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {value!r}.")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must not be negative, got {value!r}.")
    return float(value)


def _user_vary(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return "anonymous"
    return str(user.pk)


def _session_vary(request: HttpRequest) -> str:
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None) if session is not None else None
    return str(key) if key else "no-session"


def _user_loaded(request: HttpRequest) -> bool:
    # Django's AuthenticationMiddleware caches the user here once it is loaded.
    return hasattr(request, "_cached_user") or "user" not in request.__dict__


_VARY: dict[str, Callable[[HttpRequest], str]] = {
    "sitewide": lambda request: "",
    "per_user": _user_vary,
    "per_path": lambda request: request.path,
    "per_user_per_path": lambda request: f"{_user_vary(request)}:{request.path}",
    "per_session": _session_vary,
}
# Strategies whose key never touches the database, so it can be made on the event loop.
_LOOP_SAFE = frozenset({"sitewide", "per_path", "per_session"})


@dataclass(frozen=True)
class CacheConfig:
    """How one panel is cached; made by the strategy functions of this module."""

    strategy: str
    timeout: float
    backend: str | None = None
    stale_ttl: float = 0
    refresh_func: Callable[..., Any] | None = None
    key_func: Callable[[HttpRequest], str] | None = None

    def vary(self, request: HttpRequest) -> str:
        if self.key_func is not None:
            value = self.key_func(request)
            if not isinstance(value, str):
                raise TypeError(
                    f"The key_func of cache.custom() must return a str, not {value!r}."
                )
            return value
        return _VARY[self.strategy](request)

    def loop_safe(self, request: HttpRequest) -> bool:
        """Whether the key can be made on the event loop without touching the database."""
        if self.strategy in _LOOP_SAFE:
            return True
        return self.strategy in ("per_user", "per_user_per_path") and _user_loaded(request)

    def alias(self) -> str:
        return self.backend or get_settings().CACHE_BACKEND

    def check(self, where: str) -> list[CheckMessage]:
        alias = self.alias()
        if alias in settings.CACHES:
            return []
        return [
            Error(
                f"{where} caches in the backend {alias!r}, which is not in CACHES.",
                hint=f"Add {alias!r} to CACHES or pass backend= one of: "
                f"{', '.join(sorted(settings.CACHES))}.",
                id="dj_layouts.E006",
            )
        ]


def _config(
    strategy: str,
    timeout: Any,
    backend: Any,
    stale_ttl: Any,
    refresh_func: Any,
    key_func: Any = None,
) -> CacheConfig:
    where = f"cache.{strategy}()"
    timeout = _number(timeout, f"{where}: timeout")
    stale = _number(stale_ttl, f"{where}: stale_ttl")
    if backend is not None and (not isinstance(backend, str) or not backend):
        raise TypeError(f"{where}: backend must be a CACHES alias, not {backend!r}.")
    if refresh_func is not None and not callable(refresh_func):
        raise TypeError(f"{where}: refresh_func must be callable, not {refresh_func!r}.")
    return CacheConfig(strategy, timeout, backend, stale, refresh_func, key_func)


def sitewide(
    timeout: float, *, backend: str | None = None, stale_ttl: float = 0,
    refresh_func: Callable[..., Any] | None = None,
) -> CacheConfig:
    """One entry for every visitor: ``layouts:panel:<name>``."""
    return _config("sitewide", timeout, backend, stale_ttl, refresh_func)


def per_user(
    timeout: float, *, backend: str | None = None, stale_ttl: float = 0,
    refresh_func: Callable[..., Any] | None = None,
) -> CacheConfig:
    """One entry per user pk; every anonymous visitor shares ``anonymous``."""
    return _config("per_user", timeout, backend, stale_ttl, refresh_func)


def per_path(
    timeout: float, *, backend: str | None = None, stale_ttl: float = 0,
    refresh_func: Callable[..., Any] | None = None,
) -> CacheConfig:
    """One entry per ``request.path``."""
    return _config("per_path", timeout, backend, stale_ttl, refresh_func)


def per_user_per_path(
    timeout: float, *, backend: str | None = None, stale_ttl: float = 0,
    refresh_func: Callable[..., Any] | None = None,
) -> CacheConfig:
    """One entry per user and path."""
    return _config("per_user_per_path", timeout, backend, stale_ttl, refresh_func)


def per_session(
    timeout: float, *, backend: str | None = None, stale_ttl: float = 0,
    refresh_func: Callable[..., Any] | None = None,
) -> CacheConfig:
    """One entry per session key; ``no-session`` for visitors without one."""
    return _config("per_session", timeout, backend, stale_ttl, refresh_func)


def custom(
    key_func: Callable[[HttpRequest], str], timeout: float, *, backend: str | None = None,
    stale_ttl: float = 0, refresh_func: Callable[..., Any] | None = None,
) -> CacheConfig:
    """One entry per ``key_func(request)``; ``""`` behaves like ``sitewide``."""
    if not callable(key_func):
        raise TypeError(f"cache.custom(): key_func must be callable, not {key_func!r}.")
    return _config("custom", timeout, backend, stale_ttl, refresh_func, key_func)


def make_key(panel_name: str, vary: str = "") -> str:
    """The documented key of a panel entry; a vary part no backend can store is hashed."""
    if not vary:
        return f"{KEY_PREFIX}:{panel_name}"
    key = f"{KEY_PREFIX}:{panel_name}:{vary}"
    if len(key) > _MAX_KEY or any(ord(c) < 33 or ord(c) == 127 for c in vary):
        digest = hashlib.sha256(vary.encode("utf-8", "surrogatepass")).hexdigest()[:40]
        key = f"{KEY_PREFIX}:{panel_name}:h-{digest}"
    return key


def _generation_key(panel_name: str) -> str:
    return f"{KEY_PREFIX}:{panel_name}:__generation__"


def invalidate_panel(
    panel_name: str, *, vary: Any = _ALL, backend: str | None = None
) -> None:
    """Drop cached entries of ``panel_name``.

    With ``vary`` (``""`` for sitewide, a user pk, a path...), only that entry;
    without it, every entry of the panel, whatever its vary part.
    """
    cache = caches[backend or get_settings().CACHE_BACKEND]
    if vary is _ALL:
        cache.set(_generation_key(panel_name), uuid.uuid4().hex, None)
        cache.delete(make_key(panel_name))
    else:
        cache.delete(make_key(panel_name, str(vary)))


async def ainvalidate_panel(
    panel_name: str, *, vary: Any = _ALL, backend: str | None = None
) -> None:
    await sync_to_async(invalidate_panel)(panel_name, vary=vary, backend=backend)


def _fingerprint(panel: Panel) -> str:
    identity = f"{panel.source.identity()}|{sorted(panel.context.items())!r}"
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def _non_blocking(cache: BaseCache) -> bool:
    return isinstance(cache, (LocMemCache, DummyCache))


_background: set[Any] = set()


class PanelCache:
    """The cache of one panel for one panel request."""

    def __init__(self, panel: Panel, config: CacheConfig, request: HttpRequest) -> None:
        self.panel = panel
        self.config = config
        self.request = request
        self.name = panel.name or "?"
        self.fingerprint = _fingerprint(panel)
        self.cache = caches[config.alias()]
        self.lock_timeout = get_settings().CACHE_LOCK_TIMEOUT
        self.queues: QueueCollector = request.layout_queues  # type: ignore[attr-defined]
        self._key: str | None = None

    @classmethod
    def for_panel(
        cls, panel: Panel, layout_class: type[Layout], request: HttpRequest
    ) -> PanelCache | None:
        if panel.cache is None or not get_settings().CACHE_ENABLED:
            return None
        return cls(panel, panel.cache, request)

    @property
    def key(self) -> str:
        if self._key is None:
            self._key = make_key(self.name, self.config.vary(self.request))
        return self._key

    # -- entries --------------------------------------------------------------------
    def _entry(
        self, html: str, generation: Any, queues: QueueCollector | None = None
    ) -> dict[str, Any]:
        now = time.time()
        return {
            "source": self.fingerprint,
            "generation": generation,
            "html": str(html),
            "queues": (queues or self.queues).dump(),
            "fresh_until": now + self.config.timeout,
        }

    def _usable(self, found: dict[str, Any]) -> dict[str, Any] | None:
        entry = found.get(self.key)
        if not isinstance(entry, dict) or entry.get("source") != self.fingerprint:
            return None
        if entry.get("generation") != found.get(_generation_key(self.name)):
            return None
        return entry

    def _keys(self) -> list[str]:
        return [self.key, _generation_key(self.name)]

    def _ttl(self) -> float:
        return self.config.timeout + self.config.stale_ttl

    def _serve(self, entry: dict[str, Any]) -> str:
        self.queues.load(entry.get("queues", {}))
        return str(entry["html"])

    def _serve_or_revalidate(self, entry: dict[str, Any]) -> str:
        html = self._serve(entry)
        if time.time() >= entry["fresh_until"]:
            self._revalidate()
        return html

    # -- the non-blocking probe (event loop, no thread) -----------------------------------
    def probe(self) -> str | None:
        """A hit answered without blocking (in-memory backends only), else None."""
        if not _non_blocking(self.cache) or not self.config.loop_safe(self.request):
            return None
        entry = self._usable(self.cache.get_many(self._keys()))
        if entry is None:
            return None
        return self._serve_or_revalidate(entry)

    # -- sync ----------------------------------------------------------------------------
    def render(self, panel: Panel, request: HttpRequest) -> str:
        found = self.cache.get_many(self._keys())
        entry = self._usable(found)
        generation = found.get(_generation_key(self.name))
        if entry is not None:
            return self._serve_or_revalidate(entry)
        token = uuid.uuid4().hex
        if self.cache.add(self._lock_key, token, self.lock_timeout):
            try:
                return self._store(panel.render(request), generation)
            finally:
                self._release(token)
        deadline = time.monotonic() + self.lock_timeout
        delay = _POLL_START
        while time.monotonic() < deadline:
            time.sleep(delay)
            delay = min(delay * 2, _POLL_MAX)
            entry = self._usable(self.cache.get_many(self._keys()))
            if entry is not None:
                return self._serve(entry)
            if self.cache.get(self._lock_key) is None:
                break  # the holder failed: render ourselves
        logger.info("Panel %r: the cache lock holder was slow; rendering it here.", self.name)
        return self._store(panel.render(request), generation)

    def _store(self, html: str, generation: Any, queues: QueueCollector | None = None) -> str:
        self.cache.set(self.key, self._entry(html, generation, queues), self._ttl())
        return html

    @property
    def _lock_key(self) -> str:
        return f"{self.key}:lock"

    def _release(self, token: str) -> None:
        if self.cache.get(self._lock_key) == token:
            self.cache.delete(self._lock_key)

    # -- async ---------------------------------------------------------------------------
    async def arender(self, panel: Panel, request: HttpRequest) -> str:
        fast = _non_blocking(self.cache)
        if not self.config.loop_safe(request):
            await sync_to_async(lambda: self.key)()
        found = self.cache.get_many(self._keys()) if fast else await self.cache.aget_many(self._keys())
        entry = self._usable(found)
        generation = found.get(_generation_key(self.name))
        if entry is not None:
            return self._serve_or_revalidate(entry)
        token = uuid.uuid4().hex
        added = (
            self.cache.add(self._lock_key, token, self.lock_timeout)
            if fast
            else await self.cache.aadd(self._lock_key, token, self.lock_timeout)
        )
        if added:
            try:
                return await self._astore(await panel.arender(request), generation, fast)
            finally:
                await sync_to_async(self._release)(token) if not fast else self._release(token)
        deadline = time.monotonic() + self.lock_timeout
        delay = _POLL_START
        while time.monotonic() < deadline:
            await asyncio.sleep(delay)
            delay = min(delay * 2, _POLL_MAX)
            found = self.cache.get_many(self._keys()) if fast else await self.cache.aget_many(self._keys())
            entry = self._usable(found)
            if entry is not None:
                return self._serve(entry)
            lock = self.cache.get(self._lock_key) if fast else await self.cache.aget(self._lock_key)
            if lock is None:
                break
        return await self._astore(await panel.arender(request), generation, fast)

    async def _astore(self, html: str, generation: Any, fast: bool) -> str:
        if fast:
            return self._store(html, generation)
        await self.cache.aset(self.key, self._entry(html, generation), self._ttl())
        return html

    # -- stale-while-revalidate ----------------------------------------------------------
    def _revalidate(self) -> None:
        """Start one background refresh of a stale entry, unless one is running."""
        from dj_layouts.executors import shared_pool

        lock_key = f"{self.key}:refresh"
        token = uuid.uuid4().hex
        if _non_blocking(self.cache) or not _in_event_loop():
            if not self.cache.add(lock_key, token, self.lock_timeout):
                return
            self._submit_refresh(shared_pool(), lock_key, token)
        else:
            # Even the lock is cache I/O: do all of it off the event loop.
            self._submit_refresh(shared_pool(), lock_key, token, acquire=True)

    def _submit_refresh(self, pool: Any, lock_key: str, token: str, acquire: bool = False) -> None:
        future = pool.submit(
            contextvars.copy_context().run, self._refresh, lock_key, token, acquire
        )
        _background.add(future)
        future.add_done_callback(_background.discard)

    def _refresh(self, lock_key: str, token: str, acquire: bool) -> None:
        from dj_layouts.executors import close_thread_connections
        from dj_layouts.queues import QueueCollector

        try:
            if acquire and not self.cache.add(lock_key, token, self.lock_timeout):
                return
            # A request of its own, with a fresh collector: the page has moved on.
            request = object.__new__(type(self.request))
            request.__dict__.update(self.request.__dict__)
            queues = QueueCollector(self.queues.spec)
            request.layout_queues = queues  # type: ignore[attr-defined]
            generation = self.cache.get(_generation_key(self.name))
            self._store(self._render_fresh(request), generation, queues)
        except Exception:
            logger.exception("Background refresh of panel %r failed; the stale entry stays.", self.name)
        finally:
            if self.cache.get(lock_key) == token:
                self.cache.delete(lock_key)
            close_thread_connections()

    def _render_fresh(self, request: HttpRequest) -> str:
        func = self.config.refresh_func
        if func is None:
            return self.panel.render(request)
        result = func(request)
        if isinstance(result, Awaitable):
            result = async_to_sync(_await)(result)
        return to_html(self.name, result)


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
