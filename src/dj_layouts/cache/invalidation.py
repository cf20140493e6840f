"""Dropping a panel's cached entries: one of them, or all of them on every backend."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.cache import BaseCache, caches

from dj_layouts.cache.keys import generation_key, make_key
from dj_layouts.conf import get_settings

ALL: Any = object()


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
        if vary is ALL:
            # Entries remember the generation they were stored under; a new one
            # retires them all, whatever their vary part, on any backend.
            operations.append((cache, "set", (generation_key(panel_name), uuid.uuid4().hex, None)))
            operations.append((cache, "delete", (make_key(panel_name),)))
        else:
            operations.append((cache, "delete", (make_key(panel_name, str(vary)),)))
    return operations


def _aliases_of(panel_name: str) -> set[str]:
    """The backends that the registered layouts' panels named ``panel_name`` cache in."""
    from dj_layouts.layout import Layout

    aliases = set()
    for layout in Layout.registry.values():
        panel = layout.get_panels().get(panel_name)
        if panel is not None and panel.cache is not None:
            aliases.add(panel.cache.alias())
    return aliases


def invalidate_panel(panel_name: str, *, vary: Any = ALL, backend: str | None = None) -> None:
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
    panel_name: str, *, vary: Any = ALL, backend: str | None = None
) -> None:
    """``invalidate_panel()`` for async code, through Django's async cache API."""
    for cache, method, args in _invalidation(panel_name, vary, backend):
        await getattr(cache, f"a{method}")(*args)
