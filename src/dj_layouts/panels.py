"""Panels and the kinds of source that fill them.

The source kind is decided once, when a ``Panel`` is declared; what a URL name
points to is resolved at first use (URLconfs may import layouts) and then kept.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, get_urlconf, resolve, reverse
from django.utils.safestring import SafeString, mark_safe
from django.views import View

from dj_layouts._utils import describe, is_async_callable
from dj_layouts.errors import PanelResponseError
from dj_layouts.types import PanelSource

if TYPE_CHECKING:
    from dj_layouts.cache import CacheConfig

logger = logging.getLogger("dj_layouts")

_MISSING: Any = object()


def to_html(panel_name: str, output: Any) -> str:
    """Turn what a panel source returned into HTML, or raise ``PanelResponseError``."""
    if isinstance(output, str):
        return output
    if isinstance(output, HttpResponseBase):
        if output.streaming:
            raise PanelResponseError(
                f"Panel {panel_name!r} answered with a streaming response "
                f"({type(output).__name__}); a panel must answer with a plain HttpResponse."
            )
        if output.status_code != 200:
            raise PanelResponseError(
                f"Panel {panel_name!r} answered with status {output.status_code}; "
                "a panel view must answer 200.",
                status_code=output.status_code,
            )
        if not getattr(output, "is_rendered", True):
            output.render()  # type: ignore[attr-defined]
        return output.content.decode(output.charset)  # type: ignore[attr-defined, no-any-return]
    raise PanelResponseError(
        f"Panel {panel_name!r} returned {type(output).__name__}; a panel view or callable "
        "must return an HttpResponse or a str."
    )


async def ato_html(panel_name: str, output: Any) -> str:
    if getattr(output, "is_rendered", True) is False:
        # Rendering may run queries: keep it off the event loop, as Django does.
        await sync_to_async(output.render)()
    return to_html(panel_name, output)


class Source:
    """One kind of panel source. ``render`` returns HTML or raises."""

    is_async = False
    #: False when rendering cannot block (literal HTML): executors then skip the
    #: worker thread or task, which would cost far more than the render itself.
    blocking = True

    def render(self, request: HttpRequest, name: str, context: Mapping[str, Any]) -> str:
        raise NotImplementedError

    async def arender(self, request: HttpRequest, name: str, context: Mapping[str, Any]) -> str:
        return await sync_to_async(self.render)(request, name, context)

    def render_any(self, request: HttpRequest, name: str, context: Mapping[str, Any]) -> str:
        """Render from sync code, whatever the source's own colour."""
        if self.is_async:
            return async_to_sync(self.arender)(request, name, context)
        return self.render(request, name, context)

    def identity(self) -> str:
        """A stable description: says what renders, used for cache keys and errors."""
        raise NotImplementedError


class EmptySource(Source):
    blocking = False

    def render(self, request: HttpRequest, name: str, context: Mapping[str, Any]) -> str:
        return ""

    async def arender(self, request: HttpRequest, name: str, context: Mapping[str, Any]) -> str:
        return ""

    def identity(self) -> str:
        return "empty"


class LiteralSource(Source):
    blocking = False

    def __init__(self, html: str) -> None:
        self.html = mark_safe(html)

    def render(self, request: HttpRequest, name: str, context: Mapping[str, Any]) -> str:
        return self.html

    async def arender(self, request: HttpRequest, name: str, context: Mapping[str, Any]) -> str:
        return self.html

    def identity(self) -> str:
        return f"literal:{self.html}"


class TemplateSource(Source):
    def __init__(self, template_name: str) -> None:
        self.template_name = template_name

    def render(self, request: HttpRequest, name: str, context: Mapping[str, Any]) -> str:
        layout_context = getattr(request, "layout_context", None) or {}
        return render_to_string(self.template_name, {**layout_context, **context}, request)

    def identity(self) -> str:
        return f"template:{self.template_name}"


