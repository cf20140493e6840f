"""The kinds of source that fill a panel, and which value makes which kind.

The kind is decided once, when a ``Panel`` is declared; what a URL name points to
is resolved at first use (URLconfs may import layouts) and then kept.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import itertools
from collections.abc import Callable, Mapping
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.template.loader import render_to_string
from django.template.response import SimpleTemplateResponse
from django.urls import NoReverseMatch, get_urlconf, resolve, reverse
from django.utils.safestring import SafeString, mark_safe
from django.views import View

from dj_layouts._utils import describe, is_async_callable
from dj_layouts.errors import PanelResponseError
from dj_layouts.executors import agather


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
        if isinstance(output, SimpleTemplateResponse) and not output.is_rendered:
            if not getattr(output, "_post_render_callbacks", True):
                # What render() would encode into the body and we would decode again.
                return output.rendered_content
            output.render()
        return bytes(getattr(output, "content", b"")).decode(output.charset)
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

    def is_async_under(self, urlconf: Any) -> bool:
        """Whether the source is async under ``urlconf`` (None: the current URLconf).

        Only a URL name's colour depends on it; a page passes its URLconf, read once.
        """
        return self.is_async

    def render_any(self, request: HttpRequest, name: str, context: Mapping[str, Any]) -> str:
        """Render from sync code, whatever the source's own colour."""
        # A panel request carries its page's URLconf (asking for the current one is slow).
        if self.is_async_under(request.__dict__.get("urlconf")):
            return async_to_sync(self.arender)(request, name, context)
        return self.render(request, name, context)

    def identity(self) -> str:
        """What renders, the same in every process (no memory addresses).

        Cache entries record it, so two sources with the same identity share
        entries. A new kind of source must say everything that changes its output.
        """
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
        return f"callable:{_callable_identity(self.func)}"


#: Above this many context keys only "all of them" and "none" are tried as URL arguments.
_MAX_SUBSET_KEYS = 6

#: What a URL name resolves to: (view, args, kwargs).
_Resolved = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]
# (urlconf, url name, context items) -> (view, args, kwargs); cleared with the URLconf.
_url_cache: dict[tuple[Any, ...], _Resolved] = {}
# Whether a resolved view is async, by the view: asked twice per panel per page.
_view_is_async: dict[Any, bool] = {}


# Bumped when the URLconf changes: what sources remember of an older one is stale.
_generation = [0]


def _clear_url_cache(*, setting: str, **kwargs: Any) -> None:
    if setting == "ROOT_URLCONF":
        _url_cache.clear()
        _view_is_async.clear()
        _generation[0] += 1


setting_changed.connect(_clear_url_cache)


def _view_async(view: Any) -> bool:
    try:
        return _view_is_async[view]
    except (KeyError, TypeError):  # TypeError: an unhashable callable
        answer = is_async_callable(view)
    with contextlib.suppress(TypeError):
        _view_is_async[view] = answer
    return answer


class UrlSource(Source):
    def __init__(self, url_name: str, context: Mapping[str, Any]) -> None:
        self.url_name = url_name
        self.context = dict(context)
        # What tells this source apart in the resolve cache, made once (not per render).
        self._items: tuple[Any, ...] | None
        try:
            self._items = (url_name, tuple(sorted(self.context.items())))
            hash(self._items)
        except TypeError:  # unhashable or unorderable context values
            self._items = None
        #: (URLconf, generation, what it resolved to, whether the view is async) of the
        #: last resolve: a page asks twice per panel, nearly always under one URLconf.
        self._last: tuple[Any, int, _Resolved, bool] | None = None

    def _resolved(self, urlconf: Any = None) -> tuple[Any, int, _Resolved, bool]:
        if urlconf is None:
            urlconf = get_urlconf() or settings.ROOT_URLCONF
        last = self._last
        if last is not None and last[1] == _generation[0] and last[0] == urlconf:
            return last
        resolved = self.resolve(urlconf)
        last = (urlconf, _generation[0], resolved, _view_async(resolved[0]))
        self._last = last
        return last

    def resolve(self, urlconf: Any = None) -> _Resolved:
        """The view, args and kwargs behind the URL name, for the current URLconf."""
        if urlconf is None:
            urlconf = get_urlconf() or settings.ROOT_URLCONF
        key = None if self._items is None else (urlconf, *self._items)
        if key is not None:
            try:
                found = _url_cache.get(key)
            except TypeError:  # an unhashable URLconf object
                key = found = None
            if found is not None:
                return found
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
        return self.is_async_under(None)

    def is_async_under(self, urlconf: Any) -> bool:
        try:
            return self._resolved(urlconf)[3]
        except Exception:
            return False  # the render reports the error

    def _call(self, request: HttpRequest, context: Mapping[str, Any]) -> Any:
        view, args, kwargs = self._resolved(request.__dict__.get("urlconf"))[2]
        return view(request, *args, **{**kwargs, **context})

    def render(self, request: HttpRequest, name: str, context: Mapping[str, Any]) -> str:
        return to_html(name, self._call(request, context))

    async def arender(self, request: HttpRequest, name: str, context: Mapping[str, Any]) -> str:
        if not self.is_async_under(request.__dict__.get("urlconf")):
            return await super().arender(request, name, context)
        return await ato_html(name, await self._call(request, context))

    def identity(self) -> str:
        return f"url:{self.url_name}"


