"""Render queues: scripts, stylesheets and HTML fragments asked for by any view.

A queue is declared on a ``Layout`` (``scripts = ScriptQueue()``); the attribute
name is the queue's name. Every request gets a fresh ``QueueCollector``; the
content view's items come first, then each panel's, in panel definition order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from dj_layouts.layout import Layout

_ATTR_NAME = re.compile(r"^[A-Za-z_:][-A-Za-z0-9_:.]*$")
# One <script>/<style> element; its text cannot contain its end tag (HTML parsing rules),
# so the shortest match is the element.
_BLOCK = {
    "script": re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I),
    "style": re.compile(r"<style\b([^>]*)>(.*?)</style\s*>", re.S | re.I),
}
# A nonce attribute, not data-nonce="..." or the like.
_HAS_NONCE = re.compile(r"(?:^|\s)nonce\s*=", re.I)


def get_csp_nonce(request: HttpRequest | None) -> str | None:
    """The request's CSP nonce: Django 6's CSP middleware, or django-csp's attribute.

    Both middlewares hand out a lazy nonce that is falsy until it is read, and put
    it in the Content-Security-Policy header only if it was read. So test for its
    presence, not its truth; reading it here is what puts it in the header.
    """
    if request is None:
        return None
    # Django >= 6.0: ContentSecurityPolicyMiddleware sets request._csp_nonce (a
    # LazyNonce); django-csp >= 4 sets request.csp_nonce and caches the value in
    # request._csp_nonce once it is read.
    nonce = getattr(request, "_csp_nonce", None)
    if nonce is None:
        nonce = getattr(request, "csp_nonce", None)
    if nonce is None:
        return None
    return str(nonce) or None


def _normalise_attrs(attrs: Mapping[str, Any], *, where: str) -> tuple[tuple[str, Any], ...]:
    result = []
    for raw_name, value in attrs.items():
        # Python keywords are passed as async_=True; data_x=1 means data-x="1".
        name = raw_name.rstrip("_").replace("_", "-")
        if not _ATTR_NAME.match(name):
            raise ValueError(
                f"{where}: {raw_name!r} is not a valid HTML attribute name. Use letters, "
                "digits, '-', ':' and '.' (in Python, data_id=1 gives data-id=\"1\")."
            )
        if value is None or value is False:
            continue
        # Stored as text: items are compared, cached (pickled) and rendered later.
        result.append((name, True if value is True else str(value)))
    return tuple(result)


def _render_attrs(attrs: tuple[tuple[str, Any], ...], nonce: str | None) -> str:
    parts = []
    for name, value in attrs:
        parts.append(f" {name}" if value is True else f' {name}="{escape(value)}"')
    if nonce and not any(name == "nonce" for name, _ in attrs):
        parts.append(f' nonce="{escape(nonce)}"')
    return "".join(parts)


def _nonce_attr(nonce: str | None, raw_attrs: str) -> str:
    # A nonce the template author wrote into the tag wins.
    if not nonce or _HAS_NONCE.search(raw_attrs):
        return ""
    return f' nonce="{escape(nonce)}"'


@dataclass(frozen=True)
class Script:
    """An external script; two with the same ``src`` load once (the first one's attributes)."""

    src: str
    attrs: tuple[tuple[str, Any], ...] = ()

    @property
    def key(self) -> tuple[str, ...]:
        return ("script", self.src)

    def render(self, nonce: str | None) -> str:
        return f'<script src="{escape(self.src)}"{_render_attrs(self.attrs, nonce)}></script>'


@dataclass(frozen=True)
class InlineScript:
    """An inline ``<script>`` block; compared after ``.strip()``."""

    code: str
    raw_attrs: str = ""  # from a <script ...> the template author wrote: trusted

    @property
    def key(self) -> tuple[str, ...]:
        return ("inline-script", self.raw_attrs.strip(), self.code.strip())

    def render(self, nonce: str | None) -> str:
        attrs = self.raw_attrs + _nonce_attr(nonce, self.raw_attrs)
        return f"<script{attrs}>{self.code.strip()}</script>"


@dataclass(frozen=True)
class Stylesheet:
    """A ``<link rel="stylesheet">``; one per ``href`` and ``media``."""

    href: str
    attrs: tuple[tuple[str, Any], ...] = ()

    @property
    def key(self) -> tuple[str, ...]:
        return ("stylesheet", self.href, str(dict(self.attrs).get("media", "")))

    def render(self, nonce: str | None) -> str:
        # rel="alternate stylesheet" (a switchable style) replaces the default rel.
        rel = dict(self.attrs).get("rel", "stylesheet")
        attrs = tuple((name, value) for name, value in self.attrs if name != "rel")
        return f'<link rel="{escape(rel)}" href="{escape(self.href)}"{_render_attrs(attrs, nonce)}>'


@dataclass(frozen=True)
class InlineStyle:
    """An inline ``<style>`` block; compared after ``.strip()``."""

    css: str
    raw_attrs: str = ""

    @property
    def key(self) -> tuple[str, ...]:
        return ("inline-style", self.raw_attrs.strip(), self.css.strip())

    def render(self, nonce: str | None) -> str:
        attrs = self.raw_attrs + _nonce_attr(nonce, self.raw_attrs)
        return f"<style{attrs}>{self.css.strip()}</style>"


@dataclass(frozen=True)
class Fragment:
    """Trusted HTML for a ``RenderQueue``; compared after ``.strip()``."""

    html: str

    @property
    def key(self) -> tuple[str, ...]:
        return ("html", self.html.strip())

    def render(self, nonce: str | None) -> str:
        return self.html.strip()


QueueItem = Script | InlineScript | Stylesheet | InlineStyle | Fragment


class RenderQueue:
    """A queue of trusted HTML fragments, rendered with ``{% renderqueue "name" %}``.

    ``template_name`` renders the queue with a template of yours instead; it gets
    ``items`` (the item objects), ``html_items`` (each rendered), ``queue_name``
    and ``csp_nonce``.
    """

    kind: ClassVar[str] = "html"
    accepts: ClassVar[tuple[type, ...]] = (Fragment,)

    def __init__(self, template_name: str | None = None, *, template: str | None = None) -> None:
        if template is not None:
            # The existing dj-layouts package spells it RenderQueue(template="...").
            if template_name is not None:
                raise TypeError(
                    f"{type(self).__name__}() takes template_name= or template=, not both."
                )
            template_name = template
        if template_name is not None and not isinstance(template_name, str):
            raise TypeError(
                f"{type(self).__name__}(template_name=...) must be a template name, "
                f"not {template_name!r}."
            )
        self.template_name = template_name
        self.name: str | None = None

    def __set_name__(self, owner: type, name: str) -> None:
        if self.name is None:
            self.name = name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name or '?'}>"

    def parse(self, body: str) -> list[QueueItem]:
        """The items an ``{% enqueue %}`` block or ``add_to_queue()`` adds to this queue.

        A blank block adds nothing (an ``{% if %}`` inside it may have left it empty).
        """
        return [Fragment(body)] if body.strip() else []

    def render(
        self, items: list[QueueItem], request: HttpRequest | None, *, name: str | None = None
    ) -> SafeString:
        """The items as HTML; ``name`` is the queue's name in the layout being rendered."""
        nonce = get_csp_nonce(request) if items else None
        html_items = [item.render(nonce) for item in items]
        if self.template_name:
            return mark_safe(
                render_to_string(
                    self.template_name,
                    {
                        # Each item prints as its HTML and still answers item.src etc.
                        "items": [
                            RenderedItem(html, item)
                            for html, item in zip(html_items, items, strict=True)
                        ],
                        "html_items": [mark_safe(html) for html in html_items],
                        # One instance may serve under two names (aliases, shared bases).
                        "queue_name": name or self.name,
                        "csp_nonce": nonce,
                    },
                    request,
                )
            )
        return mark_safe("\n".join(html_items))


