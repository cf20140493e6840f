"""The demo pages' content views: function and class-based, sync and async.

A content view returns only its own part of the page; the layout named in its
decorator or mixin adds the rest. ``view_kind`` in the layout context is shown
in each page's "How this page is built" box.
"""

from __future__ import annotations

import asyncio
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.test import RequestFactory
from django.urls import reverse
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, TemplateView

from dj_layouts import (
    AsyncLayoutMixin,
    LayoutMixin,
    Panel,
    add_script,
    async_layout,
    async_render_with_layout,
    cache,
    layout,
    render_with_layout,
    resolve_panel_source,
)
from sandbox.demo import layouts, panels
from sandbox.demo.catalog import DEMOS, grouped
from sandbox.demo.models import Article
from sandbox.demo.timing import stopwatch_of


def _kind(request: HttpRequest, kind: str) -> None:
    request.layout_context["view_kind"] = kind  # type: ignore[attr-defined]


def home(request: HttpRequest) -> HttpResponse:
    return render_with_layout(
        request,
        layouts.SiteLayout,
        "demo/pages/home.html",
        {"groups": grouped(), "count": len(DEMOS) - 1},
    )


# -- layouts and panels ----------------------------------------------------------------


class SourcesView(LayoutMixin, TemplateView):
    layout_class = layouts.SourcesLayout
    template_name = "demo/pages/sources.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        _kind(self.request, "sync class-based view (LayoutMixin + TemplateView)")
        # resolve_panel_source() renders one source outside the layout, as a panel would.
        clock = resolve_panel_source(self.request, "demo:clock")
        return {**super().get_context_data(**kwargs), "clock": clock}


@layout(layouts.InheritedLayout)
def inheritance(request: HttpRequest) -> TemplateResponse:
    _kind(request, "sync function view (@layout)")
    return TemplateResponse(request, "demo/pages/inheritance.html")


@layout("sandbox.ContextLayout")  # a registry key works as well as the class
def context_demo(request: HttpRequest) -> TemplateResponse:
    _kind(request, "sync function view (@layout with a registry key)")
    request.layout_context["audience"] = "you (the content view)"  # type: ignore[attr-defined]
    return TemplateResponse(request, "demo/pages/context.html")


VIEW_OVERRIDES = {
    "weather": Panel("<p>The view's own weather: <b>sunny</b>.</p>"),
    "ads": None,
    "tips": Panel(template="demo/panels/tip.html"),
}


@layout(layouts.OverridesLayout, panels=VIEW_OVERRIDES)
def overrides(request: HttpRequest) -> TemplateResponse:
    _kind(request, "sync function view (@layout with panels=)")
    return TemplateResponse(request, "demo/pages/overrides.html", {"how": "panels="})


class OverridesView(LayoutMixin, TemplateView):
    layout_class = layouts.OverridesLayout
    layout_panels = VIEW_OVERRIDES
    template_name = "demo/pages/overrides.html"
    extra_context = {"how": "layout_panels"}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        _kind(self.request, "sync class-based view (LayoutMixin with layout_panels)")
        return super().get_context_data(**kwargs)


@layout(layouts.ArticleLayout)
def article(request: HttpRequest, slug: str) -> TemplateResponse:
    item = get_object_or_404(Article, slug=slug)
    context = request.layout_context  # type: ignore[attr-defined]
    context["article"] = item
    context["show_related"] = request.GET.get("related") == "1"
    _kind(request, "sync function view (@layout); it sets article and show_related")
    others = Article.objects.exclude(pk=item.pk)
    return TemplateResponse(request, "demo/pages/article.html", {"article": item, "others": others})


@layout(layouts.SiteLayout)
def partial(request: HttpRequest) -> TemplateResponse:
    _kind(request, "sync function view (@layout)")
    return TemplateResponse(
        request,
        "demo/pages/partial.html",
        {"partial": request.is_layout_partial},  # type: ignore[attr-defined]
    )


# -- views --------------------------------------------------------------------------------


