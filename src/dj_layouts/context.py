"""The layout context: what the content view shares with the layout and its panels.

Panels get a ``FrozenLayoutContext``: read-only all the way down. When the snapshot
is taken (once per page, before the panels fan out), every plain container in it
(``dict``, ``list``, ``set``, and the ``tuple``/named tuple holding them) is copied
into a read-only twin (``FrozenDict``, ``FrozenList``, ``FrozenSet``) that is still
an instance of the original type, so templates, ``json`` and ``isinstance`` checks
work as before. Other objects (model instances, querysets, dict subclasses such as
``OrderedDict``) are shared as they are: the snapshot cannot know how to freeze them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NoReturn, cast

READ_ONLY_MESSAGE = "layout_context is read-only in panel views"


def _read_only(self: Any, *args: Any, **kwargs: Any) -> NoReturn:
    raise TypeError(READ_ONLY_MESSAGE)


class LayoutContext(dict[str, Any]):
    """The writable layout context a content view sees as ``request.layout_context``."""


class FrozenDict(dict[Any, Any]):
    """A read-only ``dict`` inside a ``FrozenLayoutContext``."""

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

    def __copy__(self) -> FrozenDict:
        return self  # immutable: a copy would be identical

    def copy(self) -> dict[Any, Any]:
        """A plain, writable ``dict``, with writable copies of the containers in it."""
        return cast("dict[Any, Any]", thaw(self))


class FrozenList(list[Any]):
    """A read-only ``list`` inside a ``FrozenLayoutContext``."""

    __setitem__ = _read_only
    __delitem__ = _read_only
    __iadd__ = _read_only
    __imul__ = _read_only
    append = _read_only
    extend = _read_only
    insert = _read_only
    pop = _read_only
    remove = _read_only
    reverse = _read_only
    sort = _read_only
    clear = _read_only

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (list(self),))

    def __copy__(self) -> FrozenList:
        return self

    def copy(self) -> list[Any]:
        """A plain, writable ``list``, with writable copies of the containers in it."""
        return cast("list[Any]", thaw(self))


class FrozenSet(set[Any]):
    """A read-only ``set`` inside a ``FrozenLayoutContext``."""

    __ior__ = _read_only
    __iand__ = _read_only
    __isub__ = _read_only
    __ixor__ = _read_only
    add = _read_only
    discard = _read_only
    remove = _read_only
    pop = _read_only
    clear = _read_only
    update = _read_only
    intersection_update = _read_only
    difference_update = _read_only
    symmetric_difference_update = _read_only

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (set(self),))

    def __copy__(self) -> FrozenSet:
        return self

    def copy(self) -> set[Any]:
        """A plain, writable ``set``."""
        return set(self)


# What freeze() may have to copy; any other value is returned as it is, unvisited.
_CONTAINERS = (dict, list, set, tuple)


def freeze(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """``value`` with its plain containers replaced by read-only twins, however deep.

    Values that are already frozen, and objects that are not plain containers, come
    back as they are. ``memo`` keeps shared and self-referencing containers shared
    in the copy, as ``copy.deepcopy`` does.
    """
    if memo is None:
        memo = {}
    kind = type(value)
    if kind is not dict and kind is not list and kind is not set and not isinstance(value, tuple):
        return value
    if id(value) in memo:
        return memo[id(value)]
    if kind is dict:
        frozen_dict = memo[id(value)] = FrozenDict()
        dict.update(
            frozen_dict,
            {
                key: freeze(item, memo) if isinstance(item, _CONTAINERS) else item
                for key, item in value.items()
            },
        )
        return frozen_dict
    if kind is list:
        frozen_list = memo[id(value)] = FrozenList()
        list.extend(
            frozen_list,
            [freeze(item, memo) if isinstance(item, _CONTAINERS) else item for item in value],
        )
        return frozen_list
    if kind is set:
        # Set members are hashable, so never plain containers: nothing below to freeze.
        frozen_set = memo[id(value)] = FrozenSet(value)
        return frozen_set
    return _freeze_tuple(value, memo)


def _freeze_tuple(value: tuple[Any, ...], memo: dict[int, Any]) -> tuple[Any, ...]:
    if not any(isinstance(item, _CONTAINERS) for item in value):
        return value  # nothing inside to freeze (a tuple of names, numbers...)
    items = [freeze(item, memo) if isinstance(item, _CONTAINERS) else item for item in value]
    if id(value) in memo:  # reached again through a container inside it
        return cast("tuple[Any, ...]", memo[id(value)])
    frozen = memo[id(value)] = _rebuild(value, items)
    return frozen


def _rebuild(value: tuple[Any, ...], items: list[Any]) -> tuple[Any, ...]:
    if all(new is old for new, old in zip(items, value, strict=True)):
        return value  # nothing changed inside: keep the very same tuple
    if type(value) is tuple:
        return tuple(items)
    make = getattr(value, "_make", None)  # a named tuple
    return make(items) if make is not None else value  # other subclasses: as they are


def thaw(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """A writable copy of a frozen value: the read-only twins become plain containers."""
    if memo is None:
        memo = {}
    if not isinstance(value, (FrozenDict, FrozenLayoutContext, FrozenList, FrozenSet, tuple)):
        return value
    if id(value) in memo:
        return memo[id(value)]
    if isinstance(value, (FrozenDict, FrozenLayoutContext)):
        plain_dict: dict[Any, Any] = {}
        memo[id(value)] = plain_dict
        plain_dict.update((key, thaw(item, memo)) for key, item in value.items())
        return plain_dict
    if isinstance(value, FrozenList):
        plain_list: list[Any] = []
        memo[id(value)] = plain_list
        plain_list.extend(thaw(item, memo) for item in value)
        return plain_list
    if isinstance(value, FrozenSet):
        return set(value)
    return _rebuild(value, [thaw(item, memo) for item in value])


class FrozenLayoutContext(dict[str, Any]):
    """A read-only snapshot of the layout context, given to panel views.

    Read-only all the way down: nested plain containers are frozen copies (see the
    module docstring), so no panel can change what another panel, or the page, sees.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        values = dict(*args, **kwargs)
        if not any(isinstance(value, _CONTAINERS) for value in values.values()):
            super().__init__(values)  # nothing mutable to copy: the usual context
            return
        memo: dict[int, Any] = {}
        super().__init__(
            {
                key: freeze(value, memo) if isinstance(value, _CONTAINERS) else value
                for key, value in values.items()
            }
        )

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
        """A plain, writable ``dict``, with writable copies of the containers in it."""
        return cast("dict[Any, Any]", thaw(self))


