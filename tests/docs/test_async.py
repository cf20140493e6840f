"""docs/async.md: every sample runs (Sybil), and the page says what the code does."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from unittest import mock

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpResponse

from dj_layouts import (
    Panel,
    PanelRenderError,
    SequentialExecutor,
    async_layout,
)
from tests._slots import make_layout, sections
from tests.docs.pages import (
    DocProject,
    check_settings_block,
    code_blocks,
    settings_blocks,
)
from tests.testapp.models import Note

ASYNC = "async.md"
EXECUTORS = "executors.md"
PANELS = ("<p>3 open orders</p>", "<p>2 new comments</p>", "<p>No alerts</p>")


@pytest.fixture
def async_project(tmp_path: Any) -> Any:
    with DocProject(tmp_path, ASYNC) as project:
        project.run_samples()
        yield project


def test_every_sample_runs(async_project):
    assert "test_dashboard" in async_project.namespace


async def test_the_dashboard_renders_its_panels_at_the_same_time(async_project, async_client):
    await async_client.get("/")  # imports the sample's views and compiles its template
    started = time.perf_counter()
    response = await async_client.get("/")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Dashboard</title>" in html
    assert "<main><h2>Welcome back!</h2></main>" in html
    assert [html.index(panel) for panel in PANELS] == sorted(html.index(panel) for panel in PANELS)
    # Three panels of 200 ms each: about 200 ms, not 600 ms.
    assert elapsed < 0.45


async def test_the_account_view_redirects_visitors_and_greets_users(async_project, rf):
    view = async_project.namespace["AccountView"].as_view()
    request = rf.get("/account/")
    request.user = AnonymousUser()
    response = await view(request)
    assert (response.status_code, response["Location"]) == (302, "/login/?next=/account/")

    request = rf.get("/account/")
    request.user = User(username="ann")
    html = (await view(request)).content.decode()
    assert "<main><h2>Hello ann</h2></main>" in html
    assert all(panel in html for panel in PANELS)


async def test_the_report_shortcut_renders_the_template_as_content(async_project, rf):
    response = await async_project.namespace["report"](rf.get("/report/"))
    html = response.content.decode()
    assert "<main><h2>Report for Q3</h2>\n</main>" in html
    assert all(panel in html for panel in PANELS)


async def test_news_layout_times_out_the_slow_panel_only(async_project, rf):
    news = async_project.namespace["NewsLayout"]
    assert news.panel_timeout == 2
    assert news.get_panels()["activity"].timeout == 0.05

    @async_layout(news)
    async def view(request):
        return HttpResponse("<h2>News</h2>")

    started = time.perf_counter()
    html = (await view(rf.get("/"))).content.decode()
    assert time.perf_counter() - started < 1
    assert "<p>3 open orders</p>" in html  # no timeout of its own: 2 s is enough
    assert "<p>2 new comments</p>" not in html  # 200 ms against its 50 ms
    assert 'data-panel="activity"' in html


async def test_a_timed_out_async_panel_sees_cancellation(rf):
    """What the page says about timeouts and async panels."""
    seen: list[str] = []

    async def slow(request: Any) -> str:
        try:
            await asyncio.sleep(2)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise
        return "late"

    @async_layout(make_layout({"slow": Panel(slow, timeout=0.05)}))
    async def view(request):
        return HttpResponse("x")

    html = (await view(rf.get("/"))).content.decode()
    assert seen == ["cancelled"]
    assert 'data-panel="slow"' in sections(html)["slow"]


def test_the_settings_sample_is_valid():
    (block,) = settings_blocks(ASYNC)
    assert check_settings_block(block)["DJ_LAYOUTS"] == {"SYNC_PANEL_WORKERS": 64}


def test_the_testing_sample_passes_and_restores_the_executor(async_project, client):
    dashboard_layout = async_project.module("myapp.layouts").DashboardLayout
    async_project.namespace["test_dashboard"](client)
    assert dashboard_layout.executor is None


def test_the_pages_template_files(async_project):
    # Templates of the sample project, which the tests above render.
    titles = [block.title for block in code_blocks(ASYNC) if block.lang == "django"]
    assert titles == ["myapp/templates/myapp/dashboard.html", "myapp/templates/myapp/report.html"]


# What the page promises about transactions, with a model of the test app.
def _notes_panel(request: Any) -> str:
    return f"<p>{Note.objects.count()} notes</p>"


NOTES_LAYOUT = make_layout({"notes": _notes_panel}, name="DocsNotesLayout")


@async_layout(NOTES_LAYOUT)
async def notes_page(request):
    return HttpResponse("<h1>notes</h1>")


@pytest.mark.django_db
def test_worker_thread_panels_do_not_see_a_test_transaction(rf, settings):
    settings.DJ_LAYOUTS = {"DEBUG_ERRORS": True}
    Note.objects.create(text="uncommitted")
    # SQLite refuses the read outright; another database would show no rows.
    with pytest.raises(PanelRenderError):
        async_to_sync(notes_page)(rf.get("/"))


@pytest.mark.django_db
def test_sequential_executor_panels_see_a_test_transaction(rf):
    Note.objects.create(text="uncommitted")
    with mock.patch.object(NOTES_LAYOUT, "executor", SequentialExecutor()):
        response = async_to_sync(notes_page)(rf.get("/"))
    assert sections(response.content) == {"notes": "<p>1 notes</p>"}


@pytest.mark.django_db(transaction=True)
def test_worker_thread_panels_see_committed_data(rf):
    Note.objects.create(text="committed")
    response = async_to_sync(notes_page)(rf.get("/"))
    assert sections(response.content) == {"notes": "<p>1 notes</p>"}
