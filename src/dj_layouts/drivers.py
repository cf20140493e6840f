"""The two thin shells that carry out a page's steps (``Page.steps()``): sync and async.

Each shell owns one executor run for the page, so eager and other panels merge
in one place, and answers each step its own way: the sync shell calls, the
async shell awaits and sends blocking work to a thread.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async

from dj_layouts.executors import AsyncPanelRun, PanelRun
from dj_layouts.page import Call, Close, Collect, Page, RunContent, Start, Step, Steppable
from dj_layouts.streaming import async_stream, sync_stream


def _call(func: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    return func(*args)


# Made once: building a SyncToAsync costs more than a page's own bookkeeping.
_call_off_loop = sync_to_async(_call)


async def _off_loop(work: Callable[[], Any]) -> Any:
    """Run ``work`` in the thread Django gives a request's sync code (thread-sensitive)."""
    return await _call_off_loop(work, ())


def _advance(steps: Generator[Step, Any, Any], reply: Any, error: BaseException | None) -> Any:
    """The next step, or ``_Done(value)`` when the page is built."""
    try:
        return steps.throw(error) if error is not None else steps.send(reply)
    except StopIteration as stop:
        return _Done(stop.value)


class _Done:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def drive(page: Steppable, content: Callable[[], Any]) -> Any:
    """Build ``page`` from sync code; ``content()`` runs the content view."""
    shell = _SyncShell(page, content)
    steps = page.steps()
    reply: Any = None
    error: BaseException | None = None
    while not isinstance(step := _advance(steps, reply, error), _Done):
        try:
            reply, error = shell.answer(step), None
        except BaseException as exc:  # handed back to the steps, which may clean up
            reply, error = None, exc
    return step.value


async def adrive(page: Steppable, content: Callable[[], Awaitable[Any]]) -> Any:
    """Build ``page`` on the event loop; ``await content()`` runs the content view."""
    shell = _AsyncShell(page, content)
    steps = page.steps()
    reply: Any = None
    error: BaseException | None = None
    while not isinstance(step := _advance(steps, reply, error), _Done):
        try:
            reply, error = await shell.answer(step), None
        except BaseException as exc:  # handed back to the steps, which may clean up
            reply, error = None, exc
    return step.value


class _SyncShell:
    """Answers a page's steps from sync code."""

    def __init__(self, page: Steppable, content: Callable[[], Any]) -> None:
        self.page = page
        self.content = content
        self.run: PanelRun | None = None

    def answer(self, step: Step) -> Any:
        if isinstance(step, Call):
            if step.awaits:
                return async_to_sync(step.func)(*step.args)
            return step.func(*step.args)
        if isinstance(step, RunContent):
            return self.content()
        if isinstance(step, Start):
            if self.run is None:
                self.run = self.page.executor.open(step.jobs)
            else:
                self.run.add(step.jobs)
            return None
        if isinstance(step, Collect):
            outcomes = list(self.run) if self.run is not None else []
            return outcomes if step.then is None else step.then(outcomes)
        if isinstance(step, Close):
            if self.run is not None:
                self.run.close()
            return None
        run = self.run or self.page.executor.open()
        assert isinstance(self.page, Page)  # only a whole page streams
        return sync_stream(self.page, step, run)


class _AsyncShell:
    """Answers a page's steps on the event loop; blocking work goes to a thread."""

    def __init__(self, page: Steppable, content: Callable[[], Awaitable[Any]]) -> None:
        self.page = page
        self.content = content
        self.run: AsyncPanelRun | None = None

    async def answer(self, step: Step) -> Any:
        if isinstance(step, Call):
            if step.awaits:
                return await step.func(*step.args)
            if step.blocking:
                # Templates may touch the database (request.user, lazy querysets).
                return await _call_off_loop(step.func, step.args)
            return step.func(*step.args)
        if isinstance(step, RunContent):
            return await self.content()
        if isinstance(step, Start):
            if self.run is None:
                self.run = self.page.executor.aopen(step.jobs)
            else:
                self.run.add(step.jobs)
            return None
        if isinstance(step, Collect):
            if step.then is not None:
                if self.run is None:
                    return await _call_off_loop(step.then, ([],))
                return await self.run.afinish(step.then, _off_loop)
            return [outcome async for outcome in self.run] if self.run is not None else []
        if isinstance(step, Close):
            if self.run is not None:
                await self.run.aclose()
            return None
        run = self.run or self.page.executor.aopen()
        assert isinstance(self.page, Page)  # only a whole page streams
        return async_stream(self.page, step, run)
