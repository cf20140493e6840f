"""The samples of docs/async.md and docs/executors.md run and do what the pages say."""

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
    GatherExecutor,
    Layout,
    Panel,
    PanelExecutor,
    PanelRenderError,
    PanelTimeout,
    SequentialExecutor,
    ThreadedExecutor,
    async_layout,
    layout,
)
from dj_layouts.errors import PanelError
from dj_layouts.executors import ExecutorStats, PanelJob, PanelOutcome
from tests._slots import make_layout, sections
from tests.docs_helpers import (
    DocProject,
    check_settings_block,
    code_blocks,
    file_blocks,
    python_blocks,
    settings_blocks,
)
from tests.testapp.models import Note

ASYNC = "async.md"
EXECUTORS = "executors.md"
PANELS = ("<p>3 open orders</p>", "<p>2 new comments</p>", "<p>No alerts</p>")


def _first_line(code: str) -> str:
    return next(
        line
        for line in code.splitlines()
        if line.strip() and not line.startswith(("import", "from"))
    )


def test_every_python_sample_is_covered_here():
    """A sample added to either page fails this test until a test below runs it."""
    found = [(b.page, b.title or _first_line(b.code)) for b in python_blocks(ASYNC)]
    found += [(b.page, b.title or _first_line(b.code)) for b in python_blocks(EXECUTORS)]
    assert found == [
        (ASYNC, "myapp/layouts.py"),
        (ASYNC, "myapp/views.py"),
        (ASYNC, "myapp/urls.py"),
        (ASYNC, "class AccountView(LoginRequiredMixin, AsyncLayoutMixin, View):"),
        (ASYNC, "async def report(request):"),
        (ASYNC, "class NewsLayout(Layout):"),
        (ASYNC, "settings.py"),
        (ASYNC, "def test_dashboard(client):  # a TestCase method works the same way"),
        (EXECUTORS, "class ReportLayout(Layout):"),
        (EXECUTORS, "shared = ThreadedExecutor(max_workers=16)"),
        (EXECUTORS, "figures = stats()"),
        (EXECUTORS, "class LimitedExecutor(PanelExecutor):"),
        (EXECUTORS, "class PartnerLayout(Layout):"),
    ]


@pytest.fixture
def async_project(tmp_path: Any) -> Any:
    with DocProject(tmp_path, ASYNC) as project:
        project.run_snippets()
        yield project


@pytest.fixture
def executors_project(tmp_path: Any) -> Any:
    # The executors page builds on the sample project of the async page.
    support = {block.title: block.code for block in file_blocks(ASYNC)}
    with DocProject(tmp_path, EXECUTORS, support=support) as project:
        project.run_snippets()
        yield project


# -- docs/async.md ------------------------------------------------------------------------------
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


# -- docs/executors.md ---------------------------------------------------------------------------
def test_report_layout_renders_a_sync_view_with_its_threaded_executor(executors_project, rf):
    report_layout = executors_project.namespace["ReportLayout"]
    assert isinstance(report_layout._executor, ThreadedExecutor)
    assert report_layout._executor.max_workers == 8

    @layout(report_layout)
    def view(request):
        return HttpResponse("<h2>Report</h2>")

    html = view(rf.get("/")).content.decode()
    assert "<p>3 open orders</p>" in html and "<p>No alerts</p>" in html


def test_executor_classes_and_shared_instances(executors_project):
    namespace = executors_project.namespace
    shop, blog, wiki = namespace["ShopLayout"], namespace["BlogLayout"], namespace["WikiLayout"]
    assert isinstance(shop._executor, GatherExecutor)
    assert blog._executor is wiki._executor is namespace["shared"]
    assert namespace["shared"].max_workers == 16


def test_the_stats_sample_reads_the_figures(executors_project):
    figures = executors_project.namespace["figures"]
    assert isinstance(figures, ExecutorStats)
    assert figures.max_abandoned == 64


def test_the_error_messages_on_the_page_are_the_real_ones():
    page = "\n".join(block.code for block in code_blocks(EXECUTORS) if block.lang == "text")
    with pytest.raises(TypeError) as excinfo:
        ThreadedExecutor(max_workers=0)
    assert f"TypeError: {excinfo.value}" in page
    with pytest.raises(TypeError) as excinfo:
        type("ShopLayout", (Layout,), {"template": "x.html", "executor": "fast", "abstract": True})
    assert f"TypeError: {excinfo.value}" in page


def test_patching_the_executor_as_the_page_says(executors_project, rf):
    shop = executors_project.namespace["ShopLayout"]
    seen: list[PanelExecutor] = []

    @layout(shop)
    def view(request):
        return HttpResponse("x")

    class RecordingExecutor(SequentialExecutor):
        def start(self, jobs):
            seen.append(self)
            return super().start(jobs)

    recording = RecordingExecutor()
    with mock.patch.object(shop, "executor", recording):
        view(rf.get("/"))
    view(rf.get("/"))
    assert seen == [recording]


async def test_partner_layout_runs_two_panels_at_a_time(executors_project, rf):
    partner = executors_project.namespace["PartnerLayout"]

    @async_layout(partner)
    async def view(request):
        return HttpResponse("<h2>Partners</h2>")

    started = time.perf_counter()
    html = (await view(rf.get("/"))).content.decode()
    elapsed = time.perf_counter() - started
    assert all(panel in html for panel in PANELS)
    # Three 200 ms panels, two at a time: two rounds, not one.
    assert 0.39 < elapsed < 1.5


def _job(index: int, delay: float, log: list[str], *, timeout: float | None = None) -> PanelJob:
    name = f"p{index}"

    async def arun() -> PanelOutcome:
        log.append(f"start {name}")
        try:
            await asyncio.sleep(delay)
        except asyncio.CancelledError:
            log.append(f"cancelled {name}")
            raise
        log.append(f"end {name}")
        return PanelOutcome(index, name, html=name)

    return PanelJob(
        index=index,
        name=name,
        is_async=True,
        timeout=timeout,
        run=lambda: PanelOutcome(index, name, html=name),
        arun=arun,
        timed_out=lambda exc: PanelOutcome(index, name, error=PanelError(name, None, exc)),
    )


async def test_limited_executor_keeps_the_contract(executors_project):
    limited = executors_project.namespace["LimitedExecutor"](limit=2)
    log: list[str] = []
    outcomes = await limited.arun([_job(0, 0.05, log), _job(1, 0.05, log), _job(2, 0.05, log)])
    assert [outcome.name for outcome in outcomes] == ["p0", "p1", "p2"]
    # The third starts only when one of the first two has ended.
    assert log.index("start p2") > min(log.index("end p0"), log.index("end p1"))

    log.clear()
    (outcome,) = await limited.arun([_job(0, 2, log, timeout=0.05)])
    assert isinstance(outcome.error.exception, PanelTimeout)
    assert log == ["start p0", "cancelled p0"]

    log.clear()
    stream = limited.astart([_job(0, 0, log), _job(1, 2, log)])
    assert (await stream.__anext__()).name == "p0"
    await stream.aclose()
    await asyncio.sleep(0.01)
    assert log == ["start p0", "start p1", "end p0", "cancelled p1"]
