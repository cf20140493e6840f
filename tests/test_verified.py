"""The bounded cache of verified panel references (dj_layouts.verified)."""

from __future__ import annotations

from django.test import override_settings

from dj_layouts.verified import MAX_ENTRIES, VerifiedReferences, signing_keys


def test_a_reference_kept_under_the_current_keys_is_found():
    cache: VerifiedReferences[str] = VerifiedReferences()
    cache.put("ref", 12.5, "named", signing_keys())
    assert cache.get("ref") == (12.5, "named")
    assert cache.get("other") is None


def test_the_default_size_bounds_the_cache():
    assert VerifiedReferences().size == MAX_ENTRIES == 1024


def test_when_full_the_oldest_reference_goes_first():
    cache: VerifiedReferences[int] = VerifiedReferences(size=2)
    keys = signing_keys()
    for number in range(3):
        cache.put(f"ref{number}", None, number, keys)
    assert len(cache) == 2
    assert (cache.get("ref0"), cache.get("ref1"), cache.get("ref2")) == (
        None,
        (None, 1),
        (None, 2),
    )


def test_a_new_secret_key_empties_the_cache():
    cache: VerifiedReferences[str] = VerifiedReferences()
    cache.put("ref", None, "named", signing_keys())
    with override_settings(SECRET_KEY="rotated"):
        assert cache.get("ref") is None
    # Back to the old key: still empty, the reference is verified again.
    assert cache.get("ref") is None
    assert len(cache) == 0


def test_a_fallback_key_dropped_empties_the_cache():
    with override_settings(SECRET_KEY_FALLBACKS=["old"]):
        cache: VerifiedReferences[str] = VerifiedReferences()
        cache.put("ref", None, "named", signing_keys())
        assert cache.get("ref") == (None, "named")
    assert cache.get("ref") is None


def test_a_reference_verified_under_keys_that_changed_since_is_not_kept():
    cache: VerifiedReferences[str] = VerifiedReferences()
    before = signing_keys()
    with override_settings(SECRET_KEY="rotated"):
        cache.put("ref", None, "named", before)
        assert cache.get("ref") is None
    assert len(cache) == 0


def test_discard_and_clear():
    cache: VerifiedReferences[str] = VerifiedReferences()
    keys = signing_keys()
    cache.put("a", None, "a", keys)
    cache.put("b", None, "b", keys)
    cache.discard("a")
    cache.discard("missing")
    assert (cache.get("a"), len(cache)) == (None, 1)
    cache.clear()
    assert len(cache) == 0
