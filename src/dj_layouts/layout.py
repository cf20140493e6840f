"""The ``Layout`` base class: page structure, panels, queues and the registry."""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

from django.http import HttpRequest
from django.template.loader import render_to_string

from dj_layouts.edge import is_per_visitor
from dj_layouts.executors import PanelExecutor, coerce_executor
from dj_layouts.panels import Panel
from dj_layouts.queues import QueueSpec, RenderQueue

if TYPE_CHECKING:
    from dj_layouts.errors import PanelError

logger = logging.getLogger("dj_layouts")

STREAMING_MODES = (None, "ordered", "unordered")
CONTENT = "content"

_registry: dict[str, type[Layout]] = {}


def check_streaming(value: Any, *, where: str) -> None:
    if value not in STREAMING_MODES:
        raise TypeError(f"{where} must be None, 'ordered' or 'unordered', not {value!r}.")


def _is_module_level(cls: type) -> bool:
    return "<locals>" not in cls.__qualname__


class Layout:
    """A page structure: a template plus named panels and render queues.

    Subclasses are registered under ``"<app_label>.<ClassName>"`` when created.
    """

    #: Required (own or inherited) unless ``abstract = True`` or ``get_template()`` is overridden.
    template: ClassVar[str | None] = None
    #: A layout that only serves as a base class; not registered.
    abstract: ClassVar[bool] = True
    #: Starting values of ``request.layout_context``.
    layout_context_defaults: ClassVar[Mapping[str, Any]] = {}
    #: Rendered into a failed panel's slot by the default ``on_panel_error()``.
    error_template: ClassVar[str] = "layouts/error.html"
    #: A ``PanelExecutor`` class or instance; ``None`` picks Sequential (sync) / Gather (async).
    executor: ClassVar[Any] = None
    #: Default ``timeout`` in seconds for panels that set none.
    panel_timeout: ClassVar[float | None] = None
    #: ``None`` (one buffered response), ``"ordered"`` or ``"unordered"``.
    streaming: ClassVar[str | None] = None
    #: Seconds an ESI proxy may keep the page itself, the same for every visitor; panels
    #: that may differ per visitor become ``<esi:include>``s fetched on every visit
    #: (SPEC §16, docs/panel-urls.md). ``None``: pages are never kept at the edge.
    edge_page_timeout: ClassVar[int | None] = None
    #: Set to register under another key than ``"<app_label>.<ClassName>"``.
    registry_key: ClassVar[str | None] = None
    #: A read-only view of every registered layout, by key.
    registry: ClassVar[Mapping[str, type[Layout]]] = MappingProxyType(_registry)

    # Filled in at class creation.
    key: ClassVar[str] = ""
    _panels: ClassVar[dict[str, Panel]] = {}
    _queues: ClassVar[dict[str, RenderQueue]] = {}
    _queue_spec: ClassVar[QueueSpec] = QueueSpec("Layout", {})
    _executor: ClassVar[PanelExecutor | None] = None
    _endpoint_panels: ClassVar[bool] = False
    _holes: ClassVar[Mapping[str, Panel]] = MappingProxyType({})
    _mutable_defaults: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.abstract = bool(cls.__dict__.get("abstract", False))
        name = cls.__qualname__
        cls._panels, cls._queues = _collect(cls)
        cls._endpoint_panels = any(panel.endpoint for panel in cls._panels.values())
        cls._holes = MappingProxyType(
            {name: panel for name, panel in cls._panels.items() if is_per_visitor(panel)}
        )
        registry_key = cls.__dict__.get("registry_key")
        if registry_key is not None and (not isinstance(registry_key, str) or not registry_key):
            raise TypeError(
                f"{name}.registry_key must be a non-empty str such as 'myapp.{cls.__name__}', "
                f"not {registry_key!r}."
            )
        cls.key = registry_key or (f"{cls.__module__.split('.')[0]}.{cls.__name__}")
        _validate(cls, name)
        cls._executor = coerce_executor(cls.executor, owner=name)
        cls._mutable_defaults = not all(
            _immutable(value) for value in cls.layout_context_defaults.values()
        )
        cls._queue_spec = QueueSpec(cls.key, cls._queues)
        if not cls.abstract:
            _register(cls)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key}>"

    # -- extension points -----------------------------------------------------
    def get_layout_context(self, request: HttpRequest) -> dict[str, Any]:
        """Extra layout context for this request, merged over ``layout_context_defaults``.

        Override to add per-request values (the user's cart, the current section).
        It runs before the content view, which may then change any key.
        """
        return {}

    def get_template(self, request: HttpRequest) -> str:
        """The layout template's name for this request. Override to pick per request."""
        if not self.template:
            raise TypeError(f"Layout {self.key} has no template for this request.")
        return self.template

    def on_panel_error(self, request: HttpRequest, error: PanelError) -> str:
        """HTML for the slot of a failed panel (production mode); ``""`` shows the fallback.

        The error is already logged. The default renders ``error_template``, which
        never shows exception text to visitors. What this returns is trusted HTML.
        """
        try:
            return render_to_string(
                self.error_template,
                {
                    "panel_name": error.panel_name,
                    "error": error,
                    "layout": self,
                    "request": request,
                },
                request,
            )
        except Exception:
            logger.exception(
                "Layout %s could not render its error template %r for panel %r.",
                self.key,
                self.error_template,
                error.panel_name,
            )
            return ""

    # -- class API --------------------------------------------------------------
    @classmethod
    def get_panels(cls) -> dict[str, Panel]:
        """The layout's panels by name, in definition order."""
        return dict(cls._panels)

    @classmethod
    def has_panel_urls(cls) -> bool:
        """Whether a panel of the layout has its own URL (SPEC §16): one that opts in, or
        any panel of a layout whose pages are kept at the edge (its holes)."""
        return cls.edge_page_timeout is not None or cls._endpoint_panels

    @classmethod
    def edge_holes(cls) -> Mapping[str, Panel]:
        """The panels a page kept at the edge leaves to the proxy, by name: the inline
        panels whose HTML may differ per visitor. Empty without ``edge_page_timeout``."""
        return cls._holes if cls.edge_page_timeout is not None else _NO_HOLES

    @classmethod
    def get_queues(cls) -> dict[str, RenderQueue]:
        """The layout's render queues by name, in definition order."""
        return dict(cls._queues)

    @classmethod
    def get_queue_spec(cls) -> QueueSpec:
        """The layout's queues with the default script and style queue (what a collector needs)."""
        return cls._queue_spec

    @classmethod
    def get_executor(cls) -> PanelExecutor | None:
        """The executor ``executor`` declares, even if it was changed after class creation.

        Tests swap it (``mock.patch.object(MyLayout, "executor", SequentialExecutor())``);
        the instance made at class creation is reused while the declaration is unchanged.
        ``None`` means the default for the page's colour.
        """
        declared = cls.executor
        executor = cls._executor
        if declared is executor or (declared is not None and declared is type(executor)):
            return executor
        cls._executor = coerce_executor(declared, owner=cls.__qualname__)
        return cls._executor

    @classmethod
    def initial_layout_context(cls) -> dict[str, Any]:
        """A fresh copy of ``layout_context_defaults`` for one request.

        Mutable values are deep-copied, so a view appending to a default list does
        not change it for later requests.
        """
        defaults = cls.layout_context_defaults
        return copy.deepcopy(dict(defaults)) if cls._mutable_defaults else dict(defaults)

    @classmethod
    def resolve(cls, key: str | type[Layout]) -> type[Layout]:
        """The layout class registered under ``key`` (a class is returned as is)."""
        if isinstance(key, type) and issubclass(key, Layout):
            return key
        try:
            return _registry[key]
        except (KeyError, TypeError):
            known = ", ".join(sorted(_registry)) or "none"
            raise KeyError(
                f"No layout is registered under {key!r}. Registered layouts: {known}. "
                "Layouts register when their module is imported: define them in "
                "<app>/layouts.py (imported at start-up) or pass the class itself."
            ) from None