@layout(layouts.ViewsLayout)
def sync_function(request: HttpRequest) -> TemplateResponse:
    _kind(request, "sync function view (@layout)")
    return TemplateResponse(request, "demo/pages/view_kind.html", {"code": "@layout\ndef ..."})


@async_layout(layouts.ViewsLayout)
async def async_function(request: HttpRequest) -> TemplateResponse:
    _kind(request, "async function view (@async_layout)")
    count = await Article.objects.acount()
    return TemplateResponse(
        request,
        "demo/pages/view_kind.html",
        {"code": "@async_layout\nasync def ...", "count": count},
    )


class SyncArticleView(LayoutMixin, DetailView):  # type: ignore[type-arg]
    layout_class = layouts.ViewsLayout
    model = Article
    template_name = "demo/pages/sync_class.html"

    def get_object(self, queryset: Any = None) -> Article:
        _kind(self.request, "sync class-based view (LayoutMixin + DetailView)")
        return Article.objects.order_by("-published").first() or Article(title="No data")


class AsyncArticlesView(AsyncLayoutMixin, View):
    layout_class = layouts.ViewsLayout

    async def get(self, request: HttpRequest) -> TemplateResponse:
        _kind(request, "async class-based view (AsyncLayoutMixin, async def get)")
        articles = [item async for item in Article.objects.all()]
        return TemplateResponse(request, "demo/pages/async_class.html", {"articles": articles})


def shortcut(request: HttpRequest) -> HttpResponse:
    return render_with_layout(
        request,
        layouts.ViewsLayout,
        "demo/pages/view_kind.html",
        {"code": "return render_with_layout(request, ViewsLayout, 'page.html', {...})"},
    )


async def async_shortcut(request: HttpRequest) -> HttpResponse:
    return await async_render_with_layout(
        request,
        layouts.ViewsLayout,
        "demo/pages/view_kind.html",
        {"code": "return await async_render_with_layout(request, ViewsLayout, ...)"},
    )


@layout(layouts.ViewsLayout, panels={"members": Panel("demo:members_only")})
def panel_only_page(request: HttpRequest) -> TemplateResponse:
    _kind(request, "sync function view (@layout, adds the members panel)")
    # The content view may change any layout context key, here the list of cards.
    context = request.layout_context  # type: ignore[attr-defined]
    context["slots"] = [
        *context["slots"],
        ("members", 'Panel("demo:members_only")', "A @panel_only view as a panel."),
    ]
    return TemplateResponse(request, "demo/pages/panel_only.html")


# -- concurrency ----------------------------------------------------------------------------


@async_layout(layouts.DashboardLayout)
async def dashboard(request: HttpRequest) -> TemplateResponse:
    _kind(request, "async function view (@async_layout)")
    return TemplateResponse(request, "demo/pages/dashboard.html", {"mode": "gather"})


@async_layout(layouts.SequentialDashboardLayout)
async def dashboard_sequential(request: HttpRequest) -> TemplateResponse:
    _kind(request, "async function view (@async_layout)")
    return TemplateResponse(request, "demo/pages/dashboard.html", {"mode": "sequential"})


class ThreadedDashboardView(LayoutMixin, TemplateView):
    layout_class = layouts.ThreadedDashboardLayout
    template_name = "demo/pages/dashboard.html"
    extra_context = {"mode": "threaded"}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        _kind(self.request, "sync class-based view (LayoutMixin + TemplateView)")
        return super().get_context_data(**kwargs)


async def _eager_content(request: HttpRequest, eager: bool) -> TemplateResponse:
    _kind(request, "async function view (@async_layout)")
    with stopwatch_of(request).measure("content view", "async view"):
        await asyncio.sleep(panels.DELAY)
    return TemplateResponse(request, "demo/pages/eager.html", {"eager": eager})


@async_layout(layouts.EagerLayout)
async def eager(request: HttpRequest) -> TemplateResponse:
    return await _eager_content(request, eager=True)


@async_layout(layouts.EagerLayout, panels={"recommendations": Panel(panels.recommendations)})
async def eager_off(request: HttpRequest) -> TemplateResponse:
    return await _eager_content(request, eager=False)


