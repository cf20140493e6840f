"""Views served by each uvicorn process; every panel render is counted in Redis."""

from __future__ import annotations

import os
import time

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from dj_layouts import async_layout

_redis = redis.Redis.from_url(settings.REDIS_URL)


def ready(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(os.getpid()))


def slow_panel(request: HttpRequest) -> HttpResponse:
    # A sync panel with a real blocking call, as a slow database query would be.
    time.sleep(settings.PANEL_SLEEP)
    number = _redis.incr("cacheproc:renders")
    return HttpResponse(f"render {number} in {os.getpid()}")


@async_layout("tests.CacheProcLayout")
async def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"served by {os.getpid()}")


@async_layout("tests.SwrLayout")
async def swr_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"served by {os.getpid()}")
