"""Panel references whose signature checked out, kept so a refresh skips the HMAC (SPEC §16).

Checking a reference (``django.core.signing``: base64, HMAC, zlib, JSON) and finding
its layout and panel is most of what the panel endpoint costs beyond the panel itself.
This bounded cache keeps what a reference named once its signature checked out, by
the reference's exact text; a reference that failed is never kept.

What is still checked on every request:

- the age, against the timestamp signed inside the reference, so
  ``PANEL_URL_MAX_AGE`` holds to the second, whatever was cached;
- the signing keys: when ``SECRET_KEY`` or ``SECRET_KEY_FALLBACKS`` change (a key
  rotation, ``override_settings``), the cache empties, so a reference signed with a key
  that is no longer accepted is checked again, and refused.

The endpoint also checks that the cached layout and panel are still the registered
ones (a layout re-declared replaces its class).
"""

from __future__ import annotations

import threading
from typing import Any, Generic, TypeVar

from django.conf import settings

T = TypeVar("T")

#: References kept per process. A reference is a URL (a few hundred bytes, more with a
#: large layout context), so this holds well under a few MB.
MAX_ENTRIES = 1024


def signing_keys() -> tuple[Any, ...]:
    """The keys ``django.core.signing`` accepts now: ``SECRET_KEY``, then its fallbacks."""
    return (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)


class VerifiedReferences(Generic[T]):
    """Reference text -> (signed timestamp or ``None``, what it names), at most ``size``.

    Reads take no lock; writes do. When full, the oldest entry goes first.
    """

    def __init__(self, size: int = MAX_ENTRIES) -> None:
        self.size = size
        self._entries: dict[str, tuple[float | None, T]] = {}
        self._keys: tuple[Any, ...] = ()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, reference: str) -> tuple[float | None, T] | None:
        """What ``reference`` named when it was verified under the current keys, or None."""
        keys = signing_keys()
        if keys != self._keys:
            with self._lock:
                self._entries.clear()
                self._keys = keys
            return None
        return self._entries.get(reference)

    def put(self, reference: str, timestamp: float | None, value: T, keys: tuple[Any, ...]) -> None:
        """Keep a reference just verified under ``keys`` (``signing_keys()`` before checking).

        Not kept when the keys changed meanwhile: it was checked against the old ones.
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
            entries[reference] = (timestamp, value)

    def discard(self, reference: str) -> None:
        with self._lock:
            self._entries.pop(reference, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
