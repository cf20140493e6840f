"""Turning a page's panels into executor jobs: one ``PanelTask`` per panel.

A task renders one panel for one page: through its cache when it has one, and
always into a ``PanelOutcome`` (an error becomes an outcome, never an exception),
which is what executors expect of ``PanelJob``.
"""

from __future__ import annotations

import traceback
import weakref
from collections.abc import Mapping
from threading import current_thread
from time import perf_counter
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest, QueryDict
from django.urls import get_urlconf

from dj_layouts import timing
from dj_layouts.cache import PanelCache
from dj_layouts.context import FrozenLayoutContext
from dj_layouts.errors import PanelError, PanelResponseError, PanelTimeout
from dj_layouts.executors import PanelJob, PanelOutcome
from dj_layouts.panels import Panel
from dj_layouts.querycount import QueryCounter, counting_queries, watch_this_thread
from dj_layouts.queues import QueueCollector
from dj_layouts.requests import (
    CsrfSeed,
    make_panel_request,
    resolve_shared,
    share_csrf,
    shared_unresolved,
)
from dj_layouts.slots import placed_panels

if TYPE_CHECKING:
    from dj_layouts.layout import Layout


#: A sync panel whose renders take less than this (smoothed) is a quick job: on the
#: async path, quick panels started together share one thread hop (``PanelJob.quick``).
QUICK_SECONDS = 0.001

# Smoothed render seconds of each sync panel declaration that has rendered here.
_render_seconds: weakref.WeakKeyDictionary[Panel, float] = weakref.WeakKeyDictionary()


def measured_quick(panel: Panel) -> bool:
    """Whether ``panel`` rendered here before, and took far less than a thread hop costs."""
    seconds = _render_seconds.get(panel)
    return seconds is not None and seconds < QUICK_SECONDS


def _measure(panel: Panel, seconds: float) -> None:
    before = _render_seconds.get(panel)
    # One slow render makes a panel slow at once; it turns quick again only slowly.
    _render_seconds[panel] = (
        seconds if before is None or seconds > before else 0.8 * before + 0.2 * seconds
    )


def _counted(outcome: PanelOutcome, counter: QueryCounter) -> PanelOutcome:
    outcome.queries = counter.count
    outcome.query_threads = dict(counter.threads)
    return outcome


