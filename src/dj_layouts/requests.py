"""Building a panel's own request from the main request."""

from __future__ import annotations

import threading
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


class CsrfSeed:
    """One CSRF secret for all the panels of a page, made only if a panel asks for it.

    Panels render at once; each minting its own secret would leave all but one of
    their forms with a token that does not match the cookie the page sets.
    """

    def __init__(self) -> None:
        self._value: str | None = None
        self._lock = threading.Lock()

    @property
    def value(self) -> str:
        with self._lock:
            if self._value is None:
                self._value = get_random_string(
                    CSRF_SECRET_LENGTH, allowed_chars=CSRF_ALLOWED_CHARS
                )
            return self._value


def csrf_seed(request: HttpRequest) -> CsrfSeed | None:
    """The page's shared CSRF seed, when the visitor has no CSRF cookie yet."""
    return None if "CSRF_COOKIE" in request.META else CsrfSeed()


class PanelMeta(dict[str, Any]):
    """A panel's own ``META``; CSRF cookie state still reaches the main request.

    A panel rendering ``{% csrf_token %}`` asks for the CSRF cookie to be set,
    and only the main request goes back through the middleware that sets it.
    """

    def __init__(self, main: dict[str, Any], seed: CsrfSeed | None = None) -> None:
        super().__init__(main)
        self.main = main
        self.seed = seed

    def _seeded(self, key: object) -> bool:
        if key != "CSRF_COOKIE" or self.seed is None or dict.__contains__(self, key):
            return False
        dict.__setitem__(self, "CSRF_COOKIE", self.seed.value)
        return True

    def __contains__(self, key: object) -> bool:
        return self._seeded(key) or dict.__contains__(self, key)

    def __getitem__(self, key: str) -> Any:
        self._seeded(key)
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        self._seeded(key)
        return dict.get(self, key, default)

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        if key in _CSRF_KEYS:
            # The cookie's value goes with the flag: the middleware reads both.
            for csrf_key in _CSRF_KEYS & self.keys():
                self.main[csrf_key] = dict.__getitem__(self, csrf_key)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value


def is_panel_request(request: HttpRequest) -> bool:
    return getattr(request, "layout_role", None) == PANEL


def make_panel_request(
    request: HttpRequest,
    *,
    panel_name: str,
    layout_context: FrozenLayoutContext,
    queues: QueueCollector,
    empty_post: QueryDict | None = None,
    csrf_seed: CsrfSeed | None = None,
) -> HttpRequest:
    """A GET copy of ``request`` for one panel.

    The copy shares what middleware attached (``user``, ``session``, ...) but has
    its own ``META``, ``COOKIES`` and attributes, so a panel cannot change the main
    request or another panel's. The main request's body is never parsed for it.
    ``empty_post`` lets the panels of one page share one immutable, empty ``POST``.
    """
    panel = object.__new__(type(request))
    attrs = request.__dict__.copy()
    meta = PanelMeta(request.META, csrf_seed)
    dict.__setitem__(meta, "REQUEST_METHOD", "GET")
    dict.__setitem__(meta, "CONTENT_LENGTH", "0")
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
