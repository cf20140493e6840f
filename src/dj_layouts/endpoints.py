"""The panel endpoint (SPEC §16): one panel of one layout, at its own URL.

A panel is reached only through a signed, expiring reference
(``django.core.signing``) naming the layout, the panel, the page it was made on
and the layout context the page's panels saw, frozen. Only panels that opt in
(``Panel(load="lazy" | "visible" | "edge")`` or ``endpoint=True``) are rendered;
anything else -- an unknown layout or panel, a tampered or expired reference --
is a 404, logged, never a 500.

The panel renders through the page's own pipeline: ``JobFactory`` makes its panel
request (the visitor's own user and session), its cache and its queues; the
layout's executor runs it; ``Assembler`` handles its error. The same two shells
that drive pages drive it (``drive``: the endpoint is a sync view).

A form posted here reaches the panel view as the real POST (CSRF enforced by
Django's middleware): an htmx request gets the panel's response back to swap in
place, a plain browser a 303 back to the page (post/redirect/get).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from dj_layouts._utils import is_async_callable
from dj_layouts.assembly import Assembler
from dj_layouts.conf import get_settings
from dj_layouts.context import ContextBase, FrozenLayoutContext, KnownChanges, LayoutContext
from dj_layouts.drivers import drive
from dj_layouts.edge import PUBLIC_STRATEGIES, is_hole, warn_lost_cookies
from dj_layouts.executors import PanelExecutor, SequentialExecutor
from dj_layouts.jobs import JobFactory
from dj_layouts.layout import Layout
from dj_layouts.page import Call, Collect, Start, Steps
from dj_layouts.panels import Panel
from dj_layouts.signing_cache import SigningCache, signing_keys
from dj_layouts.state import MAIN, LayoutState, get_layout_context, get_layout_state

logger = logging.getLogger("dj_layouts")

SALT = "dj_layouts.panel"
EDGE_SALT = "dj_layouts.panel.edge"
#: The URL name of the endpoint (``path("_panels/", include("dj_layouts.urls"))``).
URL_NAME = "dj_layouts:panel"

# One panel: nothing to run concurrently; sync panels keep the request's thread (and database
# connection), as under a sync page.
_DEFAULT_EXECUTOR = SequentialExecutor()


@dataclass(frozen=True)
class PanelReference:
    """What a signed reference names."""

    layout_class: type[Layout]
    panel: Panel
    changed: Mapping[str, Any]
    removed: tuple[str, ...]
    page_url: str

    def is_current(self) -> bool:
        """Whether the layout and the panel are still the ones registered under their names."""
        layout_class = self.layout_class
        return (
            Layout.registry.get(layout_class.key) is layout_class
            and layout_class.get_panels().get(self.panel.name or "") is self.panel
        )


#: What references named and when they were signed, once checked (``signing_cache.py``).
_verified: SigningCache[tuple[float | None, PanelReference]] = SigningCache()


# -- making references --------------------------------------------------------------------------
def _travelling(context: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The layout context as it travels in a reference, or a TypeError naming the key."""
    values = dict(context)
    try:
        json.dumps(values)
    except (TypeError, ValueError):
        for key, value in values.items():
            try:
                json.dumps(value)
            except (TypeError, ValueError) as exc:
                raise TypeError(
                    f"{where}: the layout context value {key!r} ({type(value).__name__}) "
                    "cannot travel in a panel URL, which carries only JSON values (str, "
                    "int, float, bool, None, lists and dicts of them). Put an id in the "
                    "layout context instead of the object, or render the panel "
                    "load='inline' without endpoint=True."
                ) from exc
        raise  # pragma: no cover -- a key that is not a str; json names it
    return values


def endpoint_panel(layout_class: type[Layout], name: str) -> Panel:
    """The layout's panel ``name``, which must opt in to the endpoint; else a ValueError."""
    panel = layout_class.get_panels().get(name)
    if panel is None:
        known = ", ".join(repr(n) for n in layout_class.get_panels()) or "none"
        raise ValueError(
            f"Layout {layout_class.key} has no panel {name!r} to give a URL to. "
            f"Its panels: {known}."
        )
    if not panel.endpoint and not is_hole(layout_class, panel):
        raise ValueError(
            f"Panel {name!r} of layout {layout_class.key} has no URL of its own. Declare it "
            "with Panel(..., endpoint=True), or load='lazy', 'visible' or 'edge'."
        )
    return panel


