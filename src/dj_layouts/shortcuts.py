"""``render_with_layout()``: render a template as the content of a layout page.

A thin adapter: it runs the same mixin a decorated view would, with the template
as the content view. It always assembles the full page (no partial detection).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse

from dj_layouts.layout import Layout, check_streaming
from dj_layouts.views import (
    _UNSET,
    AsyncLayoutMixin,
    FunctionView,
    LayoutMixin,
    normalise_panels,
)


class _SyncShortcut(LayoutMixin, FunctionView):
    detect_partials = False


class _AsyncShortcut(AsyncLayoutMixin, FunctionView):
    detect_partials = False


def _view(
    view_class: type[FunctionView],
    content: Any,
    layout_class: type[Layout] | str,
    panels: Mapping[str, Any] | None,
    request: HttpRequest,
    streaming: Any,
) -> Any:
    attrs: dict[str, Any] = {}
    if streaming is not _UNSET:
        check_streaming(streaming, where="render_with_layout(streaming=...)")
        attrs["layout_streaming"] = streaming
    view = view_class(
        view_func=content,
        layout_class=layout_class,
        layout_panels=normalise_panels(panels, where="render_with_layout()"),
        **attrs,
    )
    view.setup(request)
    return view


def render_with_layout(
    request: HttpRequest,
    layout_class: type[Layout] | str,
    template_name: str | list[str],
    context: Mapping[str, Any] | None = None,
    *,
    panels: Mapping[str, Any] | None = None,
    streaming: Any = _UNSET,
) -> HttpResponseBase:
    """Render ``template_name`` with ``context`` as the content of ``layout_class``."""

    def content(request: HttpRequest) -> TemplateResponse:
        return TemplateResponse(request, template_name, context)

    view = _view(_SyncShortcut, content, layout_class, panels, request, streaming)
    return view.dispatch(request)  # type: ignore[no-any-return]


async def async_render_with_layout(
    request: HttpRequest,
    layout_class: type[Layout] | str,
    template_name: str | list[str],
    context: Mapping[str, Any] | None = None,
    *,
    panels: Mapping[str, Any] | None = None,
    streaming: Any = _UNSET,
) -> HttpResponseBase:
    """The async twin of ``render_with_layout()``: panels render concurrently."""

    async def content(request: HttpRequest) -> TemplateResponse:
        return TemplateResponse(request, template_name, context)

    view = _view(_AsyncShortcut, content, layout_class, panels, request, streaming)
    return await view.dispatch(request)  # type: ignore[no-any-return]
