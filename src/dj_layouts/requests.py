"""Building a panel's own request from the main request."""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, QueryDict
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.utils.crypto import get_random_string
from django.utils.datastructures import MultiValueDict

from dj_layouts.context import FrozenLayoutContext

if TYPE_CHECKING:
    from dj_layouts.queues import QueueCollector

MAIN = "main"
PANEL = "panel"


# What CsrfViewMiddleware reads back from the request to set the CSRF cookie.
_CSRF_KEYS = frozenset({"CSRF_COOKIE", "CSRF_COOKIE_NEEDS_UPDATE"})


class PanelMeta(dict[str, Any]):
    """A panel's own ``META``; CSRF cookie state still reaches the main request.

    A panel rendering ``{% csrf_token %}`` asks for the CSRF cookie to be set,
    and only the main request goes back through the middleware that sets it.
    """

    def __init__(self, main: dict[str, Any]) -> None:
        super().__init__(main)
        self.main = main

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        if key in _CSRF_KEYS:
            # The cookie's value goes with the flag: the middleware reads both.
            for csrf_key in _CSRF_KEYS & self.keys():
                self.main[csrf_key] = dict.__getitem__(self, csrf_key)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value


def csrf_seed(request: HttpRequest) -> str | None:
    """A CSRF secret the panels of one page share when the visitor has none yet.

    Panels render at once; each minting its own secret would leave all but one of
    their forms with a token that does not match the cookie the page sets.
    """
    if "CSRF_COOKIE" in request.META:
        return None
    return get_random_string(CSRF_SECRET_LENGTH, allowed_chars=CSRF_ALLOWED_CHARS)


def is_panel_request(request: HttpRequest) -> bool:
    return getattr(request, "layout_role", None) == PANEL


def make_panel_request(
    request: HttpRequest,
    *,
    panel_name: str,
    layout_context: FrozenLayoutContext,
    queues: QueueCollector,
    empty_post: QueryDict | None = None,
    csrf_secret: str | None = None,
) -> HttpRequest:
    """A GET copy of ``request`` for one panel.

    The copy shares what middleware attached (``user``, ``session``, ...) but has
    its own ``META``, ``COOKIES`` and attributes, so a panel cannot change the main
    request or another panel's. The main request's body is never parsed for it.
    ``empty_post`` lets the panels of one page share one immutable, empty ``POST``.
    """
    panel = object.__new__(type(request))
    attrs = request.__dict__.copy()
    meta = PanelMeta(request.META)
    dict.__setitem__(meta, "REQUEST_METHOD", "GET")
    dict.__setitem__(meta, "CONTENT_LENGTH", "0")
    if csrf_secret is not None:
        # Not sent unless a panel uses it: get_token() then flags it for the cookie.
        dict.__setitem__(meta, "CSRF_COOKIE", csrf_secret)
    attrs.update(
        method="GET",
        META=meta,
        environ=meta,  # WSGIRequest.environ is META itself
        COOKIES=dict(request.COOKIES),
        _post=QueryDict() if empty_post is None else empty_post,
        _files=MultiValueDict(),
        _body=b"",
        _stream=BytesIO(),
        _read_started=False,
        layout_role=PANEL,
        layout_panel_name=panel_name,
        is_layout_partial=False,
        layout_context=layout_context,
        layout_queues=queues,
    )
    panel.__dict__ = attrs
    return panel
