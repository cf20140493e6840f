"""The two thin shells that carry out a page's steps (``Page.steps()``): sync and async.

Each shell owns one executor run for the page, so eager and other panels merge
in one place, and answers each step its own way: the sync shell calls, the
async shell awaits and sends blocking work to a thread.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async

from dj_layouts._utils import is_async_callable
from dj_layouts.executors import AsyncPanelRun, PanelRun
from dj_layouts.page import Call, Close, Collect, Page, RunContent, Start, Step, Steppable, Stream
from dj_layouts.streaming import async_stream, sync_stream


def _call(func: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    return func(*args)


# Made once: building a SyncToAsync costs more than a page's own bookkeeping.
_call_off_loop = sync_to_async(_call)


def drive(page: Steppable, content: Callable[[], Any]) -> Any:
    """Build ``page`` from sync code; ``content()`` runs the content view."""
    steps = page.steps()
    run: PanelRun | None = None
    reply: Any = None
    error: BaseException | None = None
    while True:
        try:
            step: Step = steps.throw(error) if error is not None else steps.send(reply)
        except StopIteration as stop:
            return stop.value
        error = reply = None
        try:
            if isinstance(step, Call):
                if is_async_callable(step.func):
                    reply = async_to_sync(step.func)(*step.args)
                else:
                    reply = step.func(*step.args)
            elif isinstance(step, RunContent):
                reply = content()
            elif isinstance(step, Start):
                if run is None:
                    run = page.executor.open(step.jobs)
                else:
                    run.add(step.jobs)
            elif isinstance(step, Collect):
                reply = list(run) if run is not None else []
            elif isinstance(step, Close):
                if run is not None:
                    run.close()
            else:
                assert isinstance(step, Stream) and isinstance(page, Page)
                reply = sync_stream(page, step, run or page.executor.open())
        except BaseException as exc:  # handed back to the steps, which may clean up
            error = exc


async def adrive(page: Steppable, content: Callable[[], Awaitable[Any]]) -> Any:
    """Build ``page`` on the event loop; ``await content()`` runs the content view."""
    steps = page.steps()
    run: AsyncPanelRun | None = None
    reply: Any = None
    error: BaseException | None = None
    while True:
        try:
            step: Step = steps.throw(error) if error is not None else steps.send(reply)
        except StopIteration as stop:
            return stop.value
        error = reply = None
        try:
            if isinstance(step, Call):
                if is_async_callable(step.func):
                    reply = await step.func(*step.args)
                elif step.blocking:
                    # Templates may touch the database (request.user, lazy querysets).
                    reply = await _call_off_loop(step.func, step.args)
                else:
                    reply = step.func(*step.args)
            elif isinstance(step, RunContent):
                reply = await content()
            elif isinstance(step, Start):
                if run is None:
                    run = page.executor.aopen(step.jobs)
                else:
                    run.add(step.jobs)
            elif isinstance(step, Collect):
                reply = [outcome async for outcome in run] if run is not None else []
            elif isinstance(step, Close):
                if run is not None:
                    await run.aclose()
            else:
                assert isinstance(step, Stream) and isinstance(page, Page)
                reply = async_stream(page, step, run or page.executor.aopen())
        except BaseException as exc:  # handed back to the steps, which may clean up
            error = exc
