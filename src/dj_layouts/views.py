"""The class-based view mixins: the one code path every layout page goes through.

``LayoutMixin`` wraps a sync ``dispatch``, ``AsyncLayoutMixin`` an async one.
Both build a ``Page`` (``page.py``) around the content view; the function-view
decorators and the shortcuts are thin adapters over these classes.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from asgiref.sync import sync_to_async
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest
from django.utils.functional import classproperty
from django.views import View

from dj_layouts._utils import is_async_callable
from dj_layouts.drivers import adrive, drive
from dj_layouts.layout import Layout, check_streaming
from dj_layouts.page import Page, merge_panels
from dj_layouts.panels import Panel
from dj_layouts.state import is_panel_request
from dj_layouts.types import ViewFunc

#: Every string layout reference made at import time, for the system check.
layout_references: list[tuple[str, str]] = []

_UNSET: Any = object()


def check_layout_reference(value: Any, *, where: str) -> None:
    """A layout reference must be a ``Layout`` subclass or a registry key."""
    if isinstance(value, str):
        layout_references.append((value, where))
        return
    if isinstance(value, type) and issubclass(value, Layout):
        if value.abstract:
            raise TypeError(f"{where}: layout {value.__qualname__} is abstract and cannot render.")
        return
    raise TypeError(
        f"{where}: the layout must be a Layout subclass or a registry key such as "
        f"'myapp.DefaultLayout', not {value!r}."
    )


def normalise_panels(panels: Any, *, where: str) -> dict[str, Panel | None] | None:
    """Check per-view panel overrides: a name maps to a Panel, a plain source, or None."""
    if panels is None:
        return None
    if not isinstance(panels, Mapping):
        raise TypeError(f"{where}: panels must be a dict of name -> Panel or None, not {panels!r}.")
    result: dict[str, Panel | None] = {}
    for name, value in panels.items():
        if not isinstance(name, str) or not name.isidentifier() or name == "content":
            raise TypeError(
                f"{where}: {name!r} is not a valid panel name (an identifier other than 'content')."
            )
        if value is None:
            result[name] = None
        elif isinstance(value, Panel):
            result[name] = value.bound(name)
        else:
            try:
                result[name] = Panel(value).bound(name)
            except TypeError as exc:
                raise TypeError(f"{where}: panel {name!r}: {exc}") from exc
    return result


if TYPE_CHECKING:
    # The mixins go before a View subclass; mypy checks them as if they were one.
    _ViewBase = View
else:
    _ViewBase = object


def build_page(
    request: HttpRequest,
    layout_class: type[Layout],
    overrides: Mapping[str, Any] | None,
    *,
    owner: str,
    is_async: bool,
    detect_partials: bool,
    streaming: str | None,
) -> Page:
    """A ``Page`` for a view or a Wagtail page: its per-view overrides checked and merged."""
    if overrides:
        # as_view(layout_panels=...) and get_layout_panels() skip the class-time check.
        overrides = normalise_panels(overrides, where=f"{owner}.layout_panels")
    return Page(
        request,
        layout_class,
        merge_panels(layout_class, overrides),
        is_async=is_async,
        detect_partials=detect_partials,
        streaming=streaming,
    )


def declared_layout(owner: Any, hook: str) -> type[Layout]:
    """The layout ``owner.layout_class`` names; a clear error naming ``hook`` when none."""
    if owner.layout_class is None:
        name = type(owner).__qualname__
        raise ImproperlyConfigured(
            f"{name} is missing a layout. Define {name}.layout_class or override {name}.{hook}."
        )
    return Layout.resolve(owner.layout_class)


class _LayoutViewMixin(_ViewBase):
    """What both layout mixins share: configuration hooks and the two dispatch shells."""

    #: A ``Layout`` subclass or its registry key.
    layout_class: ClassVar[type[Layout] | str | None] = None
    #: Per-view panel overrides: ``{"sidebar": Panel(...), "ads": None}``.
    layout_panels: ClassVar[Mapping[str, Any] | None] = None
    #: Per-view streaming mode; unset follows ``Layout.streaming``.
    layout_streaming: ClassVar[Any] = _UNSET
    #: ``render_with_layout()`` always assembles the full page.
    detect_partials: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        where = cls.__qualname__
        if "layout_class" in cls.__dict__ and cls.layout_class is not None:
            check_layout_reference(cls.layout_class, where=f"{where}.layout_class")
        if "layout_panels" in cls.__dict__:
            cls.layout_panels = normalise_panels(cls.layout_panels, where=f"{where}.layout_panels")
        if "layout_streaming" in cls.__dict__:
            check_streaming(cls.layout_streaming, where=f"{where}.layout_streaming")

    def get_layout_class(self) -> type[Layout]:
        """The layout for this request. Override to choose one per request."""
        return declared_layout(self, "get_layout_class()")

    def get_layout_panels(self) -> Mapping[str, Panel | None] | None:
        """Per-view panel overrides for this request."""
        return self.layout_panels

    def get_layout_streaming(self, layout_class: type[Layout]) -> str | None:
        """The streaming mode for this request: ``layout_streaming``, else the layout's."""
        if self.layout_streaming is _UNSET:
            return layout_class.streaming
        streaming: str | None = self.layout_streaming
        return streaming

    def _page(self, request: HttpRequest, *, is_async: bool) -> Page:
        layout_class = self.get_layout_class()
        return build_page(
            request,
            layout_class,
            self.get_layout_panels(),
            owner=type(self).__qualname__,
            is_async=is_async,
            detect_partials=self.detect_partials,
            streaming=self.get_layout_streaming(layout_class),
        )

    def _content_is_async(self, request: HttpRequest) -> bool:
        if isinstance(self, FunctionView):
            # Decided once: the decorators and shortcuts set view_is_async to match.
            return bool(self.view_is_async)
        method = request.method.lower() if request.method else ""
        allowed = method in getattr(self, "http_method_names", ())
        handler = getattr(self, method, None) if allowed else None
        if handler is None:
            return bool(getattr(self, "view_is_async", False))
        return is_async_callable(handler)

    def _sync_dispatch(self, inner: ViewFunc, request: HttpRequest, args: Any, kwargs: Any) -> Any:
        page = self._page(request, is_async=False)
        return drive(page, lambda: inner(request, *args, **kwargs))

    async def _async_dispatch(
        self, inner: ViewFunc, request: HttpRequest, args: Any, kwargs: Any
    ) -> Any:
        page = self._page(request, is_async=True)
        content_is_async = self._content_is_async(request)

        async def content() -> Any:
            if content_is_async:
                response = inner(request, *args, **kwargs)
            else:
                # A sync handler may query the database: run it off the event loop.
                response = await sync_to_async(inner)(request, *args, **kwargs)
            if inspect.isawaitable(response):
                response = await response
            return response

        return await adrive(page, content)

    @classmethod
    def _wrap_async_view(cls, view: ViewFunc) -> ViewFunc:
        """Make an async view's callable always awaitable.

        Mixins placed before ours (``LoginRequiredMixin``, django-braces) return a
        bare response from a sync ``dispatch``, which an async view cannot. Their
        checks may also query the database (``request.user``), which the event loop
        forbids, so such a chain runs in a thread; our dispatch's coroutine, which
        it hands back, is then awaited on the loop.
        """
        outer_sync = _sync_dispatch_before_ours(cls)

        async def async_view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if outer_sync:

                def call() -> Any:
                    return view(request, *args, **kwargs)

                response = await sync_to_async(call)()
            else:
                response = view(request, *args, **kwargs)
            if inspect.isawaitable(response):
                response = await response
            return response

        functools.update_wrapper(async_view, view)
        return async_view


