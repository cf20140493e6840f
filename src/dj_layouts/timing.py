"""Where a page's time goes: one record per page, a signal, a log record, ``Server-Timing``.

A buffered page measures its content view, each panel (start, duration, thread,
cache hit, error or timeout) and the assembly. The record is sent with the
``page_timed`` signal and logged on the ``dj_layouts.timing`` logger (at DEBUG,
with the figures in ``record.dj_layouts``), for an APM or OpenTelemetry to pick up;
with ``DJ_LAYOUTS["SERVER_TIMING"]`` on it also becomes a ``Server-Timing`` header
that every browser's devtools show. Nothing is built when nobody listens.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from django.dispatch import Signal

from dj_layouts.collector import QueueCollector
from dj_layouts.conf import get_settings
from dj_layouts.errors import PanelTimeout

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django.http.response import HttpResponseBase

    from dj_layouts.executors import PanelExecutor, PanelOutcome
    from dj_layouts.layout import Layout
    from dj_layouts.panels import Panel

logger = logging.getLogger("dj_layouts.timing")

#: Sent once per buffered layout page: ``sender`` is the layout class, with
#: ``request`` and ``timing`` (a ``PageTiming``).
page_timed = Signal()


@dataclass(frozen=True)
class PanelTiming:
    """One panel of one page. Times are seconds; ``start`` counts from the page's start."""

    name: str
    start: float
    duration: float
    thread: str
    cache: str  # "hit" when the panel came from its cache without rendering, else ""
    outcome: str  # "ok", "error" or "timeout"
    error: str = ""
    source: str = ""  # what the panel renders: the view, template or HTML it was given
    #: SQL queries the panel ran, in whatever thread (its own, or the threads its
    #: ``sync_to_async`` calls went to); None when not counted (a timeout).
    queries: int | None = None
    #: Those queries by the name of the thread that ran them.
    query_threads: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PageTiming:
    """One buffered layout page: the content view, each panel, the assembly."""

    layout: str
    executor: str
    path: str
    content: float
    assembly: float
    total: float
    panels: list[PanelTiming] = field(default_factory=list)
    #: The thread the page was driven from (panels elsewhere ran in worker threads).
    thread: str = ""
    #: The items of each render queue, as HTML, in the order the page renders them.
    queues: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def server_timing(self) -> str:
        """The ``Server-Timing`` header value: one entry per step, durations in ms."""
        entries = [f"content;dur={self.content * 1000:.1f}"]
        for panel in self.panels:
            desc = (
                panel.outcome
                if panel.outcome != "ok"
                else f"cache {panel.cache}" * bool(panel.cache)
            )
            entry = f"panel-{panel.name};dur={panel.duration * 1000:.1f}"
            entries.append(f'{entry};desc="{desc}"' if desc else entry)
        entries.append(f"assembly;dur={self.assembly * 1000:.1f}")
        entries.append(f"total;dur={self.total * 1000:.1f}")
        return ", ".join(entries)


def wanted() -> bool:
    """Whether anyone will read a page's timing (so it is worth building)."""
    return bool(
        get_settings().server_timing or page_timed.receivers or logger.isEnabledFor(logging.DEBUG)
    )


def _panel(outcome: PanelOutcome, page_start: float, sources: dict[str, str]) -> PanelTiming:
    error = outcome.error
    if error is None:
        state, text = "ok", ""
    elif isinstance(error.exception, PanelTimeout):
        state, text = "timeout", str(error.exception)
    else:
        state, text = "error", type(error.exception).__name__
    return PanelTiming(
        name=outcome.name,
        start=max(0.0, outcome.started - page_start),
        duration=outcome.elapsed,
        thread=outcome.thread,
        cache="hit" if outcome.cached else "",
        outcome=state,
        error=text,
        source=sources.get(outcome.name, ""),
        queries=outcome.queries,
        query_threads=dict(outcome.query_threads),
    )


def _queues(request: HttpRequest) -> dict[str, list[str]]:
    collector = getattr(request, "layout_queues", None)
    if not isinstance(collector, QueueCollector):
        return {}
    return {name: [item.render(None) for item in items] for name, items in collector.dump().items()}


def record(
    request: HttpRequest,
    response: HttpResponseBase,
    layout_class: type[Layout],
    executor: PanelExecutor,
    marks: tuple[float, float, float, float],
    outcomes: Iterable[PanelOutcome],
    panels: Iterable[Panel] = (),
) -> PageTiming:
    """Build the page's record, send it, log it, and set ``Server-Timing`` if asked.

    ``marks``: the page's start, the content view's start and end, the end of assembly.
    ``panels``: the page's panels, for what each one renders.
    """
    start, content_start, content_end, end = marks
    sources = {panel.name or "?": panel.source.identity() for panel in panels}
    timed = sorted((_panel(o, start, sources) for o in outcomes), key=lambda p: p.start)
    panel_end = max((start + p.start + p.duration for p in timed), default=content_end)
    timing = PageTiming(
        layout=layout_class.key,
        executor=type(executor).__name__,
        path=request.path,
        content=content_end - content_start,
        assembly=max(0.0, end - max(content_end, panel_end)),
        total=end - start,
        panels=timed,
        thread=threading.current_thread().name,
        queues=_queues(request),
    )
    if get_settings().server_timing:
        response["Server-Timing"] = timing.server_timing()
    page_timed.send(layout_class, request=request, timing=timing)
    logger.debug(
        "Layout %s rendered %s in %.1f ms",
        timing.layout,
        timing.path,
        timing.total * 1000,
        extra={"dj_layouts": timing.as_dict()},
    )
    return timing
