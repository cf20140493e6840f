"""The sandbox's layouts, found at start-up by dj-layouts' autodiscovery of layouts.py.

They register as ``"sandbox.<ClassName>"`` (the first segment of the module path).
Most demo layouts use ``demo/layouts/slots.html``, which draws each panel listed
in the layout context's ``slots`` as a card: its name, its declaration, its HTML.
"""

from __future__ import annotations

import time
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest
from django.utils.html import format_html

from dj_layouts import (
    ConditionalPanel,
    GatherExecutor,
    Layout,
    Panel,
    PanelError,
    RenderQueue,
    ScriptQueue,
    SequentialExecutor,
    StyleQueue,
    ThreadedExecutor,
    cache,
    get_layout_context,
)
from sandbox.demo import panels
from sandbox.demo.catalog import demo_for, wagtail_home_url
from sandbox.demo.timing import Stopwatch


def page_facts(request: HttpRequest) -> str:
    """The sidebar: how the current page is built."""
    context = get_layout_context(request)
    names = ", ".join(context.get("declared_panels", ())) or "none"
    return format_html(
        '<div class="card facts"><h2>How this page is built</h2><dl>'
        "<dt>Layout</dt><dd><code>{}</code></dd>"
        "<dt>Content view</dt><dd>{}</dd>"
        "<dt>Executor</dt><dd>{}</dd>"
        "<dt>Panels declared</dt><dd>{}</dd></dl></div>",
        context.get("layout_name"),
        context.get("view_kind", "—"),
        context.get("executor_name"),
        names,
    )


def _executor_name(executor: Any, view: Any) -> str:
    if isinstance(executor, type):
        return executor.__name__
    if executor is not None:
        return repr(executor)
    # Decorated and class-based views carry their class; a plain function is itself.
    view_class = getattr(view, "view_class", None)
    is_async = view_class.view_is_async if view_class else iscoroutinefunction(view)
    if is_async:
        return "GatherExecutor (the default for async views)"
    return "SequentialExecutor (the default for sync views)"


class SiteLayout(Layout):
    """The base of every demo page: a header, the content, a sidebar and a footer."""

    template = "demo/layouts/site.html"
    layout_context_defaults = {"site_name": "dj-layouts sandbox", "slots": []}
    scripts = ScriptQueue()
    styles = StyleQueue()

    sidebar = Panel(page_facts)
    footer = Panel(
        "<p>dj-layouts sandbox · every region of this page is a panel · "
        '<a href="/">all demos</a></p>'
    )

    def get_layout_context(self, request: HttpRequest) -> dict[str, Any]:
        demo = demo_for(request)
        match = request.resolver_match
        view = match.func if match is not None else None
        return {
            # Content views replace this with a description of themselves.
            "view_kind": f"{getattr(view, '__module__', '?')}.{getattr(view, '__name__', '?')}",
            "demo": demo,
            "demo_title": demo.title if demo else "dj-layouts sandbox",
            "demo_summary": demo.summary if demo else "",
            "layout_name": type(self).__qualname__,
            "executor_name": _executor_name(type(self).executor, view),
            "declared_panels": list(type(self).get_panels()),
            "wagtail_home_url": wagtail_home_url(),
        }


class SlotsLayout(SiteLayout):
    """Base of the demo layouts that show their panels as labelled cards."""

    abstract = True
    template = "demo/layouts/slots.html"


class TimedLayout(SlotsLayout):
    """Puts a stopwatch in the layout context; the template shows when each panel ran."""

    abstract = True

    def get_layout_context(self, request: HttpRequest) -> dict[str, Any]:
        return {**super().get_layout_context(request), "stopwatch": Stopwatch()}


# -- layouts and panels -----------------------------------------------------------------


