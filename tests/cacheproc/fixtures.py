"""The Redis server the cache tests share: started once per session, stopped at the end.

Import ``redis_server`` into a test module to get the ``redis_url`` fixture. When no
server can be had, every test that asks for it is skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests._services import redis_unavailable_reason, start_redis, stop_redis


@pytest.fixture(scope="session", name="redis_url")
def redis_server() -> Iterator[str]:
    url = start_redis()
    if url is None:
        pytest.skip(f"no Redis server for the Redis tests: {redis_unavailable_reason()}")
    yield url
    stop_redis(url)


def redis_caches(url: str, **extra: dict[str, object]) -> dict[str, dict[str, object]]:
    """A ``CACHES`` setting whose default alias is Django's RedisCache on ``url``."""
    return {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url},
        **extra,
    }
