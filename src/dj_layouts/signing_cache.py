"""Signing work kept, so a panel URL is not signed or checked again (SPEC §16).

Checking a reference (``django.core.signing``: base64, HMAC, zlib, JSON) is most of
what the panel endpoint costs beyond the panel itself, and signing an edge panel's
URL, which is the same for every visit of a page, is most of what an ``<esi:include>``
costs a page. A ``SigningCache`` keeps such results by their text, bounded:

- the endpoint keeps what a reference named once its signature checked out (a
  reference that failed is never kept). Its age is still checked on every request,
  against the timestamp signed inside it, so ``PANEL_URL_MAX_AGE`` holds to the second;
- pages keep the signed reference of each edge panel payload.

Both hold only while the signing keys do: when ``SECRET_KEY`` or
``SECRET_KEY_FALLBACKS`` change (a key rotation, ``override_settings``), the cache
empties, so a reference signed with a key that is no longer accepted is checked
again, and refused, and no URL signed with an old key is handed out.
"""

from __future__ import annotations

import threading
from typing import Any, Generic, TypeVar

from django.conf import settings

T = TypeVar("T")

#: Entries kept per cache and process. A reference is a URL (a few hundred bytes, more
#: with a large layout context), so a cache holds well under a few MB.
MAX_ENTRIES = 1024


def signing_keys() -> tuple[Any, ...]:
    """The keys ``django.core.signing`` accepts now: ``SECRET_KEY``, then its fallbacks."""
    return (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)


class SigningCache(Generic[T]):
    """Text -> what signing or checking it gave under the current keys; at most ``size``.

    Reads take no lock; writes do. When full, the oldest entry goes first.
    """

    def __init__(self, size: int = MAX_ENTRIES) -> None:
        self.size = size
        self._entries: dict[str, T] = {}
        self._keys: tuple[Any, ...] = ()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, text: str) -> T | None:
        """What was kept for ``text`` under the current signing keys, or None."""
        keys = signing_keys()
        if keys != self._keys:
            with self._lock:
                self._entries.clear()
                self._keys = keys
            return None
        return self._entries.get(text)

    def put(self, text: str, value: T, keys: tuple[Any, ...]) -> None:
        """Keep ``value``, signed or checked under ``keys`` (``signing_keys()`` beforehand).

        Not kept when the keys changed meanwhile: it was made with the old ones.
        """
        with self._lock:
            if keys != signing_keys():
                return
            if keys != self._keys:
                self._entries.clear()
                self._keys = keys
            entries = self._entries
            while len(entries) >= self.size:
                del entries[next(iter(entries))]
            entries[text] = value

    def discard(self, text: str) -> None:
        with self._lock:
            self._entries.pop(text, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
