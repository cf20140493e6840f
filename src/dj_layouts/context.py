"""The layout context: what the content view shares with the layout and its panels."""

from __future__ import annotations

from typing import Any, NoReturn

READ_ONLY_MESSAGE = "layout_context is read-only in panel views"


class LayoutContext(dict[str, Any]):
    """The writable layout context a content view sees as ``request.layout_context``."""


class FrozenLayoutContext(dict[str, Any]):
    """A read-only snapshot of the layout context, given to panel views."""

    def _read_only(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(READ_ONLY_MESSAGE)

    __setitem__ = _read_only
    __delitem__ = _read_only
    __ior__ = _read_only
    clear = _read_only
    pop = _read_only
    popitem = _read_only
    setdefault = _read_only
    update = _read_only

    # copy/deepcopy/pickle would rebuild the dict through __setitem__.
    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))

    def __copy__(self) -> FrozenLayoutContext:
        return self

    def copy(self) -> dict[str, Any]:
        """A plain, writable ``dict`` copy."""
        return dict(self)
