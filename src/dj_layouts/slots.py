"""What the layout template tags do, for any template engine.

The Django tags (``templatetags/layouts.py``) and the Jinja2 globals and tags
(``dj_layouts.jinja2``) each parse their arguments their own way and call these;
both find the page being rendered in the template context under ``STATE_KEY``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from django.http import HttpRequest
from django.template import TemplateSyntaxError
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from dj_layouts.assembly import STATE_KEY, PageState
from dj_layouts.collector import QueueCollector
from dj_layouts.detection import hx_headers_attr


class TemplateContext(Protocol):
    """A Django ``Context`` or a Jinja2 ``Context``: both look names up with ``get``."""

    def get(self, key: str, /) -> Any: ...


def page_state(context: TemplateContext) -> PageState | None:
    """The layout page being rendered, or None outside a layout template."""
    state = context.get(STATE_KEY)
    return state if isinstance(state, PageState) else None


def context_request(context: TemplateContext) -> HttpRequest | None:
    request = getattr(context, "request", None) or context.get("request")
    return request if isinstance(request, HttpRequest) else None


def panel_html(context: TemplateContext, name: str) -> str:
    """The HTML of panel ``name`` in the page being rendered ("" when unknown)."""
    state = page_state(context)
    return state.html.get(name, "") if state is not None else ""


def fill_slot(context: TemplateContext, name: str, fallback: Callable[[], str]) -> SafeString:
    """The panel's HTML, else the rendered ``fallback``; a marker on a streamed page."""
    state = page_state(context)
    if state is not None and state.plan is not None and name not in state.html:
        # A streamed page: leave a marker; the panel's HTML is sent when it is ready.
        return mark_safe(state.plan.slot(name, str(fallback())))
    html = panel_html(context, name)
    if html.strip():
        return mark_safe(html)
    return mark_safe(str(fallback()))


def render_queue(context: TemplateContext, name: str | None, kind: str, caller: str) -> SafeString:
    """Every item of queue ``name`` (default: the layout's queue of ``kind``), in order."""
    request = context_request(context)
    collector = getattr(request, "layout_queues", None)
    if not isinstance(collector, QueueCollector):
        return mark_safe("")
    if name is None and not any(q.kind == kind for q in collector.spec.queues.values()):
        # No queue of this kind declared: nothing can have been queued. (Several and
        # none of them the default is a mistake, which spec.default() reports.)
        return mark_safe("")
    queue_name = name or collector.spec.default(kind, caller)
    state = page_state(context)
    if state is not None and state.plan is not None:
        if queue_name not in collector.spec.queues:
            raise collector.spec.unknown(queue_name)
        return mark_safe(str(state.plan.queue(queue_name)))
    return collector.render(queue_name, request)


def hx_headers(context: TemplateContext, inherited: Any, caller: str) -> SafeString:
    """``hx-headers='{"DJ-Layout": "<key>"}'`` for the page's layout ("" outside one)."""
    if not isinstance(inherited, bool):
        raise TemplateSyntaxError(
            f"'{caller}' takes inherited=True or inherited=False, not {inherited!r}."
        )
    state = page_state(context)
    if state is None:
        return mark_safe("")
    name = "hx-headers:inherited" if inherited else "hx-headers"
    return format_html("{}='{}'", name, hx_headers_attr(state.layout.key))
