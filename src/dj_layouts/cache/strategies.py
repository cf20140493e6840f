"""Cache strategies: how a panel's entries vary, and for how long they are fresh.

``sitewide()``, ``per_user()``, ``per_path()``, ``per_user_per_path()``,
``per_session()`` and ``custom()`` each return a ``CacheConfig`` for
``Panel(cache=...)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.http import HttpRequest
from django.utils.functional import LazyObject, empty

from dj_layouts._utils import describe, is_async_callable
from dj_layouts.cache.keys import make_key
from dj_layouts.conf import get_settings


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
# Key functions that read only what a panel request shares with its page (the user, the
# session, the path): their key is the same made from the page's request.
_PAGE_KEYED = _LOOP_SAFE | _NEEDS_USER


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

    def keyed_by_page(self) -> bool:
        """Whether the key can be made from the page's request (the built-in strategies).

        A hit then needs no panel request at all; ``custom()`` key functions get the
        panel's own request, which they may read anything from.
        """
        return self.key_func in _PAGE_KEYED

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
