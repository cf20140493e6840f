"""The bounded cache of signing work (dj_layouts.signing_cache)."""

from __future__ import annotations

from django.test import override_settings

from dj_layouts.signing_cache import MAX_ENTRIES, SigningCache, signing_keys


def test_what_is_kept_under_the_current_keys_is_found():
    cache: SigningCache[str] = SigningCache()
    cache.put("ref", "named", signing_keys())
    assert cache.get("ref") == "named"
    assert cache.get("other") is None


def test_the_default_size_bounds_the_cache():
    assert SigningCache().size == MAX_ENTRIES == 1024


def test_when_full_the_oldest_entry_goes_first():
    cache: SigningCache[int] = SigningCache(size=2)
    keys = signing_keys()
    for number in range(3):
        cache.put(f"ref{number}", number, keys)
    assert len(cache) == 2
    assert (cache.get("ref0"), cache.get("ref1"), cache.get("ref2")) == (None, 1, 2)


def test_a_new_secret_key_empties_the_cache():
    cache: SigningCache[str] = SigningCache()
    cache.put("ref", "named", signing_keys())
    with override_settings(SECRET_KEY="rotated"):
        assert cache.get("ref") is None
    # Back to the old key: still empty, the reference is checked again.
    assert cache.get("ref") is None
    assert len(cache) == 0


def test_a_fallback_key_dropped_empties_the_cache():
    with override_settings(SECRET_KEY_FALLBACKS=["old"]):
        cache: SigningCache[str] = SigningCache()
        cache.put("ref", "named", signing_keys())
        assert cache.get("ref") == "named"
    assert cache.get("ref") is None


def test_what_was_made_under_keys_that_changed_since_is_not_kept():
    cache: SigningCache[str] = SigningCache()
    before = signing_keys()
    with override_settings(SECRET_KEY="rotated"):
        cache.put("ref", "named", before)
        assert cache.get("ref") is None
    assert len(cache) == 0


def test_discard_and_clear():
    cache: SigningCache[str] = SigningCache()
    keys = signing_keys()
    cache.put("a", "a", keys)
    cache.put("b", "b", keys)
    cache.discard("a")
    cache.discard("missing")
    assert (cache.get("a"), len(cache)) == (None, 1)
    cache.clear()
    assert len(cache) == 0
