"""Pages composed and kept at the edge (SPEC §16): an ESI proxy in front of Django.

Two things go through a proxy that announces ESI (``Surrogate-Capability:
...="ESI/1.0"``):

- **edge panels** (``Panel(load="edge")``): the page carries an ``<esi:include>`` in
  their slot and the proxy caches the panel as its endpoint's ``Cache-Control`` says;
- **edge pages** (``Layout.edge_page_timeout``): the proxy keeps the page itself, the
  *shell*, for that many seconds, the same for every visitor. Panels that may differ
  per visitor become *holes*: ``<esi:include>``s of their panel URL, which the proxy
  fetches on every visit with the visitor's cookies and never stores. On a kept page
  Django renders only the holes.

A shell is offered to the proxy only when rendering it read nothing of the visitor:
not the session, not the user, not the CSRF token, and its response sets no cookie
and does not vary on ``Cookie``. Otherwise the page goes out as it would without the
setting (its holes still included by the proxy, nothing kept), and the reason is
logged once per layout.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import has_vary_header, patch_cache_control
from django.utils.functional import LazyObject, empty

from dj_layouts.conf import get_settings

if TYPE_CHECKING:
    from dj_layouts.layout import Layout
    from dj_layouts.panels import Panel

logger = logging.getLogger("dj_layouts")

#: Panel cache strategies whose HTML is the same for every visitor.
PUBLIC_STRATEGIES = ("sitewide", "per_path")
#: Strategies whose entries belong to one visitor: a proxy must never share them.
PRIVATE_STRATEGIES = ("per_user", "per_user_per_path", "per_session")
#: Between the items of a header list (``Vary``, ``Cache-Control``), as Django splits them.
_HEADER_LIST = re.compile(r"\s*,\s*")
#: ``load=`` of a hole in a page's deferred panels.
HOLE = "hole"
#: ``load=`` of the deferred panels a proxy includes (``<esi:include>``).
ESI_LOADS = ("edge", HOLE)


def announces_esi(request: HttpRequest) -> bool:
    """Whether the request came through a proxy that composes ESI."""
    return "ESI/1.0" in request.headers.get("Surrogate-Capability", "")


def mark_esi(response: HttpResponseBase) -> None:
    """Ask the proxy to process the page's ``<esi:include>`` elements."""
    response["Surrogate-Control"] = 'content="ESI/1.0"'


def is_public(panel: Panel) -> bool:
    """Whether the panel's HTML is the same for every visitor, by its declaration."""
    if panel.cache is not None and panel.cache.strategy in PUBLIC_STRATEGIES:
        return True
    # Literal or empty HTML: a source that cannot block cannot read the request either.
    return not panel.source.blocking


def is_per_visitor(panel: Panel) -> bool:
    """Whether an inline panel's HTML may differ per visitor: on a page kept at the edge,
    it cannot be in the page (``Layout.edge_holes()``)."""
    return panel.load == "inline" and not is_public(panel)


def is_hole(layout_class: type[Layout], panel: Panel) -> bool:
    """Whether an edge page of ``layout_class`` leaves ``panel`` to the proxy on every visit.

    Only the layout's own inline panels (``Layout.edge_holes()``, found at class
    creation): the endpoint finds a panel on its layout class, and lazy, visible and
    edge panels have their own delivery.
    """
    return layout_class.edge_holes().get(panel.name or "") is panel


def _read_visitor(request: HttpRequest) -> str | None:
    """What of the visitor the request's handling has read so far, or None."""
    session = request.__dict__.get("session")
    if getattr(session, "accessed", False):
        return "the session"
    user = request.__dict__.get("user")
    if user is not None and not (isinstance(user, LazyObject) and user._wrapped is empty):
        return "the user"
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return "the CSRF token"
    return None


def _response_varies(response: HttpResponse) -> str | None:
    if response.cookies:
        return "a response cookie"
    if has_vary_header(response, "Cookie") or has_vary_header(response, "*"):
        return "Vary: Cookie"
    directives = {
        directive.split("=", 1)[0].strip().lower()
        for directive in _HEADER_LIST.split(response.get("Cache-Control", "").strip())
    }
    if directives & {"no-store", "private"}:
        return f"Cache-Control: {response['Cache-Control']}"
    return None


