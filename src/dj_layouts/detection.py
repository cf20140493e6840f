"""Partial detection and HTMX smart routing.

Detectors (``DJ_LAYOUTS["PARTIAL_DETECTORS"]``) say whether a request wants only
the content view's response. Smart routing narrows that for HTMX requests: only
a page showing the same layout can take a partial. Both are settled before the
content view runs, so ``request.is_layout_partial`` is right while it runs; the
view may still ask for the full page with ``request.dj_layouts_force_full = True``,
which is honoured after it returns.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import patch_vary_headers

from dj_layouts.conf import LayoutSettings, get_settings
from dj_layouts.layout import Layout
from dj_layouts.state import get_layout_state, wants_full_page

logger = logging.getLogger("dj_layouts")

#: The request header naming the layout (registry key) of the page a request comes from.
LAYOUT_HEADER = "DJ-Layout"

# request.META spellings, read directly: request.headers builds a dict of every header.
_HX_REQUEST = "HTTP_HX_REQUEST"
_HX_RESTORE = "HTTP_HX_HISTORY_RESTORE_REQUEST"
_LAYOUT_META = "HTTP_DJ_LAYOUT"


def never_detector(request: HttpRequest) -> bool:
    """Never partial: every request gets the full page."""
    return False


def htmx_detector(request: HttpRequest) -> bool:
    """Partial for HTMX requests (``HX-Request: true``)."""
    return request.META.get(_HX_REQUEST) == "true"


# A detector that reads request headers lists them here, so every response of a
# layout view says ``Vary`` on them. A history restore also carries HX-Request and
# gets the full page, so the cache must tell it apart too.
htmx_detector.vary_headers = ("HX-Request", "HX-History-Restore-Request")  # type: ignore[attr-defined]


def query_param_detector(request: HttpRequest) -> bool:
    """Partial when the query string has exactly ``_partial=1``, as in the existing package.

    ``_partial=true`` or ``_partial=yes`` is not partial: one spelling, so every
    link and cache key agrees on it.
    """
    return request.GET.get("_partial") == "1"


def is_partial_request(request: HttpRequest) -> bool:
    """Whether the configured detectors call ``request`` partial: the first True wins.

    A detector that raises counts as False and is logged at WARNING, unless
    ``DETECTOR_RAISE_EXCEPTIONS`` is True.
    """
    conf = get_settings()
    for path, detector in zip(conf.PARTIAL_DETECTORS, conf.detectors, strict=True):
        try:
            if detector(request):
                return True
        except Exception as exc:
            if conf.DETECTOR_RAISE_EXCEPTIONS:
                raise
            logger.warning(
                "Partial detector %s raised %s: %s; it counts as False. Set "
                "DJ_LAYOUTS['DETECTOR_RAISE_EXCEPTIONS'] = True to let it propagate.",
                path,
                type(exc).__name__,
                exc,
                exc_info=True,
            )
    return False


def _is_htmx(request: HttpRequest) -> bool:
    return request.META.get(_HX_REQUEST) == "true"


def _is_history_restore(request: HttpRequest) -> bool:
    return request.META.get(_HX_RESTORE) == "true"


def current_layout(request: HttpRequest) -> str | None:
    """The registry key of the layout the requesting page shows, when it is known.

    The ``DJ-Layout`` request header (one per tab) wins over the layout-tracking
    cookie (one per browser). A value that names no registered layout is ignored.
    A cookie written by the existing package holds the bare class name: it still
    matches while exactly one registered layout has that name (a rolling deploy),
    and an ambiguous one counts as another layout.
    """
    key = request.META.get(_LAYOUT_META) or request.COOKIES.get(get_settings().HTMX_COOKIE_NAME)
    if key is None or key in Layout.registry:
        return key
    if "." not in key:
        matches = [found for found, cls in Layout.registry.items() if cls.__name__ == key]
        if len(matches) == 1:
            return matches[0]
    return None


def wants_partial(request: HttpRequest, layout_class: type[Layout]) -> bool:
    """Whether ``request`` gets only the content view's response (decided before it runs)."""
    conf = get_settings()
    if not conf.detectors or _is_history_restore(request):
        return False
    if not is_partial_request(request):
        return False
    if conf.HTMX_SMART_ROUTING and _is_htmx(request):
        return current_layout(request) == layout_class.key
    return True


def partial_response(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase | None:
    """The content view's own response when the request gets only that, else None."""
    state = get_layout_state(request)
    if state is None or not state.is_partial:
        return None
    if wants_full_page(request):
        state.set_partial(request, False)
        return None
    conf = get_settings()
    if conf.HTMX_SMART_ROUTING and _is_htmx(request):
        response["HX-Retarget"] = conf.HTMX_CONTENT_TARGET
    patch_vary(response)
    return response


def mark_full_page(
    request: HttpRequest, layout_class: type[Layout], response: HttpResponseBase
) -> None:
    """Routing headers, the layout-tracking cookie and ``Vary`` on a full page."""
    conf = get_settings()
    if (
        _is_htmx(request)
        and not _is_history_restore(request)
        and (conf.HTMX_SMART_ROUTING or wants_full_page(request))
    ):
        # The requesting page shows another layout, or the view wants a fresh page:
        # the whole body changes, whatever the requesting element targeted.
        response["HX-Retarget"] = "body"
        response["HX-Reswap"] = "outerHTML"
    key = layout_class.key
    if conf.HTMX_SMART_ROUTING and request.COOKIES.get(conf.HTMX_COOKIE_NAME) != key:
        response.set_cookie(
            conf.HTMX_COOKIE_NAME,
            key,
            domain=conf.HTMX_COOKIE_DOMAIN,
            secure=request.is_secure(),
            httponly=True,
            samesite="Lax",
        )
    patch_vary(response)


_vary_memo: tuple[LayoutSettings | None, tuple[str, ...], str] = (None, (), "")


def _vary() -> tuple[tuple[str, ...], str]:
    """The request headers every response of a layout view varies on, and them joined."""
    global _vary_memo
    conf = get_settings()
    memo_conf, headers, joined = _vary_memo
    if memo_conf is not conf:
        found: list[str] = []
        for detector in conf.detectors:
            found.extend(_detector_vary_headers(detector))
        if conf.HTMX_SMART_ROUTING:
            found.extend(["HX-Request", "HX-History-Restore-Request", LAYOUT_HEADER, "Cookie"])
        headers = tuple(dict.fromkeys(found))
        joined = ", ".join(headers)
        _vary_memo = (conf, headers, joined)
    return headers, joined


def _detector_vary_headers(detector: Any) -> Sequence[str]:
    headers = getattr(detector, "vary_headers", ())
    return (headers,) if isinstance(headers, str) else tuple(headers)


def patch_vary(response: Any) -> Any:
    """Add the ``Vary`` headers the settings call for to ``response``; returns it."""
    if isinstance(response, HttpResponseBase):
        headers, joined = _vary()
        if not headers:
            pass
        elif "Vary" in response:
            patch_vary_headers(response, headers)
        else:
            # The usual case, several times cheaper than patch_vary_headers().
            response["Vary"] = joined
    return response


def hx_headers_attr(layout_key: str) -> str:
    """The ``hx-headers`` value that names the layout, for per-tab routing."""
    return json.dumps({LAYOUT_HEADER: layout_key})
