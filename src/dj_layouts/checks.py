"""Django system checks: configuration errors found at start-up, not mid-request."""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from django.core.checks import CheckMessage, Error, Warning, register
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse

from dj_layouts.conf import SETTING_NAME, get_settings, validation_errors
from dj_layouts.edge import PRIVATE_STRATEGIES, is_hole
from dj_layouts.endpoints import URL_NAME
from dj_layouts.layout import CONTENT, Layout
from dj_layouts.panels import ConditionalPanel, LiteralSource, TemplateSource, UrlSource
from dj_layouts.slots import layout_slots
from dj_layouts.views import layout_references


def _settings_problems() -> list[str]:
    from django.conf import settings

    return validation_errors(getattr(settings, SETTING_NAME, {}))


@register()
def check_settings(**kwargs: Any) -> list[CheckMessage]:
    return [
        Error(problem, hint="Fix the DJ_LAYOUTS setting.", id="dj_layouts.E001")
        for problem in _settings_problems()
    ]


@register()
def check_layout_references(**kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for key, where in layout_references:
        if key not in Layout.registry:
            known = ", ".join(sorted(Layout.registry)) or "none"
            messages.append(
                Error(
                    f"{where} refers to the layout {key!r}, which is not registered.",
                    hint=f"Registered layouts: {known}. Define the layout in <app>/layouts.py "
                    "or fix the key: '<first segment of the module path>.<ClassName>' (for "
                    "myapp/layouts.py, 'myapp.PageLayout'), or the layout's registry_key.",
                    id="dj_layouts.E002",
                )
            )
    return messages


def _template_missing(name: str) -> bool:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return True
    except TemplateSyntaxError:
        return False  # it exists; rendering reports the syntax error with its line
    return False


@register()
def check_layouts(**kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    # The checks of cached panels read the settings (the default cache backend):
    # with bad settings they would raise and end `manage.py check` with a traceback
    # before it prints check_settings' E001, so they wait until the settings are fixed.
    settings_valid = not _settings_problems()
    for key, layout in sorted(Layout.registry.items()):
        if layout.template and _template_missing(layout.template):
            messages.append(
                Error(
                    f"Layout {key} uses the template {layout.template!r}, which cannot be found.",
                    hint="Check the name, or add the template to a templates directory.",
                    obj=layout,
                    id="dj_layouts.E003",
                )
            )
        if _template_missing(layout.error_template):
            messages.append(
                Warning(
                    f"Layout {key} has error_template {layout.error_template!r}, which cannot "
                    "be found; failed panels will render empty.",
                    obj=layout,
                    id="dj_layouts.W001",
                )
            )
        for name, panel in layout.get_panels().items():
            messages.extend(_check_panel(key, name, panel, layout, settings_valid))
        messages.extend(_check_slots(key, layout))
        messages.extend(_check_endpoint_panels(key, layout))
        if settings_valid:
            messages.extend(_check_edge_page(key, layout))
    return messages


def _endpoint_reachable() -> bool:
    try:
        reverse(URL_NAME, kwargs={"reference": "a:b:c"})
    except NoReverseMatch:
        return False
    return True


def _check_endpoint_panels(key: str, layout: type[Layout]) -> list[CheckMessage]:
    """SPEC §16: panels with their own URL need the endpoint and a context that travels."""
    panels = {
        name: p for name, p in layout.get_panels().items() if p.endpoint or is_hole(layout, p)
    }
    if not panels:
        return []
    messages: list[CheckMessage] = []
    names = ", ".join(repr(name) for name in panels)
    if not _endpoint_reachable():
        messages.append(
            Error(
                f"Layout {key} has panels with their own URL ({names}), and the panel "
                "endpoint is not in the URLconf.",
                hint='Add path("_panels/", include("dj_layouts.urls")) to your urlpatterns.',
                obj=layout,
                id="dj_layouts.E007",
            )
        )
    for context_key, value in layout.layout_context_defaults.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            messages.append(
                Warning(
                    f"Layout {key} has panels with their own URL ({names}), and its "
                    f"layout_context_defaults value {context_key!r} ({type(value).__name__}) "
                    "cannot travel in a panel URL: a content view that changes it makes "
                    "the page fail with a TypeError.",
                    hint="Panel URLs carry what the content view changes in the layout "
                    "context as JSON values (str, int, float, bool, None, lists and dicts "
                    "of them): keep an id there instead.",
                    obj=layout,
                    id="dj_layouts.W006",
                )
            )
    for name, panel in panels.items():
        strategy = panel.cache.strategy if panel.cache is not None else None
        if panel.load == "edge" and strategy in PRIVATE_STRATEGIES:
            messages.append(
                Error(
                    f"Panel {name!r} of layout {key} is cached {strategy} and marked "
                    "load='edge': a shared proxy would serve one visitor's panel to another.",
                    hint="Use load='lazy' or 'inline' for per-user panels (on a layout with "
                    "edge_page_timeout an inline one is fetched by the proxy on every visit, "
                    "never kept); edge is for panels cached sitewide or per path.",
                    obj=layout,
                    id="dj_layouts.E009",
                )
            )
    return messages


def _check_edge_page(key: str, layout: type[Layout]) -> list[CheckMessage]:
    timeout = layout.edge_page_timeout
    if timeout is None:
        return []
    max_age = get_settings().PANEL_URL_MAX_AGE
    if timeout < max_age:
        return []
    return [
        Error(
            f"Layout {key} has edge_page_timeout = {timeout}, which is not below the "
            f"PANEL_URL_MAX_AGE of {max_age} s: a page the proxy keeps that long would "
            "still include panel URLs that have expired.",
            hint=f"Lower edge_page_timeout below {max_age}, or raise "
            "DJ_LAYOUTS['PANEL_URL_MAX_AGE'].",
            obj=layout,
            id="dj_layouts.E010",
        )
    ]


def _check_slots(key: str, layout: type[Layout]) -> list[CheckMessage]:
    slots = layout_slots(layout)
    if slots is None:
        return []
    messages: list[CheckMessage] = []
    declared = layout.get_panels()
    known = ", ".join(repr(name) for name in declared) or "none"
    # A panel a base layout declares and this one removes (sidebar = None) is no mistake.
    removed = {
        name
        for base in layout.__mro__[1:]
        if isinstance(base, type) and issubclass(base, Layout)
        for name in base.get_panels()
    }
    for name in sorted(slots.names - set(declared) - removed - {CONTENT}):
        # Only a near miss is reported: a slot for a panel that views add with panels=
        # has a name of its own.
        close = difflib.get_close_matches(name, declared, n=1, cutoff=0.8)
        if close:
            messages.append(
                Warning(
                    f"The template {layout.template!r} of layout {key} places the panel "
                    f"{name!r}, which the layout does not declare; did you mean {close[0]!r}?",
                    hint=f"Declared panels: {known}. Fix the name in the template, or declare "
                    f"{name!r} on the layout.",
                    obj=layout,
                    id="dj_layouts.W004",
                )
            )
    if slots.complete:
        for name in declared:
            if name not in slots.names:
                messages.append(
                    Warning(
                        f"Panel {name!r} of layout {key} has no slot: its template "
                        f"{layout.template!r} (with what it extends and includes) has no "
                        f"{{% panel {name!r} %}}. Pages do not run it.",
                        hint=f'Add {{% panel "{name}" %}}{{% endpanel %}} to the template, '
                        "or remove the panel.",
                        obj=layout,
                        id="dj_layouts.W005",
                    )
                )
    return messages


# A URL name without its namespace ("header"), or a dotted path ("myapp.sidebar").
_BARE_NAME = re.compile(r"[A-Za-z_][\w-]*")
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")


def _check_literal(key: str, name: str, panel: Any, layout: type[Layout]) -> list[CheckMessage]:
    text = panel.declared  # a positional literal source is always a str
    if panel.source_keyword is not None or not isinstance(panel.source, LiteralSource):
        return []
    if _BARE_NAME.fullmatch(text):
        looks = "a URL name without its namespace"
        hint = (
            f'Write Panel(url_name="{text}") to call that view, or '
            f'Panel(literal="{text}") to keep the text.'
        )
    elif _DOTTED.fullmatch(text):
        looks = "a dotted path to a view"
        hint = (
            "Pass the view itself (import it), or url_name= with its URL name, or "
            f'Panel(literal="{text}") to keep the text.'
        )
    else:
        return []
    return [
        Warning(
            f"Panel {name!r} of layout {key} renders the literal text {text!r}, which "
            f"looks like {looks}.",
            hint=hint,
            obj=layout,
            id="dj_layouts.W003",
        )
    ]


def _check_panel(
    key: str, name: str, panel: Any, layout: type[Layout], settings_valid: bool
) -> list[CheckMessage]:
    messages = _check_literal(key, name, panel, layout)
    source = panel.source
    if isinstance(source, UrlSource):
        try:
            source.resolve()
        except Exception as exc:
            messages.append(
                Error(
                    f"Panel {name!r} of layout {key}: {exc}",
                    hint="Check the URL name (with its namespace) and the panel's context=.",
                    obj=layout,
                    id="dj_layouts.E004",
                )
            )
    elif isinstance(source, TemplateSource) and _template_missing(source.template_name):
        messages.append(
            Error(
                f"Panel {name!r} of layout {key} renders the template "
                f"{source.template_name!r}, which cannot be found.",
                obj=layout,
                id="dj_layouts.E005",
            )
        )
    if panel.cache is not None and settings_valid:
        messages.extend(panel.cache.check(f"Panel {name!r} of layout {key}"))
    if panel.eager and isinstance(panel, ConditionalPanel) and isinstance(panel.condition, str):
        messages.append(
            Warning(
                f"Panel {name!r} of layout {key} is eager and its condition looks up "
                f"{panel.condition!r} in the layout context, which it sees before the "
                "content view runs.",
                hint="Make the condition independent of what the content view sets, "
                "or drop eager=True.",
                obj=layout,
                id="dj_layouts.W002",
            )
        )
    return messages
