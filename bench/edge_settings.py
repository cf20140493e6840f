"""``bench.settings`` with the panel cache on Redis (``BENCH_REDIS_URL``), for the edge group."""

from __future__ import annotations

import os

from bench.settings import *  # noqa: F403

MIDDLEWARE = ["bench.edge_pages.count_endpoint_requests"]
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["BENCH_REDIS_URL"],
    }
}