def _sync_dispatch_before_ours(cls: type) -> bool:
    """Whether a class before our mixin in the MRO has a sync ``dispatch``."""
    for klass in cls.__mro__:
        dispatch = klass.__dict__.get("dispatch")
        if dispatch is None:
            continue
        if klass in (LayoutMixin, AsyncLayoutMixin):
            return False
        if not is_async_callable(dispatch):
            return True
    return False


class LayoutMixin(_LayoutViewMixin):
    """Render a class-based view's response as the content of a layout.

    Put it after access mixins (``LoginRequiredMixin``) and before ``View``.
    A view whose handlers are async takes the async path.
    """

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., Any]:
        view = super().as_view(**initkwargs)
        if cls.view_is_async:
            return cls._wrap_async_view(view)
        return view

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        inner = super().dispatch
        if is_panel_request(request):
            return inner(request, *args, **kwargs)
        if self.view_is_async:
            return self._async_dispatch(inner, request, args, kwargs)
        return self._sync_dispatch(inner, request, args, kwargs)


class AsyncLayoutMixin(_LayoutViewMixin):
    """Like ``LayoutMixin`` with an async ``dispatch``: panels render concurrently.

    Handlers may be sync (run in a thread) or async.
    """

    @classproperty
    def view_is_async(cls) -> bool:
        return True

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., Any]:
        return cls._wrap_async_view(super().as_view(**initkwargs))

    async def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        inner = super().dispatch
        if is_panel_request(request):
            if self._content_is_async(request):
                response = inner(request, *args, **kwargs)
            else:
                response = await sync_to_async(inner)(request, *args, **kwargs)
            return await response if inspect.isawaitable(response) else response
        return await self._async_dispatch(inner, request, args, kwargs)


def deny_unless_panel(request: HttpRequest, view_name: str) -> None:
    if not is_panel_request(request):
        raise PermissionDenied(
            f"{view_name} only renders as a panel of a layout, not as a page of its own."
        )


class PanelOnlyMixin(_ViewBase):
    """Answer 403 unless the request is a panel request of a layout."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        deny_unless_panel(request, type(self).__qualname__)
        return super().dispatch(request, *args, **kwargs)


class FunctionView(View):
    """Runs a function view for every method; the decorators build on it."""

    view_func: ClassVar[Callable[..., Any]]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return self.view_func(request, *args, **kwargs)
