"""Stale-while-revalidate: a stale entry is served at once while one refresh replaces it.

Within a process, one refresh per entry runs at a time (``refreshing``); across
processes, a refresh lock stored in the cache keeps it to one. Refreshes run on
the refresh pool (``submit_background``), never delaying a response.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from django.http import HttpRequest

from dj_layouts.cache.lock import lease_seconds, release
from dj_layouts.executors import submit_background
from dj_layouts.panels import to_html

if TYPE_CHECKING:
    from dj_layouts.cache.entry import PanelCache
    from dj_layouts.queues import QueueCollector

logger = logging.getLogger("dj_layouts")

#: The refreshes under way in this process, by entry: a token while one starts,
#: then its future. An entry leaves once its refresh is done.
refreshing: dict[tuple[str, str, str], Any] = {}


def revalidate(cache: PanelCache, *, inline: bool) -> None:
    """Start one background refresh of a stale entry, unless one is running.

    ``inline``: take the refresh lock here (sync code, in-memory backends);
    otherwise the refresh takes it, so the event loop never waits for the cache.
    """
    ident, token = cache.ident, uuid.uuid4().hex
    if refreshing.setdefault(ident, token) != token:
        return  # this process refreshes it already
    try:
        if inline and not cache.cache.add(
            cache.refresh_key, token, lease_seconds(cache.lock_timeout)
        ):
            refreshing.pop(ident, None)
            return  # another process refreshes it
        cache.request  # noqa: B018 -- a hit's panel request is built here, not on the refresh pool
        future = submit_background(lambda: refresh(cache, token, acquire=not inline))
    except Exception:
        # The stale HTML is still good to serve; a later hit tries again.
        logger.warning(
            "Panel %r: could not start refreshing its stale entry.", cache.name, exc_info=True
        )
        refreshing.pop(ident, None)
        return
    refreshing[ident] = future
    # Added after the line above, so it runs after it even for a refresh done already.
    future.add_done_callback(lambda done: refreshing.pop(ident, None))


def refresh(cache: PanelCache, token: str, *, acquire: bool) -> None:
    """Render the entry anew and store it (on the refresh pool).

    ``acquire``: take the refresh lock first; whoever holds it refreshes.
    """
    backend = cache.cache
    try:
        if acquire and not backend.add(cache.refresh_key, token, lease_seconds(cache.lock_timeout)):
            return  # another process refreshes it
        try:
            found = backend.get_many([cache.key, cache.generation_key])
            entry = cache.usable(found)
            if entry is not None and time.time() < entry["fresh_until"]:
                return  # refreshed meanwhile
            request, queues = _refresh_request(cache)
            html = _render_fresh(cache, request)
            backend.set(
                cache.key, cache.entry(html, found.get(cache.generation_key), queues), cache.ttl()
            )
        finally:
            release(backend, cache.refresh_key, token)
    except Exception:
        logger.exception(
            "Background refresh of panel %r failed; its stale entry is kept until it expires.",
            cache.name,
        )


def _refresh_request(cache: PanelCache) -> tuple[HttpRequest, QueueCollector]:
    """A copy of the panel request with empty queues: the page has moved on."""
    from dj_layouts.queues import QueueCollector

    request = object.__new__(type(cache.request))
    request.__dict__.update(cache.request.__dict__)
    queues = QueueCollector(cache.queues.spec)
    request.__dict__["layout_queues"] = queues
    return request, queues


def _render_fresh(cache: PanelCache, request: HttpRequest) -> str:
    func = cache.config.refresh_func
    if func is None:
        return cache.panel.render(request)
    if cache.config.refresh_is_async:
        return to_html(cache.name, async_to_sync(func)(request))
    return to_html(cache.name, func(request))