class CallableSource(Source):
    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        self.is_async = is_async_callable(func)

    def render(self, request: HttpRequest, name: str, context: Mapping[str, Any]) -> str:
        return to_html(name, self.func(request, **context))

    async def arender(self, request: HttpRequest, name: str, context: Mapping[str, Any]) -> str:
        if not self.is_async:
            return await super().arender(request, name, context)
        return await ato_html(name, await self.func(request, **context))

    def identity(self) -> str:
        return f"callable:{describe(self.func)}"


#: Above this many context keys only "all of them" and "none" are tried as URL arguments.
_MAX_SUBSET_KEYS = 6

# (urlconf, url name, context items) -> (view, args, kwargs); cleared with the URLconf.
_url_cache: dict[tuple[Any, ...], tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = {}


def _clear_url_cache(*, setting: str, **kwargs: Any) -> None:
    if setting == "ROOT_URLCONF":
        _url_cache.clear()


setting_changed.connect(_clear_url_cache)


class UrlSource(Source):
    def __init__(self, url_name: str, context: Mapping[str, Any]) -> None:
        self.url_name = url_name
        self.context = dict(context)

    def resolve(self) -> tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]:
        """The view, args and kwargs behind the URL name, for the current URLconf."""
        urlconf = get_urlconf() or settings.ROOT_URLCONF
        key: tuple[Any, ...] | None
        try:
            key = (urlconf, self.url_name, tuple(sorted(self.context.items())))
            hash(key)
        except TypeError:  # unhashable or unorderable context values
            key = None
        if key is not None and key in _url_cache:
            return _url_cache[key]
        path = self._reverse(urlconf)
        match = resolve(path, urlconf)
        resolved = (match.func, tuple(match.args), dict(match.kwargs))
        if key is not None:
            _url_cache[key] = resolved
        return resolved

    def _reverse(self, urlconf: Any) -> str:
        # A URL that takes arguments is reversed with those of the panel's context;
        # the other keys are plain view kwargs. Which keys the URL takes is only known
        # by trying: largest subsets first (a handful of keys; the result is cached).
        keys = list(self.context)
        sizes = range(len(keys), -1, -1) if len(keys) <= _MAX_SUBSET_KEYS else (len(keys), 0)
        for size in sizes:
            for subset in itertools.combinations(keys, size):
                try:
                    return reverse(
                        self.url_name,
                        urlconf=urlconf,
                        kwargs={key: self.context[key] for key in subset},
                    )
                except NoReverseMatch as exc:
                    error = exc
        raise NoReverseMatch(
            f"Panel URL name {self.url_name!r} cannot be reversed"
            + (f" with the panel context {self.context!r}" if self.context else "")
            + f": {error}"
        ) from error

    @property
    def is_async(self) -> bool:  # type: ignore[override]
        try:
            return is_async_callable(self.resolve()[0])
        except Exception:
            return False  # the render reports the error

    def _call(self, request: HttpRequest, context: Mapping[str, Any]) -> Any:
        view, args, kwargs = self.resolve()
        return view(request, *args, **{**kwargs, **context})

    def render(self, request: HttpRequest, name: str, context: Mapping[str, Any]) -> str:
        return to_html(name, self._call(request, context))

    async def arender(self, request: HttpRequest, name: str, context: Mapping[str, Any]) -> str:
        if not self.is_async:
            return await super().arender(request, name, context)
        return await ato_html(name, await self._call(request, context))

    def identity(self) -> str:
        return f"url:{self.url_name}"


class ListSource(Source):
    def __init__(self, items: list[Source], join: str) -> None:
        self.items = items
        self.join = join
        # Mixed lists run as sync panels (a worker thread; async items get a loop there).
        self.is_async = bool(items) and all(item.is_async for item in items)
        self.blocking = any(item.blocking for item in items)

    def render(self, request: HttpRequest, name: str, context: Mapping[str, Any]) -> str:
        return mark_safe(
            self.join.join(item.render_any(request, name, context) for item in self.items)
        )

    async def arender(self, request: HttpRequest, name: str, context: Mapping[str, Any]) -> str:
        parts = await asyncio.gather(*(item.arender(request, name, context) for item in self.items))
        return mark_safe(self.join.join(parts))

    def identity(self) -> str:
        return "list:[" + ",".join(item.identity() for item in self.items) + "]"


