"""Panel views and panel callables: each renders one region of a demo page.

Views here are ordinary Django views: they return only their own fragment and
know nothing about the page around them. Several wait on purpose (``DELAY``) so
the concurrency demos have something to show.

Every panel view with a URL can also be visited on its own: it then renders its
fragment alone (reading the layout context with ``get_layout_context()``, which is
empty outside a layout), or, where it only makes sense inside a page, answers 403
through ``@panel_only``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.generic import ListView

from dj_layouts import (
    add_inline_script,
    add_script,
    add_style,
    add_to_queue,
    get_layout_context,
    panel_only,
)
from sandbox.demo.models import Article
from sandbox.demo.timing import stopwatch_of

#: How long each dashboard panel waits, in seconds.
DELAY = 0.3
#: How long the timeout demo's slow panels would take, in seconds.
SLOW = 3.0


def _timing(span: Any) -> str:
    return format_html(
        '<p class="timing">started <b>+{} ms</b>, finished <b>+{} ms</b> '
        '<span class="thread">on thread {}</span></p>',
        round(span.start_ms),
        round(span.end_ms),
        span.thread,
    )


def _now() -> str:
    return timezone.localtime().strftime("%H:%M:%S.%f")[:-3]


# -- panel sources page ---------------------------------------------------------------


def clock(request: HttpRequest) -> HttpResponse:
    """A sync view reached by its URL name."""
    return HttpResponse(format_html("<p>Server time: <time>{}</time></p>", _now()))


def greeting(request: HttpRequest, name: str = "stranger") -> HttpResponse:
    """Reached through a URL name without a namespace; ``name`` comes from the panel context."""
    return HttpResponse(format_html("<p>Hello, <b>{}</b>!</p>", name))


def article_card(request: HttpRequest, slug: str) -> HttpResponse:
    """A view whose URL takes an argument; the panel's context= supplies it."""
    article = get_object_or_404(Article, slug=slug)
    return HttpResponse(
        format_html(
            '<article class="mini"><h3>{}</h3><p>{}</p></article>', article.title, article.summary
        )
    )


def server_facts(request: HttpRequest, **context: Any) -> str:
    """A sync callable; a str is HTML, as an HttpResponse's content would be."""
    return format_html(
        "<p>A callable panel on thread <code>{}</code>; panel context: <code>{}</code>.</p>",
        threading.current_thread().name,
        context or "{}",
    )


async def async_quote(request: HttpRequest) -> HttpResponse:
    """An async callable: awaited directly, never put in a thread."""
    await asyncio.sleep(0)
    return HttpResponse(
        "<blockquote>Make each program do one thing well. "
        "<cite>The Unix philosophy</cite></blockquote>"
    )


class LatestArticles(ListView):  # type: ignore[type-arg]
    """A class-based view passed as the panel source itself: Panel(LatestArticles)."""

    model = Article
    template_name = "demo/panels/latest_articles.html"
    paginate_by = 3


def badge(request: HttpRequest) -> str:
    return '<span class="badge">callable</span>'


def context_report(request: HttpRequest) -> str:
    """Reads the layout context, then tries to write it: panels get a read-only copy."""
    context = get_layout_context(request)
    try:
        context["greeting"] = "changed by a panel"  # type: ignore[index]  # the demo: it fails
        write = "the write went through (it should not have)"
    except TypeError as exc:
        write = f"TypeError: {exc}"
    return render_to_string(
        "demo/panels/context_report.html",
        {
            "rows": [(key, context.get(key)) for key in ("colour", "greeting", "audience")],
            "write": write,
            "kind": type(context).__name__,
        },
    )


# -- views page -------------------------------------------------------------------------


def request_facts(request: HttpRequest) -> HttpResponse:
    """What a panel's own request looks like."""
    return HttpResponse(
        render_to_string(
            "demo/panels/request_facts.html",
            {
                "role": getattr(request, "layout_role", None),
                "thread": threading.current_thread().name,
                # Empty outside a layout: the view also renders when visited directly.
                "view_kind": get_layout_context(request).get("view_kind"),
            },
            request,
        )
    )


async def loop_facts(request: HttpRequest) -> str:
    task = asyncio.current_task()
    return format_html(
        "<p>An async panel on the event loop, in task <code>{}</code> "
        "(thread <code>{}</code>).</p>",
        task.get_name() if task is not None else "none",
        threading.current_thread().name,
    )


