"""Building one page: the logic body that the sync and async mixins both drive.

``Page`` holds everything about one layout request. The mixins in ``views.py``
are thin shells: they call ``begin``, run the content view their own way, then
``finish`` (sync) or ``afinish`` (async). Nothing else assembles pages.
"""

from __future__ import annotations

import copy
import itertools
import logging
import traceback
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, QueryDict
from django.http.response import HttpResponseBase
from django.template.loader import get_template

from dj_layouts import detection
from dj_layouts.conf import get_settings
from dj_layouts.context import FrozenLayoutContext, LayoutContext
from dj_layouts.errors import PanelError, PanelRenderError, PanelResponseError
from dj_layouts.executors import (
    GatherExecutor,
    PanelExecutor,
    PanelJob,
    PanelOutcome,
    SequentialExecutor,
    coerce_executor,
    in_definition_order,
)
from dj_layouts.layout import CONTENT, Layout
from dj_layouts.panels import Panel
from dj_layouts.queues import QueueCollector
from dj_layouts.requests import MAIN, csrf_seed, make_panel_request
from dj_layouts.streaming import StreamPlan, async_stream, sync_stream

if TYPE_CHECKING:
    from dj_layouts.cache import PanelCache

logger = logging.getLogger("dj_layouts")

_UNSET: Any = object()

#: Where the template tags find the page being rendered.
STATE_KEY = "_dj_layouts_page"

_DEFAULT_SYNC = SequentialExecutor()
_DEFAULT_ASYNC = GatherExecutor()


def merge_panels(
    layout_class: type[Layout], overrides: Mapping[str, Panel | None] | None
) -> list[Panel]:
    """The layout's panels with per-view overrides applied, in definition order."""
    if not overrides:
        return list(layout_class._panels.values())
    panels = dict(layout_class._panels)
    for name, panel in overrides.items():
        if panel is None:
            panels.pop(name, None)
        else:
            panels[name] = panel
    return list(panels.values())


def layout_executor(layout_class: type[Layout]) -> PanelExecutor | None:
    """The executor ``Layout.executor`` declares, even if it was changed after class creation.

    Tests swap it (``mock.patch.object(MyLayout, "executor", SequentialExecutor())``);
    the instance made at class creation is reused while the declaration is unchanged.
    """
    declared = layout_class.executor
    executor = layout_class._executor
    if declared is executor or (declared is not None and declared is type(executor)):
        return executor
    executor = coerce_executor(declared, owner=layout_class.__qualname__)
    layout_class._executor = executor
    return executor


class PageState:
    """What the layout template's tags read: panel HTML by name, and the page."""

    __slots__ = ("html", "layout", "plan", "request")

    def __init__(
        self,
        layout: Layout,
        request: HttpRequest,
        html: dict[str, str],
        plan: StreamPlan | None = None,
    ) -> None:
        self.layout = layout
        self.request = request
        self.html = html
        self.plan = plan


