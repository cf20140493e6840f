"""Panel caching: strategies, the documented keys, stale-while-revalidate and a stampede lock.

``Panel("app:nav", cache=cache.sitewide(timeout=3600))`` stores the panel's HTML
(and the queue items it added) under ``layouts:panel:<name>`` or
``layouts:panel:<name>:<vary>``. Each entry also records which source rendered
it, so a panel of the same name with another source never serves it.

One concern per module: ``strategies`` (``CacheConfig`` and the strategies),
``keys``, ``invalidation``, ``lock`` (the lease stored in the cache), ``flow``
(the one logic body of a lookup), ``driver`` and ``io`` (doing what it asks,
sync or async), ``refresh`` (stale-while-revalidate) and ``entry``
(``PanelCache``, which ``Page`` uses).
"""

from __future__ import annotations

from dj_layouts.cache.entry import PanelCache
from dj_layouts.cache.invalidation import ainvalidate_panel, invalidate_panel
from dj_layouts.cache.keys import KEY_PREFIX, make_key
from dj_layouts.cache.strategies import (
    CacheConfig,
    custom,
    per_path,
    per_session,
    per_user,
    per_user_per_path,
    sitewide,
)

__all__ = [
    "KEY_PREFIX",
    "CacheConfig",
    "PanelCache",
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