@panel_only
def members_only(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        '<p class="ok">This came from a <code>@panel_only</code> view. Visited directly, '
        "it answers 403.</p>"
    )


# -- dashboard (4 panels x DELAY) ---------------------------------------------------------


def dash_orders(request: HttpRequest) -> HttpResponse:
    """Sync view: a blocking wait, then a database query, in a worker thread."""
    with stopwatch_of(request).measure("orders", "sync view") as timing:
        time.sleep(DELAY)
        count = Article.objects.count()
    return HttpResponse(
        format_html(
            '<p class="metric">{}</p><p>articles in the database</p>{}',
            count,
            _timing(timing["span"]),
        )
    )


async def dash_weather(request: HttpRequest) -> HttpResponse:
    """Async view: awaits on the event loop."""
    with stopwatch_of(request).measure("weather", "async view") as timing:
        await asyncio.sleep(DELAY)
    return HttpResponse(
        format_html('<p class="metric">21 °C</p><p>and sunny</p>{}', _timing(timing["span"]))
    )


def dash_visitors(request: HttpRequest) -> str:
    """Sync callable: a blocking wait."""
    with stopwatch_of(request).measure("visitors", "sync callable") as timing:
        time.sleep(DELAY)
    return format_html(
        '<p class="metric">1,204</p><p>visitors today</p>{}', _timing(timing["span"])
    )


async def dash_headlines(request: HttpRequest) -> str:
    """Async callable: an async wait, then the async ORM."""
    with stopwatch_of(request).measure("headlines", "async callable") as timing:
        await asyncio.sleep(DELAY)
        titles = [article.title async for article in Article.objects.all()[:3]]
    items = format_html_join("", "<li>{}</li>", ((title,) for title in titles))
    return format_html('<ul class="plain">{}</ul>{}', items, _timing(timing["span"]))


async def recommendations(request: HttpRequest) -> str:
    """The eager demo's panel: as slow as the content view."""
    with stopwatch_of(request).measure("recommendations", "async callable") as timing:
        await asyncio.sleep(DELAY)
    return format_html(
        "<p>Readers of this page also liked <em>Panels in parallel</em>.</p>{}",
        _timing(timing["span"]),
    )


# -- timeouts ------------------------------------------------------------------------------


async def slow_async(request: HttpRequest) -> str:
    # Timed like the others, so the timeline shows where the timeout cut it off.
    with stopwatch_of(request).measure("slow_async", "async callable"):
        await asyncio.sleep(SLOW)
    return "<p>The slow async panel finished (it should have been cut off).</p>"


def slow_sync(request: HttpRequest) -> str:
    # A thread cannot be stopped: the timeline shows it still running when the page is drawn.
    with stopwatch_of(request).measure("slow_sync", "sync callable"):
        time.sleep(SLOW)
    return "<p>The slow sync panel finished (it should have been cut off).</p>"


async def quick(request: HttpRequest) -> str:
    with stopwatch_of(request).measure("quick", "async callable") as timing:
        await asyncio.sleep(0.05)
    return format_html("<p>Done in time.</p>{}", _timing(timing["span"]))


# -- render queues ----------------------------------------------------------------------------

COUNTER_INLINE = "window.demoInlineRuns = (window.demoInlineRuns || 0) + 1;"
SHARED_NOTE = "<li>Both widgets queued this note; it appears once.</li>"


def _queue_shared(request: HttpRequest) -> None:
    add_script(request, static("demo/counter.js"))
    add_style(request, static("demo/widgets.css"))
    add_inline_script(request, COUNTER_INLINE)
    add_to_queue(request, "notes", SHARED_NOTE)


def weather_widget(request: HttpRequest) -> str:
    """A callable that queues the shared script, stylesheet, inline script and note."""
    _queue_shared(request)
    add_to_queue(request, "notes", "<li>The weather widget says hello.</li>")
    return '<div class="widget">Weather widget: <b>21 °C</b></div>'


@panel_only
def stock_widget(request: HttpRequest) -> HttpResponse:
    """A view that queues exactly the same items (on a page: on its own it answers 403)."""
    _queue_shared(request)
    return HttpResponse('<div class="widget">Stock widget: <b>ACME +2.1 %</b></div>')


# -- errors ------------------------------------------------------------------------------------


def broken(request: HttpRequest) -> str:
    raise ValueError("Database password is hunter2")  # must never reach a visitor


@panel_only
def broken_view(request: HttpRequest) -> HttpResponse:
    """Crashes as a panel, to show the error fallback; visited on its own it answers 403."""
    raise RuntimeError("A view that crashes")


