"""What one request queued: a ``QueueCollector`` per request (and per panel).

The functions below are how views and templates add to it; the template tags call
the ``enqueue_*`` ones with their own name, so errors name the tag.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.utils.html import escape
from django.utils.safestring import SafeString

from dj_layouts.queue_items import (
    InlineScript,
    InlineStyle,
    QueueItem,
    Script,
    Stylesheet,
    normalise_attrs,
)

if TYPE_CHECKING:
    from dj_layouts.layout import Layout
    from dj_layouts.queues import RenderQueue


class QueueSpec:
    """The queues one layout declares, and which one serves each kind by default."""

    def __init__(self, owner: str, queues: Mapping[str, RenderQueue]) -> None:
        self.owner = owner
        self.queues = dict(queues)
        self.defaults: dict[str, str] = {}
        for kind, preferred in (("script", "scripts"), ("style", "styles")):
            names = [name for name, queue in self.queues.items() if queue.kind == kind]
            if preferred in names:
                self.defaults[kind] = preferred
            elif len(names) == 1:
                self.defaults[kind] = names[0]

    def unknown(self, name: str) -> KeyError:
        declared = ", ".join(repr(n) for n in self.queues) or "none"
        return KeyError(
            f"Layout {self.owner} has no queue named {name!r}. Declared queues: {declared}. "
            f"Declare it on the layout, e.g. {name} = RenderQueue()."
        )

    def default(self, kind: str, caller: str) -> str:
        try:
            return self.defaults[kind]
        except KeyError:
            queue_class = "ScriptQueue" if kind == "script" else "StyleQueue"
            raise KeyError(
                f"{caller}: layout {self.owner} has no default {queue_class}. Declare one "
                f"(e.g. {kind}s = {queue_class}()) or pass queue='name'. Declared queues: "
                f"{', '.join(repr(n) for n in self.queues) or 'none'}."
            ) from None


EMPTY_SPEC = QueueSpec("<none>", {})


class BoundQueue:
    """One queue of one request: ``request.layout_queues["scripts"]``."""

    def __init__(self, collector: QueueCollector, name: str) -> None:
        self.collector = collector
        self.name = name
        self.queue = collector.spec.queues[name]

    @property
    def items(self) -> list[QueueItem]:
        return [item for _, item in self.collector.entries(self.name)]

    def __iter__(self) -> Iterator[QueueItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.collector.entries(self.name))

    def add(self, item: QueueItem | str) -> None:
        """Queue ``item``; a string is parsed as ``add_to_queue()`` parses it."""
        if isinstance(item, str):
            for parsed in self.queue.parse(item):
                self.collector.add(self.name, parsed)
        else:
            self.collector.add(self.name, item)

    def render(self, request: HttpRequest | None = None) -> SafeString:
        """The queue's HTML; an empty queue renders ``""``, its template unused."""
        items = self.items
        if not items:
            return SafeString("")
        return self.queue.render(items, request, name=self.name)


