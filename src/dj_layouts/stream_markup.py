"""The markup of unordered streamed pages, read by the runtime ``static/dj_layouts/stream.js``.

Slots are written by number between two comments carrying the page's random token;
each finished panel is a ``<djl-fill>`` element whose ``data-html`` holds the panel's
HTML entity-escaped, so no byte of it can end the element early or take effect before
the runtime parses it in its slot's context. Nothing a user controls is written
unescaped, and panel names are never written at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.templatetags.static import static
from django.utils.html import escape

#: The runtime, a static file: one ``<script src>`` serves every CSP, where one inline
#: script per panel needs a nonce (and cannot work under ``script-src 'self'``).
RUNTIME = "dj_layouts/stream.js"


def runtime_url() -> str | None:
    """The runtime's URL, or None when ``django.contrib.staticfiles`` is not installed."""
    if not apps.is_installed("django.contrib.staticfiles"):
        return None
    # Through the staticfiles storage: hashed names (ManifestStaticFilesStorage), CDNs.
    return static(RUNTIME)


def runtime_tag(url: str, token: str, nonce: str | None) -> str:
    nonce_attr = f' nonce="{escape(nonce)}"' if nonce else ""
    return f'<script src="{escape(url)}" data-page="{token}"{nonce_attr}></script>'


def slot(token: str, number: int, fallback: str) -> str:
    mark = f"djl:{token}:{number}"
    return f"<!--{mark}-->{fallback}<!--/{mark}-->"


def fill(token: str, numbers: Iterable[int], html: str | None) -> str:
    """Fill slots ``numbers`` with ``html``; None keeps their fallbacks (only the marks go)."""
    slots = " ".join(map(str, numbers))
    html_attr = "" if html is None else f' data-html="{escape(html)}"'
    return f'<djl-fill data-page="{token}" data-slots="{slots}"{html_attr}></djl-fill>'
