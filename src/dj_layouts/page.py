"""One layout page, written once as a sequence of steps, driven by a sync or an async shell.

``Page.steps()`` is a generator: it yields what it needs done (run the content
view, call something that may block, start panel jobs, collect their outcomes,
stream) and gets the answer back. ``drive()`` (sync views) and ``adrive()`` (async
views) are the two thin shells that carry out those steps; nothing else builds
pages. The request flow (SPEC §2):

1. mark the request (``LayoutState``), layout context defaults, queues (the CSRF
   seed comes with the first panel requests, eager ones before the content view);
2. ``Layout.get_layout_context()``; eager panels start;
3. the content view; non-200/streaming responses leave as they are, a partial
   request gets the content view's response;
4. the other panels join the same executor run;
5. buffered: outcomes merged in definition order and the layout rendered;
   streamed: the layout rendered once with markers, parts sent as panels finish.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from time import perf_counter
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

from dj_layouts import detection
from dj_layouts.assembly import Assembler, render_response
from dj_layouts.edge import ESI_LOADS, EdgePage, mark_esi
from dj_layouts.executors import (
    GatherExecutor,
    PanelExecutor,
    PanelJob,
    PanelOutcome,
    SequentialExecutor,
)
from dj_layouts.jobs import JobFactory
from dj_layouts.queues import QueueCollector
from dj_layouts.state import LayoutState, get_layout_context

if TYPE_CHECKING:
    from dj_layouts.cache import PanelCache
    from dj_layouts.layout import Layout
    from dj_layouts.panels import Panel
    from dj_layouts.stream_plan import Part, StreamPlan

logger = logging.getLogger("dj_layouts")

_DEFAULT_SYNC = SequentialExecutor()
_DEFAULT_ASYNC = GatherExecutor()


# -- the steps a page asks its shell to carry out ---------------------------------------------
@dataclass(frozen=True)
class Call:
    """Call ``func(*args)``; ``blocking`` work (templates, the database) leaves the event loop.

    ``awaits``: ``func`` is a coroutine function (the sync shell runs it to the end).
    """

    func: Callable[..., Any]
    args: tuple[Any, ...] = ()
    blocking: bool = True
    awaits: bool = False


@dataclass(frozen=True)
class RunContent:
    """Run the content view; the answer is its response."""


@dataclass(frozen=True)
class Start:
    """Start ``jobs`` in the page's executor run (opening it the first time)."""

    jobs: list[PanelJob]


@dataclass(frozen=True)
class Collect:
    """Wait for every job started; the answer is their outcomes.

    With ``then``: the answer is ``then(outcomes)``, blocking work (the layout's
    render) that an async shell runs in one thread hop, which the executor's run
    may share with work of its own (``AsyncPanelRun.afinish``).
    """

    then: Callable[[list[PanelOutcome]], Any] | None = None


@dataclass(frozen=True)
class Close:
    """Give up on the jobs started (the page will not use them)."""


@dataclass(frozen=True)
class Stream:
    """Answer with a streamed page; the answer is the streaming response."""

    response: HttpResponse
    plan: StreamPlan
    parts: list[Part]
    jobs: list[PanelJob]


Step = Call | RunContent | Start | Collect | Close | Stream
Steps = Generator[Step, Any, Any]


class Steppable(Protocol):
    """What the drivers carry out: a page, or one panel at the panel endpoint."""

    executor: PanelExecutor

    def steps(self) -> Steps: ...


def merge_panels(
    layout_class: type[Layout], overrides: Mapping[str, Panel | None] | None
) -> list[Panel]:
    """The layout's panels with per-view overrides applied, in definition order."""
    if not overrides:
        return list(layout_class.get_panels().values())
    panels = layout_class.get_panels()
    for name, panel in overrides.items():
        if panel is None:
            panels.pop(name, None)
        else:
            panels[name] = panel
    return list(panels.values())


def assembles(response: Any) -> TypeGuard[HttpResponse]:
    """Only a plain 200 response is wrapped; anything else leaves as it is."""
    return isinstance(response, HttpResponse) and response.status_code == 200


_warned_wsgi_stream = False


