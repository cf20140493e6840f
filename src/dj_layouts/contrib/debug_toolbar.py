"""A django-debug-toolbar panel: where a layout page's time went.

Add ``"dj_layouts.contrib.debug_toolbar.LayoutPanel"`` to ``DEBUG_TOOLBAR_PANELS``.
It reads the page's timing record (the ``page_timed`` signal) and shows the layout,
the executor, each panel's source on a waterfall with its thread, cache hit, timeout
or error and SQL query count, and the render queues' items.

The toolbar's SQL panel wraps the database connections of one thread (the request's,
or under ASGI the thread sync code runs in); Django connections are per thread, so
the queries of panels run in worker threads never reach it. dj-layouts counts each
panel's queries in whatever thread they run (``querycount``), and this panel says how
many of them the SQL panel missed.
"""

from __future__ import annotations

import threading
from typing import Any

from asgiref.sync import sync_to_async
from debug_toolbar.panels import Panel
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from dj_layouts.timing import PageTiming, page_timed


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def page_stats(timing: PageTiming, sql_thread: str) -> dict[str, Any]:
    """What the panel shows of one page, JSON-ready (the toolbar stores it)."""
    total = timing.total or 1e-9
    panels, missed = [], 0
    for panel in timing.panels:
        # The SQL panel sees the queries that ran in its thread, whichever panel ran them.
        unseen = sum(n for thread, n in panel.query_threads.items() if thread != sql_thread)
        missed += unseen
        panels.append(
            {
                "name": panel.name,
                "source": panel.source,
                "start": _ms(panel.start),
                "duration": _ms(panel.duration),
                "offset": round(100 * panel.start / total, 2),
                "width": max(round(100 * panel.duration / total, 2), 0.5),
                "thread": panel.thread,
                "cache": panel.cache,
                "outcome": panel.outcome,
                "error": panel.error,
                "queries": panel.queries,
                "query_threads": panel.query_threads,
                "not_on_sql_panel": unseen,
            }
        )
    return {
        "layout": timing.layout,
        "executor": timing.executor,
        "path": timing.path,
        "content": _ms(timing.content),
        "assembly": _ms(timing.assembly),
        "total": _ms(timing.total),
        "thread": timing.thread,
        "sql_thread": sql_thread,
        "panels": panels,
        "queues": timing.queues,
        "queries_missed": missed,
    }


class LayoutPanel(Panel):
    """The layout page of this request: panels, waterfall, cache, errors, queries, queues."""

    is_async = True
    title = "Layout"
    template = "dj_layouts/debug_toolbar/layout.html"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timings: list[PageTiming] = []
        self.sql_thread = ""
        self.uid = f"dj_layouts.contrib.debug_toolbar.{id(self)}"
        self.server_timing = ""

    @property
    def nav_subtitle(self) -> str:
        pages = self.get_stats().get("pages") or []  # type: ignore[no-untyped-call]
        if not pages:
            return "No layout page"
        page = pages[-1]
        return f"{page['layout']}: {len(page['panels'])} panels, {page['total']} ms"

    def enable_instrumentation(self) -> None:
        # The SQL panel wraps the connections of the thread this runs in (and under
        # ASGI, of sync_to_async's thread, as aenable_instrumentation does): a panel
        # that ran in another thread is one whose queries it cannot see.
        self.sql_thread = threading.current_thread().name
        page_timed.connect(self.receive, dispatch_uid=self.uid)

    async def aenable_instrumentation(self) -> None:
        await sync_to_async(self.enable_instrumentation)()

    def disable_instrumentation(self) -> None:
        page_timed.disconnect(dispatch_uid=self.uid)

    def receive(
        self, sender: Any, *, request: HttpRequest, timing: PageTiming, **kwargs: Any
    ) -> None:
        if request is self.toolbar.request:  # the signal is global: other requests' pages
            self.timings.append(timing)

    def generate_stats(self, request: HttpRequest, response: HttpResponseBase) -> None:
        pages = [page_stats(timing, self.sql_thread) for timing in self.timings]
        self.record_stats({"pages": pages})  # type: ignore[no-untyped-call]
        if self.timings:
            # The toolbar sets Server-Timing to its panels' entries, replacing the
            # page's own: hand the page's entries back to it through get_headers().
            self.server_timing = response.get("Server-Timing", "")

    def get_headers(self, request: HttpRequest) -> dict[str, str]:
        headers: dict[str, str] = super().get_headers(request)  # type: ignore[no-untyped-call]
        if self.server_timing:
            headers["Server-Timing"] = self.server_timing
        return headers
