"""Type aliases shared across the package."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from django.http import HttpRequest

#: A view function: ``view(request, *args, **kwargs) -> HttpResponse``.
ViewFunc = Callable[..., Any]

#: What a panel may be declared with: a URL name or literal HTML, a callable,
#: a list of those, or ``None`` for an empty panel.
PanelSource = Union[str, Callable[..., Any], "list[Any]", "tuple[Any, ...]", None]

#: ``detector(request) -> bool``
Detector = Callable[["HttpRequest"], bool]

#: Per-view panel overrides: a panel (or source) by name, ``None`` to remove one.
PanelOverrides = Mapping[str, Any]
