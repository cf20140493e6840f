"""Wagtail pages rendered as the content of a layout: ``WagtailLayoutMixin``.

Install with ``pip install dj-layouts[wagtail]``. Only this module imports
Wagtail; ``import dj_layouts`` never does.

``serve()`` builds the same ``Page`` (``page.py``) the view mixins build and
drives it with the sync shell, ``drivers.drive()``: Wagtail's serve view and its
``before_serve_page`` hooks are sync, so ``Page.serve()`` runs in sync code even
under ASGI. Panels still run concurrently with a concurrent executor on the layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

try:
    from wagtail.models import Page as WagtailPage
except ImportError as exc:  # pragma: no cover - the wagtail nox session has Wagtail
    raise ImportError(
        "dj_layouts.wagtail needs Wagtail. Install it with `pip install dj-layouts[wagtail]`."
    ) from exc

from django.http import HttpRequest

from dj_layouts.drivers import drive
from dj_layouts.layout import Layout, check_streaming
from dj_layouts.page import Page
from dj_layouts.panels import Panel
from dj_layouts.state import get_layout_state, is_panel_request
from dj_layouts.views import (
    build_page,
    check_layout_reference,
    declared_layout,
    normalise_panels,
)

__all__ = ["WagtailLayoutMixin"]

#: What ``layout_streaming`` holds until a page model sets it: follow the layout.
FOLLOW_LAYOUT: Any = object()


class WagtailLayoutMixin:
    """Serve a Wagtail page model as the content of a layout.

    Put it before ``Page`` (``class BlogPage(WagtailLayoutMixin, Page)``). The
    page's own template renders the content; a preview (``request.is_preview``)
    is served by Wagtail alone. While a layout renders the page, its template
    context has ``base_template`` (``layout_base_template``), so one template can
    ``{% extends base_template|default:"base.html" %}`` and render both ways.
    """

    #: A ``Layout`` subclass or its registry key.
    layout_class: ClassVar[type[Layout] | str | None] = None
    #: Per-page panel overrides: ``{"sidebar": Panel(...), "ads": None}``.
    layout_panels: ClassVar[Mapping[str, Any] | None] = None
    #: Per-page streaming mode; unset follows ``Layout.streaming``.
    layout_streaming: ClassVar[Any] = FOLLOW_LAYOUT
    #: ``base_template`` in the page's template context while a layout renders it.
    layout_base_template: ClassVar[str] = "layouts/blank.html"
    #: Whether partial requests (HTMX, detectors) get the page's response alone.
    detect_partials: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        where = cls.__qualname__
        _check_mro(cls)
        if "layout_class" in cls.__dict__ and cls.layout_class is not None:
            check_layout_reference(cls.layout_class, where=f"{where}.layout_class")
        if "layout_panels" in cls.__dict__:
            cls.layout_panels = normalise_panels(cls.layout_panels, where=f"{where}.layout_panels")
        if "layout_streaming" in cls.__dict__:
            check_streaming(cls.layout_streaming, where=f"{where}.layout_streaming")

    # -- hooks ----------------------------------------------------------------------------------
    def get_layout_class(self, request: HttpRequest) -> type[Layout]:
        """The layout for this request. Override to choose one per request (or per page)."""
        return declared_layout(self, "get_layout_class(request)")

    def get_layout_panels(self, request: HttpRequest) -> Mapping[str, Panel | None] | None:
        """Per-page panel overrides for this request."""
        return self.layout_panels

    def get_layout_streaming(self, request: HttpRequest, layout_class: type[Layout]) -> str | None:
        """The streaming mode for this request: ``layout_streaming``, else the layout's."""
        if self.layout_streaming is FOLLOW_LAYOUT:
            return layout_class.streaming
        streaming: str | None = self.layout_streaming
        return streaming

    # -- Wagtail's methods ----------------------------------------------------------------------
    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context(request, *args, **kwargs)  # type: ignore[misc]
        if get_layout_state(request) is not None:
            context.setdefault("base_template", self.layout_base_template)
        return context

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        serve = super().serve  # type: ignore[misc]
        if getattr(request, "is_preview", False) or is_panel_request(request):
            return serve(request, *args, **kwargs)
        return drive(self._layout_page(request), lambda: serve(request, *args, **kwargs))

    def _layout_page(self, request: HttpRequest) -> Page:
        layout_class = self.get_layout_class(request)
        return build_page(
            request,
            layout_class,
            self.get_layout_panels(request),
            owner=type(self).__qualname__,
            is_async=False,
            detect_partials=self.detect_partials,
            streaming=self.get_layout_streaming(request, layout_class),
        )


def _check_mro(cls: type) -> None:
    """The mixin must come before Wagtail's ``Page``, or Wagtail's ``serve()`` wins."""
    mro = cls.__mro__
    if WagtailPage in mro and mro.index(WagtailPage) < mro.index(WagtailLayoutMixin):
        name = cls.__qualname__
        bases = ", ".join(base.__name__ for base in cls.__bases__)
        raise TypeError(
            f"{name} lists WagtailLayoutMixin after Wagtail's Page (bases: {bases}), so Page's "
            f"serve() would run without the layout. Put the mixin first: "
            f"class {name}(WagtailLayoutMixin, ...)."
        )