class SourcesLayout(SlotsLayout):
    layout_context_defaults = {
        **SiteLayout.layout_context_defaults,
        "slots": [
            ("by_url_name", 'Panel("demo:clock")', "A view, found by its namespaced URL name."),
            (
                "by_url_name_kwarg",
                'Panel(url_name="greeting", context={"name": "Ada"})',
                "A URL name without a namespace; context= becomes view kwargs.",
            ),
            (
                "with_url_args",
                'Panel("demo:article_card", context={"slug": "panels-in-parallel"})',
                "A URL that takes an argument, reversed with the panel context.",
            ),
            (
                "literal",
                'Panel("<p>Literal <strong>HTML</strong>, as is.</p>")',
                "A string without a colon is literal HTML.",
            ),
            (
                "literal_kw",
                'Panel(literal="<p>Note: literal= keeps even a colon literal.</p>")',
                "literal= is always HTML.",
            ),
            (
                "template_panel",
                'Panel(template="demo/panels/tip.html")',
                "A template, rendered with the layout context.",
            ),
            ("sync_callable", "Panel(server_facts, context={...})", "A sync callable."),
            ("async_callable", "Panel(async_quote)", "An async callable, awaited."),
            ("class_based", "Panel(LatestArticles)", "A class-based view (a ListView)."),
            (
                "joined",
                'Panel(["<span>literal</span>", "demo:clock", badge], join=" · ")',
                "A list: each item rendered on its own, joined in order.",
            ),
            ("empty", "Panel()", "An empty panel: the template's fallback shows."),
        ],
    }

    by_url_name = Panel("demo:clock")
    by_url_name_kwarg = Panel(url_name="greeting", context={"name": "Ada"})
    with_url_args = Panel("demo:article_card", context={"slug": "panels-in-parallel"})
    literal = Panel("<p>Literal <strong>HTML</strong>, as is.</p>")
    literal_kw = Panel(literal="<p>Note: literal= keeps even a colon literal.</p>")
    template_panel = Panel(template="demo/panels/tip.html")
    sync_callable = Panel(panels.server_facts, context={"flavour": "sync"})
    async_callable = Panel(panels.async_quote)
    class_based = Panel(panels.LatestArticles)
    joined = Panel(["<span>literal</span>", "demo:clock", panels.badge], join=" · ")
    empty = Panel()


class InheritedLayout(SlotsLayout):
    """A subclass: no sidebar, its own footer (same position), one more panel."""

    layout_context_defaults = {
        **SiteLayout.layout_context_defaults,
        "slots": [
            ("banner", 'banner = Panel("<p>…</p>")', "Added by the subclass."),
        ],
    }
    sidebar = None
    footer = Panel('<p>The subclass\'s own footer · <a href="/">all demos</a></p>')
    banner = Panel('<p class="banner">This banner panel exists only in the subclass.</p>')


class ContextLayout(SlotsLayout):
    layout_context_defaults = {
        **SiteLayout.layout_context_defaults,
        "colour": "grey (layout_context_defaults)",
        "greeting": "hello (layout_context_defaults)",
        "audience": "everyone (layout_context_defaults)",
        "slots": [
            (
                "context_report",
                "Panel(context_report)",
                "A panel reads the context, and fails to write it.",
            ),
        ],
    }
    context_report = Panel(panels.context_report)

    def get_layout_context(self, request: HttpRequest) -> dict[str, Any]:
        return {
            **super().get_layout_context(request),
            "greeting": "good day (get_layout_context)",
            "audience": "sandbox visitors (get_layout_context)",
        }


class OverridesLayout(SlotsLayout):
    layout_context_defaults = {
        **SiteLayout.layout_context_defaults,
        "slots": [
            ("weather", 'weather = Panel("<p>Layout\'s weather</p>")', "Replaced by the view."),
            ("ads", 'ads = Panel("<p>An advert</p>")', "Suppressed by the view (None)."),
            ("tips", "not declared on the layout", "Added by the view."),
        ],
    }
    weather = Panel("<p>The layout's own weather panel.</p>")
    ads = Panel('<p class="ad">Buy more panels!</p>')


class ArticleLayout(SlotsLayout):
    layout_context_defaults = {
        **SiteLayout.layout_context_defaults,
        "show_related": False,
        "slots": [
            (
                "comments",
                'ConditionalPanel(template=..., condition="article.allow_comments")',
                "A dotted lookup in the layout context.",
            ),
            (
                "related",
                "ConditionalPanel(..., condition=lambda ctx: ctx['show_related'])",
                "A callable; the view sets show_related from ?related=1.",
            ),
            (
                "beta",
                'ConditionalPanel("<p>…</p>", condition=False)',
                "A plain value: never renders.",
            ),
        ],
    }
    comments = ConditionalPanel(
        template="demo/panels/comments.html", condition="article.allow_comments"
    )
    related = ConditionalPanel(
        panels.LatestArticles, condition=lambda context: context["show_related"]
    )
    beta = ConditionalPanel('<p class="banner">Beta features!</p>', condition=False)


class ViewsLayout(SlotsLayout):
    layout_context_defaults = {
        **SiteLayout.layout_context_defaults,
        "slots": [
            ("request_facts", 'Panel("demo:request_facts")', "A sync panel view."),
            ("loop_facts", "Panel(loop_facts)", "An async panel callable."),
        ],
    }
    request_facts = Panel("demo:request_facts")
    loop_facts = Panel(panels.loop_facts)


