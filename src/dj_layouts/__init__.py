"""dj-layouts: compose Django pages from independent views."""

from __future__ import annotations

from dj_layouts import cache
from dj_layouts.context import FrozenLayoutContext, LayoutContext
from dj_layouts.decorators import async_layout, layout, panel_only
from dj_layouts.endpoints import panel_url
from dj_layouts.errors import (
    PanelCircuitOpen,
    PanelError,
    PanelRenderError,
    PanelResponseError,
    PanelThreadsExhausted,
    PanelTimeout,
)
from dj_layouts.executors import (
    GatherExecutor,
    PanelExecutor,
    SequentialExecutor,
    ThreadedExecutor,
)
from dj_layouts.layout import Layout
from dj_layouts.panels import (
    ConditionalPanel,
    Panel,
    async_resolve_panel_source,
    resolve_panel_source,
)
from dj_layouts.queues import (
    RenderQueue,
    ScriptQueue,
    StyleQueue,
    add_inline_script,
    add_inline_style,
    add_script,
    add_style,
    add_to_queue,
)
from dj_layouts.shortcuts import (
    async_render_error_page,
    async_render_with_layout,
    render_error_page,
    render_with_layout,
)
from dj_layouts.state import LayoutState, force_full_page, get_layout_context, get_layout_state
from dj_layouts.views import AsyncLayoutMixin, LayoutMixin, PanelOnlyMixin

__version__ = "0.1.0"

__all__ = [
    "AsyncLayoutMixin",
    "ConditionalPanel",
    "FrozenLayoutContext",
    "GatherExecutor",
    "Layout",
    "LayoutContext",
    "LayoutMixin",
    "LayoutState",
    "Panel",
    "PanelCircuitOpen",
    "PanelError",
    "PanelExecutor",
    "PanelOnlyMixin",
    "PanelRenderError",
    "PanelResponseError",
    "PanelThreadsExhausted",
    "PanelTimeout",
    "RenderQueue",
    "ScriptQueue",
    "SequentialExecutor",
    "StyleQueue",
    "ThreadedExecutor",
    "add_inline_script",
    "add_inline_style",
    "add_script",
    "add_style",
    "add_to_queue",
    "async_layout",
    "async_render_error_page",
    "async_render_with_layout",
    "async_resolve_panel_source",
    "cache",
    "force_full_page",
    "get_layout_context",
    "get_layout_state",
    "layout",
    "panel_only",
    "panel_url",
    "render_error_page",
    "render_with_layout",
    "resolve_panel_source",
]