@async_layout(layouts.TimeoutsLayout)
async def timeouts(request: HttpRequest) -> TemplateResponse:
    _kind(request, "async function view (@async_layout)")
    return TemplateResponse(request, "demo/pages/timeouts.html")


# -- queues, errors, caching -------------------------------------------------------------------


@async_layout(layouts.QueuesLayout)
async def queues(request: HttpRequest) -> TemplateResponse:
    _kind(request, "async function view (@async_layout)")
    # The content view's queue items come before every panel's.
    add_script(request, static("demo/queue-log.js"))
    return TemplateResponse(request, "demo/pages/queues.html")


@layout(layouts.ErrorsLayout)
def errors(request: HttpRequest) -> TemplateResponse:
    _kind(request, "sync function view (@layout)")
    return TemplateResponse(request, "demo/pages/errors.html", {"custom": False})


@layout(layouts.CustomErrorsLayout)
def errors_custom(request: HttpRequest) -> TemplateResponse:
    _kind(request, "sync function view (@layout)")
    return TemplateResponse(request, "demo/pages/errors.html", {"custom": True})


@layout(layouts.CacheLayout)
def cache_demo(request: HttpRequest) -> TemplateResponse:
    _kind(request, "sync function view (@layout)")
    # Save the session so that per_session has a key from the second visit on.
    request.session["visits"] = request.session.get("visits", 0) + 1
    return TemplateResponse(request, "demo/pages/cache.html", {"visits": request.session["visits"]})


@require_POST
def cache_invalidate(request: HttpRequest) -> HttpResponseRedirect:
    for name in layouts.CACHED_PANELS:
        cache.invalidate_panel(name)
    return HttpResponseRedirect(reverse("demo:cache"))


async def _streaming_content(request: HttpRequest, mode: str) -> TemplateResponse:
    _kind(request, f"async function view (@async_layout, streaming={mode!r})")
    return TemplateResponse(request, "demo/pages/streaming.html", {"mode": mode})


@async_layout(layouts.StreamingLayout, streaming="ordered")
async def streaming_ordered(request: HttpRequest) -> TemplateResponse:
    return await _streaming_content(request, "ordered")


@async_layout(layouts.StreamingLayout, streaming="unordered")
async def streaming_unordered(request: HttpRequest) -> TemplateResponse:
    return await _streaming_content(request, "unordered")


@async_layout(layouts.StreamingLayout, streaming=None)
async def streaming_buffered(request: HttpRequest) -> TemplateResponse:
    return await _streaming_content(request, "buffered")


@layout(layouts.EdgeLayout)
def edge(request: HttpRequest) -> TemplateResponse:
    # What is read here goes into the page Varnish keeps: nothing of the visitor.
    request.layout_context["view_kind"] = "sync function view (@layout)"
    return TemplateResponse(request, "demo/pages/edge.html")


def edge_as_proxy(request: HttpRequest) -> HttpResponse:
    """The edge page as an ESI proxy receives it: headers and HTML, shown as text."""
    proxied = RequestFactory().get(
        reverse("demo:edge"), HTTP_SURROGATE_CAPABILITY='varnish="ESI/1.0"'
    )
    response = edge(proxied)
    headers = "".join(f"{name}: {value}\n" for name, value in response.items())
    return HttpResponse(headers + "\n" + response.content.decode(), content_type="text/plain")


@layout(layouts.PanelUrlsLayout)
def panel_urls(request: HttpRequest) -> TemplateResponse:
    _kind(request, "sync function view (@layout)")
    return TemplateResponse(request, "demo/pages/panel_urls.html", {"htmx": False})


@layout(layouts.PanelUrlsLayout)
def panel_urls_htmx(request: HttpRequest) -> TemplateResponse:
    _kind(request, "sync function view (@layout), with htmx on the page")
    add_script(request, static("htmxdemo/vendor/htmx.min.js"))
    return TemplateResponse(request, "demo/pages/panel_urls.html", {"htmx": True})
