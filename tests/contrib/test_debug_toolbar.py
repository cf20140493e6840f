"""dj_layouts.contrib.debug_toolbar: the LayoutPanel rendered by the real toolbar, and
what the toolbar's SQL panel sees of queries that panels run in worker threads."""

from __future__ import annotations

import re
import time
from unittest import mock

import debug_toolbar
import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import include, path

from dj_layouts import (
    Layout,
    Panel,
    ScriptQueue,
    SequentialExecutor,
    ThreadedExecutor,
    add_script,
    async_layout,
    cache,
    layout,
)
from tests.testapp.models import Note

# Django 4.2 gets django-debug-toolbar 6, whose own URLs do not resolve under a test
# URLconf set per module; the panel is tested with the toolbar 8 that Django 5.2+ gets.
_TOOLBAR_8 = pytest.mark.skipif(
    int(debug_toolbar.VERSION.split(".")[0]) < 8,
    reason=f"tested with django-debug-toolbar 8+, found {debug_toolbar.VERSION}",
)


def querying(request):
    add_script(request, "/static/side.js")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.execute("SELECT 2")
    time.sleep(0.1)
    return "<p>queried</p>"


def footer(request):
    return "<p>footer</p>"


def broken(request):
    raise ValueError("no")


class ToolbarLayout(Layout):
    template = "testapp/toolbar.html"
    scripts = ScriptQueue()
    sidebar = Panel(querying)
    footer = Panel(footer)
    header = Panel(broken)