_NO_HOLES: Mapping[str, Panel] = MappingProxyType({})
_RESERVED = frozenset(name for name in vars(Layout) if not name.startswith("__")) | {CONTENT}


def _immutable(value: Any) -> bool:
    if isinstance(value, (str, bytes, int, float, complex, bool, type(None), frozenset)):
        return True
    return isinstance(value, tuple) and all(_immutable(item) for item in value)


def _collect(cls: type[Layout]) -> tuple[dict[str, Panel], dict[str, RenderQueue]]:
    panels: dict[str, Panel] = {}
    queues: dict[str, RenderQueue] = {}
    for klass in reversed(cls.__mro__):
        if not (isinstance(klass, type) and issubclass(klass, Layout)):
            continue
        for attr, value in vars(klass).items():
            if isinstance(value, Panel):
                if attr in _RESERVED:
                    raise TypeError(
                        f"{klass.__qualname__}.{attr}: {attr!r} cannot be a panel name; "
                        + (
                            "'content' is the content view's slot."
                            if attr == CONTENT
                            else "it is a Layout attribute."
                        )
                        + " Rename the panel."
                    )
                panels[attr] = value.bound(attr)
            elif isinstance(value, RenderQueue):
                if attr in _RESERVED:
                    raise TypeError(
                        f"{klass.__qualname__}.{attr}: {attr!r} cannot be a queue name; "
                        "it is a Layout attribute. Rename the queue."
                    )
                queues[attr] = value
                value.__set_name__(klass, attr)
            elif attr in panels or attr in queues:
                if value is None:
                    panels.pop(attr, None)
                    queues.pop(attr, None)
                else:
                    raise TypeError(
                        f"{klass.__qualname__}.{attr} overrides an inherited panel or queue "
                        f"with {value!r}. Use a Panel(...) to replace it or None to remove it."
                    )
    return panels, queues


