"""Every demo page, with the one line that says what it shows.

The home page lists these (by group, in this order), the demo app's layouts
show each page's own line, and the browser tests visit every entry. A new demo
page, in this app or another sandbox app, adds one ``Demo`` here. A page that
Wagtail serves is named by Wagtail's URL name and the page's path (``args``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from sandbox import wagtaildemo


@dataclass(frozen=True)
class Demo:
    url_name: str
    title: str
    summary: str
    group: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    args: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return reverse(self.url_name, args=self.args, kwargs=dict(self.kwargs))


LAYOUTS = "Layouts and panels"
VIEWS = "Views"
CONCURRENCY = "Concurrency"
QUEUES_ERRORS_CACHE = "Queues, errors and caching"
HTMX = "HTMX"
JINJA2 = "Jinja2"
WAGTAIL = "Wagtail"

DEMOS = [
    Demo(
        "demo:home",
        "dj-layouts sandbox",
        "Every demo page of this site, with what it shows in one line.",
        "",
    ),
    # -- layouts and panels ------------------------------------------------------
    Demo(
        "demo:sources",
        "Panel sources",
        "Every kind of panel source: URL names, literal HTML, templates, callables, "
        "class-based views, lists and empty panels.",
        LAYOUTS,
    ),
    Demo(
        "demo:inheritance",
        "Layout inheritance",
        "A layout subclass removes the sidebar (sidebar = None), replaces the footer "
        "and adds a banner panel.",
        LAYOUTS,
    ),
    Demo(
        "demo:context",
        "Layout context",
        "Defaults, then get_layout_context(), then the content view's writes; panels "
        "get a read-only copy.",
        LAYOUTS,
    ),
    Demo(
        "demo:overrides",
        "Per-view overrides (function view)",
        "@layout(..., panels={...}) replaces one panel, suppresses another with None "
        "and adds a new one.",
        LAYOUTS,
    ),
    Demo(
        "demo:overrides_class",
        "Per-view overrides (class-based view)",
        "LayoutMixin.layout_panels does the same as panels= on the decorator.",
        LAYOUTS,
    ),
    Demo(
        "demo:article",
        "Conditional panels: comments open",
        "ConditionalPanel renders the comments because article.allow_comments is true.",
        LAYOUTS,
        {"slug": "panels-in-parallel"},
    ),
    Demo(
        "demo:article",
        "Conditional panels: comments closed",
        "The same layout skips the comments panel entirely: article.allow_comments is false.",
        LAYOUTS,
        {"slug": "quiet-announcement"},
    ),
    Demo(
        "demo:partial",
        "Partial requests",
        "With ?_partial=1 (or an HTMX request) a layout view answers with its content only.",
        LAYOUTS,
    ),
    # -- views -----------------------------------------------------------------------
    Demo(
        "demo:sync_function",
        "Sync function view",
        "A plain def view under @layout; panels run one after another (SequentialExecutor).",
        VIEWS,
    ),
    Demo(
        "demo:async_function",
        "Async function view",
        "An async def view under @async_layout; panels run concurrently (GatherExecutor).",
        VIEWS,
    ),
    Demo(
        "demo:sync_class",
        "Sync class-based view",
        "A DetailView with LayoutMixin: the article is the content, the layout adds the rest.",
        VIEWS,
    ),
    Demo(
        "demo:async_class",
        "Async class-based view",
        "A View with AsyncLayoutMixin and an async get(); the ORM is queried asynchronously.",
        VIEWS,
    ),
    Demo(
        "demo:shortcut",
        "render_with_layout()",
        "A view that is not decorated renders a template as the content of a layout.",
        VIEWS,
    ),
    Demo(
        "demo:async_shortcut",
        "async_render_with_layout()",
        "The async twin: an async view renders a template inside a layout.",
        VIEWS,
    ),
    Demo(
        "demo:panel_only_page",
        "Panel-only views",
        "A @panel_only view renders as a panel here, and answers 403 when visited directly.",
        VIEWS,
    ),
    # -- concurrency -------------------------------------------------------------------
    Demo(
        "demo:dashboard",
        "Async dashboard",
        "Four panels that each wait 0.3 s (two sync, two async) finish together: the "
        "page costs its slowest panel.",
        CONCURRENCY,
    ),
    Demo(
        "demo:dashboard_sequential",
        "Dashboard, SequentialExecutor",
        "The same four panels one after another: the page costs the sum of its panels.",
        CONCURRENCY,
    ),
    Demo(
        "demo:dashboard_threaded",
        "Dashboard, ThreadedExecutor",
        "A sync class-based view gets concurrent panels from a thread pool of its own.",
        CONCURRENCY,
    ),
    Demo(
        "demo:eager",
        "Eager panels",
        "An eager panel starts with the content view: 0.3 s view + 0.3 s panel take about 0.3 s.",
        CONCURRENCY,
    ),
    Demo(
        "demo:eager_off",
        "Eager panels, switched off",
        "The same page with the panel not eager: it starts after the content view, "
        "about 0.6 s in all.",
        CONCURRENCY,
    ),
    Demo(
        "demo:streaming_ordered",
        "Streaming, ordered",
        "The page leaves in document order as its panels finish: the top at once, "
        "the rest as soon as the panels above it are done. No JavaScript.",
        CONCURRENCY,
    ),
    Demo(
        "demo:streaming_unordered",
        "Streaming, unordered",
        "The whole page leaves at once with fallbacks; each panel follows the moment it "
        "is ready (0.1 s, 0.6 s, 1.5 s) and slots into place.",
        CONCURRENCY,
    ),
    Demo(
        "demo:streaming_buffered",
        "Streaming, off",
        "The same layout buffered: nothing arrives until the slowest panel is done.",
        CONCURRENCY,
    ),
    Demo(
        "demo:timeouts",
        "Timeouts",
        "Panels that would take 3 s get 0.5 s and 0.8 s: the page is sent without "
        "them, with the error fallback in their slots.",
        CONCURRENCY,
    ),
    # -- queues, errors, caching ---------------------------------------------------------
    Demo(
        "demo:queues",
        "Render queues",
        "Three panels ask for the same script and the same stylesheet; each loads once, "
        "content view's items first.",
        QUEUES_ERRORS_CACHE,
    ),
    Demo(
        "demo:errors",
        "Error fallbacks",
        "Panels that raise, answer 404 or return the wrong type get the error template; "
        "the other panels render.",
        QUEUES_ERRORS_CACHE,
    ),
    Demo(
        "demo:errors_custom",
        "Custom error handling",
        'A layout\'s on_panel_error() picks per panel: its own message, or "" to show '
        "the template's fallback.",
        QUEUES_ERRORS_CACHE,
    ),
    Demo(
        "demo:cache",
        "Panel caching",
        'Cached panels keep their "rendered at" time across reloads; the uncached one '
        "changes every time.",
        QUEUES_ERRORS_CACHE,
    ),
    Demo(
        "demo:panel_urls",
        "Panels with their own URL",
        "A lazy panel, a visible-on-scroll panel, a refresh button and a form panel, "
        "fetched by dj-layouts' static script (no htmx).",
        QUEUES_ERRORS_CACHE,
    ),
    Demo(
        "demo:panel_urls_htmx",
        "Panels with their own URL, with htmx",
        "The same panels fetched, refreshed and posted by htmx; the form's answer is "
        "swapped in place.",
        QUEUES_ERRORS_CACHE,
    ),
    Demo(
        "demo:edge",
        "Edge pages (Varnish)",
        "A page Varnish may keep for 30 s while each visitor's greeting is fetched "
        "from Django on every visit; here, without Varnish, it renders whole.",
        QUEUES_ERRORS_CACHE,
    ),
    # -- HTMX (sandbox/htmxdemo, with its own layouts) ----------------------------------------
    Demo(
        "htmxdemo:store",
        "HTMX smart routing: the store",
        "Boosted links within one layout swap only #panel-content; a link to the docs "
        "layout swaps the whole body.",
        HTMX,
    ),
    Demo(
        "htmxdemo:docs",
        "HTMX smart routing: the docs",
        "A second layout with another structure: moving between it and the store swaps "
        "the body, and Back restores whole pages.",
        HTMX,
    ),
    # -- Jinja2 (sandbox/jinjademo, templates for Django's Jinja2 backend) --------------------
    Demo(
        "jinjademo:page",
        "Jinja2 templates",
        "Layout, content and panels written for the Jinja2 backend: slots and fallbacks, "
        "queues, hx headers and a CSRF-protected form in a panel.",
        JINJA2,
    ),
    Demo(
        "jinjademo:streamed",
        "Jinja2 templates, streamed",
        "The same Jinja2 layout streamed unordered: each panel fills its slot when ready.",
        JINJA2,
    ),
]

if wagtaildemo.ENABLED:
    # -- Wagtail (sandbox/wagtaildemo, a page tree that seed_demo builds) -----------------------
    DEMOS += [
        Demo(
            "wagtail_serve",
            "Wagtail: the site's root page",
            "A Wagtail SectionPage with WagtailLayoutMixin as the content; the sidebar "
            "lists the sections, a panel that reads the page tree.",
            WAGTAIL,
            args=("",),
        ),
        Demo(
            "wagtail_serve",
            "Wagtail: a section index",
            "A section lists its articles; its siblings are in the sidebar, a per-request "
            "async panel and a cached one are below.",
            WAGTAIL,
            args=("guides/",),
        ),
        Demo(
            "wagtail_serve",
            "Wagtail: an article page",
            "An ArticlePage in the same layout, run by a ThreadedExecutor; previews in the "
            "admin (/cms/) skip the layout.",
            WAGTAIL,
            args=("guides/panels-around-a-page/",),
        ),
    ]


def demo_for(request: HttpRequest) -> Demo | None:
    """The catalogue entry of the page ``request`` is for, if any."""
    match = request.resolver_match
    if match is None:
        return None
    for demo in DEMOS:
        if (demo.url_name, dict(demo.kwargs), demo.args) == (
            match.view_name,
            match.kwargs,
            tuple(match.args),
        ):
            return demo
    return None


def wagtail_home_url() -> str:
    """Where the Wagtail page tree starts, or "" when the sandbox has no Wagtail."""
    return reverse("wagtail_serve", args=("",)) if wagtaildemo.ENABLED else ""


def grouped() -> list[tuple[str, list[Demo]]]:
    """The demo pages by group, in catalogue order (without the home page)."""
    groups = dict.fromkeys(demo.group for demo in DEMOS if demo.group)
    return [(group, [demo for demo in DEMOS if demo.group == group]) for group in groups]