@layout(ToolbarLayout)
def page(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 3")
    return HttpResponse("<h1>content</h1>")


#: The layout of /hit/, declared by its test (make_layout keeps it out of other tests).
CACHED: dict[str, type[Layout]] = {}


def hit(request):
    return layout(CACHED["layout"])(lambda request: HttpResponse("<h1>hit</h1>"))(request)


@layout(ToolbarLayout)
def nested(request):
    # Another request's layout page, timed while this request's toolbar listens (as a
    # concurrent request's page would be): the toolbar must not show it.
    other = RequestFactory().get("/elsewhere/")
    other.user = request.user
    page(other)
    return HttpResponse("<h1>outer</h1>")


def plain(request):
    return HttpResponse("<html><body><p>plain</p></body></html>")


@async_layout(ToolbarLayout)
async def async_page(request):
    return HttpResponse("<h1>async</h1>")


def select():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


async def async_querying(request):
    # Django's async ORM runs its queries through a thread-sensitive sync_to_async.
    await Note.objects.acount()
    await Note.objects.filter(pk=1).aexists()
    return "<p>async queried</p>"


async def mixed_querying(request):
    await sync_to_async(select)()
    await sync_to_async(select, thread_sensitive=False)()
    return "<p>mixed</p>"


class AsyncPanelsLayout(Layout):
    template = "testapp/toolbar.html"
    sidebar = Panel(async_querying)
    footer = Panel(mixed_querying)


@async_layout(AsyncPanelsLayout)
async def async_panels_page(request):
    return HttpResponse("<h1>async panels</h1>")


urlpatterns = [
    path("toolbar/", page),
    path("async/", async_page),
    path("async-panels/", async_panels_page),
    path("plain/", plain),
    path("hit/", hit),
    path("nested/", nested),
    # Not debug_toolbar_urls(): that is empty when DEBUG is off, as it is when this
    # module is imported; the SQL panel links ORM queries to these URLs.
    path("__debug__/", include("debug_toolbar.urls")),
]

pytestmark = [_TOOLBAR_8, pytest.mark.urls(__name__), pytest.mark.django_db]


@pytest.fixture
def toolbar(settings):
    settings.MIDDLEWARE = ["debug_toolbar.middleware.DebugToolbarMiddleware", *settings.MIDDLEWARE]
    settings.DEBUG = True
    settings.DJ_LAYOUTS = {"DEBUG_ERRORS": False}
    settings.DEBUG_TOOLBAR_PANELS = [
        "debug_toolbar.panels.sql.SQLPanel",
        "dj_layouts.contrib.debug_toolbar.LayoutPanel",
    ]
    settings.DEBUG_TOOLBAR_CONFIG = {
        "SHOW_TOOLBAR_CALLBACK": lambda request: True,
        "RENDER_PANELS": True,
        "IS_RUNNING_TESTS": False,
    }


def sql_panel_count(html: str) -> int:
    """The query count the toolbar's own SQL panel shows in its sidebar entry."""
    entry = html[html.index('id="djdt-SQLPanel"') :]
    return int(re.search(r"(\d+) quer(?:y|ies) in", entry).group(1))


def render_with_toolbar(executor) -> tuple[str, str]:
    with mock.patch.object(ToolbarLayout, "executor", executor):
        html = Client().get("/toolbar/").content.decode()
    return html, html[html.index('id="LayoutPanel"') :]


def rows(panel: str) -> dict[str, list[str]]:
    """Each panel row's cells, text only, by panel name."""
    found = {}
    for row in re.findall(r'<tr class="djl-panel-\w+">(.*?)</tr>', panel, re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        found[cells[0]] = cells
    return found


@pytest.mark.usefixtures("toolbar")
def test_the_toolbar_renders_the_layout_panel():
    html, panel = render_with_toolbar(SequentialExecutor())
    assert "<h4>tests.ToolbarLayout <small>/toolbar/</small></h4>" in panel
    assert "<td>SequentialExecutor</td>" in panel
    found = rows(panel)
    assert list(found) == ["sidebar", "footer", "header"]  # in start order
    _, source, _, _, duration, thread, cache_state, outcome, queries = found["sidebar"]
    assert source == f"callable:{__name__}.querying@{__file__}:{querying.__code__.co_firstlineno}"
    assert float(duration.removesuffix(" ms")) >= 100  # it sleeps 0.1 s
    assert (thread, cache_state, outcome, queries) == ("MainThread", "", "ok", "2")
    assert found["header"][7] == "error: ValueError"
    assert (
        "<li><code>&lt;script src=&quot;/static/side.js&quot;&gt;&lt;/script&gt;</code></li>"
        in panel
    )
    # The same thread as the SQL panel's: it counted the panel's queries with the view's.
    assert sql_panel_count(html) == 3
    assert "Every counted panel query ran in thread MainThread and is on the SQL panel." in panel


@pytest.mark.usefixtures("toolbar")
def test_queries_in_worker_threads_are_missing_from_the_sql_panel_and_said_so():
    html, panel = render_with_toolbar(ThreadedExecutor(max_workers=2))
    # What the toolbar itself sees: the content view's query only.
    assert sql_panel_count(html) == 1
    sidebar = rows(panel)["sidebar"]
    assert sidebar[5].startswith("dj-layouts-threaded")
    assert sidebar[8] == "2 (not on the SQL panel)"
    assert (
        "2 SQL queries ran in worker threads and are not counted on the SQL panel: "
        "it sees only the connections of thread MainThread."
    ) in panel


@pytest.mark.usefixtures("toolbar")
def test_a_cache_hit_is_shown_as_a_hit(make_layout):
    CACHED["layout"] = make_layout(
        "CachedToolbarLayout",
        template="testapp/toolbar.html",
        executor=ThreadedExecutor(max_workers=2),
        sidebar=Panel(footer, cache=cache.sitewide(60)),
    )
    Client().get("/hit/")
    html = Client().get("/hit/").content.decode()
    assert rows(html[html.index('id="LayoutPanel"') :])["sidebar"][6] == "hit"


@pytest.mark.usefixtures("toolbar")
def test_a_page_without_a_layout_says_so(settings):
    html = Client().get("/plain/").content.decode()
    panel = html[html.index('id="LayoutPanel"') :]
    assert "This request rendered no buffered layout page." in panel
    assert "No layout page" in html


@pytest.mark.usefixtures("toolbar")
def test_the_page_server_timing_entries_survive_the_toolbar_header(settings):
    settings.DJ_LAYOUTS = {"DEBUG_ERRORS": False, "SERVER_TIMING": True}
    with mock.patch.object(ToolbarLayout, "executor", SequentialExecutor()):
        response = Client().get("/toolbar/")
    header = response["Server-Timing"]
    assert re.search(r"(^|, )content;dur=[0-9.]+, panel-sidebar;dur=[0-9.]+, ", header)
    assert "SQLPanel_sql_time;dur=" in header  # the toolbar's own entries are kept too


@pytest.mark.usefixtures("toolbar")
async def test_an_async_page_under_asgi_is_shown(async_client):
    response = await async_client.get("/async/")
    html = response.content.decode()
    panel = html[html.index('id="LayoutPanel"') :]
    assert "<td>GatherExecutor</td>" in panel
    assert rows(panel)["sidebar"][8] == "2 (not on the SQL panel)"


@pytest.mark.usefixtures("toolbar")
def test_only_this_requests_page_is_shown():
    html = Client().get("/nested/").content.decode()
    panel = html[html.index('id="LayoutPanel"') :]
    assert panel.count("<h4>tests.ToolbarLayout") == 1
    assert "<small>/nested/</small>" in panel and "/elsewhere/" not in panel


@pytest.mark.usefixtures("toolbar")
async def test_async_panels_queries_are_counted_where_they_ran(async_client):
    # Under ASGI, the SQL panel wraps the connections of the request's thread-sensitive
    # thread, where the async ORM of panels awaited on the event loop sends its queries.
    response = await async_client.get("/async-panels/")
    html = response.content.decode()
    panel = html[html.index('id="LayoutPanel"') :]
    found = rows(panel)
    assert found["sidebar"][8] == "2"
    assert found["footer"][8] == "2 (1 not on the SQL panel)"
    assert sql_panel_count(html) == 3
    assert (
        "1 SQL query ran in worker threads and is not counted on the SQL panel: "
        "it sees only the connections of thread "
    ) in panel