def _validate(cls: type[Layout], name: str) -> None:
    custom_template = cls.get_template is not Layout.get_template
    if not cls.abstract and not cls.template and not custom_template:
        raise TypeError(
            f"Layout {cls.key} has no template. Set {name}.template = '<app>/layout.html', "
            f"override {name}.get_template(), or set abstract = True on a base layout."
        )
    if cls.template is not None and not isinstance(cls.template, str):
        raise TypeError(f"{name}.template must be a template name, not {cls.template!r}.")
    if not isinstance(cls.layout_context_defaults, Mapping):
        raise TypeError(
            f"{name}.layout_context_defaults must be a dict, "
            f"not {type(cls.layout_context_defaults).__name__}."
        )
    if not isinstance(cls.error_template, str) or not cls.error_template:
        raise TypeError(
            f"{name}.error_template must be a template name, not {cls.error_template!r}."
        )
    timeout = cls.panel_timeout
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0
    ):
        raise TypeError(
            f"{name}.panel_timeout must be a positive number of seconds or None, not {timeout!r}."
        )
    check_streaming(cls.streaming, where=f"{name}.streaming")
    edge = cls.edge_page_timeout
    if edge is not None and (isinstance(edge, bool) or not isinstance(edge, int) or edge <= 0):
        raise TypeError(
            f"{name}.edge_page_timeout must be a positive int (seconds an ESI proxy may keep "
            f"the page) or None, not {edge!r}."
        )
    if edge is not None and cls.streaming is not None:
        raise TypeError(
            f"{name}.edge_page_timeout needs a buffered layout: a streamed page sends its "
            "headers before it knows whether it read the visitor. Remove "
            f"{name}.streaming = {cls.streaming!r}, or edge_page_timeout."
        )


def _register(cls: type[Layout]) -> None:
    existing = _registry.get(cls.key)
    if (
        existing is not None
        and existing.__module__ != cls.__module__
        and _is_module_level(existing)
        and _is_module_level(cls)
    ):
        raise TypeError(
            f"Two layouts claim the key {cls.key!r}: {existing.__module__}.{existing.__qualname__}"
            f" and {cls.__module__}.{cls.__qualname__}. Rename one class, or give one "
            "a registry_key = '<app>.<Name>'."
        )
    # A class re-declared in a test function or a reloaded module replaces the old one.
    _registry[cls.key] = cls