def panel_url(request: HttpRequest, name: str) -> str:
    """The signed URL of panel ``name`` of the page ``request`` belongs to.

    Works in the content view, the layout template and the panels of a page (a
    panel may give its own refresh URL). The reference carries what the content
    view wrote to the layout context, which must be JSON values; the endpoint
    rebuilds the rest (defaults, ``get_layout_context()``) for whoever fetches it.
    """
    state = get_layout_state(request)
    if state is None:
        raise ValueError(
            f"panel_url({name!r}) needs a request rendered by a layout. Call it from a "
            "view under @layout/@async_layout or a layout mixin, or from one of their panels."
        )
    layout_class = state.layout_class
    panel = endpoint_panel(layout_class, name)
    where = f"Panel {name!r} of layout {layout_class.key}"
    context = get_layout_context(request)
    if isinstance(state.base, (ContextBase, KnownChanges)):
        changed, removed = state.base.changes(context)
    else:  # a view under a layout without panel URLs that names one anyway
        changed, removed = dict(context), []
    payload = {
        "l": layout_class.key,
        "p": name,
        "c": _travelling(changed, where),
        "d": removed,
        "u": state.page_url or request.get_full_path(),
    }
    if panel.load == "edge":
        reference = _edge_reference(payload)
    else:
        reference = signing.dumps(payload, salt=SALT, compress=True)
    return _endpoint_url(reference)


def _edge_reference(payload: dict[str, Any]) -> str:
    """An edge panel's reference: the same page gets the same one, so the proxy can cache
    the panel. Edge panels are public (check E009), so it does not expire."""
    # What Signer.sign_object() signs: the same text gives the same reference.
    text = json.dumps(payload, separators=(",", ":"))
    reference = _edge_references.get(text)
    if reference is None:
        keys = signing_keys()
        reference = signing.Signer(salt=EDGE_SALT).sign_object(payload, compress=True)
        _edge_references.put(text, reference, keys)
    return reference


#: Edge references by the payload they sign (``signing_cache.py``).
_edge_references: SigningCache[str] = SigningCache()
# The endpoint's URL around a reference, by URLconf and script prefix: reverse() once.
_url_parts: dict[tuple[Any, str], tuple[str, str]] = {}
# The shape of a reference, for reversing the endpoint's URL pattern.
_SAMPLE_REFERENCE = "sample:reference"


