"""Small helpers with no better home."""

from __future__ import annotations

import functools
import inspect
from typing import Any

from asgiref.sync import iscoroutinefunction


def is_async_callable(obj: Any) -> bool:
    """True for coroutine functions, including wrapped, partial and ``__call__`` ones."""
    while isinstance(obj, functools.partial):
        obj = obj.func
    return iscoroutinefunction(obj) or (
        callable(obj)
        and not inspect.isclass(obj)
        and iscoroutinefunction(getattr(obj, "__call__", None))  # noqa: B004
    )


def describe(obj: Any) -> str:
    """A short, human name for a callable or value, for error messages."""
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if name:
        module = getattr(obj, "__module__", None)
        return f"{module}.{name}" if module else str(name)
    return repr(obj)
