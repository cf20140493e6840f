"""Panels: the named regions of a layout, each filled by one source (``sources.py``)."""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from dj_layouts.sources import (
    KEYWORD_SOURCES,
    CallableSource,
    EmptySource,
    ListSource,
    LiteralSource,
    Source,
    TemplateSource,
    UrlSource,
    ato_html,
    keyword_source,
    source_for,
    to_html,
)

if TYPE_CHECKING:
    from dj_layouts.cache import CacheConfig

# Re-exported: these lived here before sources.py.
__all__ = [
    "CallableSource",
    "ConditionalPanel",
    "EmptySource",
    "ListSource",
    "LiteralSource",
    "Panel",
    "Source",
    "TemplateSource",
    "UrlSource",
    "async_resolve_panel_source",
    "ato_html",
    "lookup",
    "resolve_panel_source",
    "to_html",
]

logger = logging.getLogger("dj_layouts")

_MISSING: Any = object()

#: How a panel reaches the page (SPEC §16): rendered with it, fetched after load, fetched
#: when scrolled into view, or included by an ESI proxy.
LOAD_MODES = ("inline", "lazy", "visible", "edge")


def _check_options(
    where: str,
    context: Any,
    join: Any,
    cache: Any,
    timeout: Any,
    eager: Any,
    load: Any,
    endpoint: Any,
) -> None:
    if load not in LOAD_MODES:
        raise TypeError(
            f"{where}(load=...) must be one of {', '.join(map(repr, LOAD_MODES))}, not {load!r}."
        )
    if endpoint is not None and not isinstance(endpoint, bool):
        raise TypeError(f"{where}(endpoint=...) must be True, False or None, not {endpoint!r}.")
    if eager is True and load in ("lazy", "visible"):
        raise TypeError(
            f"{where}(load={load!r}) is fetched after the page loads and cannot be eager: "
            "drop eager=True or use load='inline'."
        )
    if endpoint is False and load != "inline":
        raise TypeError(
            f"{where}(load={load!r}) is fetched from the panel endpoint: "
            "drop endpoint=False or use load='inline'."
        )
    if context is not None and not isinstance(context, Mapping):
        raise TypeError(f"{where}(context=...) must be a dict, not {type(context).__name__}.")
    if not isinstance(join, str):
        raise TypeError(f"{where}(join=...) must be a str, not {type(join).__name__}.")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0
    ):
        raise TypeError(
            f"{where}(timeout=...) must be a positive number of seconds or None, not {timeout!r}."
        )
    if not isinstance(eager, bool):
        raise TypeError(f"{where}(eager=...) must be True or False, not {eager!r}.")
    if cache is not None:
        from dj_layouts.cache import CacheConfig

        if not isinstance(cache, CacheConfig):
            raise TypeError(
                f"{where}(cache=...) must come from dj_layouts.cache "
                f"(e.g. cache.sitewide(timeout=300)), not {cache!r}."
            )