def _endpoint_url(reference: str) -> str:
    # References hold only characters reverse() leaves as they are ([\w.:-]).
    where = (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    parts = _url_parts.get(where)
    if parts is None:
        sample = reverse(URL_NAME, kwargs={"reference": _SAMPLE_REFERENCE})
        prefix, _sample, suffix = sample.rpartition(_SAMPLE_REFERENCE)
        parts = _url_parts[where] = (prefix, suffix)
    return parts[0] + reference + parts[1]


@receiver(setting_changed)
def _forget_urls(*, setting: str, **kwargs: Any) -> None:
    if setting == "ROOT_URLCONF":
        _url_parts.clear()


# -- reading them -------------------------------------------------------------------------------
def _refuse(reason: str, *args: Any) -> Http404:
    logger.warning("Panel endpoint refused a reference: " + reason, *args)
    return Http404("No such panel.")


def read_reference(reference: str) -> PanelReference:
    """The panel a reference names, or ``Http404`` (logged) for anything else.

    A reference verified before comes from ``_verified`` (its age is checked again
    here); any other is verified in full and kept.
    """
    entry = _verified.get(reference)
    if entry is not None:
        timestamp, ref = entry
        if timestamp is not None and time.time() - timestamp > get_settings().PANEL_URL_MAX_AGE:
            _verified.discard(reference)
            raise _refuse("expired")
        if ref.is_current():
            return ref
        _verified.discard(reference)  # its layout was declared again: look it up again
    keys = signing_keys()
    ref, timestamp = _verify(reference)
    _verified.put(reference, (timestamp, ref), keys)
    return ref


def _verify(reference: str) -> tuple[PanelReference, float | None]:
    """What a reference names and when it was signed (``None``: an edge reference)."""
    edge = reference.count(":") == 1
    try:
        if edge:
            payload = signing.Signer(salt=EDGE_SALT).unsign_object(reference)
        else:
            max_age = get_settings().PANEL_URL_MAX_AGE
            payload = signing.loads(reference, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise _refuse("expired") from None
    except (signing.BadSignature, ValueError):
        raise _refuse("bad signature") from None
    try:
        key, name, page_url = payload["l"], payload["p"], payload["u"]
        # Frozen: a kept reference is shared by every request that presents it.
        changed, removed = FrozenLayoutContext(payload["c"]), tuple(payload["d"])
        layout_class = Layout.resolve(key)
        panel = endpoint_panel(layout_class, name)
    except (KeyError, TypeError, ValueError) as exc:
        # Signed by us, so only a layout changed since (a deploy) gets here.
        raise _refuse("%s", exc) from None
    if not url_has_allowed_host_and_scheme(page_url, allowed_hosts=None):
        raise _refuse("page URL %r is not a local path", page_url)
    if edge and panel.load != "edge":
        raise _refuse("a reference that does not expire names a panel that is not edge")
    # Signed with the payload, so as trustworthy as it once the signature checked out.
    timestamp = None if edge else float(signing.b62_decode(reference.rsplit(":", 2)[1]))
    return PanelReference(layout_class, panel, changed, removed, page_url), timestamp


# -- rendering ----------------------------------------------------------------------------------
class PanelRender:
    """One panel rendered for the endpoint: steps for the page drivers, like ``Page``."""

    def __init__(self, request: HttpRequest, ref: PanelReference, *, keep_post: bool) -> None:
        self.request = request
        self.ref = ref
        self.keep_post = keep_post
        self.executor: PanelExecutor = ref.layout_class.get_executor() or _DEFAULT_EXECUTOR
        self.assembler = Assembler(request, ref.layout_class, [ref.panel])
        self.queues = self.assembler.queues
        #: The status a posted form's view answered with, when it was not 200.
        self.status: int | None = None

    def context(self, extra: Mapping[str, Any] | None) -> LayoutContext:
        """The page's layout context rebuilt: defaults, ``get_layout_context()``, the view's."""
        ref = self.ref
        context = LayoutContext(ref.layout_class.initial_layout_context())
        context.update(extra or {})
        context.update(ref.changed)
        for key in ref.removed:
            context.pop(key, None)
        LayoutState(
            role=MAIN,
            layout_class=ref.layout_class,
            context=context,
            queues=self.queues,
            page_url=ref.page_url,
            # A panel that gives its own URL again carries the same changes.
            base=KnownChanges(ref.changed, list(ref.removed)),
        ).attach(self.request)
        return context

    def steps(self) -> Steps:
        ref = self.ref
        layout = self.assembler.layout
        extra = None
        if getattr(layout.get_layout_context, "__func__", None) is not Layout.get_layout_context:
            hook = layout.get_layout_context
            extra = yield Call(hook, (self.request,), awaits=is_async_callable(hook))
        context = self.context(extra)
        # No shared CSRF seed: one panel renders here, and its request's META hands a
        # secret it makes back to this request, whose middleware sets the cookie.
        factory = JobFactory(
            self.request, ref.layout_class, None, keep_post=self.keep_post, page_url=ref.page_url
        )
        _tasks, jobs = factory.jobs([(0, ref.panel)], context)
        if not jobs:  # a ConditionalPanel whose condition is false renders empty
            return ""
        yield Start(jobs)
        outcomes = yield Collect()
        error = outcomes[0].error
        if self.keep_post and error is not None and error.status_code is not None:
            # A form view that redirects after a good POST: post/redirect/get.
            self.status = error.status_code
            if 300 <= error.status_code < 400:
                return ""
        return self.assembler.panel_html(outcomes)[ref.panel.name or "?"] + self.late_items()

    def late_items(self) -> str:
        """The panel's queued scripts and styles, after its HTML; the loader runs each once."""
        if not self.queues.has_items():
            return ""
        return "".join(str(self.queues.render(name, self.request)) for name in self.queues)


def _wants_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def panel_view(request: HttpRequest, reference: str) -> HttpResponse:
    """The panel endpoint: GET renders the panel, POST hands it a form.

    A sync view: under WSGI it runs in the request's thread (an async view would pay
    for an event loop per request); under ASGI Django gives each request's sync code
    its own thread, and async panels run through the executor as on a sync page.
    """
    if request.method not in ("GET", "HEAD", "POST"):
        response = HttpResponse(status=405)
        response["Allow"] = "GET, HEAD, POST"
        return response
    ref = read_reference(reference)
    posted = request.method == "POST"
    render = PanelRender(request, ref, keep_post=posted)
    html = drive(render, _no_content)
    if posted and not _wants_htmx(request):
        return HttpResponseRedirect(ref.page_url, status=303)
    if render.status is not None and 300 <= render.status < 400:
        # htmx swaps the panel as it is now, after the form's change.
        render = PanelRender(request, ref, keep_post=False)
        html = drive(render, _no_content)
    if not posted:
        warn_lost_cookies(request, ref.layout_class, ref.panel)
    response = HttpResponse(html)
    # A new response: its headers are set, not merged (what patch_cache_control() and
    # patch_vary_headers() would write, for less).
    headers = response.headers
    headers["DJ-Panel"] = ref.panel.name or "?"
    cache = ref.panel.cache
    if not posted and cache is not None and cache.strategy in PUBLIC_STRATEGIES:
        # The same for every visitor: a proxy may keep it as long as the panel cache does.
        headers["Cache-Control"] = f"public, max-age={int(cache.timeout)}"
        headers["Vary"] = "HX-Request"
    else:
        headers["Cache-Control"] = "private, no-cache"
        headers["Vary"] = "Cookie, HX-Request"
    return response


def _no_content() -> None:  # pragma: no cover -- a panel render has no content view
    return None
