"""``PanelCache``: the cache of one panel for one panel request, and its entries.

``Page`` makes one per cached panel (``for_panel``), may ``prefetch`` the entries
of all of a page's panels at once, asks ``probe()`` for a hit it can answer on
the spot, and otherwise calls ``render()`` or ``arender()``. Both drive the one
logic body in ``flow``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from dj_layouts.cache import flow, refresh
from dj_layouts.cache.driver import GET, LEASE, RENDER, REVALIDATE, WAIT, Driver, Op
from dj_layouts.cache.io import aperform, inline_io, perform
from dj_layouts.cache.keys import (
    LOCK_PREFIX,
    REFRESH_PREFIX,
    fingerprint,
    generation_key,
    make_key,
    side_key,
)
from dj_layouts.cache.lock import POLL_INTERVAL, wait_limit
from dj_layouts.conf import get_settings
from dj_layouts.executors import agather, apoll, poll
from dj_layouts.panels import Panel

if TYPE_CHECKING:
    from dj_layouts.cache.strategies import CacheConfig
    from dj_layouts.layout import Layout
    from dj_layouts.queues import QueueCollector


class PanelCache:
    """The cache of one panel for one panel request (made by ``Page``)."""

    def __init__(
        self,
        panel: Panel,
        config: CacheConfig,
        request: HttpRequest | None,
        timeout: float | None = None,
        *,
        lock_timeout: float | None = None,
        page: HttpRequest | None = None,
        queues: QueueCollector | None = None,
        make_request: Callable[[], HttpRequest] | None = None,
    ) -> None:
        """``request`` is the panel's request; or None, and ``make_request()`` builds it
        when it is first needed (a miss, a refresh), ``queues`` being its collector and
        ``page`` the page's request, which keys a built-in strategy (``keyed_by_page``).
        """
        self.panel = panel
        self.config = config
        self._request = request
        self._make_request = make_request
        #: What the key is made from when no panel request is needed for it.
        self._key_request = page if page is not None and config.keyed_by_page() else None
        self.name = panel.name or "?"
        self.fingerprint = fingerprint(panel)
        self.alias = config.alias()
        #: The panel's own timeout: a render slower than that is not stored.
        self.panel_timeout = timeout
        if lock_timeout is None:
            lock_timeout = get_settings().CACHE_LOCK_TIMEOUT
        self.lock_timeout = lock_timeout
        if queues is None:
            queues = self.request.__dict__["layout_queues"]
        self.queues: QueueCollector = queues
        self.generation_key = generation_key(self.name)
        self.driver = Driver(self.name, self.alias)
        self._cache: BaseCache | None = None
        self._key: str | None = None
        self._prefetched: dict[str, Any] | None = None
        self._started = time.monotonic()
        #: Whether the HTML came from an entry (this request's, or one another request
        #: stored while this one waited) instead of being rendered: a cache hit.
        self.hit = False

    @classmethod
    def for_panel(
        cls, panel: Panel, layout_class: type[Layout], request: HttpRequest
    ) -> PanelCache | None:
        """The cache for ``panel`` on ``request``, or None when it is not cached."""
        return cls._made(panel, layout_class, request)

    @classmethod
    def for_page(
        cls,
        panel: Panel,
        layout_class: type[Layout],
        page: HttpRequest,
        queues: QueueCollector,
        make_request: Callable[[], HttpRequest],
    ) -> PanelCache | None:
        """``for_panel()`` before the panel request exists: ``make_request()`` builds it
        the first time it is needed (a miss, a refresh), never for a hit.

        For a built-in strategy (``CacheConfig.keyed_by_page()``) the key comes from
        ``page``, the page's request; ``queues`` is the panel request's collector.
        """
        return cls._made(
            panel, layout_class, None, page=page, queues=queues, make_request=make_request
        )

    @classmethod
    def _made(
        cls, panel: Panel, layout_class: type[Layout], request: HttpRequest | None, **lazy: Any
    ) -> PanelCache | None:
        if panel.cache is None:
            return None
        conf = get_settings()
        if not conf.CACHE_ENABLED:
            return None
        timeout = panel.timeout or layout_class.panel_timeout
        return cls(
            panel, panel.cache, request, timeout, lock_timeout=conf.CACHE_LOCK_TIMEOUT, **lazy
        )

    @property
    def request(self) -> HttpRequest:
        """The panel's own request, built the first time it is needed (a hit never needs it)."""
        if self._request is None:
            assert self._make_request is not None
            self._request = self._make_request()
        return self._request

    @property
    def key_request(self) -> HttpRequest:
        """The request the key is made from: the page's for a built-in strategy."""
        return self._key_request if self._key_request is not None else self.request

    def ready_for_miss(self) -> None:
        """Build the panel request now, on the page's thread, unless a hit was read for it."""
        found = self._prefetched
        if self._request is None and (found is None or self.usable(found) is None):
            self.request  # noqa: B018

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
            self._key = make_key(self.name, self.config.vary(self.key_request))
        return self._key

    @property
    def ident(self) -> tuple[str, str, str]:
        """What tells this entry apart in this process: backend, key and source."""
        return (self.alias, self.key, self.fingerprint)

    @property
    def lock_key(self) -> str:
        return side_key(LOCK_PREFIX, self.key, self.fingerprint)

    @property
    def refresh_key(self) -> str:
        return side_key(REFRESH_PREFIX, self.key, self.fingerprint)

    # -- entries ----------------------------------------------------------------------------
    def entry(
        self, html: str, generation: Any, queues: QueueCollector | None = None
    ) -> dict[str, Any]:
        """What is stored for ``html`` and the queue items its render added."""
        now = time.time()
        return {
            "source": self.fingerprint,
            "generation": generation,
            "html": str(html),
            "queues": (queues or self.queues).dump(),
            "fresh_until": now + self.config.timeout,
            "stale_until": now + self.config.timeout + self.config.stale_ttl,
        }

    def usable(self, found: dict[str, Any]) -> dict[str, Any] | None:
        """This request's entry among ``found`` (what a ``get_many`` returned), if it may serve."""
        entry = found.get(self.key)
        if (
            type(entry) is not dict
            or entry.get("source") != self.fingerprint
            or entry.get("generation") != found.get(self.generation_key)
            # Backends round timeouts to whole seconds: keep to our own.
            or time.time() >= entry.get("stale_until", 0)
        ):
            return None
        return entry

    def ttl(self) -> int:
        return math.ceil(self.config.timeout + self.config.stale_ttl)

    def in_time(self) -> bool:
        """Whether a render finished now is within the panel's timeout (else not stored)."""
        return self.panel_timeout is None or time.monotonic() - self._started <= self.panel_timeout

    def replay(self, entry: dict[str, Any]) -> str:
        """The entry's HTML, its queue items added to this request's queues (a hit)."""
        self.hit = True
        self.queues.load(entry["queues"])
        return str(entry["html"])

    # -- reading a page's entries at once ------------------------------------------------------
    @classmethod
    def prefetch(cls, panel_caches: Iterable[PanelCache | None]) -> None:
        """Read the entries of a page's cached panels with one ``get_many`` per backend.

        Each ``probe()`` then answers from what was read. A backend that fails is
        left to each panel, which reports it and renders without it.
        """
        for group, keys in _by_backend(panel_caches):
            backend = group[0].cache
            try:
                found = backend.get_many(keys)
            except Exception:
                continue
            for panel_cache in group:
                panel_cache._cache = backend  # looked up once per page, not per panel
                panel_cache._prefetched = found

    @classmethod
    async def aprefetch(cls, panel_caches: Iterable[PanelCache | None]) -> None:
        """``prefetch()`` from async code: one read per backend, side by side."""
        wanted = [c for c in panel_caches if c is not None]
        if any(c._key is None and not c.config.loop_safe(c.key_request) for c in wanted):
            # Some keys need request.user, i.e. the database.
            await sync_to_async(lambda: [_key_or_none(c) for c in wanted])()
            wanted = [c for c in wanted if c._key is not None]  # the others fail in their render

        async def read(group: list[PanelCache], keys: list[str]) -> None:
            try:
                found = await aperform(group[0].cache, (GET, keys))
            except Exception:
                return
            for panel_cache in group:
                panel_cache._prefetched = found

        await agather(read(group, keys) for group, keys in _by_backend(wanted))

    def prefetched_hit(self) -> str | None:
        """The entry ``prefetch`` read, when it may serve this request, else None.

        The cheap way to a hit from sync code: no lookup flow. A miss leaves what was
        read for the flow (``render()``), which then needs no read of its own.
        """
        found = self._prefetched
        entry = None if found is None else self.usable(found)
        if entry is None:
            return None
        self._prefetched = None
        if time.time() >= entry["fresh_until"]:
            refresh.revalidate(self, inline=True)  # as render()'s flow does for a stale hit
        return self.replay(entry)

    def take_prefetched(self) -> dict[str, Any] | None:
        """What ``prefetch`` read for this entry, once."""
        found, self._prefetched = self._prefetched, None
        return found

    # -- the sync shell ----------------------------------------------------------------------
    def probe(self) -> str | None:
        """A hit answered at once (prefetched, or an in-memory backend), else None.

        Executors call it on the event loop before deciding to use a thread.
        """
        found = self.take_prefetched()
        if found is None:
            if not self.config.loop_safe(self.key_request) or not inline_io(self.cache):
                return None
            found = self.cache.get_many([self.key, self.generation_key])
        entry = self.usable(found)
        if entry is None:
            return None
        if time.time() >= entry["fresh_until"]:
            refresh.revalidate(self, inline=inline_io(self.cache))
        return self.replay(entry)

    def render(self, panel: Panel | None = None, request: HttpRequest | None = None) -> str:
        """The panel's HTML from sync code: cached, or rendered and stored.

        ``panel`` and ``request`` are the ones this cache was made for.
        """
        self.cache  # noqa: B018 - a missing alias is an error, not a cache outage
        return self.driver.run(flow.lookup(self), self._do)

    def _do(self, op: Op) -> Any:
        kind = op[0]
        if kind == RENDER:
            return self.panel.render(self.request)
        if kind == WAIT:
            return op[1].wait(op[2])
        if kind == LEASE:
            return poll(
                lambda: self.driver.run(flow.lease_check(self, op[1]), self._do),
                timeout=wait_limit(self.lock_timeout),
                interval=POLL_INTERVAL,
            )
        if kind == REVALIDATE:
            refresh.revalidate(self, inline=True)
            return None
        return perform(self.cache, op)

    # -- the async shell ------------------------------------------------------------------------
    async def arender(self, panel: Panel | None = None, request: HttpRequest | None = None) -> str:
        """The panel's HTML from async code; cache I/O never blocks the event loop."""
        if self._key is None and not self.config.loop_safe(self.key_request):
            # The key may need request.user, i.e. the database.
            await sync_to_async(lambda: self.key)()
        self.cache  # noqa: B018 - a missing alias is an error, not a cache outage
        return await self.driver.arun(flow.lookup(self), self._ado)

    async def _ado(self, op: Op) -> Any:
        kind = op[0]
        if kind == RENDER:
            return await self.panel.arender(self.request)
        if kind == WAIT:
            return await op[1].await_(op[2])
        if kind == LEASE:
            return await apoll(
                lambda: self.driver.arun(flow.lease_check(self, op[1]), self._ado),
                timeout=wait_limit(self.lock_timeout),
                interval=POLL_INTERVAL,
            )
        if kind == REVALIDATE:
            refresh.revalidate(self, inline=inline_io(self.cache))
            return None
        return await aperform(self.cache, op)


def _by_backend(
    panel_caches: Iterable[PanelCache | None],
) -> list[tuple[list[PanelCache], list[str]]]:
    """The caches grouped by backend, with the keys to read for each group."""
    groups: dict[str, tuple[list[PanelCache], list[str]]] = {}
    configured = settings.CACHES
    for panel_cache in panel_caches:
        if panel_cache is None or panel_cache.alias not in configured:
            continue  # a missing alias is reported by the panel's own render
        key = _key_or_none(panel_cache)
        if key is None:
            continue
        group, keys = groups.setdefault(panel_cache.alias, ([], []))
        group.append(panel_cache)
        keys += (key, panel_cache.generation_key)
    return [(group, list(dict.fromkeys(keys))) for group, keys in groups.values()]


def _key_or_none(panel_cache: PanelCache) -> str | None:
    """The entry's key, or None when making it fails: the panel's own render reports that."""
    try:
        return panel_cache.key
    except Exception:
        return None
