"""The keys of a panel's entries and of the records kept beside them.

Entries live under the documented ``layouts:panel:<name>[:<vary>]``. Locks,
refresh locks and generations live outside that prefix, so that no vary part (a
path such as ``"/a:lock"``) can ever produce one of their keys.
"""

from __future__ import annotations

import hashlib
import weakref

from dj_layouts.panels import Panel

KEY_PREFIX = "layouts:panel"
LOCK_PREFIX = "layouts:panel-lock"
REFRESH_PREFIX = "layouts:panel-refresh"
GENERATION_PREFIX = "layouts:panel-generation"
# memcached refuses keys over 250 bytes; Django adds ":<version>:" and KEY_PREFIX,
# and the lock keys add a fingerprint.
_MAX_KEY = 200


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


def generation_key(panel_name: str) -> str:
    """Where the generation of ``panel_name``'s entries is kept (see ``invalidate_panel``)."""
    return f"{GENERATION_PREFIX}:{panel_name}"


def side_key(prefix: str, key: str, fingerprint: str) -> str:
    """The key of a record kept beside the entry ``key`` (its lock, its refresh lock)."""
    return f"{prefix}:{fingerprint}:{key[len(KEY_PREFIX) + 1 :]}"


_fingerprints: weakref.WeakKeyDictionary[Panel, str] = weakref.WeakKeyDictionary()


def fingerprint(panel: Panel) -> str:
    """A short digest of what renders ``panel``: its source's identity and its context.

    Computed once per panel declaration. The source says what it is
    (``Source.identity()``); an entry records this digest, so a panel of the same
    name with another source never serves it.
    """
    try:
        return _fingerprints[panel]
    except KeyError:
        pass
    identity = f"{panel.source.identity()}|{sorted(panel.context.items())!r}"
    digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    _fingerprints[panel] = digest
    return digest