class QueueCollector(Mapping[str, BoundQueue]):
    """The queued items of one request (or one panel), by queue name, in order."""

    def __init__(self, spec: QueueSpec = EMPTY_SPEC) -> None:
        self.spec = spec
        self._items: dict[str, dict[tuple[str, ...], QueueItem]] = {}

    @classmethod
    def for_layout(cls, layout_class: type[Layout]) -> QueueCollector:
        return cls(layout_class.get_queue_spec())

    @classmethod
    def of(cls, queues: Mapping[str, RenderQueue], owner: str = "<request>") -> QueueCollector:
        """A collector of ``queues`` (name -> declaration), for a request set up by hand in tests.

        ``request.layout_queues = QueueCollector.of({"extras": RenderQueue()})``.
        """
        return cls(QueueSpec(owner, queues))

    def __getitem__(self, name: str) -> BoundQueue:
        if name not in self.spec.queues:
            raise self.spec.unknown(name)
        return BoundQueue(self, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.spec.queues)

    def __len__(self) -> int:
        return len(self.spec.queues)

    def __bool__(self) -> bool:
        return True

    def has_items(self) -> bool:
        """Whether anything was queued, on any queue."""
        return any(self._items.values())

    def entries(self, name: str) -> list[tuple[tuple[str, ...], QueueItem]]:
        """The items of queue ``name`` in the order they were first queued, with their keys.

        A queue nothing was added to, or one the layout does not declare, has none.
        """
        return list(self._items.get(name, {}).items())

    def add(self, name: str, item: QueueItem) -> None:
        queue = self.spec.queues.get(name)
        if queue is None:
            raise self.spec.unknown(name)
        if not isinstance(item, queue.accepts):
            wanted = "StyleQueue" if isinstance(item, (Stylesheet, InlineStyle)) else "ScriptQueue"
            raise TypeError(
                f"Queue {name!r} of layout {self.spec.owner} is a {type(queue).__name__} "
                f"and does not take {type(item).__name__} items. Pass queue= the name of "
                f"a {wanted}."
            )
        self._items.setdefault(name, {}).setdefault(item.key, item)

    def merge(self, other: QueueCollector) -> None:
        """Append ``other``'s items after ours, dropping duplicates."""
        for name, items in other._items.items():
            mine = self._items.setdefault(name, {})
            for key, item in items.items():
                mine.setdefault(key, item)

    def dump(self) -> dict[str, list[QueueItem]]:
        """Every item by queue name (what a panel cache stores)."""
        return {name: list(items.values()) for name, items in self._items.items() if items}

    def load(self, dumped: Mapping[str, list[QueueItem]]) -> None:
        """Add items from ``dump()``, as a panel cache hit does.

        Items for a queue this layout does not declare, or of a kind its queue does
        not take, are skipped: an entry may have been stored under another layout
        that shares the panel, and a hit replays what fits rather than failing the panel.
        """
        for name, items in dumped.items():
            queue = self.spec.queues.get(name)
            if queue is None:
                continue
            for item in items:
                if isinstance(item, queue.accepts):
                    self.add(name, item)

    def render(self, name: str, request: HttpRequest | None) -> SafeString:
        return self[name].render(request)


class NoLayoutQueues(RuntimeError, AttributeError):
    """The request has no ``layout_queues``: no layout is rendering it.

    Also an ``AttributeError``, the type the existing dj-layouts package raises here.
    """


def collector_of(request: HttpRequest | None) -> QueueCollector | None:
    """The collector of ``request``, or None when no layout is rendering it.

    A plain mapping of queue declarations set by hand
    (``request.layout_queues = {"scripts": ScriptQueue()}``, as tests written for
    the existing package do) becomes a collector of those queues on first use.
    """
    queues = getattr(request, "layout_queues", None)
    if isinstance(queues, QueueCollector) or not isinstance(queues, Mapping):
        return queues
    from dj_layouts.queues import RenderQueue  # queues.py imports this module

    if not all(isinstance(queue, RenderQueue) for queue in queues.values()):
        return None
    collector = QueueCollector.of(queues)
    request.__dict__["layout_queues"] = collector
    return collector


def find_collector(request: HttpRequest | None, caller: str) -> QueueCollector:
    """The collector of ``request``, or an error naming ``caller`` and the fix."""
    if request is None:
        raise RuntimeError(
            f"{caller} found no request to queue on. Render the template with the request "
            "(render(request, ...), a TemplateResponse or render_to_string(..., request=request))."
        )
    collector = collector_of(request)
    if collector is None:
        raise NoLayoutQueues(
            f"{caller} needs a request rendered by a layout, and this one is not (it has no "
            "request.layout_queues). Call it from a view under @layout/@async_layout or a "
            "layout mixin, or from one of their panels."
        )
    return collector


# The template tags call the enqueue_* functions with their own name as ``caller``,
# so errors name the tag; the add_* functions are the Python API over them.
def enqueue_script(
    request: HttpRequest | None,
    src: str,
    attrs: dict[str, Any],
    *,
    queue: str | None = None,
    caller: str,
) -> None:
    """Queue ``<script src=...>`` with HTML attributes ``attrs`` (``module=True`` is a module)."""
    collector = find_collector(request, caller)
    if attrs.pop("module", False):
        attrs["type"] = "module"
    name = queue or collector.spec.default("script", caller)
    collector.add(name, Script(str(src), normalise_attrs(attrs, where=caller)))