class RenderedItem(SafeString):
    """An item's HTML (safe to print) that also has the item's fields (``.src``, ``.href``)."""

    def __new__(cls, html: str, item: QueueItem) -> RenderedItem:
        rendered = super().__new__(cls, html)
        rendered.item = item
        return rendered

    item: QueueItem

    def __getattr__(self, name: str) -> Any:
        return getattr(self.item, name)


def _parse_blocks(body: str, tag: str, make: Callable[[str, str], QueueItem]) -> list[QueueItem]:
    """Bare code is one inline block; ``<tag>`` elements become one item each.

    Any other HTML (a ``<link>``, a ``<noscript>``, a mix) is kept as written, as a
    trusted fragment.
    """
    text = body.strip()
    if not text:
        return []
    if not text.startswith("<"):
        return [make(body, "")]
    items: list[QueueItem] = []
    position = 0
    for match in _BLOCK[tag].finditer(text):
        if text[position : match.start()].strip():
            return [Fragment(body)]
        items.append(make(match.group(2), match.group(1)))
        position = match.end()
    if not items or text[position:].strip():
        return [Fragment(body)]
    return items


class ScriptQueue(RenderQueue):
    """External and inline scripts, rendered with ``{% renderscripts %}``."""

    kind = "script"
    accepts = (Script, InlineScript, Fragment)

    def parse(self, body: str) -> list[QueueItem]:
        return _parse_blocks(body, "script", InlineScript)


