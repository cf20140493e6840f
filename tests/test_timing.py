"""Per-page timing: Server-Timing entries, the page_timed signal and the log record."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time

import pytest
from django.core.cache import caches
from django.http import HttpResponse
from django.test import RequestFactory

from dj_layouts import (
    GatherExecutor,
    Panel,
    SequentialExecutor,
    ThreadedExecutor,
    async_layout,
    cache,
    layout,
)
from dj_layouts.timing import PageTiming, page_timed
from tests.testapp.models import Note


def slow(request):
    time.sleep(0.2)
    return "<p>slow</p>"


def quick(request):
    time.sleep(0.05)
    return "<p>quick</p>"


def broken(request):
    raise ValueError("no")


@pytest.fixture
def timed_layout(make_layout):
    """A layout with a slow panel, a cached one and a broken one (registry restored after)."""
    return make_layout(
        "TimedLayout",
        template="testapp/core/slots.html",
        layout_context_defaults={"slots": ["sidebar", "footer", "header"]},
        executor=ThreadedExecutor(max_workers=4),
        sidebar=Panel(slow),
        footer=Panel(quick, cache=cache.sitewide(60)),
        header=Panel(broken),
    )


@pytest.fixture
def view(timed_layout):
    @layout(timed_layout)
    def page(request):
        time.sleep(0.03)
        return HttpResponse("<h1>content</h1>")

    return page


def _entries(header: str) -> dict[str, tuple[float, str]]:
    found = {}
    for entry in header.split(", "):
        name, _, rest = entry.partition(";")
        dur = float(re.search(r"dur=([0-9.]+)", rest).group(1))
        desc = re.search(r'desc="([^"]*)"', rest)
        found[name] = (dur, desc.group(1) if desc else "")
    return found


@pytest.fixture
def timed(settings):
    settings.DJ_LAYOUTS = {"SERVER_TIMING": True, "DEBUG_ERRORS": False}
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "timing",
        }
    }


def test_server_timing_has_an_entry_per_panel_with_its_duration(timed, view, caplog):
    caplog.set_level(logging.CRITICAL, logger="dj_layouts")  # the broken panel's error
    response = view(RequestFactory().get("/"))
    entries = _entries(response["Server-Timing"])
    names = list(entries)
    assert names[0] == "content" and names[-2:] == ["assembly", "total"]
    assert sorted(names[1:-2]) == ["panel-footer", "panel-header", "panel-sidebar"]
    assert 30 <= entries["content"][0] < 200
    assert 200 <= entries["panel-sidebar"][0] < 600
    assert 50 <= entries["panel-footer"][0] < 200
    assert entries["panel-header"][1] == "error"
    # The panels overlapped: the page took about its slowest panel, not the sum.
    assert entries["total"][0] < 30 + 200 + 50 + 150
    assert entries["total"][0] >= 230

    # The second page takes the footer from its cache.
    again = _entries(view(RequestFactory().get("/"))["Server-Timing"])
    assert again["panel-footer"][1] == "cache hit"
    assert again["panel-footer"][0] < 20


def test_no_header_unless_asked(settings, view):
    settings.DJ_LAYOUTS = {"DEBUG_ERRORS": False}
    settings.DEBUG = False
    assert "Server-Timing" not in view(RequestFactory().get("/"))


def test_none_follows_debug(settings, view):
    settings.DJ_LAYOUTS = {"SERVER_TIMING": None, "DEBUG_ERRORS": False}
    settings.DEBUG = True
    assert "Server-Timing" in view(RequestFactory().get("/"))


def test_signal_and_log_record_carry_the_same_figures(settings, caplog, view, timed_layout):
    settings.DJ_LAYOUTS = {"DEBUG_ERRORS": False}
    received: list[PageTiming] = []

    def receiver(sender, request, timing, **kwargs):
        assert sender is timed_layout
        received.append(timing)

    page_timed.connect(receiver)
    try:
        with caplog.at_level(logging.DEBUG, logger="dj_layouts.timing"):
            view(RequestFactory().get("/here/"))
    finally:
        page_timed.disconnect(receiver)
    (timing,) = received
    assert timing.layout == timed_layout.key and timing.path == "/here/"
    assert timing.executor == "ThreadedExecutor"
    by_name = {panel.name: panel for panel in timing.panels}
    assert set(by_name) == {"sidebar", "footer", "header"}
    assert by_name["sidebar"].duration >= 0.2
    assert by_name["sidebar"].thread.startswith("dj-layouts")
    assert by_name["header"].outcome == "error" and by_name["header"].error == "ValueError"
    (record,) = [r for r in caplog.records if r.name == "dj_layouts.timing"]
    assert record.dj_layouts == timing.as_dict()
    assert record.getMessage().startswith(f"Layout {timed_layout.key} rendered /here/ in ")


@pytest.mark.django_db
def test_the_record_names_sources_counts_queries_and_lists_queue_items(make_layout):
    from django.db import connection

    from dj_layouts import ScriptQueue, add_script

    def querying(request):
        add_script(request, "/static/q.js")
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.execute("SELECT 2")
        return "<p>q</p>"

    timed = make_layout(
        "QueryLayout",
        template="testapp/core/slots.html",
        layout_context_defaults={"slots": ["q"]},
        executor=ThreadedExecutor(max_workers=2),
        scripts=ScriptQueue(),
        q=Panel(querying),
    )
    received: list[PageTiming] = []
    page_timed.connect(
        lambda timing, **kwargs: received.append(timing), weak=False, dispatch_uid="t"
    )
    try:
        layout(timed)(lambda request: HttpResponse("<h1>c</h1>"))(RequestFactory().get("/"))
    finally:
        page_timed.disconnect(dispatch_uid="t")
    (timing,) = received
    by_name = {panel.name: panel for panel in timing.panels}
    assert by_name["q"].queries == 2 and by_name["q"].source.startswith("callable:")
    assert timing.thread == "MainThread"
    assert timing.queues == {"scripts": ['<script src="/static/q.js"></script>']}


# -- cache hits, whichever way the executor ran the panel ----------------------------------


def sync_side(request):
    return "<p>sync side</p>"


async def async_side(request):
    return "<p>async side</p>"


EXECUTORS = {
    "sequential": SequentialExecutor,
    "threaded": lambda: ThreadedExecutor(max_workers=2),
    "gather": GatherExecutor,
}


@pytest.fixture
def cached_layout(timed, make_layout, request):
    """A layout with a cached sync panel, a cached async one and an uncached one; cold cache."""
    caches["default"].clear()
    return make_layout(
        "CachedTimingLayout",
        template="testapp/core/slots.html",
        layout_context_defaults={"slots": ["sync_side", "async_side", "plain"]},
        executor=EXECUTORS[request.param](),
        sync_side=Panel(sync_side, cache=cache.sitewide(60)),
        async_side=Panel(async_side, cache=cache.sitewide(60)),
        plain=Panel(quick),
    )


@pytest.fixture
def records():
    received: list[PageTiming] = []
    page_timed.connect(
        lambda timing, **kwargs: received.append(timing), weak=False, dispatch_uid="records"
    )
    yield received
    page_timed.disconnect(dispatch_uid="records")


def _cache_states(timing: PageTiming) -> dict[str, str]:
    return {panel.name: panel.cache for panel in timing.panels}


def _descs(response) -> dict[str, str]:
    return {name: desc for name, (_, desc) in _entries(response["Server-Timing"]).items()}


COLD = {"sync_side": "", "async_side": "", "plain": ""}
WARM = {"sync_side": "hit", "async_side": "hit", "plain": ""}


@pytest.mark.parametrize("cached_layout", list(EXECUTORS), indirect=True)
def test_a_warm_cached_panel_is_a_hit_and_a_cold_one_a_miss_on_a_sync_page(cached_layout, records):
    view = layout(cached_layout)(lambda request: HttpResponse("<h1>c</h1>"))
    cold = view(RequestFactory().get("/"))
    warm = view(RequestFactory().get("/"))

    assert [_cache_states(timing) for timing in records] == [COLD, WARM]
    # A hit ran no query, whether the executor probed the cache or ran the panel.
    assert [panel.queries for panel in records[1].panels if panel.cache] == [0, 0]
    assert _descs(cold)["panel-sync_side"] == _descs(cold)["panel-async_side"] == ""
    assert _descs(warm)["panel-sync_side"] == _descs(warm)["panel-async_side"] == "cache hit"
    assert _descs(warm)["panel-plain"] == ""


@pytest.mark.parametrize("cached_layout", list(EXECUTORS), indirect=True)
async def test_a_warm_cached_panel_is_a_hit_and_a_cold_one_a_miss_on_an_async_page(
    cached_layout, records
):
    async def content(request):
        return HttpResponse("<h1>c</h1>")

    view = async_layout(cached_layout)(content)
    cold = await view(RequestFactory().get("/"))
    warm = await view(RequestFactory().get("/"))

    assert [_cache_states(timing) for timing in records] == [COLD, WARM]
    # A hit ran no query, whether the executor probed the cache or ran the panel.
    assert [panel.queries for panel in records[1].panels if panel.cache] == [0, 0]
    assert _descs(cold)["panel-sync_side"] == _descs(cold)["panel-async_side"] == ""
    assert _descs(warm)["panel-sync_side"] == _descs(warm)["panel-async_side"] == "cache hit"


# -- SQL queries: each panel's own, whichever executor or path ran it -----------------------


async def two_queries(request):
    await Note.objects.acount()
    await Note.objects.filter(pk=1).aexists()
    return "<p>two</p>"


async def three_queries(request):
    for _ in range(3):
        await Note.objects.acount()
    return "<p>three</p>"


def one_query(request):
    Note.objects.count()
    return "<p>one</p>"


@pytest.fixture
def orm_layout(make_layout, request):
    """Two async panels and a sync one that run real ORM queries (2, 3 and 1)."""
    return make_layout(
        "OrmLayout",
        template="testapp/core/slots.html",
        layout_context_defaults={"slots": ["two", "three", "one"]},
        executor=EXECUTORS[request.param](),
        two=Panel(two_queries),
        three=Panel(three_queries),
        one=Panel(one_query),
    )


def _queries(timing: PageTiming) -> dict[str, int | None]:
    for panel in timing.panels:
        assert sum(panel.query_threads.values()) == panel.queries
    return {panel.name: panel.queries for panel in timing.panels}


@pytest.mark.django_db
@pytest.mark.parametrize("orm_layout", list(EXECUTORS), indirect=True)
def test_every_panel_counts_its_own_orm_queries_on_a_sync_page(orm_layout, records):
    layout(orm_layout)(lambda request: HttpResponse("<h1>c</h1>"))(RequestFactory().get("/"))

    (timing,) = records
    assert _queries(timing) == {"two": 2, "three": 3, "one": 1}


@pytest.mark.django_db
@pytest.mark.parametrize("orm_layout", list(EXECUTORS), indirect=True)
async def test_every_panel_counts_its_own_orm_queries_on_an_async_page(orm_layout, records):
    async def content(request):
        await Note.objects.acount()  # the content view's query is no panel's
        return HttpResponse("<h1>c</h1>")

    await async_layout(orm_layout)(content)(RequestFactory().get("/"))

    (timing,) = records
    assert _queries(timing) == {"two": 2, "three": 3, "one": 1}
    by_name = {panel.name: panel for panel in timing.panels}
    for name in ("two", "three"):
        # Awaited on the event loop; their queries ran where sync_to_async sent them.
        assert by_name[name].thread == threading.current_thread().name
        assert by_name[name].thread not in by_name[name].query_threads


@pytest.mark.django_db
async def test_async_panels_querying_at_the_same_time_each_get_their_own_count(
    make_layout, records
):
    # The two panels take turns, query by query, in sync_to_async's one thread.
    turns = [asyncio.Event() for _ in range(7)]

    def taking_turns(name, queries, first_turn):
        async def panel(request):
            for turn in range(first_turn, first_turn + 2 * queries, 2):
                await turns[turn].wait()
                await Note.objects.acount()
                turns[turn + 1].set()
            return f"<p>{name}</p>"

        return panel

    overlapping = make_layout(
        "OverlapLayout",
        template="testapp/core/slots.html",
        layout_context_defaults={"slots": ["three", "two"]},
        executor=GatherExecutor(),
        three=Panel(taking_turns("three", 3, 0)),
        two=Panel(taking_turns("two", 2, 1)),
    )

    async def content(request):
        turns[0].set()
        return HttpResponse("<h1>c</h1>")

    await async_layout(overlapping)(content)(RequestFactory().get("/"))

    (timing,) = records
    assert _queries(timing) == {"three": 3, "two": 2}
    three, two = sorted(timing.panels, key=lambda panel: panel.name, reverse=True)
    assert three.start < two.start + two.duration and two.start < three.start + three.duration
    assert set(three.query_threads) == set(two.query_threads)  # the same thread, shared
