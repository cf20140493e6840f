"""The ``DJ_LAYOUTS`` setting: read, validated and cached in one place.

The cache is dropped whenever Django's ``setting_changed`` signal fires for
``DJ_LAYOUTS`` (``override_settings`` sends it), so tests see changes at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from dj_layouts._utils import is_async_callable
from dj_layouts.types import Detector

SETTING_NAME = "DJ_LAYOUTS"


def _optional_bool(value: Any) -> bool:
    return value is None or isinstance(value, bool)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_str(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _str_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)


# A cookie name is an RFC 6265 token (RFC 7230 tchar): no spaces, separators or controls.
_COOKIE_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# A domain label: letters, digits and inner hyphens, at most 63 characters.
_DOMAIN_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def _cookie_name(value: Any) -> bool:
    if not (isinstance(value, str) and _COOKIE_NAME.fullmatch(value)):
        return False
    try:
        # What HttpResponse.set_cookie() does; it also refuses attribute names ("path").
        SimpleCookie()[value] = ""
    except CookieError:
        return False
    return True


def _optional_cookie_domain(value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, str) or len(value) > 253:
        return False
    labels = value.removeprefix(".").split(".")
    return all(_DOMAIN_LABEL.fullmatch(label) for label in labels)


def _header_value(value: Any) -> bool:
    # Sent as a response header: a CR/LF would make Django refuse every response,
    # and a non-ASCII character would be MIME-encoded, which htmx does not decode.
    return isinstance(value, str) and value.strip() != "" and all(" " <= c <= "~" for c in value)


def _optional_positive_int(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and value > 0)


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _positive_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


_CONTENT_TARGET_RULE = (
    "a CSS selector in printable ASCII (it is sent as the HX-Retarget header, "
    "so no line breaks or other control characters)"
)
_COOKIE_NAME_RULE = (
    "a cookie name: an RFC 6265 token of letters, digits and !#$%&'*+-.^_`|~ "
    "that is not a cookie attribute such as 'path' or 'expires'"
)
_COOKIE_DOMAIN_RULE = (
    "None or a cookie domain such as '.example.com' "
    "(dot-separated labels of ASCII letters, digits and hyphens)"
)

# key: (default, check, what the value must be)
_SPEC: dict[str, tuple[Any, Callable[[Any], bool], str]] = {
    "DEBUG_ERRORS": (None, _optional_bool, "None, True or False"),
    "CACHE_ENABLED": (True, _is_bool, "True or False"),
    "CACHE_BACKEND": ("default", _is_str, "the alias of a CACHES entry"),
    "CACHE_LOCK_TIMEOUT": (10, _positive_number, "a positive number of seconds"),
    "PARTIAL_DETECTORS": ([], _str_list, "a list of dotted paths to detector functions"),
    "DETECTOR_RAISE_EXCEPTIONS": (False, _is_bool, "True or False"),
    "HTMX_SMART_ROUTING": (False, _is_bool, "True or False"),
    "HTMX_CONTENT_TARGET": ("#panel-content", _header_value, _CONTENT_TARGET_RULE),
    "HTMX_COOKIE_NAME": ("dj_layout_current", _cookie_name, _COOKIE_NAME_RULE),
    "HTMX_COOKIE_DOMAIN": (None, _optional_cookie_domain, _COOKIE_DOMAIN_RULE),
    "SYNC_PANEL_WORKERS": (None, _optional_positive_int, "None or a positive int"),
    "CACHE_IO_WORKERS": (8, _positive_int, "a positive int"),
    "REFRESH_WORKERS": (4, _positive_int, "a positive int"),
    "MAX_ABANDONED_THREADS": (64, _positive_int, "a positive int"),
    "CIRCUIT_BREAKER_FAILURES": (5, _optional_positive_int, "None or a positive int"),
    "CIRCUIT_BREAKER_WINDOW": (60, _positive_number, "a positive number of seconds"),
    "CIRCUIT_BREAKER_COOLDOWN": (30, _positive_number, "a positive number of seconds"),
    "SERVER_TIMING": (False, _optional_bool, "None (follow DEBUG), True or False"),
    "PANEL_URL_MAX_AGE": (3600, _positive_int, "a positive int (seconds)"),
}

DEFAULTS: Mapping[str, Any] = {key: spec[0] for key, spec in _SPEC.items()}


def _detector_problem(path: str) -> str | None:
    try:
        detector = import_string(path)
    except ImportError as exc:
        return f"which cannot be imported: {exc}. Give the dotted path of a function."
    except Exception as exc:
        # The module itself fails as it loads: report it, as a check must not crash.
        return (
            f"whose module fails to import: {type(exc).__name__}: {exc}. "
            "Fix the module or the path."
        )
    if not callable(detector):
        return "which is not callable. Give the dotted path of a function."
    if is_async_callable(detector):
        # A coroutine is truthy: it would call every request partial.
        return "which is async. A detector is a plain function detector(request) -> bool."
    return None


def validation_errors(raw: Any) -> list[str]:
    """Every problem with a ``DJ_LAYOUTS`` value, as sentences; empty when it is fine."""
    if not isinstance(raw, Mapping):
        return [f"{SETTING_NAME} must be a dict, not {type(raw).__name__}."]
    problems = []
    for key in raw:
        if key not in _SPEC:
            problems.append(
                f"{SETTING_NAME}[{key!r}] is not a known setting. "
                f"Known settings: {', '.join(sorted(_SPEC))}."
            )
    for key, (_default, check, expected) in _SPEC.items():
        if key in raw and not check(raw[key]):
            problems.append(f"{SETTING_NAME}[{key!r}] must be {expected}, not {raw[key]!r}.")
    if not problems:
        for path in raw.get("PARTIAL_DETECTORS", ()):
            problem = _detector_problem(path)
            if problem:
                problems.append(f"{SETTING_NAME}['PARTIAL_DETECTORS'] names {path!r}, {problem}")
    return problems


@dataclass(frozen=True)
class LayoutSettings:
    DEBUG_ERRORS: bool | None
    CACHE_ENABLED: bool
    CACHE_BACKEND: str
    CACHE_LOCK_TIMEOUT: float
    PARTIAL_DETECTORS: tuple[str, ...]
    DETECTOR_RAISE_EXCEPTIONS: bool
    HTMX_SMART_ROUTING: bool
    HTMX_CONTENT_TARGET: str
    HTMX_COOKIE_NAME: str
    HTMX_COOKIE_DOMAIN: str | None
    SYNC_PANEL_WORKERS: int | None
    CACHE_IO_WORKERS: int
    REFRESH_WORKERS: int
    MAX_ABANDONED_THREADS: int
    CIRCUIT_BREAKER_FAILURES: int | None
    CIRCUIT_BREAKER_WINDOW: float
    CIRCUIT_BREAKER_COOLDOWN: float
    SERVER_TIMING: bool | None
    PANEL_URL_MAX_AGE: int
    detectors: tuple[Detector, ...] = field(default=())

    @property
    def server_timing(self) -> bool:
        """Whether buffered pages get a ``Server-Timing`` header; ``None`` follows ``DEBUG``."""
        if self.SERVER_TIMING is None:
            return bool(settings.DEBUG)
        return self.SERVER_TIMING

    @property
    def debug_errors(self) -> bool:
        """Whether a failing panel raises; ``DEBUG_ERRORS=None`` follows ``DEBUG``."""
        if self.DEBUG_ERRORS is None:
            return bool(settings.DEBUG)
        return self.DEBUG_ERRORS


_cached: LayoutSettings | None = None


def get_settings() -> LayoutSettings:
    """The validated ``DJ_LAYOUTS`` settings; raises ``ImproperlyConfigured`` when invalid."""
    global _cached
    if _cached is None:
        raw = getattr(settings, SETTING_NAME, {})
        problems = validation_errors(raw)
        if problems:
            raise ImproperlyConfigured(" ".join(problems))
        values = {**DEFAULTS, **raw}
        values["PARTIAL_DETECTORS"] = tuple(values["PARTIAL_DETECTORS"])
        detectors = tuple(import_string(path) for path in values["PARTIAL_DETECTORS"])
        _cached = LayoutSettings(**values, detectors=detectors)
    return _cached


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: Any) -> None:
    global _cached
    if setting == SETTING_NAME:
        _cached = None
