"""The page state on the request: one typed object instead of loose attributes.

Every request a layout touches carries a ``LayoutState`` as ``request.layout``
(the way django-htmx hangs ``HtmxDetails`` on ``request.htmx``): the main request
of a page (role ``"main"``) and each panel's own request (role ``"panel"``).

The attribute names of the existing ``dj-layouts`` package keep working and are
kept in step: ``request.layout_role``, ``request.is_layout_partial``,
``request.layout_context``, ``request.layout_queues``, ``request.layout_key``,
``request.layout_panel_name`` and ``request.dj_layouts_force_full``. Code that
assigns ``request.layout_context`` (as its tests do) is honoured by
``get_layout_context()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from dj_layouts.context import ContextBase, FrozenLayoutContext, LayoutContext

if TYPE_CHECKING:
    from dj_layouts.layout import Layout
    from dj_layouts.queues import QueueCollector

MAIN = "main"
PANEL = "panel"

#: The request attribute that holds the state.
ATTRIBUTE = "layout"

_EMPTY = FrozenLayoutContext()


class LayoutState:
    """What a layout knows about one request (``request.layout``)."""

    __slots__ = (
        "base",
        "context",
        "force_full",
        "is_partial",
        "layout_class",
        "page_url",
        "panel_name",
        "queues",
        "role",
    )

    def __init__(
        self,
        *,
        role: str,
        layout_class: type[Layout],
        context: Mapping[str, Any],
        queues: QueueCollector,
        is_partial: bool = False,
        panel_name: str | None = None,
        page_url: str | None = None,
        base: Any = None,
    ) -> None:
        #: ``"main"`` for the page's request, ``"panel"`` for a panel's.
        self.role = role
        self.layout_class = layout_class
        #: ``LayoutContext`` (main) or ``FrozenLayoutContext`` (panel).
        self.context = context
        self.queues = queues
        #: Whether this request gets the content view's response alone.
        self.is_partial = is_partial
        #: Set by ``force_full_page()``: the full page even for a partial request.
        self.force_full = False
        self.panel_name = panel_name
        #: The page a panel rendered by the panel endpoint belongs to (forms redirect there).
        self.page_url = page_url
        #: The layout context before the content view ran (``endpoints.ContextBase``):
        #: panel URLs carry only what the view changed since.
        self.base = base

    def __repr__(self) -> str:
        where = f" panel={self.panel_name!r}" if self.panel_name else ""
        return f"<LayoutState {self.role} {self.layout_class.key}{where}>"

    @property
    def key(self) -> str:
        """The layout's registry key."""
        return self.layout_class.key

    @property
    def is_panel(self) -> bool:
        return self.role == PANEL

    @classmethod
    def for_page(
        cls, layout_class: type[Layout], queues: QueueCollector, *, is_partial: bool
    ) -> LayoutState:
        """The main request's state: a fresh writable context from the layout's defaults."""
        return cls(
            role=MAIN,
            layout_class=layout_class,
            context=LayoutContext(layout_class.initial_layout_context()),
            queues=queues,
            is_partial=is_partial,
        )

    def remember_base(self) -> None:
        """Keep the context as it is before the content view runs (panel URLs carry changes)."""
        self.base = ContextBase(self.context)

    def attach(self, request: HttpRequest) -> None:
        """Put this state on ``request``, with the existing package's attribute names."""
        attrs = request.__dict__
        attrs[ATTRIBUTE] = self
        attrs["layout_role"] = self.role
        attrs["is_layout_partial"] = self.is_partial
        attrs["layout_key"] = self.key
        attrs["layout_context"] = self.context
        attrs["layout_queues"] = self.queues
        if self.panel_name is not None:
            attrs["layout_panel_name"] = self.panel_name

    def set_partial(self, request: HttpRequest, value: bool) -> None:
        self.is_partial = value
        request.__dict__["is_layout_partial"] = value


def get_layout_state(request: HttpRequest) -> LayoutState | None:
    """The request's ``LayoutState``, or ``None`` outside a layout."""
    state = request.__dict__.get(ATTRIBUTE)
    return state if isinstance(state, LayoutState) else None


def get_layout_context(request: HttpRequest) -> Mapping[str, Any]:
    """The layout context this request sees.

    The writable ``LayoutContext`` in a content view, the read-only snapshot in a
    panel, and an empty read-only mapping outside a layout (a panel view visited
    as a page of its own), so a view can read it without checking first.
    """
    context = request.__dict__.get("layout_context")
    if isinstance(context, Mapping):
        return context
    state = get_layout_state(request)
    return state.context if state is not None else _EMPTY


def force_full_page(request: HttpRequest) -> None:
    """Ask for the full page even if the request was detected as a partial.

    Call it in a content view (the decision is made after the view runs).
    """
    request.__dict__["dj_layouts_force_full"] = True
    state = get_layout_state(request)
    if state is not None:
        state.force_full = True


def wants_full_page(request: HttpRequest) -> bool:
    """Whether the content view asked for the full page (either spelling)."""
    state = get_layout_state(request)
    return bool(
        (state is not None and state.force_full)
        or request.__dict__.get("dj_layouts_force_full", False)
    )


def is_panel_request(request: HttpRequest) -> bool:
    """Whether ``request`` is a panel's own request (``request.layout_role == "panel"``)."""
    return request.__dict__.get("layout_role") == PANEL


def layout_role(request: HttpRequest) -> str | None:
    """``"main"``, ``"panel"``, or ``None`` outside a layout."""
    role = request.__dict__.get("layout_role")
    return role if isinstance(role, str) else None