class ListSource(Source):
    """Several sources, rendered concurrently under ASGI and joined with ``join``."""

    def __init__(self, items: list[Source], join: str = "") -> None:
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
        parts = await agather(item.arender(request, name, context) for item in self.items)
        return mark_safe(self.join.join(parts))

    def identity(self) -> str:
        items = ",".join(item.identity() for item in self.items)
        return f"list:{self.join!r}:[{items}]"


def _callable_identity(func: Any) -> str:
    parts = []
    while isinstance(func, functools.partial):
        parts.append(f"partial{func.args!r}{sorted(func.keywords.items())!r}")
        func = func.func
    view_class = getattr(func, "view_class", None)
    if isinstance(view_class, type):
        # Every as_view() function is the same closure: tell them apart by class.
        initkwargs = sorted(getattr(func, "view_initkwargs", {}).items())
        parts.append(f"view:{view_class.__module__}.{view_class.__qualname__}{initkwargs!r}")
        return "|".join(parts)
    target = inspect.unwrap(func) if inspect.isfunction(func) or inspect.ismethod(func) else func
    if inspect.isfunction(target) or inspect.ismethod(target):
        name = describe(func)
    else:
        target = getattr(type(target), "__call__", None)  # noqa: B004 - a callable object
        name = f"{type(func).__module__}.{type(func).__qualname__}"
    code = getattr(target, "__code__", None)
    # Lambdas and functions declared in functions share a qualname; their code does not.
    where = f"@{code.co_filename}:{code.co_firstlineno}" if code is not None else ""
    parts.append(f"{name}{where}")
    return "|".join(parts)


# -- which value makes which kind ------------------------------------------------------------

#: The keyword sources of ``Panel()``: keyword -> (what its value must be, the factory).
#: The factory gets the value and the panel's context.
KEYWORD_SOURCES: dict[str, tuple[str, Callable[[str, Mapping[str, Any]], Source]]] = {
    "url_name": ("a str", UrlSource),
    "literal": ("a str", lambda html, context: LiteralSource(html)),
    "template": ("a template name", lambda name, context: TemplateSource(name)),
}


def _from_str(value: str, context: Mapping[str, Any], join: str, where: str) -> Source:
    # A colon marks a namespaced URL name ("app:name"); anything else is HTML.
    if ":" in value and not isinstance(value, SafeString) and "<" not in value:
        return UrlSource(value, context)
    return LiteralSource(value)


def _from_list(value: Any, context: Mapping[str, Any], join: str, where: str) -> Source:
    # Only the outer list takes the panel's join=; a nested list joins with "".
    return ListSource([source_for(item, context, where=where) for item in value], join)


def _is_view_class(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, View)


#: What a positional source makes, first match wins: (test, factory(value, context, join, where)).
POSITIONAL_SOURCES: list[
    tuple[Callable[[Any], bool], Callable[[Any, Mapping[str, Any], str, str], Source]]
] = [
    (lambda value: value is None, lambda *args: EmptySource()),
    (lambda value: isinstance(value, str), _from_str),
    (_is_view_class, lambda value, *args: CallableSource(value.as_view())),
    (lambda value: isinstance(value, (list, tuple)), _from_list),
    (callable, lambda value, *args: CallableSource(value)),
]


def source_for(value: Any, context: Mapping[str, Any], *, join: str = "", where: str) -> Source:
    """The source a positional ``Panel(value)`` renders; ``where`` names the caller in errors."""
    for test, make in POSITIONAL_SOURCES:
        if test(value):
            return make(value, context, join, where)
    raise TypeError(
        f"{where}: unsupported panel source {value!r} ({type(value).__name__}). Use a URL name "
        "('app:name'), literal HTML, a template=, a callable, a list of those, or None."
    )


def keyword_source(keyword: str, value: Any, context: Mapping[str, Any], *, where: str) -> Source:
    """The source of ``Panel(keyword=value)``, or a ``TypeError`` naming the keyword."""
    expects, make = KEYWORD_SOURCES[keyword]
    if not isinstance(value, str):
        raise TypeError(f"{where}({keyword}=...) must be {expects}, not {value!r}.")
    return make(value, context)