# -- concurrency -------------------------------------------------------------------------

_DASHBOARD_SLOTS = [
    ("orders", 'Panel("demo:dash_orders")', "Sync view: time.sleep(0.3), then a query."),
    ("weather", 'Panel("demo:dash_weather")', "Async view: await asyncio.sleep(0.3)."),
    ("visitors", "Panel(dash_visitors)", "Sync callable: time.sleep(0.3)."),
    ("headlines", "Panel(dash_headlines)", "Async callable: asyncio.sleep(0.3), async ORM."),
]


class DashboardLayout(TimedLayout):
    """Four slow panels, two sync and two async; GatherExecutor is the async default."""

    layout_context_defaults = {**SiteLayout.layout_context_defaults, "slots": _DASHBOARD_SLOTS}
    orders = Panel("demo:dash_orders")
    weather = Panel("demo:dash_weather")
    visitors = Panel(panels.dash_visitors)
    headlines = Panel(panels.dash_headlines)


class SequentialDashboardLayout(DashboardLayout):
    executor = SequentialExecutor


class ThreadedDashboardLayout(DashboardLayout):
    executor = ThreadedExecutor(max_workers=8)


class EagerLayout(TimedLayout):
    executor = GatherExecutor
    layout_context_defaults = {
        **SiteLayout.layout_context_defaults,
        "slots": [
            (
                "recommendations",
                "Panel(recommendations, eager=True)",
                "Starts with the content view, not after it.",
            ),
        ],
    }
    recommendations = Panel(panels.recommendations, eager=True)


class TimeoutsLayout(TimedLayout):
    panel_timeout = 0.8
    layout_context_defaults = {
        **SiteLayout.layout_context_defaults,
        "slots": [
            (
                "slow_async",
                "Panel(slow_async, timeout=0.5)",
                "An async panel of 3 s, cancelled at 0.5 s.",
            ),
            (
                "slow_sync",
                "Panel(slow_sync)  # panel_timeout = 0.8",
                "A sync panel of 3 s; the page stops waiting at 0.8 s.",
            ),
            ("quick", "Panel(quick)", "A fast panel, done in time."),
        ],
    }
    slow_async = Panel(panels.slow_async, timeout=0.5)
    slow_sync = Panel(panels.slow_sync)
    quick = Panel(panels.quick)


# -- queues, errors, caching ---------------------------------------------------------------


class QueuesLayout(SlotsLayout):
    template = "demo/layouts/queues.html"
    notes = RenderQueue()
    layout_context_defaults = {
        **SiteLayout.layout_context_defaults,
        "slots": [
            (
                "weather_widget",
                "Panel(weather_widget)",
                "add_script(), add_style(), add_inline_script(), add_to_queue().",
            ),
            ("stock_widget", 'Panel("demo:stock_widget")', "The same calls, from a view."),
            (
                "news_widget",
                'Panel(template="demo/panels/news_widget.html")',
                "{% addscript %}, {% addstyle %} and {% enqueue %} in a template.",
            ),
        ],
    }
    weather_widget = Panel(panels.weather_widget)
    stock_widget = Panel("demo:stock_widget")
    news_widget = Panel(template="demo/panels/news_widget.html")


_ERROR_SLOTS = [
    ("working", 'Panel("<p>…</p>")', "Renders: errors are isolated per panel."),
    ("broken", "Panel(broken)", "A callable that raises ValueError."),
    ("broken_view", 'Panel("demo:broken_view")', "A view that raises RuntimeError."),
    ("missing", 'Panel("demo:missing")', "A view that answers 404."),
    ("wrong_type", "Panel(wrong_type)", "A callable that returns an int."),
    ("blank", "Panel(blank)", 'A callable that returns "": the fallback shows.'),
    ("empty", "Panel()", "No source: the fallback shows."),
]


class ErrorsLayout(SlotsLayout):
    layout_context_defaults = {**SiteLayout.layout_context_defaults, "slots": _ERROR_SLOTS}
    working = Panel('<p class="ok">This panel is fine.</p>')
    broken = Panel(panels.broken)
    broken_view = Panel("demo:broken_view")
    missing = Panel("demo:missing")
    wrong_type = Panel(panels.wrong_type)
    blank = Panel(panels.blank)
    empty = Panel()


