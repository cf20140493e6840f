"""Render queues: scripts, stylesheets and HTML fragments asked for by any view.

A queue is declared on a ``Layout`` (``scripts = ScriptQueue()``); the attribute
name is the queue's name. Every request gets a fresh ``QueueCollector``
(``collector.py``); the content view's items come first, then each panel's, in
panel definition order. The items live in ``queue_items.py``; every name stays
importable from here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from dj_layouts.collector import (
    EMPTY_SPEC,
    BoundQueue,
    QueueCollector,
    QueueSpec,
    add_inline_script,
    add_inline_style,
    add_script,
    add_style,
    add_to_queue,
    enqueue_html,
    enqueue_inline,
    enqueue_script,
    enqueue_style,
    find_collector,
)
from dj_layouts.queue_items import (
    Fragment,
    InlineScript,
    InlineStyle,
    QueueItem,
    Script,
    Stylesheet,
    get_csp_nonce,
)

__all__ = [
    "EMPTY_SPEC",
    "BoundQueue",
    "Fragment",
    "InlineScript",
    "InlineStyle",
    "QueueCollector",
    "QueueItem",
    "QueueSpec",
    "RenderQueue",
    "RenderedItem",
    "Script",
    "ScriptQueue",
    "StyleQueue",
    "Stylesheet",
    "add_inline_script",
    "add_inline_style",
    "add_script",
    "add_style",
    "add_to_queue",
    "enqueue_html",
    "enqueue_inline",
    "enqueue_script",
    "enqueue_style",
    "find_collector",
    "get_csp_nonce",
]

# One <script>/<style> element; its text cannot contain its end tag (HTML parsing rules),
# so the shortest match is the element.
_BLOCK = {
    "script": re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I),
    "style": re.compile(r"<style\b([^>]*)>(.*?)</style\s*>", re.S | re.I),
}


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
