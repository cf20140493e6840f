"""Partial detection and HTMX smart routing.

Detectors (``DJ_LAYOUTS["PARTIAL_DETECTORS"]``) say, before the content view
runs, whether a request wants only the content. The final decision is made
after the view ran, so a view can still ask for the full page with
``request.dj_layouts_force_full = True``.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import patch_vary_headers

from dj_layouts.conf import get_settings

if TYPE_CHECKING:
    from dj_layouts.page import Page

logger = logging.getLogger("dj_layouts")

#: The request header that names the layout of the page a request comes from.
LAYOUT_HEADER = "DJ-Layout"
_LAYOUT_META = "HTTP_DJ_LAYOUT"


def never_detector(request: HttpRequest) -> bool:
    """Never partial: every request gets the full page."""
    return False


def htmx_detector(request: HttpRequest) -> bool:
    """Partial for HTMX requests (``HX-Request: true``)."""
    return request.headers.get("HX-Request") == "true"


def query_param_detector(request: HttpRequest) -> bool:
    """Partial when the query string has ``_partial=1`` (or ``true``)."""
    return request.GET.get("_partial") in ("1", "true")


_HEADER_DETECTORS = frozenset({htmx_detector})


def is_partial_request(request: HttpRequest) -> bool:
    """Run the configured detectors in order; the first that says True wins."""
    conf = get_settings()
    for detector in conf.detectors:
        try:
            if detector(request):
                return True
        except Exception:
            if conf.DETECTOR_RAISE_EXCEPTIONS:
                raise
            logger.warning(
                "Partial detector %s raised; it counts as False.",
                getattr(detector, "__qualname__", detector), exc_info=True,
            )
    return False


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def current_layout(request: HttpRequest) -> str | None:
    """The layout key of the page the request came from: header first, then cookie."""
    header = request.META.get(_LAYOUT_META)
    if header:
        return str(header)
    return request.COOKIES.get(get_settings().HTMX_COOKIE_NAME)


def _vary(request: HttpRequest, response: HttpResponseBase) -> None:
    conf = get_settings()
    headers = []
    if conf.HTMX_SMART_ROUTING or any(d in _HEADER_DETECTORS for d in conf.detectors):
        headers.append("HX-Request")
    if conf.HTMX_SMART_ROUTING:
        headers += [LAYOUT_HEADER, "Cookie"]
    if headers:
        patch_vary_headers(response, headers)


def partial_response(page: Page, response: HttpResponseBase) -> HttpResponseBase | None:
    """The content view's own response when the request gets only that, else None."""
    request = page.request
    if not getattr(request, "is_layout_partial", False):
        return None
    full = (
        getattr(request, "dj_layouts_force_full", False)
        or request.headers.get("HX-History-Restore-Request") == "true"
    )
    conf = get_settings()
    if not full and conf.HTMX_SMART_ROUTING and _is_htmx(request):
        full = current_layout(request) != page.layout_class.key
    if full:
        # Detected as partial, answered in full: an HTMX caller must swap the body.
        request.is_layout_partial = False  # type: ignore[attr-defined]
        request._dj_layouts_swap_body = True  # type: ignore[attr-defined]
        return None
    if conf.HTMX_SMART_ROUTING and _is_htmx(request):
        response["HX-Retarget"] = conf.HTMX_CONTENT_TARGET
    _vary(request, response)
    return response


def mark_full_page(page: Page, response: HttpResponseBase) -> None:
    """Routing headers and the layout-tracking cookie on a full page."""
    request = page.request
    conf = get_settings()
    swap_body = conf.HTMX_SMART_ROUTING or getattr(request, "_dj_layouts_swap_body", False)
    if (
        swap_body
        and _is_htmx(request)
        and request.headers.get("HX-History-Restore-Request") != "true"
    ):
        # A full page for an HTMX request (another layout, or forced): swap the body.
        response["HX-Retarget"] = "body"
        response["HX-Reswap"] = "outerHTML"
    if conf.HTMX_SMART_ROUTING:
        response.set_cookie(
            conf.HTMX_COOKIE_NAME,
            page.layout_class.key,
            domain=conf.HTMX_COOKIE_DOMAIN,
            samesite="Lax",
            httponly=True,
        )
    _vary(request, response)


def hx_headers_attr(layout_key: str) -> str:
    """The ``hx-headers`` attribute value that names the layout for per-tab routing."""
    return json.dumps({LAYOUT_HEADER: layout_key})
