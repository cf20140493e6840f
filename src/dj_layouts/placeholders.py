"""The slot of a panel that is not rendered with its page (SPEC §16).

A lazy or visible panel's slot holds its fallback in an element that the static loader
(``dj_layouts/panels.js``) or htmx replaces with the panel from its URL; an edge panel's
slot, and a hole of a page kept at the edge, is an ``<esi:include>`` the proxy fills.
"""

from __future__ import annotations

from django.apps import apps
from django.http import HttpRequest
from django.templatetags.static import static
from django.utils.html import escape

from dj_layouts.edge import ESI_LOADS
from dj_layouts.queues import get_csp_nonce

#: Fetches late panels without htmx; ignored by pages that have htmx (it reads hx-get).
LOADER = "dj_layouts/panels.js"
_TRIGGERS = {"lazy": "load", "visible": "revealed"}


def placeholder(url: str, load: str, fallback: str, loader: str | None) -> str:
    """The slot of a late panel: the fallback, in an element the loader or htmx replaces.

    An edge panel's slot, and a hole of an edge page, is an ``<esi:include>`` the proxy
    replaces with the panel.
    """
    src = escape(url)
    if load in ESI_LOADS:
        return f'<esi:include src="{src}"/>'

    markup = (
        f'<djl-panel data-src="{src}" data-load="{load}" hx-get="{src}" '
        f'hx-trigger="{_TRIGGERS[load]}" hx-swap="outerHTML">{fallback}</djl-panel>'
    )
    return markup + (loader or "")


def loader_tag(request: HttpRequest) -> str | None:
    """``<script src=panels.js defer>``, or None without ``django.contrib.staticfiles``."""
    if not apps.is_installed("django.contrib.staticfiles"):
        return None
    nonce = get_csp_nonce(request)
    nonce_attr = f' nonce="{escape(nonce)}"' if nonce else ""
    return f'<script src="{escape(static(LOADER))}" defer{nonce_attr}></script>'