def format_traceback(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


class PanelTask:
    """One panel of one page, with its own request and queue collector."""

    __slots__ = (
        "cache",
        "count_queries",
        "index",
        "is_async",
        "name",
        "panel",
        "queues",
        "request",
    )

    def __init__(
        self,
        index: int,
        panel: Panel,
        request: HttpRequest,
        queues: QueueCollector | None,
        cache: PanelCache | None,
        *,
        urlconf: Any = None,
    ) -> None:
        self.index = index
        self.panel = panel
        self.name = panel.name or "?"
        self.request = request
        self.queues = queues
        self.cache = cache
        #: Asked once: a URL panel's answer means resolving its URL name.
        self.is_async = panel.source.is_async_under(urlconf)
        #: Whether run() counts the panel's SQL queries (for the page's timing record).
        self.count_queries = False

    def done(
        self, html: str, started: float, *, cached: bool = False, queries: int | None = None
    ) -> PanelOutcome:
        elapsed = perf_counter() - started
        if not cached and self.cache is None and not self.is_async:
            _measure(self.panel, elapsed)
        return PanelOutcome(
            self.index,
            self.name,
            html,
            self.queues,
            cached=cached,
            started=started,
            elapsed=elapsed,
            thread=current_thread().name,
            queries=queries,
        )

    def failed(self, exc: BaseException, started: float | None = None) -> PanelOutcome:
        status = exc.status_code if isinstance(exc, PanelResponseError) else None
        error = PanelError(
            self.name, self.panel.declared, exc, format_traceback(exc), status_code=status
        )
        now = perf_counter()
        if started is None:  # a timeout: the panel ran for its whole allowance
            started, thread = (now - exc.timeout if isinstance(exc, PanelTimeout) else now), ""
        else:
            thread = current_thread().name  # called from run(): the panel's own thread
        return PanelOutcome(
            self.index,
            self.name,
            error=error,
            started=started,
            elapsed=now - started,
            thread=thread,
        )

    def timed_out(self, exc: PanelTimeout) -> PanelOutcome:
        return self.failed(exc)

    def run(self) -> PanelOutcome:
        if not self.count_queries:
            return self._run()
        watch_this_thread()
        with counting_queries() as counter:
            return _counted(self._run(), counter)

    def _run(self) -> PanelOutcome:
        started = perf_counter()
        try:
            if self.cache is not None:
                html = self.cache.prefetched_hit()
                if html is None:
                    html = self.cache.render(self.panel, self.request)
                return self.done(html, started, cached=self.cache.hit)
            return self.done(self.panel.render(self.request), started)
        except Exception as exc:
            return self.failed(exc, started)

    async def arun(self) -> PanelOutcome:
        if not self.count_queries:
            return await self._arun()
        # The panel's ORM calls run in sync_to_async's threads; the counter, a context
        # variable, goes with them, and apart from other panels' queries there.
        with counting_queries() as counter:
            return _counted(await self._arun(), counter)

    async def _arun(self) -> PanelOutcome:
        started = perf_counter()
        try:
            if self.cache is not None:
                html = await self.cache.arender(self.panel, self.request)
                return self.done(html, started, cached=self.cache.hit)
            return self.done(await self.panel.arender(self.request), started)
        except Exception as exc:
            return self.failed(exc, started)

    def probe_cache(self) -> PanelOutcome | None:
        assert self.cache is not None
        started = perf_counter()
        try:
            html = self.cache.probe()
        except Exception:
            return None  # the full run will report it
        if html is None:
            return None
        # Answered from what is already in memory: no query.
        return self.done(html, started, cached=True, queries=0 if self.count_queries else None)

    def job(self, timeout: float | None, layout_key: str) -> PanelJob:
        probe = None
        is_async = self.is_async
        if self.cache is not None:
            probe = self.probe_cache
        elif not self.panel.source.blocking:
            probe = self.run  # literal HTML: ready at once, no thread or task needed
        return PanelJob(
            index=self.index,
            name=self.name,
            is_async=is_async,
            timeout=timeout,
            run=self.run,
            arun=self.arun,
            timed_out=self.timed_out,
            probe=probe,
            key=f"{layout_key}.{self.name}",
            in_thread=self.panel.source.blocking and not is_async,
            quick=self.cache is None and not is_async and measured_quick(self.panel),
        )


_EMPTY_POST: list[QueryDict] = []


def _empty_post() -> QueryDict:
    """One immutable, empty ``QueryDict`` for every panel request (building one is slow)."""
    if not _EMPTY_POST:
        _EMPTY_POST.append(QueryDict())
    return _EMPTY_POST[0]


def _needs_no_request(panel: Panel) -> bool:
    return (
        not panel.source.blocking
        and panel.cache is None
        and type(panel).render is Panel.render
        and type(panel).arender is Panel.arender
    )


class JobFactory:
    """Makes the jobs of one page: panel requests share one snapshot, one empty POST."""

    def __init__(
        self,
        request: HttpRequest,
        layout_class: type[Layout],
        csrf_seed: CsrfSeed | None,
        *,
        keep_post: bool = False,
        page_url: str | None = None,
    ) -> None:
        self.request = request
        self.layout_class = layout_class
        self.csrf_seed = csrf_seed
        self.empty_post = _empty_post()  # immutable: all panels can share it
        #: The page's URLconf, read once (it is slow to ask): its panel requests carry it.
        self.urlconf = get_urlconf() or settings.ROOT_URLCONF
        #: The panel endpoint's settings (SPEC §16): a form's POST, the page it came from.
        self.keep_post = keep_post
        self.page_url = page_url
        self.count_queries = timing.wanted()

    @classmethod
    def for_page(cls, request: HttpRequest, layout_class: type[Layout]) -> JobFactory:
        """The factory of a page's panels; the page gets its one CSRF secret here."""
        return cls(request, layout_class, share_csrf(request))

    def resolve_shared(self) -> None:
        """Load the user and the session once, before panels run at the same time."""
        resolve_shared(self.request)

    def shares_unresolved(self, jobs: list[PanelJob]) -> bool:
        """Whether ``jobs`` may run side by side while the user or session is not loaded."""
        return sum(job.in_thread for job in jobs) > 1 and shared_unresolved(self.request)

    @staticmethod
    def prefetch(caches: list[PanelCache]) -> None:
        """Read the page's cached panels with one ``get_many`` per backend.

        The panels that missed get their panel requests now, on the page's thread.
        """
        PanelCache.prefetch(caches)
        for cache in caches:
            cache.ready_for_miss()

    @staticmethod
    async def aprefetch(caches: list[PanelCache]) -> None:
        await PanelCache.aprefetch(caches)
        for cache in caches:
            cache.ready_for_miss()

    def jobs(
        self, indexed: list[tuple[int, Panel]], context: Mapping[str, Any]
    ) -> tuple[list[PanelTask], list[PanelJob]]:
        """Tasks and jobs for the panels whose condition holds on ``context``."""
        snapshot = FrozenLayoutContext(context)
        layout_class = self.layout_class
        default_timeout = layout_class.panel_timeout
        tasks, jobs = [], []
        placed = placed_panels(layout_class)
        for index, panel in indexed:
            # A panel without a slot in the template would be rendered for nothing.
            if placed is not None and panel.name not in placed:
                continue
            if not panel.should_render(snapshot):
                continue
            task = self.task(index, panel, snapshot)
            tasks.append(task)
            jobs.append(task.job(panel.timeout or default_timeout, layout_class.key))
        return tasks, jobs

    def task(self, index: int, panel: Panel, snapshot: FrozenLayoutContext) -> PanelTask:
        name = panel.name or "?"
        if _needs_no_request(panel):
            # Literal HTML reads no request and adds no queue item: nothing to build.
            return PanelTask(index, panel, self.request, None, None)
        queues = QueueCollector.for_layout(self.layout_class)
        cached = panel.cache is not None and not self.keep_post  # a form's POST always runs
        if cached and panel.cache is not None and panel.cache.keyed_by_page():
            # A hit needs no panel request: the key comes from the page's request, and
            # the request is built only for a miss or a refresh (``PanelCache.request``).
            def make_request() -> HttpRequest:
                return self.panel_request(name, snapshot, queues)

            cache = PanelCache.for_page(
                panel, self.layout_class, self.request, queues, make_request
            )
            if cache is not None:
                # The task renders through its cache, which has the panel request.
                return self._task(index, panel, self.request, queues, cache)
        panel_request = self.panel_request(name, snapshot, queues)
        cache = None
        if cached:
            cache = PanelCache.for_panel(panel, self.layout_class, panel_request)
        return self._task(index, panel, panel_request, queues, cache)

    def _task(
        self,
        index: int,
        panel: Panel,
        request: HttpRequest,
        queues: QueueCollector,
        cache: PanelCache | None,
    ) -> PanelTask:
        task = PanelTask(index, panel, request, queues, cache, urlconf=self.urlconf)
        task.count_queries = self.count_queries
        return task

    def panel_request(
        self, name: str, snapshot: FrozenLayoutContext, queues: QueueCollector
    ) -> HttpRequest:
        panel_request = make_panel_request(
            self.request,
            layout_class=self.layout_class,
            panel_name=name,
            layout_context=snapshot,
            queues=queues,
            empty_post=self.empty_post,
            csrf_seed=self.csrf_seed,
            keep_post=self.keep_post,
            page_url=self.page_url,
        )
        panel_request.urlconf = self.urlconf
        return panel_request
