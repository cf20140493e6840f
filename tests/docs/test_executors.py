"""docs/executors.md: every sample runs (Sybil), and the page says what the code does."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from unittest import mock

import pytest
from django.http import HttpResponse

from dj_layouts import (
    GatherExecutor,
    Layout,
    PanelExecutor,
    PanelTimeout,
    SequentialExecutor,
    ThreadedExecutor,
    async_layout,
    layout,
)
from dj_layouts.errors import PanelError
from dj_layouts.executors import PanelJob, PanelOutcome
from tests.docs.pages import (
    DocProject,
    code_blocks,
    file_blocks,
)

ASYNC = "async.md"
EXECUTORS = "executors.md"
PANELS = ("<p>3 open orders</p>", "<p>2 new comments</p>", "<p>No alerts</p>")


@pytest.fixture
def executors_project(tmp_path: Any) -> Any:
    # The executors page builds on the sample project of the async page.
    support = {block.title: block.code for block in file_blocks(ASYNC)}
    with DocProject(tmp_path, EXECUTORS, support=support) as project:
        project.run_samples()
        yield project


def test_every_sample_runs(executors_project):
    assert "PartnerLayout" in executors_project.namespace


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
    from dj_layouts.executors import ExecutorStats

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
