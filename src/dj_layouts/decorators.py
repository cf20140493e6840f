"""Function-view decorators: thin adapters over the mixins in ``views.py``.

Each decorated function becomes a small view class that uses the same mixin a
class-based view would, so both kinds of view share one code path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from dj_layouts._utils import describe, is_async_callable
from dj_layouts.layout import Layout, check_streaming
from dj_layouts.types import PanelOverrides, ViewFunc
from dj_layouts.views import (
    _UNSET,
    AsyncLayoutMixin,
    FunctionView,
    LayoutMixin,
    check_layout_reference,
    deny_unless_panel,
    normalise_panels,
)

F = TypeVar("F", bound=Callable[..., Any])

_PANEL_ONLY = "_dj_layouts_panel_only"


def _function_view(mixin: type, func: ViewFunc, attrs: dict[str, Any]) -> ViewFunc:
    attrs = dict(attrs)
    layout_class = attrs.pop("layout_class")
    # Partials and callable objects have no __name__ of their own.
    name = getattr(func, "__name__", None) or type(func).__name__
    view_class: Any = type(
        name,
        (mixin, FunctionView),
        {
            "__module__": getattr(func, "__module__", None) or __name__,
            "__qualname__": f"{getattr(func, '__qualname__', name)}.view_class",
            "view_func": staticmethod(func),
            "view_is_async": is_async_callable(func),
            **attrs,
        },
    )
    # Set after creation: the decorator has checked (and recorded) the reference already,
    # and the class-creation check would record it a second time.
    view_class.layout_class = layout_class
    view: ViewFunc = view_class.as_view()
    functools.update_wrapper(view, func)
    view.__dict__["view_class"] = view_class  # update_wrapper copied func.__dict__ over it
    # As in the existing package: the class or key as given, read by HTMX routing code.
    view.__dict__["layout_class"] = layout_class
    return view


def _make_decorator(
    name: str,
    mixin: type,
    layout_class: type[Layout] | str,
    panels: PanelOverrides | None,
    streaming: Any,
    *,
    want_async: bool,
) -> Callable[[F], F]:
    where = f"@{name}"
    if not isinstance(layout_class, str):
        check_layout_reference(layout_class, where=where)
    overrides = normalise_panels(panels, where=where)
    attrs: dict[str, Any] = {"layout_class": layout_class, "layout_panels": overrides}
    if streaming is not _UNSET:
        check_streaming(streaming, where=f"{where}(streaming=...)")
        attrs["layout_streaming"] = streaming

    def decorator(func: F) -> F:
        if not callable(func):
            raise TypeError(f"{where} decorates a view function, not {func!r}.")
        if getattr(func, _PANEL_ONLY, False):
            raise TypeError(
                f"{where} cannot wrap {describe(func)}: it is a @panel_only view, which only "
                "renders inside a layout. Remove one of the two decorators."
            )
        is_async = is_async_callable(func)
        if is_async and not want_async:
            raise TypeError(
                f"@layout cannot wrap the async view {describe(func)}; use @async_layout."
            )
        if want_async and not is_async:
            raise TypeError(
                f"@async_layout needs an async view, and {describe(func)} is sync; use @layout "
                "(or make it async def)."
            )
        if isinstance(layout_class, str):
            # Recorded per view, so that the system check names the view.
            check_layout_reference(layout_class, where=f"{where} on {describe(func)}")
        return _function_view(mixin, func, attrs)  # type: ignore[return-value]

    return decorator


def layout(
    layout_class: type[Layout] | str,
    *,
    panels: Mapping[str, Any] | None = None,
    streaming: Any = _UNSET,
) -> Callable[[F], F]:
    """Render a sync function view as the content of ``layout_class``."""
    return _make_decorator("layout", LayoutMixin, layout_class, panels, streaming, want_async=False)


def async_layout(
    layout_class: type[Layout] | str,
    *,
    panels: Mapping[str, Any] | None = None,
    streaming: Any = _UNSET,
) -> Callable[[F], F]:
    """Render an async function view as the content of ``layout_class``; panels run concurrently."""
    return _make_decorator(
        "async_layout", AsyncLayoutMixin, layout_class, panels, streaming, want_async=True
    )


def panel_only(view: F) -> F:
    """Answer 403 unless the view is called as a panel of a layout.

    Works on sync and async function views and on class-based views (a class).
    """
    from dj_layouts.views import PanelOnlyMixin

    if isinstance(view, type):
        return type(view.__name__, (PanelOnlyMixin, view), {"__module__": view.__module__})  # type: ignore[return-value]
    if not callable(view):
        raise TypeError(f"@panel_only decorates a view, not {view!r}.")
    name = describe(view)

    if is_async_callable(view):

        @functools.wraps(view)
        async def async_wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            deny_unless_panel(request, name)
            return await view(request, *args, **kwargs)

        wrapper: Any = async_wrapper
    else:

        @functools.wraps(view)
        def sync_wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            deny_unless_panel(request, name)
            return view(request, *args, **kwargs)

        wrapper = sync_wrapper
    setattr(wrapper, _PANEL_ONLY, True)
    return cast(F, wrapper)
