"""What a panel's request shares with its page, written in one place (SPEC §5).

Each panel gets its own copy of the main request (``make_panel_request``): method
``GET``, empty ``POST`` and ``FILES`` (the main request's body is never parsed for
it), its own ``META``, ``COOKIES`` and attributes, its own ``LayoutState`` with the
read-only layout context and an empty queue collector. A panel cannot change the
main request or another panel's. What it does share:

- ``user`` and ``session``: the same objects as the page's. Before panels run at
  the same time, ``resolve_shared`` loads both once, so concurrent panels never
  race to load them: a session loaded twice would keep only one panel's writes.
  Writes to the loaded session go to one dict and are all saved with the page.
- ``django.contrib.messages``: the page's message storage; messages a panel adds
  are stored with the page's response.
- The CSRF secret: a page has **one**, made by whoever asks first (the content
  view, an eager panel or a panel), so every form on the page posts with a valid
  token. ``share_csrf`` arranges it before anything runs; a streamed page whose
  headers leave before the panels render decides the cookie up front
  (``issue_csrf_cookie``).
- Everything else middleware attached (``resolver_match``, ``htmx``, ...), by
  reference.
"""

from __future__ import annotations

import threading
from io import BytesIO
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest, QueryDict
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.utils.crypto import get_random_string
from django.utils.datastructures import MultiValueDict
from django.utils.functional import LazyObject, empty

from dj_layouts.state import PANEL, LayoutState, get_layout_state

if TYPE_CHECKING:
    from collections.abc import Mapping

    from dj_layouts.layout import Layout
    from dj_layouts.queues import QueueCollector

# What CsrfViewMiddleware reads back from the request to set the CSRF cookie.
_CSRF_COOKIE = "CSRF_COOKIE"
_CSRF_KEYS = frozenset({_CSRF_COOKIE, "CSRF_COOKIE_NEEDS_UPDATE"})
_CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware"


class CsrfSeed:
    """The page's one CSRF secret, made the first time anyone asks for it."""

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


class _SeededMeta(dict[str, Any]):
    """A ``META`` whose missing CSRF secret is taken from the page's seed when first read.

    Django's ``get_token()`` asks ``"CSRF_COOKIE" in request.META`` before minting
    a secret of its own; answering from the shared seed there is what makes the
    content view, eager panels and panels agree on one secret.
    """

    seed: CsrfSeed | None = None

    def _seeded(self, key: object) -> bool:
        if key != _CSRF_COOKIE or self.seed is None or dict.__contains__(self, key):
            return False
        dict.__setitem__(self, _CSRF_COOKIE, self.seed.value)
        return True

    def __contains__(self, key: object) -> bool:
        return self._seeded(key) or dict.__contains__(self, key)

    def __getitem__(self, key: str) -> Any:
        self._seeded(key)
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        self._seeded(key)
        return dict.get(self, key, default)


class _MainMeta(_SeededMeta):
    """The main request's ``META`` on a page whose visitor has no CSRF cookie yet."""

    def __init__(self, meta: Mapping[str, Any], seed: CsrfSeed) -> None:
        super().__init__(meta)
        self.seed = seed


class PanelMeta(_SeededMeta):
    """A panel's own ``META``; CSRF cookie state still reaches the main request.

    A panel rendering ``{% csrf_token %}`` asks for the CSRF cookie to be set,
    and only the main request goes back through the middleware that sets it.
    """

    def __init__(self, main: dict[str, Any], seed: CsrfSeed | None = None) -> None:
        super().__init__(main)
        self.main = main
        self.seed = seed

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        if key in _CSRF_KEYS:
            # The cookie's value goes with the flag: the middleware reads both.
            for csrf_key in _CSRF_KEYS & self.keys():
                dict.__setitem__(self.main, csrf_key, dict.__getitem__(self, csrf_key))

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value


def share_csrf(request: HttpRequest) -> CsrfSeed | None:
    """Give the page one CSRF secret, made lazily by whoever asks first.

    Call before the content view or any panel runs. A visitor who already has
    the cookie needs nothing (the middleware put the secret in ``META``).
    """
    if _CSRF_COOKIE in request.META:
        return None
    seed = CsrfSeed()
    meta = _MainMeta(request.META, seed)
    request.META = meta
    if "environ" in request.__dict__:
        request.__dict__["environ"] = meta  # WSGIRequest keeps both
    return seed


def issue_csrf_cookie(request: HttpRequest) -> None:
    """Decide the CSRF cookie now, for a page whose headers leave before its panels render.

    Costs a ``Set-Cookie`` (and ``Vary: Cookie``) on a streamed page's first visit
    when the project uses ``CsrfViewMiddleware``; without it, nothing.
    """
    if _CSRF_MIDDLEWARE in settings.MIDDLEWARE and not getattr(
        settings, "CSRF_USE_SESSIONS", False
    ):
        get_token(request)


def shared_unresolved(request: HttpRequest) -> bool:
    """Whether ``resolve_shared()`` has work: a user or a session not loaded yet."""
    user = request.__dict__.get("user")
    if isinstance(user, LazyObject) and user._wrapped is empty:
        return True
    session = request.__dict__.get("session")
    # SessionBase holds what it loaded in _session_cache; another store may not say.
    return (
        session is not None and hasattr(session, "keys") and not hasattr(session, "_session_cache")
    )


def resolve_shared(request: HttpRequest) -> None:
    """Load the user and the session once, before panels run at the same time."""
    user = request.__dict__.get("user")
    if user is not None:
        # A SimpleLazyObject: evaluating it here keeps panels from each querying.
        getattr(user, "is_authenticated", None)
    session = request.__dict__.get("session")
    if session is not None and hasattr(session, "keys"):
        session.keys()  # loads the session: panels then write into one dict


def make_panel_request(
    request: HttpRequest,
    *,
    layout_class: type[Layout],
    panel_name: str,
    layout_context: Mapping[str, Any],
    queues: QueueCollector,
    empty_post: QueryDict | None = None,
    csrf_seed: CsrfSeed | None = None,
    keep_post: bool = False,
    page_url: str | None = None,
) -> HttpRequest:
    """A GET copy of ``request`` for one panel (see the module docstring).

    ``keep_post`` is the one exception (SPEC §16): a form posted to the panel endpoint
    reaches the panel view as the POST it is, body, files and all.
    """
    panel = object.__new__(type(request))
    if keep_post:
        request.POST  # noqa: B018 -- parsed once, here, so the copy shares it
    attrs = request.__dict__.copy()
    meta = PanelMeta(request.META, csrf_seed)
    attrs.update(
        META=meta,
        environ=meta,  # WSGIRequest.environ is META itself
        COOKIES=dict(request.COOKIES),
        dj_layouts_force_full=False,
    )
    if not keep_post:
        dict.__setitem__(meta, "REQUEST_METHOD", "GET")
        dict.__setitem__(meta, "CONTENT_LENGTH", "0")
        attrs.update(
            method="GET",
            _post=QueryDict() if empty_post is None else empty_post,
            _files=MultiValueDict(),
            _body=b"",
            _stream=BytesIO(),
            _read_started=False,
        )
    panel.__dict__ = attrs
    main = get_layout_state(request)
    LayoutState(
        role=PANEL,
        layout_class=layout_class,
        context=layout_context,
        queues=queues,
        panel_name=panel_name,
        page_url=page_url,
        base=main.base if main is not None else None,
    ).attach(panel)
    return panel
