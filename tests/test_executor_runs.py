"""The run protocol: one run per page takes eager jobs first and the rest later (add)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator, Sequence

import pytest
from django.http import HttpResponse
from django.test import AsyncRequestFactory, RequestFactory

from dj_layouts import (
    GatherExecutor,
    Panel,
    PanelExecutor,
    SequentialExecutor,
    ThreadedExecutor,
    async_layout,
    layout,
)
from dj_layouts.executors import PanelJob, PanelOutcome, TaskStream


def _job(index: int, delay: float = 0.0, *, is_async: bool = False) -> PanelJob:
    name = f"p{index}"

    def run() -> PanelOutcome:
        time.sleep(delay)
        return PanelOutcome(index, name, html=name)

    async def arun() -> PanelOutcome:
        await asyncio.sleep(delay)
        return PanelOutcome(index, name, html=name)

    return PanelJob(
        index=index,
        name=name,
        is_async=is_async,
        timeout=None,
        run=run,
        arun=arun,
        timed_out=lambda exc: PanelOutcome(index, name),
    )


@pytest.mark.parametrize("executor", [SequentialExecutor(), ThreadedExecutor(4)])
def test_a_sync_run_yields_every_job_added(executor):
    run = executor.open([_job(0, 0.05)])
    run.add([_job(1), _job(2, 0.01)])
    assert sorted(outcome.name for outcome in run) == ["p0", "p1", "p2"]


@pytest.mark.parametrize("executor", [SequentialExecutor(), GatherExecutor()])
async def test_an_async_run_yields_every_job_added(executor):
    run = executor.aopen([_job(0, 0.05, is_async=True)])
    run.add([_job(1, is_async=True), _job(2, 0.01)])
    names = sorted([outcome.name async for outcome in run])
    await run.aclose()
    assert names == ["p0", "p1", "p2"]


async def test_gather_runs_added_jobs_alongside_the_first():
    run = GatherExecutor().aopen([_job(0, 0.2)])
    started = time.perf_counter()
    run.add([_job(1, 0.2), _job(2, 0.2, is_async=True)])
    assert len([outcome async for outcome in run]) == 3
    assert time.perf_counter() - started < 0.45


class StartOnly(PanelExecutor):
    """An executor written against the first version's protocol: start/astart only."""

    concurrent = True

    def start(self, jobs: Sequence[PanelJob]) -> Iterator[PanelOutcome]:
        return iter([job.run() for job in jobs])

    def astart(self, jobs: Sequence[PanelJob]) -> AsyncIterator[PanelOutcome]:
        return TaskStream([asyncio.ensure_future(job.arun()) for job in jobs])


def test_a_start_only_executor_merges_eager_and_other_panels_sync(make_layout):
    page_layout = make_layout(
        executor=StartOnly(),
        a=Panel(lambda request: "<p>a</p>"),
        b=Panel(lambda request: "<p>b</p>", eager=True),
        c=Panel(lambda request: "<p>c</p>"),
    )

    @layout(page_layout)
    def view(request):
        return HttpResponse("content")

    html = view(RequestFactory().get("/")).content.decode()
    assert html.index("<p>a</p>") < html.index("<p>b</p>") < html.index("<p>c</p>")


async def test_a_start_only_executor_merges_eager_and_other_panels_async(make_layout):
    page_layout = make_layout(
        executor=StartOnly(),
        a=Panel(lambda request: "<p>a</p>"),
        b=Panel(lambda request: "<p>b</p>", eager=True),
    )

    @async_layout(page_layout)
    async def view(request):
        return HttpResponse("content")

    html = (await view(AsyncRequestFactory().get("/"))).content.decode()
    assert html.index("<p>a</p>") < html.index("<p>b</p>")


def test_run_of_a_start_only_executor_is_in_definition_order():
    assert [o.name for o in StartOnly().run([_job(1), _job(0)])] == ["p0", "p1"]


async def test_closing_a_merged_run_cancels_its_tasks():
    run = StartOnly().aopen([_job(0, 5, is_async=True)])
    await asyncio.sleep(0.01)
    started = time.perf_counter()
    await run.aclose()
    assert time.perf_counter() - started < 1
