"""What the layout template tags do, for any template engine.

The Django tags (``templatetags/layouts.py``) and the Jinja2 globals and tags
(``dj_layouts.jinja2``) each parse their arguments their own way and call these;
both find the page being rendered in the template context under ``STATE_KEY``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from django.conf import settings
from django.http import HttpRequest
from django.template import TemplateSyntaxError
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from dj_layouts.assembly import LATE_LOADS, STATE_KEY, PageState
from dj_layouts.collector import collector_of
from dj_layouts.detection import hx_headers_attr
from dj_layouts.endpoints import panel_url
from dj_layouts.layout import CONTENT
from dj_layouts.placeholders import loader_tag, placeholder

logger = logging.getLogger("dj_layouts")


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


def fill_slot(
    context: TemplateContext,
    name: str,
    fallback: Callable[[], str],
    loading: Callable[[], str] | None = None,
) -> SafeString:
    """The panel's HTML, else the rendered ``fallback``.

    A lazy/visible/edge panel gets its placeholder; on a streamed page a marker is
    left (with ``loading`` to show while the panel is on its way, unordered pages).
    """
    state = page_state(context)
    if state is not None and name in state.deferred:
        return mark_safe(late_panel(state, name, str(fallback())))
    if state is not None and state.plan is not None and name not in state.html:
        # A streamed page: leave a marker; the panel's HTML is sent when it is ready.
        shown = None if loading is None else str(loading())
        return mark_safe(state.plan.slot(name, str(fallback()), shown))
    if state is None:
        html = ""
    else:
        html = state.html.get(name, "")
        if not html and name not in state.html:
            _log_unknown(state, name)
    if html.strip():
        # Panel HTML is nearly always safe already: mark_safe() itself costs more.
        return html if type(html) is SafeString else mark_safe(html)
    return mark_safe(str(fallback()))


def _log_unknown(state: PageState, name: str) -> None:
    """In debug mode, say so when a slot names a panel the page does not have."""
    layout_class = type(state.layout)
    declared = layout_class.get_panels()
    if not settings.DEBUG or name == CONTENT or name in declared:
        return
    logger.warning(
        '{%% panel "%s" %%} in the template of layout %s names no panel of this page, so '
        "its fallback shows. Declared panels: %s.",
        name,
        layout_class.key,
        ", ".join(declared) or "none",
    )


def late_panel(state: PageState, name: str, fallback: str) -> str:
    """A late panel's slot: lazy and visible ones get their fallback, fetched over, and the
    loader once a page; edge panels and holes an ``<esi:include>``."""
    load = state.deferred[name]
    loader = None
    if load in LATE_LOADS and not state.loader_sent:
        state.loader_sent = True
        loader = loader_tag(state.request)
    url = panel_url(state.request, name)
    return placeholder(url, load, fallback, loader)


def render_queue(context: TemplateContext, name: str | None, kind: str, caller: str) -> SafeString:
    """Every item of queue ``name`` (default: the layout's queue of ``kind``), in order."""
    request = context_request(context)
    collector = collector_of(request)
    if collector is None:
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
    state.names_layout = True
    name = "hx-headers:inherited" if inherited else "hx-headers"
    return format_html("{}='{}'", name, hx_headers_attr(state.layout.key))