def _can_stream(request: HttpRequest, is_async: bool) -> bool:
    """An async view streams only under ASGI: under WSGI its event loop ends with the view."""
    global _warned_wsgi_stream
    if not is_async or isinstance(request, ASGIRequest):
        return True
    if not _warned_wsgi_stream:
        _warned_wsgi_stream = True
        logger.warning(
            "A streamed layout page was requested from an async view under WSGI, where the "
            "view's event loop ends before the body is sent; dj-layouts sends such pages "
            "buffered. Serve the project with an ASGI server (uvicorn, daphne) to stream, "
            "or use a sync view (LayoutMixin, @layout), which streams under WSGI."
        )
    return False


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
        self.panels = panels
        self.is_async = is_async
        self.detect_partials = detect_partials
        self.streaming = streaming
        self.executor: PanelExecutor = layout_class.get_executor() or (
            _DEFAULT_ASYNC if is_async else _DEFAULT_SYNC
        )
        self.queues = QueueCollector.for_layout(layout_class)
        self._assembler: Assembler | None = None
        # A page an ESI proxy may keep: its per-visitor panels are left to the proxy.
        self.edge = None if streaming else EdgePage.for_request(request, layout_class, panels)
        self.state: LayoutState | None = None
        self.factory: JobFactory | None = None

    @property
    def assembler(self) -> Assembler:
        """Made when first needed: a partial response never needs it."""
        if self._assembler is None:
            assembler = Assembler(self.request, self.layout_class, self.panels, self.queues)
            if self.edge is not None:
                assembler.deferred.update(self.edge.holes)
            self._assembler = assembler
        return self._assembler

    @property
    def layout(self) -> Layout:
        return self.assembler.layout

    # Streaming reads these through the page.
    def log_error(self, error: Any) -> None:
        self.assembler.log_error(error)

    def error_html(self, error: Any) -> str:
        return self.assembler.error_html(error)

    # -- step 1 ----------------------------------------------------------------------------
    def begin(self) -> None:
        """Mark the request and give it its state: context defaults, queues."""
        request = self.request
        layout_class = self.layout_class
        partial = self.detect_partials and detection.wants_partial(request, layout_class)
        self.state = LayoutState.for_page(layout_class, self.queues, is_partial=partial)
        self.state.attach(request)

    def add_context(self, extra: Mapping[str, Any] | None) -> None:
        """Merge what ``Layout.get_layout_context()`` returned over the defaults."""
        context = get_layout_context(self.request)
        if extra and isinstance(context, dict):
            context.update(extra)

    def _jobs(self, eager: bool | None) -> tuple[list[PanelJob], list[PanelCache]]:
        """The jobs of the panels asked for, and the caches to read before they run."""
        indexed = [
            (i, p)
            for i, p in enumerate(self.panels)
            if (eager is None or p.eager is eager) and p.name not in self.assembler.deferred
        ]
        if not indexed:
            return [], []
        if self.factory is None:
            # Made with the first panel requests, not before: a partial response or a
            # page without panels never pays for them. Eager panels come before the
            # content view; other panels after it, and a CSRF secret the content view
            # made is then in the META their requests copy.
            self.factory = JobFactory.for_page(self.request, self.layout_class)
        tasks, jobs = self.factory.jobs(indexed, get_layout_context(self.request))
        return jobs, [task.cache for task in tasks if task.cache is not None]

    def _prefetch(self, caches: list[PanelCache]) -> Call:
        """One read of the page's cached panels per backend (``get_many``), before they run."""
        if self.is_async:
            return Call(JobFactory.aprefetch, (caches,), awaits=True)
        return Call(JobFactory.prefetch, (caches,))

    def _concurrent_eager(self) -> bool:
        return self.executor.concurrent and not (self.state and self.state.is_partial)

    def _prepare(self, response: HttpResponseBase, resolve: bool) -> None:
        """Blocking work before the panels fan out: the content's template, user, session."""
        render_response(response)
        if resolve and self.factory is not None:
            self.factory.resolve_shared()

    def _resolves_shared(self, jobs: list[PanelJob]) -> bool:
        factory = self.factory
        if self.edge is not None and self.edge.keeps:
            # Loading them would read the visitor; what runs here must not need them.
            return False
        return self.executor.concurrent and factory is not None and factory.shares_unresolved(jobs)

    def _partial(self, response: HttpResponseBase) -> HttpResponseBase | None:
        if not self.detect_partials:
            return None
        return detection.partial_response(self.request, response)

    def _finish_edge(self, response: HttpResponse, outcomes: list[Any], timed: Any) -> Any:
        assert self.edge is not None
        assembled = self.assembler.assemble(response, outcomes, timed)
        state = self.assembler.state
        return self.edge.finish(assembled, state is not None and state.names_layout)

    # -- the steps, once for sync and async -------------------------------------------------------
    def steps(self) -> Steps:
        started = perf_counter()
        self.begin()
        get_context, awaits = None, False
        if not Assembler.has_no_context_hook(self.layout_class):
            get_context, awaits = self.assembler.context_hook()
        if get_context is not None:
            self.add_context((yield Call(get_context, (self.request,), awaits=awaits)))

        eager_jobs: list[PanelJob] = []
        if self._concurrent_eager() and any(panel.eager for panel in self.panels):
            eager_jobs, caches = self._jobs(eager=True)
            if caches:
                yield self._prefetch(caches)
            if self._resolves_shared(eager_jobs):
                yield Call(self.factory.resolve_shared)  # type: ignore[union-attr]
            yield Start(eager_jobs)
        if self.layout_class.has_panel_urls():
            assert self.state is not None
            self.state.remember_base()
        content_started = perf_counter()
        try:
            response = yield RunContent()
        except BaseException:
            yield Close()
            raise
        content_ended = perf_counter()

        if not assembles(response):
            yield Close()
            return detection.patch_vary(response)
        partial = self._partial(response)
        if partial is not None:
            yield Close()
            if getattr(partial, "is_rendered", True) is False:
                yield Call(render_response, (partial,))
            return partial

        if self.edge is not None:
            self.edge.content(response)
        if any(load in ESI_LOADS for load in self.assembler.deferred.values()):
            mark_esi(response)
        jobs, caches = self._jobs(eager=False if eager_jobs else None)
        if caches:
            yield self._prefetch(caches)
        # Under an async view the content's template is rendered with the layout (one
        # thread hop for both), unless user and session must be loaded first anyway.
        unrendered = getattr(response, "is_rendered", True) is False and not self.is_async
        resolve = self._resolves_shared(jobs)
        if unrendered or resolve:
            yield Call(self._prepare, (response, resolve))
        yield Start(jobs)
        if self.streaming and _can_stream(self.request, self.is_async):
            plan, parts = yield Call(self.assembler.plan, (response,))
            return (yield Stream(response, plan, parts, eager_jobs + jobs))
        timed = None
        if self.assembler.timed():
            timed = (self.executor, (started, content_started, content_ended))
        assemble = self.assembler.assemble
        edge = self.edge
        if edge is not None:
            return (yield Collect(then=lambda done: self._finish_edge(response, done, timed)))
        return (yield Collect(then=lambda outcomes: assemble(response, outcomes, timed)))