def missing(request: HttpRequest) -> HttpResponse:
    return HttpResponseNotFound("<p>Not here</p>")


def wrong_type(request: HttpRequest) -> Any:
    return 42


def blank(request: HttpRequest) -> str:
    return ""


# -- edge pages ----------------------------------------------------------------------------------


def edge_navigation(request: HttpRequest) -> str:
    """The same for everyone: cached sitewide and, behind Varnish, kept there."""
    return format_html(
        '<nav class="edge-nav"><a href="/">All demos</a> · <a href="/panel-urls/">Panel URLs</a>'
        ' · <a href="/cache/">Caching</a></nav>{}',
        rendered_at(request),
    )


def edge_greeting(request: HttpRequest) -> str:
    """The visitor's own: a hole of the kept page, rendered on every visit."""
    user = request.user
    name = user.get_username() if user.is_authenticated else "visitor"
    return format_html(
        '<p class="edge-greeting">Hello, <strong>{}</strong>.</p>{}', name, rendered_at(request)
    )


# -- caching -------------------------------------------------------------------------------------


def rendered_at(request: HttpRequest) -> str:
    """A timestamp: a cached panel keeps showing the time it was first rendered."""
    return format_html('<p>Rendered at <time class="rendered-at">{}</time></p>', _now())


def rendered_for_session(request: HttpRequest) -> str:
    """``rendered_at``, saying so when it is the entry every visitor without a session shares."""
    html = rendered_at(request)
    if request.session.session_key is not None:
        return html
    return format_html(
        '{}<p class="note" id="no-session-note">You have no session yet, so this is the shared '
        '"no session" entry: its time may be another visitor\'s. From your next visit on, '
        "you get an entry of your own.</p>",
        html,
    )


# -- streaming ----------------------------------------------------------------------------

#: How long each streaming demo panel takes, in seconds.
STREAM_DELAYS = {"fast": 0.1, "medium": 0.6, "slow": 1.5}


def _streamed(name: str) -> Any:
    async def panel(request: HttpRequest) -> str:
        await asyncio.sleep(STREAM_DELAYS[name])
        started = get_layout_context(request)["started"]
        return format_html(
            '<p class="streamed" data-panel="{}">Ready after {} s.</p>'
            '<p class="timing">sent at +{} ms</p>',
            name,
            STREAM_DELAYS[name],
            round((time.monotonic() - started) * 1000),
        )

    panel.__name__ = panel.__qualname__ = f"stream_{name}"
    return panel


stream_fast = _streamed("fast")
stream_medium = _streamed("medium")
stream_slow = _streamed("slow")


# -- panels with their own URL -----------------------------------------------------------------
#: How long the lazy panel takes: the page does not wait for it.
LAZY_DELAY = 0.5


def lazy_recommendations(request: HttpRequest) -> str:
    """Slow, so it is load="lazy": the page arrives without it, the browser fetches it."""
    time.sleep(LAZY_DELAY)
    # Late panels' queue items reach the page once: this one is new, the other one the
    # clock panel already put there.
    add_script(request, static("demo/lazy-arrived.js"))
    add_script(request, static("demo/panel-refresh.js"), defer=True)
    return format_html(
        '<ul class="recommendations"><li>Panels in parallel</li><li>Streaming pages</li></ul>'
        '<p class="lazy-rendered">Rendered at <time>{}</time></p>',
        _now(),
    )


def visible_reviews(request: HttpRequest) -> str:
    """load="visible": fetched only when its card scrolls into view."""
    return format_html('<p class="reviews">★★★★★ “Fast pages.” · rendered at {}</p>', _now())


def refreshable_clock(request: HttpRequest) -> HttpResponse:
    """endpoint=True: rendered with the page, and again when its button asks."""
    add_script(request, static("demo/panel-refresh.js"), defer=True)
    return HttpResponse(render_to_string("demo/panels/clock.html", {"now": _now()}, request))


def guestbook(request: HttpRequest) -> HttpResponse:
    """A form in a panel: it posts to the panel's own URL ({% panel_action %})."""
    names = request.session.get("guestbook", [])
    if request.method == "POST":
        name = request.POST.get("name", "").strip()[:40]
        if name:
            request.session["guestbook"] = [*names, name]
        return HttpResponseRedirect("/")  # post/redirect/get: the endpoint takes it from here
    return HttpResponse(render_to_string("demo/panels/guestbook.html", {"names": names}, request))