def _traceback(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


class Page:
    """One layout page being built for one request."""

    def __init__(
        self,
        request: HttpRequest,
        layout_class: type[Layout],
        panels: list[Panel],
        *,
        is_async: bool,
        detect_partials: bool = True,
        streaming: str | None = None,
    ) -> None:
        self.request = request
        self.layout_class = layout_class
        self.layout = layout_class()
        self.panels = panels
        self.detect_partials = detect_partials
        self.streaming = streaming
        self.executor: PanelExecutor = layout_executor(layout_class) or (
            _DEFAULT_ASYNC if is_async else _DEFAULT_SYNC
        )
        self._eager: Iterator[PanelOutcome] | AsyncIterator[PanelOutcome] | None = None
        self._eager_jobs: list[PanelJob] = []
        self._eager_names: frozenset[str] = frozenset()
        self._csrf_seed: Any = _UNSET

    # -- step 1: before the content view ------------------------------------------
    def begin(self) -> None:
        """Mark the request and give it its layout context (the defaults) and queues."""
        request = self.request
        request.layout_role = MAIN  # type: ignore[attr-defined]
        request.is_layout_partial = (  # type: ignore[attr-defined]
            self.detect_partials and detection.wants_partial(request, self.layout_class)
        )
        request.layout_key = self.layout_class.key  # type: ignore[attr-defined]
        request.layout_queues = QueueCollector.for_layout(self.layout_class)  # type: ignore[attr-defined]
        defaults = self.layout_class.layout_context_defaults
        if self.layout_class._mutable_defaults:
            # A view appending to a default list must not change it for later requests.
            defaults = copy.deepcopy(defaults)
        request.layout_context = LayoutContext(defaults)  # type: ignore[attr-defined]

    def add_context(self, extra: Mapping[str, Any]) -> None:
        """Merge what ``Layout.get_layout_context()`` returned over the defaults."""
        if extra:
            self.request.layout_context.update(extra)  # type: ignore[attr-defined]

    def eager_jobs(self) -> list[PanelJob]:
        if not self.executor.concurrent or getattr(self.request, "is_layout_partial", False):
            return []
        eager = [(i, p) for i, p in enumerate(self.panels) if p.eager]
        self._eager_names = frozenset(p.name for _, p in eager if p.name)
        return self.jobs(eager) if eager else []

    def start_eager(self) -> None:
        self._eager_jobs = jobs = self.eager_jobs()
        if jobs:
            self._eager = self.executor.start(jobs)

    def astart_eager(self) -> None:
        self._eager_jobs = jobs = self.eager_jobs()
        if jobs:
            self._eager = self.executor.astart(jobs)

    async def acancel_eager(self) -> None:
        if self._eager is not None and hasattr(self._eager, "aclose"):
            await self._eager.aclose()

    # -- step 2: the content view's response --------------------------------------
    @staticmethod
    def assembles(response: Any) -> bool:
        """Only a plain 200 response is wrapped; anything else leaves as it is."""
        return (
            isinstance(response, HttpResponseBase)
            and not response.streaming
            and response.status_code == 200
        )

    def partial(self, response: HttpResponseBase) -> HttpResponseBase | None:
        """The content view's own response, if this request gets only that."""
        if not self.detect_partials:
            return None
        return detection.partial_response(self, response)

    # -- step 3: panels -------------------------------------------------------------
    def jobs(self, indexed: list[tuple[int, Panel]]) -> list[PanelJob]:
        request = self.request
        snapshot = FrozenLayoutContext(request.layout_context)  # type: ignore[attr-defined]
        empty_post = QueryDict()  # immutable: the panels of this page can share it
        if self._csrf_seed is _UNSET:
            self._csrf_seed = csrf_seed(request)
        jobs = []
        for index, panel in indexed:
            if panel.should_render(snapshot):
                jobs.append(self._job(index, panel, snapshot, empty_post))
        return jobs

    def remaining_jobs(self) -> list[PanelJob]:
        return self.jobs(
            [(i, p) for i, p in enumerate(self.panels) if p.name not in self._eager_names]
        )

    def _job(
        self, index: int, panel: Panel, snapshot: FrozenLayoutContext, empty_post: QueryDict
    ) -> PanelJob:
        name = panel.name or "?"
        queues = QueueCollector.for_layout(self.layout_class)
        panel_request = make_panel_request(
            self.request,
            panel_name=name,
            layout_context=snapshot,
            queues=queues,
            empty_post=empty_post,
            csrf_seed=self._csrf_seed,
        )
        cache: PanelCache | None = None
        if panel.cache is not None:
            from dj_layouts.cache import PanelCache

            cache = PanelCache.for_panel(panel, self.layout_class, panel_request)

        def done(html: str) -> PanelOutcome:
            return PanelOutcome(index, name, html, queues)

        def failed(exc: BaseException) -> PanelOutcome:
            error = PanelError(
                name,
                panel.declared,
                exc,
                _traceback(exc),
                status_code=getattr(exc, "status_code", None)
                if isinstance(exc, PanelResponseError)
                else None,
            )
            return PanelOutcome(index, name, error=error)

        def run() -> PanelOutcome:
            try:
                if cache is not None:
                    return done(cache.render(panel, panel_request))
                return done(panel.render(panel_request))
            except Exception as exc:
                return failed(exc)

        async def arun() -> PanelOutcome:
            try:
                if cache is not None:
                    return done(await cache.arender(panel, panel_request))
                return done(await panel.arender(panel_request))
            except Exception as exc:
                return failed(exc)

        def probe_cache() -> PanelOutcome | None:
            try:
                html = cache.probe() if cache is not None else None
            except Exception:
                return None  # the full run will report it
            return None if html is None else done(html)

        probe: Callable[[], PanelOutcome | None] | None = None
        if cache is not None:
            probe = probe_cache
        elif not panel.source.blocking:
            probe = run  # literal HTML: ready at once, no thread or task needed

        return PanelJob(
            index=index,
            name=name,
            is_async=panel.is_async,
            timeout=panel.timeout or self.layout_class.panel_timeout,
            run=run,
            arun=arun,
            timed_out=failed,
            probe=probe,
        )

    # -- steps 4 and 5: assemble ------------------------------------------------------
    def panel_html(self, outcomes: list[PanelOutcome]) -> dict[str, str]:
        """Panel HTML by name; merges queues in definition order and handles errors."""
        html = {panel.name or "?": "" for panel in self.panels}
        failures = [outcome for outcome in outcomes if outcome.error is not None]
        if failures and get_settings().debug_errors:
            error = failures[0].error
            assert error is not None
            raise PanelRenderError(error) from error.exception
        collector: QueueCollector = self.request.layout_queues  # type: ignore[attr-defined]
        for outcome in outcomes:
            if outcome.error is not None:
                html[outcome.name] = self.error_html(outcome.error)
            else:
                html[outcome.name] = outcome.html
                if outcome.queues is not None:
                    collector.merge(outcome.queues)
        return html

    def log_error(self, error: PanelError) -> None:
        exc = error.exception
        logger.error(
            "Panel %r of layout %s failed: %s: %s",
            error.panel_name,
            self.layout_class.key,
            type(exc).__name__,
            exc,
            exc_info=(type(exc), exc, exc.__traceback__),
        )

    def error_html(self, error: PanelError) -> str:
        """Log the error and ask the layout what fills the slot."""
        self.log_error(error)
        try:
            return self.layout.on_panel_error(self.request, error) or ""
        except Exception:
            logger.exception(
                "%s.on_panel_error() raised for panel %r; the slot stays empty.",
                type(self.layout).__qualname__,
                error.panel_name,
            )
            return ""

    def context(self, html: dict[str, str], plan: StreamPlan | None = None) -> dict[str, Any]:
        request = self.request
        return {
            **request.layout_context,  # type: ignore[attr-defined]
            "request": request,
            STATE_KEY: PageState(self.layout, request, html, plan),
        }

    def render(self, html: dict[str, str], plan: StreamPlan | None = None) -> str:
        template = get_template(self.layout.get_template(self.request))
        return template.render(self.context(html, plan), self.request)

    def plan(self, response: HttpResponseBase) -> tuple[StreamPlan, list[Any]]:
        """Render the layout once with markers in its slots, cut into parts."""
        _render_response(response)
        plan = StreamPlan()
        rendered = self.render({CONTENT: _content(response)}, plan)
        return plan, plan.parts(rendered)

    def assemble(
        self, response: HttpResponseBase, outcomes: list[PanelOutcome]
    ) -> HttpResponseBase:
        """Render the layout around the content and put it in the content view's response.

        Reusing the response keeps its headers, cookies and attributes.
        """
        _render_response(response)
        html = self.panel_html(in_definition_order(outcomes))
        html[CONTENT] = _content(response)
        response.content = self.render(html)  # type: ignore[attr-defined]
        if "Content-Length" in response:
            del response["Content-Length"]
        detection.mark_full_page(self, response)
        return response

    # -- the sync and async shells ------------------------------------------------------
    def finish(self, response: Any) -> Any:
        if not self.assembles(response):
            return detection.patch_vary(response)
        partial = self.partial(response)
        if partial is not None:
            _render_response(partial)
            return partial
        _render_response(response)
        if self.streaming:
            jobs = self.remaining_jobs()
            plan, parts = self.plan(response)
            stream = self.executor.start(jobs)
            if self._eager is not None:
                stream = itertools.chain(self._eager, stream)  # type: ignore[arg-type]
            return sync_stream(
                self, response, plan, parts, self._eager_jobs + jobs, stream, self.streaming
            )
        outcomes = self.executor.run(self.remaining_jobs())
        if self._eager is not None:
            outcomes.extend(self._eager)  # type: ignore[arg-type]
        return self.assemble(response, outcomes)

    async def afinish(self, response: Any) -> Any:
        if not self.assembles(response):
            await self.acancel_eager()
            return detection.patch_vary(response)
        partial = self.partial(response)
        if partial is not None:
            await self.acancel_eager()
            if getattr(partial, "is_rendered", True) is False:
                await sync_to_async(partial.render)()  # type: ignore[attr-defined]
            return partial
        jobs = self.remaining_jobs()
        stream = self.executor.astart(jobs)
        if self.streaming:
            sources = [stream] if self._eager is None else [stream, self._eager]
            try:
                plan, parts = await _plan_off_loop(self, response)
            except BaseException:
                for source in sources:
                    await source.aclose()  # type: ignore[union-attr]
                raise
            return async_stream(
                self,
                response,
                plan,
                parts,
                self._eager_jobs + jobs,
                sources,  # type: ignore[arg-type]
                self.streaming,
            )
        outcomes = [outcome async for outcome in stream]
        if self._eager is not None:
            outcomes.extend([outcome async for outcome in self._eager])  # type: ignore[union-attr]
        # Templates may touch the database (request.user, lazy querysets): off the loop.
        return await _assemble_off_loop(self, response, outcomes)


# Made once: building a SyncToAsync costs more than the page's own bookkeeping.
_assemble_off_loop = sync_to_async(Page.assemble)
_plan_off_loop = sync_to_async(Page.plan)


def _render_response(response: HttpResponseBase) -> None:
    if getattr(response, "is_rendered", True) is False:
        response.render()  # type: ignore[attr-defined]


def _content(response: HttpResponseBase) -> str:
    return response.content.decode(response.charset)  # type: ignore[attr-defined, no-any-return]