def _source_from(value: PanelSource, context: Mapping[str, Any], *, where: str) -> Source:
    if value is None:
        return EmptySource()
    if isinstance(value, str):
        # A colon marks a namespaced URL name ("app:name"); anything else is HTML.
        if ":" in value and not isinstance(value, SafeString) and "<" not in value:
            return UrlSource(value, context)
        return LiteralSource(value)
    if isinstance(value, type) and issubclass(value, View):
        return CallableSource(value.as_view())
    if isinstance(value, (list, tuple)):
        return ListSource([_source_from(item, context, where=where) for item in value], "")
    if callable(value):
        return CallableSource(value)
    raise TypeError(
        f"{where}: unsupported panel source {value!r} ({type(value).__name__}). Use a URL name "
        "('app:name'), literal HTML, a template=, a callable, a list of those, or None."
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
    ) -> None:
        self.name = None
        given = {
            "source": source is not _MISSING and source is not None,
            "url_name": url_name is not None,
            "literal": literal is not None,
            "template": template is not None,
        }
        chosen = [key for key, present in given.items() if present]
        where = type(self).__name__
        if len(chosen) > 1:
            raise TypeError(
                f"{where}() takes exactly one source, got {' and '.join(chosen)}. "
                "Pass one of: a positional source, url_name=, literal= or template=."
            )
        if context is not None and not isinstance(context, Mapping):
            raise TypeError(f"{where}(context=...) must be a dict, not {type(context).__name__}.")
        if not isinstance(join, str):
            raise TypeError(f"{where}(join=...) must be a str, not {type(join).__name__}.")
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0
        ):
            raise TypeError(
                f"{where}(timeout=...) must be a positive number of seconds or None, "
                f"not {timeout!r}."
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
        self.declared: Any = next(
            (
                value
                for value, present in zip(
                    (source, url_name, literal, template), given.values(), strict=True
                )
                if present
            ),
            None,
        )
        self.context: dict[str, Any] = dict(context or {})
        self.join = join
        self.cache = cache
        self.timeout = timeout
        self.eager = eager
        self.source: Source
        if url_name is not None:
            if not isinstance(url_name, str):
                raise TypeError(f"{where}(url_name=...) must be a str, not {url_name!r}.")
            self.source = UrlSource(url_name, self.context)
        elif literal is not None:
            if not isinstance(literal, str):
                raise TypeError(f"{where}(literal=...) must be a str, not {literal!r}.")
            self.source = LiteralSource(literal)
        elif template is not None:
            if not isinstance(template, str):
                raise TypeError(f"{where}(template=...) must be a template name, not {template!r}.")
            self.source = TemplateSource(template)
        elif source is _MISSING:
            self.source = EmptySource()
        else:
            self.source = _source_from(source, self.context, where=where)
            if isinstance(self.source, ListSource):
                self.source.join = join

    def __set_name__(self, owner: type, name: str) -> None:
        if self.name is None:
            self.name = name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name or '?'}: {self.source.identity()[:60]}>"

    @property
    def is_async(self) -> bool:
        return self.source.is_async

    def bound(self, name: str) -> Panel:
        """This panel under ``name``: itself when unnamed or already so named, else a copy."""
        if self.name == name:
            return self
        if self.name is None:
            self.name = name
            return self
        clone = copy.copy(self)
        clone.name = name
        return clone

    def should_render(self, layout_context: Mapping[str, Any]) -> bool:
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

    def __init__(self, source: Any = _MISSING, *, condition: Any, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        self.condition = condition

    def should_render(self, layout_context: Mapping[str, Any]) -> bool:
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