def _fingerprint(value: Any) -> str | None:
    """``value`` as JSON, or None when it is not JSON (compared by identity, then ``==``)."""
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return None


class ContextBase:
    """The layout context before the content view ran, to tell what the view changed.

    Panel URLs carry only the content view's changes; the endpoint rebuilds the rest
    (defaults, ``get_layout_context()``) for the visitor who fetches them. A JSON value
    is compared as JSON; another by identity, then ``==`` (a list, dict or set against
    a copy taken here, so an ``append`` shows).
    """

    __slots__ = ("values",)

    def __init__(self, context: Mapping[str, Any]) -> None:
        self.values = {key: _snapshot(value) for key, value in context.items()}

    def changes(self, context: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """What ``context`` set or changed since, and the keys it removed."""
        changed = {}
        for key, value in context.items():
            if key not in self.values:
                changed[key] = value
                continue
            before, fingerprint, copied = self.values[key]
            if fingerprint is not None:
                if _fingerprint(value) != fingerprint:
                    changed[key] = value
            elif copied is not None:
                if not _equal(value, copied):
                    changed[key] = value
            elif value is not before and not _equal(value, before):
                changed[key] = value
        return changed, [key for key in self.values if key not in context]


class KnownChanges:
    """The changes a panel URL carried: at the endpoint nothing else can change the context."""

    __slots__ = ("changed", "removed")

    def __init__(self, changed: Mapping[str, Any], removed: list[str]) -> None:
        self.changed = changed
        self.removed = removed

    def changes(self, context: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        return dict(self.changed), list(self.removed)


def _snapshot(value: Any) -> tuple[Any, str | None, Any]:
    fingerprint = _fingerprint(value)
    copied = None
    if fingerprint is None and isinstance(value, (list, dict, set)):
        copied = value.copy()
    return value, fingerprint, copied


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return False