class EdgePage:
    """The edge side of one page of a layout with ``edge_page_timeout``.

    Made only when the request came through an ESI proxy (``for_request``). It names
    the page's holes before anything renders, and offers the finished page to the
    proxy if nothing of the visitor went into it (``finish``).
    """

    def __init__(self, request: HttpRequest, layout_class: type[Layout], panels: list[Panel]):
        self.request = request
        self.layout_class = layout_class
        self.timeout: int = layout_class.edge_page_timeout or 0
        #: Why the shell cannot be kept, known before the page renders.
        self.refused: str | None = _read_visitor(request)
        if self.refused is not None:
            self.refused = f"{self.refused} was read before the view ran (middleware)"
        holes: dict[str, str] = {}
        for panel in panels:
            if is_hole(layout_class, panel):
                holes[panel.name or "?"] = HOLE
            elif is_per_visitor(panel):
                # A panel the view added (panels=): the endpoint cannot reach it.
                self.refused = f"panel {panel.name!r} is given by the view and not public"
        #: Panels the proxy fetches on every visit, by name (none if the shell is refused).
        self.holes = holes if self.refused is None else {}

    @classmethod
    def for_request(
        cls, request: HttpRequest, layout_class: type[Layout], panels: list[Panel]
    ) -> EdgePage | None:
        if layout_class.edge_page_timeout is None:
            return None
        if request.method not in ("GET", "HEAD") or not announces_esi(request):
            return None
        if request.headers.get("HX-Request") == "true":
            return None  # partials, and full pages chosen by smart routing: per request
        return cls(request, layout_class, panels)

    @property
    def keeps(self) -> bool:
        """Whether the shell may still be kept: the page must not read the visitor."""
        return self.refused is None

    def content(self, response: HttpResponse) -> None:
        """Note what the content view's own response says about the visitor."""
        if self.refused is None:
            self.refused = _response_varies(response)

    def finish(self, response: HttpResponse, names_layout: bool) -> HttpResponse:
        """Offer the page to the proxy for ``timeout`` seconds, or say why not.

        ``names_layout``: the page carries ``{% layout_hx_headers %}``, so htmx requests
        from it name their layout and HTMX smart routing needs no cookie from it.
        """
        reason = self.refused or _read_visitor(self.request) or _routing(response, names_layout)
        if reason is not None:
            _log_refused(self.layout_class, reason)
            return response
        response["Surrogate-Control"] = f'content="ESI/1.0", max-age={self.timeout}'
        response["DJ-Layout"] = self.layout_class.key
        if self.holes:
            # The composed page holds the visitor's holes: no shared cache after the proxy.
            patch_cache_control(response, private=True)
        return response


def _routing(response: HttpResponse, names_layout: bool) -> str | None:
    """Leave HTMX smart routing's cookie out of a page to keep, if it can do without it.

    The cookie names the layout the visitor last saw, for htmx requests that do not
    name it themselves; a kept page is the same for everyone, so it can carry no such
    cookie, and its htmx requests must name the layout (the ``DJ-Layout`` header).
    """
    conf = get_settings()
    if not conf.HTMX_SMART_ROUTING:
        return None
    if not names_layout:
        return (
            "HTMX smart routing needs its layout cookie on this page; put "
            "{% layout_hx_headers %} in the layout template so htmx requests name the layout"
        )
    if conf.HTMX_COOKIE_NAME in response.cookies:
        del response.cookies[conf.HTMX_COOKIE_NAME]
    # The content's response did not vary on Cookie (content()): smart routing added it,
    # and a request without HX-Request gets the same page whatever its cookies.
    vary = [token for token in _HEADER_LIST.split(response.get("Vary", "").strip()) if token]
    kept = [token for token in vary if token.lower() != "cookie"]
    if kept:
        response["Vary"] = ", ".join(kept)
    elif "Vary" in response:
        del response["Vary"]
    return None


def warn_lost_cookies(request: HttpRequest, layout_class: type[Layout], panel: Panel) -> None:
    """Say so when a panel fetched by an ESI proxy sets a cookie: the proxy drops it.

    A proxy passes only the page's own headers to the browser, never an include's.
    """
    if not announces_esi(request):
        return
    session = request.__dict__.get("session")
    if getattr(session, "modified", False):
        lost = "a session change"
    elif request.META.get("CSRF_COOKIE_NEEDS_UPDATE") and not request.COOKIES.get(
        settings.CSRF_COOKIE_NAME
    ):
        lost = "a new CSRF cookie"
    else:
        return
    logger.warning(
        "Panel %r of layout %s was fetched by an ESI proxy and made %s, whose cookie the "
        "proxy does not pass to the browser. Keep writes out of panels included by the "
        "proxy; a form in such a panel needs a visitor who already has a CSRF cookie.",
        panel.name,
        layout_class.key,
        lost,
    )


_logged: set[tuple[str, str]] = set()


def _log_refused(layout_class: type[Layout], reason: str) -> None:
    key = (layout_class.key, reason)
    if key in _logged:
        return
    _logged.add(key)
    logger.warning(
        "Layout %s has edge_page_timeout, but this page was not offered to the proxy to "
        "keep: %s. Whatever reads the visitor belongs in a panel (a hole the proxy fetches "
        "on every visit), not in the content view or the layout template.",
        layout_class.key,
        reason,
    )