class StyleQueue(RenderQueue):
    """Stylesheets and inline styles, rendered with ``{% renderstyles %}``."""

    kind = "style"
    accepts = (Stylesheet, InlineStyle, Fragment)

    def parse(self, body: str) -> list[QueueItem]:
        return _parse_blocks(body, "style", InlineStyle)


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
        return list(self.collector._items.get(self.name, {}).values())

    def __iter__(self) -> Iterator[QueueItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.collector._items.get(self.name, ()))

    def add(self, item: QueueItem) -> None:
        self.collector.add(self.name, item)

    def render(self, request: HttpRequest | None = None) -> SafeString:
        return self.queue.render(self.items, request, name=self.name)


class QueueCollector(Mapping[str, BoundQueue]):
    """The queued items of one request (or one panel), by queue name, in order."""

    def __init__(self, spec: QueueSpec = EMPTY_SPEC) -> None:
        self.spec = spec
        self._items: dict[str, dict[tuple[str, ...], QueueItem]] = {}

    @classmethod
    def for_layout(cls, layout_class: type[Layout]) -> QueueCollector:
        return cls(layout_class._queue_spec)

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


def _collector(request: HttpRequest | None, caller: str) -> QueueCollector:
    if request is None:
        raise RuntimeError(
            f"{caller} found no request to queue on. Render the template with the request "
            "(render(request, ...), a TemplateResponse or render_to_string(..., request=request))."
        )
    collector = getattr(request, "layout_queues", None)
    if not isinstance(collector, QueueCollector):
        raise RuntimeError(
            f"{caller} needs a request rendered by a layout, and this one is not. Call it "
            "from a view under @layout/@async_layout or a layout mixin, or from one of "
            "their panels."
        )
    return collector


# The template tags call these with their own name, so errors name the tag.
def _add_script(
    request: HttpRequest | None, src: str, queue: str | None, attrs: dict[str, Any], caller: str
) -> None:
    collector = _collector(request, caller)
    if attrs.pop("module", False):
        attrs["type"] = "module"
    name = queue or collector.spec.default("script", caller)
    collector.add(name, Script(str(src), _normalise_attrs(attrs, where=caller)))


def _add_style(
    request: HttpRequest | None, href: str, queue: str | None, attrs: dict[str, Any], caller: str
) -> None:
    collector = _collector(request, caller)
    name = queue or collector.spec.default("style", caller)
    collector.add(name, Stylesheet(str(href), _normalise_attrs(attrs, where=caller)))


def _add_to_queue(request: HttpRequest | None, name: str, html: str, caller: str) -> None:
    collector = _collector(request, caller)
    queue = collector.spec.queues.get(name)
    if queue is None:
        raise collector.spec.unknown(name)
    for item in queue.parse(html):
        collector.add(name, item)


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
        collector = _collector(request, "add_script()")
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
    _add_script(request, str(src), queue, attrs, "add_script()")


def add_inline_script(request: HttpRequest, code: str, *, queue: str | None = None) -> None:
    """Queue an inline script; it carries the request's CSP nonce when there is one."""
    collector = _collector(request, "add_inline_script()")
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
        collector = _collector(request, "add_style()")
        name = queue or collector.spec.default("style", "add_style()")
        if inline.strip():
            collector.add(name, InlineStyle(inline, extra))
        return
    if media:
        attrs["media"] = media
    _add_style(request, str(href), queue, attrs, "add_style()")


def add_inline_style(request: HttpRequest, css: str, *, queue: str | None = None) -> None:
    """Queue an inline ``<style>`` block; it carries the request's CSP nonce when there is one."""
    collector = _collector(request, "add_inline_style()")
    name = queue or collector.spec.default("style", "add_inline_style()")
    if css.strip():
        collector.add(name, InlineStyle(css))


def add_to_queue(request: HttpRequest, name: str, html: str) -> None:
    """Queue a block on the queue ``name``: trusted HTML, or code for a script/style queue.

    On a ``ScriptQueue`` (``StyleQueue``), bare code and each ``<script>``
    (``<style>``) element become inline items that get the CSP nonce; other HTML
    is kept as written.
    """
    _add_to_queue(request, name, html, "add_to_queue()")