class CustomErrorsLayout(ErrorsLayout):
    """on_panel_error(): a message of our own for some panels, the fallback for the rest."""

    def on_panel_error(self, request: HttpRequest, error: PanelError) -> str:
        if error.panel_name in ("broken", "broken_view"):
            return format_html(
                '<div class="custom-error" role="alert">on_panel_error() says: '
                "the <b>{}</b> panel is taking a break.</div>",
                error.panel_name,
            )
        return ""  # the {% panel %} tag's fallback shows


class CacheLayout(SlotsLayout):
    layout_context_defaults = {
        **SiteLayout.layout_context_defaults,
        "slots": [
            (
                "sitewide",
                "Panel(rendered_at, cache=cache.sitewide(timeout=300))",
                "One entry for every visitor.",
            ),
            (
                "per_path",
                "Panel(rendered_at, cache=cache.per_path(timeout=300))",
                "One entry per URL path.",
            ),
            (
                "per_session",
                "Panel(rendered_for_session, cache=cache.per_session(timeout=300))",
                "One entry per session.",
            ),
            (
                "stale_while_revalidate",
                "Panel(rendered_at, cache=cache.sitewide(timeout=5, stale_ttl=300))",
                "After 5 s: served stale at once, refreshed in the background.",
            ),
            ("uncached", "Panel(rendered_at)", "Not cached: a new time on every load."),
        ],
    }
    sitewide = Panel(panels.rendered_at, cache=cache.sitewide(timeout=300))
    per_path = Panel(panels.rendered_at, cache=cache.per_path(timeout=300))
    per_session = Panel(panels.rendered_for_session, cache=cache.per_session(timeout=300))
    stale_while_revalidate = Panel(
        panels.rendered_at, cache=cache.sitewide(timeout=5, stale_ttl=300)
    )
    uncached = Panel(panels.rendered_at)


CACHED_PANELS = ("sitewide", "per_path", "per_session", "stale_while_revalidate")


class StreamingLayout(SlotsLayout):
    """Three panels of 0.1 s, 0.6 s and 1.5 s; the views pick how the page is sent."""

    streaming = "ordered"
    layout_context_defaults = {
        **SiteLayout.layout_context_defaults,
        "slots": [
            ("slow", "Panel(stream_slow)", "Ready after 1.5 s; first in the page."),
            ("fast", "Panel(stream_fast)", "Ready after 0.1 s."),
            ("medium", "Panel(stream_medium)", "Ready after 0.6 s."),
        ],
    }
    slow = Panel(panels.stream_slow)
    fast = Panel(panels.stream_fast)
    medium = Panel(panels.stream_medium)

    def get_layout_context(self, request: HttpRequest) -> dict[str, Any]:
        return {**super().get_layout_context(request), "started": time.monotonic()}


class PanelUrlsLayout(SlotsLayout):
    """Panels with their own URL: lazy, visible, refreshed and a form (docs/panel-urls.md)."""

    layout_context_defaults = {
        **SiteLayout.layout_context_defaults,
        "slots": [
            (
                "recommendations",
                'Panel(lazy_recommendations, load="lazy")',
                "Takes 0.5 s: the page arrives without it, then the browser fetches it.",
            ),
            (
                "clock",
                "Panel(refreshable_clock, endpoint=True)",
                "Rendered with the page; its button fetches it again from its URL.",
            ),
            (
                "guestbook",
                "Panel(guestbook, endpoint=True)",
                "Its form posts to the panel's own URL ({% panel_action %}).",
            ),
            (
                "reviews",
                'Panel(visible_reviews, load="visible")',
                "Fetched only when scrolled into view.",
            ),
        ],
    }
    recommendations = Panel(panels.lazy_recommendations, load="lazy")
    clock = Panel(panels.refreshable_clock, endpoint=True)
    guestbook = Panel(panels.guestbook, endpoint=True)
    reviews = Panel(panels.visible_reviews, load="visible")


class EdgeLayout(SlotsLayout):
    """A page an ESI proxy (Varnish) may keep for 30 s; the greeting is a hole."""

    edge_page_timeout = 30
    layout_context_defaults = {
        **SiteLayout.layout_context_defaults,
        "slots": [
            (
                "navigation",
                'Panel(edge_navigation, load="edge", cache=cache.sitewide(timeout=300))',
                "Behind Varnish: an <esi:include> Varnish keeps for 5 minutes.",
            ),
            (
                "greeting",
                "Panel(edge_greeting)",
                "The visitor's own. Behind Varnish: a hole, fetched from Django on every "
                "visit with the visitor's cookies.",
            ),
        ],
    }
    navigation = Panel(panels.edge_navigation, load="edge", cache=cache.sitewide(timeout=300))
    greeting = Panel(panels.edge_greeting)
