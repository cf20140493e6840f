"""The layouts of the Wagtail test site: panels of every kind around a Wagtail page."""

from __future__ import annotations

import time

from asgiref.sync import sync_to_async
from django.http import HttpResponse
from django.utils.html import format_html_join
from wagtail.models import Site

from dj_layouts import (
    GatherExecutor,
    Layout,
    Panel,
    ScriptQueue,
    SequentialExecutor,
    ThreadedExecutor,
    add_script,
    cache,
)

#: How often the cached panel's source ran (the cache test reads it).
CALLS = {"cached": 0}
#: How long each slow panel sleeps, and when each ran: (start, end) (the executor test).
SLEEP = 0.5
RUNS: list[tuple[float, float]] = []


def site_nav(request):
    """Lists the live children of the site's root page: a panel that reads the page tree."""
    site = Site.find_for_request(request)
    children = site.root_page.get_children().live().order_by("path")
    add_script(request, "/static/nav.js")
    items = format_html_join("", '<a href="{}">{}</a>', ((p.url, p.title) for p in children))
    return HttpResponse(f"<nav>{items}</nav>")


async def aside(request, **context):
    # An async panel that reads the database, the way an async panel must.
    count = await sync_to_async(Site.objects.count)()
    return f"<aside>async aside, {count} site</aside>"


def cached(request, **context):
    CALLS["cached"] += 1
    return f"<p>cached #{CALLS['cached']}</p>"


def slow(request, **context):
    started = time.perf_counter()
    time.sleep(SLEEP)
    RUNS.append((started, time.perf_counter()))
    return "<p>slow</p>"


class SiteLayout(Layout):
    template = "wagtailsite/layout.html"
    scripts = ScriptQueue()
    nav = Panel(site_nav)
    aside = Panel(aside)
    footer = Panel(cached, cache=cache.sitewide(timeout=60))


class PrintLayout(Layout):
    template = "wagtailsite/print.html"


class StreamedLayout(SiteLayout):
    streaming = "ordered"


class _SlowLayout(Layout):
    abstract = True
    template = "wagtailsite/slow.html"
    one = Panel(slow)
    two = Panel(slow)


class SlowSequential(_SlowLayout):
    executor = SequentialExecutor


class SlowThreaded(_SlowLayout):
    executor = ThreadedExecutor


class SlowGather(_SlowLayout):
    executor = GatherExecutor