def enqueue_style(
    request: HttpRequest | None,
    href: str,
    attrs: dict[str, Any],
    *,
    queue: str | None = None,
    caller: str,
) -> None:
    """Queue ``<link rel="stylesheet" href=...>`` with HTML attributes ``attrs``."""
    collector = find_collector(request, caller)
    name = queue or collector.spec.default("style", caller)
    collector.add(name, Stylesheet(str(href), normalise_attrs(attrs, where=caller)))


def enqueue_html(request: HttpRequest | None, name: str, html: str, *, caller: str) -> None:
    """Queue a block on queue ``name``, parsed as that queue parses blocks."""
    collector = find_collector(request, caller)
    queue = collector.spec.queues.get(name)
    if queue is None:
        raise collector.spec.unknown(name)
    for item in queue.parse(html):
        collector.add(name, item)


def enqueue_inline(request: HttpRequest | None, kind: str, code: str, *, caller: str) -> None:
    """Queue a block on the layout's default queue of ``kind`` (``"script"`` or ``"style"``)."""
    collector = find_collector(request, caller)
    enqueue_html(request, collector.spec.default(kind, caller), code, caller=caller)


def add_script(
    request: HttpRequest,
    src: str | None = None,
    *,
    inline: str | None = None,
    is_async: bool = False,
    is_deferred: bool = False,
    type: str = "",
    queue: str | None = None,
    **attrs: Any,
) -> None:
    """Queue ``<script src=...>``, or an inline script with ``inline=``.

    ``is_async``/``is_deferred``/``type`` are the existing package's keywords; any
    other keyword is an HTML attribute (``defer=True``, ``async_=True``,
    ``module=True`` for ``type="module"``, ``integrity=...``, ``crossorigin=...``).
    """
    if (src is None) == (inline is None):
        raise TypeError(
            "add_script() takes a script URL or inline=code, exactly one of them "
            f"(got src={src!r}, inline={inline!r})."
        )
    if inline is not None:
        extra = f' type="{escape(type)}"' if type else ""
        collector = find_collector(request, "add_script()")
        name = queue or collector.spec.default("script", "add_script()")
        if inline.strip():
            collector.add(name, InlineScript(inline, extra))
        return
    if is_async:
        attrs["async"] = True
    if is_deferred:
        attrs["defer"] = True
    if type:
        attrs["type"] = type
    enqueue_script(request, str(src), attrs, queue=queue, caller="add_script()")


def add_inline_script(request: HttpRequest, code: str, *, queue: str | None = None) -> None:
    """Queue an inline script; it carries the request's CSP nonce when there is one."""
    collector = find_collector(request, "add_inline_script()")
    name = queue or collector.spec.default("script", "add_inline_script()")
    if code.strip():
        collector.add(name, InlineScript(code))


def add_style(
    request: HttpRequest,
    href: str | None = None,
    *,
    inline: str | None = None,
    media: str = "",
    queue: str | None = None,
    **attrs: Any,
) -> None:
    """Queue ``<link rel="stylesheet" href=...>`` (e.g. ``media="print"``), or ``inline=`` CSS."""
    if (href is None) == (inline is None):
        raise TypeError(
            "add_style() takes a stylesheet URL or inline=css, exactly one of them "
            f"(got href={href!r}, inline={inline!r})."
        )
    if inline is not None:
        extra = f' media="{escape(media)}"' if media else ""
        collector = find_collector(request, "add_style()")
        name = queue or collector.spec.default("style", "add_style()")
        if inline.strip():
            collector.add(name, InlineStyle(inline, extra))
        return
    if media:
        attrs["media"] = media
    enqueue_style(request, str(href), attrs, queue=queue, caller="add_style()")


def add_inline_style(request: HttpRequest, css: str, *, queue: str | None = None) -> None:
    """Queue an inline ``<style>`` block; it carries the request's CSP nonce when there is one."""
    collector = find_collector(request, "add_inline_style()")
    name = queue or collector.spec.default("style", "add_inline_style()")
    if css.strip():
        collector.add(name, InlineStyle(css))


def add_to_queue(request: HttpRequest, name: str, html: str) -> None:
    """Queue a block on the queue ``name``: trusted HTML, or code for a script/style queue.

    On a ``ScriptQueue`` (``StyleQueue``), bare code and each ``<script>``
    (``<style>``) element become inline items that get the CSP nonce; other HTML
    is kept as written.
    """
    enqueue_html(request, name, html, caller="add_to_queue()")
