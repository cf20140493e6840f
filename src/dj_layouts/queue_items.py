"""The items a render queue holds: scripts, stylesheets, inline blocks, HTML fragments.

Items are frozen values: compared by ``key`` (duplicates load once), pickled into
panel cache entries, and rendered with the request's CSP nonce.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.html import escape

_ATTR_NAME = re.compile(r"^[A-Za-z_:][-A-Za-z0-9_:.]*$")
# A nonce attribute, not data-nonce="..." or the like.
_HAS_NONCE = re.compile(r"(?:^|\s)nonce\s*=", re.I)


def get_csp_nonce(request: HttpRequest | None) -> str | None:
    """The request's CSP nonce: Django 6's CSP middleware, or django-csp's attribute.

    Both middlewares hand out a lazy nonce that is falsy until it is read, and put
    it in the Content-Security-Policy header only if it was read. So test for its
    presence, not its truth; reading it here is what puts it in the header.
    """
    if request is None:
        return None
    # Django >= 6.0: ContentSecurityPolicyMiddleware sets request._csp_nonce (a
    # LazyNonce); django-csp >= 4 sets request.csp_nonce and caches the value in
    # request._csp_nonce once it is read.
    nonce = getattr(request, "_csp_nonce", None)
    if nonce is None:
        nonce = getattr(request, "csp_nonce", None)
    if nonce is None:
        return None
    return str(nonce) or None


def normalise_attrs(attrs: Mapping[str, Any], *, where: str) -> tuple[tuple[str, Any], ...]:
    """Keyword attributes as HTML ones (``data_id=1`` gives ``data-id="1"``)."""
    result = []
    for raw_name, value in attrs.items():
        # Python keywords are passed as async_=True; data_x=1 means data-x="1".
        name = raw_name.rstrip("_").replace("_", "-")
        if not _ATTR_NAME.match(name):
            raise ValueError(
                f"{where}: {raw_name!r} is not a valid HTML attribute name. Use letters, "
                "digits, '-', ':' and '.' (in Python, data_id=1 gives data-id=\"1\")."
            )
        if value is None or value is False:
            continue
        # Stored as text: items are compared, cached (pickled) and rendered later.
        result.append((name, True if value is True else str(value)))
    return tuple(result)


def _render_attrs(attrs: tuple[tuple[str, Any], ...], nonce: str | None) -> str:
    parts = []
    for name, value in attrs:
        parts.append(f" {name}" if value is True else f' {name}="{escape(value)}"')
    if nonce and not any(name == "nonce" for name, _ in attrs):
        parts.append(f' nonce="{escape(nonce)}"')
    return "".join(parts)


def _nonce_attr(nonce: str | None, raw_attrs: str) -> str:
    # A nonce the template author wrote into the tag wins.
    if not nonce or _HAS_NONCE.search(raw_attrs):
        return ""
    return f' nonce="{escape(nonce)}"'


@dataclass(frozen=True)
class Script:
    """An external script; two with the same ``src`` load once (the first one's attributes)."""

    src: str
    attrs: tuple[tuple[str, Any], ...] = ()

    @property
    def key(self) -> tuple[str, ...]:
        return ("script", self.src)

    def render(self, nonce: str | None) -> str:
        return f'<script src="{escape(self.src)}"{_render_attrs(self.attrs, nonce)}></script>'


@dataclass(frozen=True)
class InlineScript:
    """An inline ``<script>`` block; compared after ``.strip()``."""

    code: str
    raw_attrs: str = ""  # from a <script ...> the template author wrote: trusted

    @property
    def key(self) -> tuple[str, ...]:
        return ("inline-script", self.raw_attrs.strip(), self.code.strip())

    def render(self, nonce: str | None) -> str:
        attrs = self.raw_attrs + _nonce_attr(nonce, self.raw_attrs)
        return f"<script{attrs}>{self.code.strip()}</script>"


@dataclass(frozen=True)
class Stylesheet:
    """A ``<link rel="stylesheet">``; one per ``href`` and ``media``."""

    href: str
    attrs: tuple[tuple[str, Any], ...] = ()

    @property
    def key(self) -> tuple[str, ...]:
        return ("stylesheet", self.href, str(dict(self.attrs).get("media", "")))

    def render(self, nonce: str | None) -> str:
        # rel="alternate stylesheet" (a switchable style) replaces the default rel.
        rel = dict(self.attrs).get("rel", "stylesheet")
        attrs = tuple((name, value) for name, value in self.attrs if name != "rel")
        return f'<link rel="{escape(rel)}" href="{escape(self.href)}"{_render_attrs(attrs, nonce)}>'


@dataclass(frozen=True)
class InlineStyle:
    """An inline ``<style>`` block; compared after ``.strip()``."""

    css: str
    raw_attrs: str = ""

    @property
    def key(self) -> tuple[str, ...]:
        return ("inline-style", self.raw_attrs.strip(), self.css.strip())

    def render(self, nonce: str | None) -> str:
        attrs = self.raw_attrs + _nonce_attr(nonce, self.raw_attrs)
        return f"<style{attrs}>{self.css.strip()}</style>"


@dataclass(frozen=True)
class Fragment:
    """Trusted HTML for a ``RenderQueue``; compared after ``.strip()``."""

    html: str

    @property
    def key(self) -> tuple[str, ...]:
        return ("html", self.html.strip())

    def render(self, nonce: str | None) -> str:
        return self.html.strip()


QueueItem = Script | InlineScript | Stylesheet | InlineStyle | Fragment
