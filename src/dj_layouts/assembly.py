"""Putting a page together: panel outcomes merged, errors handled, the layout rendered.

Every page merges its panels here, whatever ran them and in whatever order they
finished: HTML by panel name, queue items content first then in definition order.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from time import perf_counter
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.template.loader import get_template
from django.template.response import SimpleTemplateResponse

from dj_layouts import detection, timing
from dj_layouts._utils import is_async_callable
from dj_layouts.conf import get_settings
from dj_layouts.edge import announces_esi
from dj_layouts.errors import PanelError, PanelRenderError
from dj_layouts.executors import PanelExecutor, PanelOutcome, in_definition_order
from dj_layouts.layout import CONTENT, Layout
from dj_layouts.queues import QueueCollector
from dj_layouts.requests import issue_csrf_cookie
from dj_layouts.state import get_layout_context
from dj_layouts.stream_plan import StreamPlan

if TYPE_CHECKING:
    from dj_layouts.panels import Panel

logger = logging.getLogger("dj_layouts")

#: Where the template tags find the page being rendered.
STATE_KEY = "_dj_layouts_page"

#: Panels the browser fetches after the page loads: never made into jobs, their slot
#: gets a placeholder (SPEC §16).
LATE_LOADS = ("lazy", "visible")


class PageState:
    """What the layout template's tags read: panel HTML by name, and the page."""

    __slots__ = ("deferred", "html", "layout", "loader_sent", "names_layout", "plan", "request")

    def __init__(
        self,
        layout: Layout,
        request: HttpRequest,
        html: dict[str, str],
        plan: StreamPlan | None = None,
        deferred: dict[str, str] | None = None,
    ) -> None:
        self.layout = layout
        self.request = request
        self.html = html
        self.plan = plan
        #: ``load=`` of the panels the browser fetches later, by name.
        self.deferred = deferred or {}
        #: Whether the page already carries the loader script.
        self.loader_sent = False
        #: Whether the page names its layout for htmx (``{% layout_hx_headers %}``).
        self.names_layout = False


class Assembler:
    """Merges outcomes and renders the layout of one page."""

    def __init__(
        self,
        request: HttpRequest,
        layout_class: type[Layout],
        panels: list[Panel],
        queues: QueueCollector | None = None,
    ) -> None:
        self.request = request
        self.layout_class = layout_class
        self.layout = layout_class()
        self.panels = panels
        self.state: PageState | None = None
        #: The page's own queue collector (the content view's items go here first).
        self.queues = QueueCollector.for_layout(layout_class) if queues is None else queues
        edge = any(p.load == "edge" for p in panels) and announces_esi(request)
        late = (*LATE_LOADS, "edge") if edge else LATE_LOADS
        #: ``load=`` of the panels that are not rendered with the page, by name.
        self.deferred = {p.name or "?": p.load for p in panels if p.load in late}

    @staticmethod
    def timed() -> bool:
        """Whether anyone reads the page's timing (``timing.wanted()``)."""
        return timing.wanted()

    @staticmethod
    def has_no_context_hook(layout_class: type[Layout]) -> bool:
        """Whether ``context_hook()`` is sure to find no hook, without making the layout."""
        return (
            layout_class.get_layout_context is Layout.get_layout_context
            and layout_class.__init__ is Layout.__init__
        )

    def context_hook(self) -> tuple[Any, bool]:
        """``Layout.get_layout_context`` when the layout overrides it (else ``None``), and
        whether it is a coroutine function."""
        hook = self.layout.get_layout_context
        if getattr(hook, "__func__", None) is Layout.get_layout_context:
            return None, False
        return hook, is_async_callable(hook)

    # -- errors ---------------------------------------------------------------------------
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

    # -- merging ------------------------------------------------------------------------------
    def panel_html(self, outcomes: Iterable[PanelOutcome]) -> dict[str, str]:
        """Panel HTML by name; merges queues in definition order and handles errors."""
        ordered = in_definition_order(outcomes)
        html = {panel.name or "?": "" for panel in self.panels}
        failures = [outcome.error for outcome in ordered if outcome.error is not None]
        if failures and get_settings().debug_errors:
            raise PanelRenderError(failures[0]) from failures[0].exception
        for outcome in ordered:
            if outcome.error is not None:
                html[outcome.name] = self.error_html(outcome.error)
            else:
                html[outcome.name] = outcome.html
                if outcome.queues is not None:
                    self.queues.merge(outcome.queues)
        return html

    # -- rendering ----------------------------------------------------------------------------
    def render(self, html: dict[str, str], plan: StreamPlan | None = None) -> str:
        request = self.request
        #: What the layout template's tags saw, once it is rendered.
        self.state = PageState(self.layout, request, html, plan, self.deferred)
        context: dict[str, Any] = {
            **get_layout_context(request),
            "request": request,
            STATE_KEY: self.state,
        }
        template = get_template(self.layout.get_template(request))
        return template.render(context, request)

    def plan(self, response: HttpResponse) -> tuple[StreamPlan, list[Any]]:
        """Render the layout once with markers in its slots, cut into parts.

        Only streamed pages are planned, and their headers leave before the panels
        render: the CSRF cookie is decided here (``requests.issue_csrf_cookie``).
        """
        issue_csrf_cookie(self.request)
        render_response(response)
        plan = StreamPlan()
        rendered = self.render({CONTENT: content_of(response)}, plan)
        return plan, plan.parts(rendered)

    def assemble(
        self,
        response: HttpResponse,
        outcomes: Iterable[PanelOutcome],
        timed: tuple[PanelExecutor, tuple[float, float, float]] | None = None,
    ) -> HttpResponse:
        """Render the layout around the content and put it in the content view's response.

        Reusing the response keeps its headers, cookies and attributes. ``timed``: the
        executor and the page's start, content start and content end, when the page's
        timing is wanted (``timing.wanted()``); the record is made once it is assembled.
        """
        render_response(response)
        outcomes = list(outcomes)
        html = self.panel_html(outcomes)
        html[CONTENT] = content_of(response)
        response.content = self.render(html)
        if "Content-Length" in response:
            del response["Content-Length"]
        detection.mark_full_page(self.request, self.layout_class, response)
        if timed is not None:
            executor, (started, content_started, content_ended) = timed
            marks = (started, content_started, content_ended, perf_counter())
            timing.record(
                self.request, response, self.layout_class, executor, marks, outcomes, self.panels
            )
        return response


def render_response(response: HttpResponseBase) -> HttpResponseBase:
    """Render a ``TemplateResponse`` that is not rendered yet; returns it."""
    if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
        response.render()
    return response


def content_of(response: HttpResponse) -> str:
    return response.content.decode(response.charset)
