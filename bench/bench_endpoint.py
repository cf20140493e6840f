"""Panels with their own URL (SPEC §16), in-process through Django's test client.

(k) A page whose only slow panel (500 ms) is lazy answers without waiting for it; the
browser then fetches the panel (its time is the panel's). (m) CPU per refresh of one
small panel through the panel endpoint, against calling the same view at its own URL.
(l), the edge through Varnish, is measured by tests/test_varnish.py, not here.
"""

from __future__ import annotations

import re
import statistics
import time

from django.test import Client

from bench._measure import cpu_us
from bench._table import Row

GROUP_K = "k lazy"
GROUP_M = "m endpoint"
RUNS = 5
LAZY_TARGET_MS = 25.0
OVERHEAD_TARGET = 1.2


def _wall_ms(client: Client, url: str) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def run() -> list[Row]:
    client = Client()
    html = client.get("/endpoint/lazy/").content.decode()
    lazy_url = re.search(r'data-src="([^"]+)" data-load="lazy"', html)
    small_url = None
    assert lazy_url is not None
    from dj_layouts.endpoints import panel_url

    request = client.get("/endpoint/lazy/").wsgi_request
    small_url = panel_url(request, "small")
    lazy_ms = _wall_ms(client, "/endpoint/lazy/")
    inline_ms = _wall_ms(client, "/endpoint/inline/")
    panel_ms = _wall_ms(client, lazy_url.group(1))
    bare = cpu_us(lambda: client.get("/endpoint/bare/"))
    endpoint = cpu_us(lambda: client.get(small_url))
    ratio = endpoint / bare
    return [
        Row(
            GROUP_K,
            "page with a lazy 500 ms panel",
            f"{lazy_ms:.1f} ms",
            f"<= {LAZY_TARGET_MS:.0f} ms",
            lazy_ms <= LAZY_TARGET_MS,
        ),
        Row(GROUP_K, "same page, panel inline (buffered)", f"{inline_ms:.1f} ms", "(info)"),
        Row(GROUP_K, "the lazy panel fetched after", f"{panel_ms:.1f} ms", "(info)"),
        Row(
            GROUP_M,
            "CPU per refresh via the endpoint",
            f"{endpoint:.0f} us = {ratio:.2f}x bare view",
            f"<= {OVERHEAD_TARGET}x",
            ratio <= OVERHEAD_TARGET,
        ),
        Row(GROUP_M, "CPU per bare panel view", f"{bare:.0f} us", "(info)"),
    ]
