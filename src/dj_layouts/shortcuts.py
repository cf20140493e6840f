"""``render_with_layout()``: render a template as the content of a layout page.

A thin adapter: it runs the same mixin a decorated view would, with the template
as the content view. It always assembles the full page (no partial detection).
``render_error_page()`` does the same for error pages, with partial detection on,
so an HTMX request gets the error inside the page it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse

from dj_layouts.layout import Layout, check_streaming
from dj_layouts.types import PanelOverrides
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


class _SyncErrorPage(LayoutMixin, FunctionView):
    pass


class _AsyncErrorPage(AsyncLayoutMixin, FunctionView):
    pass


def _view(
    view_class: type[FunctionView],
    content: Any,
    layout_class: type[Layout] | str,
    panels: PanelOverrides | None,
    request: HttpRequest,
    streaming: Any,
    where: str = "render_with_layout",
) -> Any:
    attrs: dict[str, Any] = {}
    if streaming is not _UNSET:
        check_streaming(streaming, where=f"{where}(streaming=...)")
        attrs["layout_streaming"] = streaming
    view = view_class(
        view_func=content,
        layout_class=layout_class,
        layout_panels=normalise_panels(panels, where=f"{where}()"),
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
        return TemplateResponse(request, template_name, dict(context or {}))

    view = _view(_SyncShortcut, content, layout_class, panels, request, streaming)
    response: HttpResponseBase = view.dispatch(request)
    return response


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
        return TemplateResponse(request, template_name, dict(context or {}))

    view = _view(_AsyncShortcut, content, layout_class, panels, request, streaming)
    response: HttpResponseBase = await view.dispatch(request)
    return response


def _check_status(status: Any, where: str) -> None:
    if isinstance(status, bool) or not isinstance(status, int):
        raise TypeError(f"{where}(): status must be an int such as 404 or 500, not {status!r}.")
    if not 400 <= status <= 599:
        raise ValueError(
            f"{where}(): status must be an HTTP error status from 400 to 599, not {status}. "
            "Use render_with_layout() for other pages."
        )


def _error_response(response: HttpResponseBase, status: int) -> HttpResponseBase:
    # The content ran as a 200 so that the layout wraps it (or it goes out as the
    # partial); the error status goes on whichever response leaves.
    response.status_code = status
    return response


def render_error_page(
    request: HttpRequest,
    layout_class: type[Layout] | str,
    template_name: str | list[str],
    context: Mapping[str, Any] | None = None,
    *,
    status: int,
    panels: Mapping[str, Any] | None = None,
) -> HttpResponseBase:
    """Render an error page (``status`` 4xx/5xx) with ``template_name`` as the content.

    Unlike ``render_with_layout()``, partial detection and HTMX smart routing apply:
    an HTMX request from a page of ``layout_class`` gets only the error content,
    retargeted into the page's content slot; anything else gets the full page.
    Use it in ``handler404``/``handler500`` or in a view that catches an error.
    """
    _check_status(status, "render_error_page")

    def content(request: HttpRequest) -> TemplateResponse:
        return TemplateResponse(request, template_name, context)  # type: ignore[arg-type]

    view = _view(
        _SyncErrorPage, content, layout_class, panels, request, _UNSET, "render_error_page"
    )
    return _error_response(view.dispatch(request), status)


async def async_render_error_page(
    request: HttpRequest,
    layout_class: type[Layout] | str,
    template_name: str | list[str],
    context: Mapping[str, Any] | None = None,
    *,
    status: int,
    panels: Mapping[str, Any] | None = None,
) -> HttpResponseBase:
    """The async twin of ``render_error_page()``: panels render concurrently."""
    _check_status(status, "async_render_error_page")

    async def content(request: HttpRequest) -> TemplateResponse:
        return TemplateResponse(request, template_name, context)  # type: ignore[arg-type]

    view = _view(
        _AsyncErrorPage, content, layout_class, panels, request, _UNSET, "async_render_error_page"
    )
    return _error_response(await view.dispatch(request), status)