class Panel:
    """A named region of a layout, filled by one source.

    ``Panel("app:name")`` calls a view by URL name, ``Panel("<p>x</p>")`` is literal HTML,
    ``Panel(template="x.html")`` renders a template, ``Panel(func)`` calls
    ``func(request, **context)``, ``Panel([a, b])`` joins several, ``Panel()`` is empty.
    """

    name: str | None

    def __init__(
        self,
        source: Any = _MISSING,
        *,
        url_name: str | None = None,
        literal: str | None = None,
        template: str | None = None,
        context: Mapping[str, Any] | None = None,
        join: str = "",
        cache: CacheConfig | None = None,
        timeout: float | None = None,
        eager: bool = False,
        load: str = "inline",
        endpoint: bool | None = None,
    ) -> None:
        self.name = None
        where = type(self).__name__
        keywords = {"url_name": url_name, "literal": literal, "template": template}
        chosen = ["source"] if source is not _MISSING and source is not None else []
        chosen += [keyword for keyword, value in keywords.items() if value is not None]
        if len(chosen) > 1:
            raise TypeError(
                f"{where}() takes exactly one source, got {' and '.join(chosen)}. "
                "Pass one of: a positional source, url_name=, literal= or template=."
            )
        _check_options(where, context, join, cache, timeout, eager, load, endpoint)
        self.context: dict[str, Any] = dict(context or {})
        self.join = join
        self.cache = cache
        self.timeout = timeout
        self.eager = eager
        #: ``"inline"``, ``"lazy"``, ``"visible"`` or ``"edge"`` (SPEC §16).
        self.load = load
        #: Whether the panel endpoint may render this panel (``{% panel_url %}``, forms).
        self.endpoint = load != "inline" if endpoint is None else endpoint
        keyword = next((key for key in chosen if key in KEYWORD_SOURCES), None)
        #: The keyword the source was given with (``"literal"``...), None when positional.
        self.source_keyword = keyword
        self.declared: Any
        self.source: Source
        if keyword is not None:
            self.declared = keywords[keyword]
            self.source = keyword_source(keyword, self.declared, self.context, where=where)
        else:
            self.declared = None if source is _MISSING else source
            self.source = source_for(self.declared, self.context, join=join, where=where)

    def __set_name__(self, owner: type, name: str) -> None:
        if self.name is None:
            self.name = name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name or '?'}: {self.source.identity()[:60]}>"

    @property
    def is_async(self) -> bool:
        return self.source.is_async

    def bound(self, name: str) -> Panel:
        """This panel under ``name``: itself when already so named, else a named copy.

        The panel it is called on never changes, so one ``Panel`` may serve under
        several names (and in several views' ``panels=``).
        """
        if self.name == name:
            return self
        clone = copy.copy(self)
        clone.name = name
        return clone

    def should_render(self, layout_context: Mapping[str, Any] | HttpRequest) -> bool:
        """Whether the panel renders at all; ``ConditionalPanel`` decides per request."""
        return True

    def render(self, request: HttpRequest) -> str:
        """The panel's HTML for ``request`` (a panel request), from sync code."""
        return self.source.render_any(request, self.name or "?", self.context)

    async def arender(self, request: HttpRequest) -> str:
        return await self.source.arender(request, self.name or "?", self.context)


def lookup(context: Mapping[str, Any], path: str) -> Any:
    """Resolve ``"object.allow_replies"`` the way a template variable would be."""
    value: Any = context
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif hasattr(value, part):
            value = getattr(value, part)
        elif isinstance(value, (list, tuple)) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
        if callable(value) and not getattr(value, "do_not_call_in_templates", False):
            value = value()
    return value


class ConditionalPanel(Panel):
    """A panel that renders only when ``condition`` holds for the layout context.

    ``condition`` is a callable taking the layout context, a dotted lookup string
    (``"object.allow_replies"``) or a plain value. When it is false the panel is
    skipped entirely and renders empty; an exception counts as false and is logged.
    """

    def __init__(
        self,
        source: Any = _MISSING,
        *,
        condition: Any,
        template_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if template_name is not None:
            # The existing dj-layouts package documents template_name= as an alias of the source.
            others = ["source"] if source is not _MISSING and source is not None else []
            others += [key for key in ("url_name", "literal", "template") if kwargs.get(key)]
            if others:
                raise TypeError(
                    f"{type(self).__name__}() takes exactly one source, got "
                    f"{' and '.join(others)} and template_name. Pass one of: a positional "
                    "source, url_name=, literal= or template= (template_name= is its alias)."
                )
            kwargs["template"] = template_name
        super().__init__(source, **kwargs)
        self.condition = condition

    def should_render(self, layout_context: Mapping[str, Any] | HttpRequest) -> bool:
        """Whether the condition holds for ``layout_context``.

        A request may be passed instead (as the existing package does); its
        ``request.layout_context`` is then the layout context.
        """
        if isinstance(layout_context, HttpRequest):
            layout_context = getattr(layout_context, "layout_context", None) or {}
        condition = self.condition
        try:
            if callable(condition):
                return bool(condition(layout_context))
            if isinstance(condition, str):
                return bool(lookup(layout_context, condition))
            return bool(condition)
        except Exception:
            logger.exception("The condition of panel %r raised; the panel is skipped.", self.name)
            return False


def resolve_panel_source(
    request: HttpRequest,
    source: Any = None,
    *,
    url_name: str | None = None,
    literal: str | None = None,
    **context: Any,
) -> str:
    """Render one panel source to a string outside a layout, exactly as a panel would."""
    panel = Panel(source, url_name=url_name, literal=literal, context=context).bound("source")
    return panel.render(request)


async def async_resolve_panel_source(
    request: HttpRequest,
    source: Any = None,
    *,
    url_name: str | None = None,
    literal: str | None = None,
    **context: Any,
) -> str:
    """The async twin of ``resolve_panel_source``."""
    panel = Panel(source, url_name=url_name, literal=literal, context=context).bound("source")
    return await panel.arender(request)
