"""The edge group's pages (SPEC §16): three sitewide panels marked edge, one per-visitor
panel; once on a plain layout, once on one whose pages Varnish keeps (``edge_page_timeout``).

gunicorn serves it (``bench/bench_edge.py``), straight and behind varnishd with the VCL
in ``docs/varnish/``. ``/edge/renders/`` reports how often the content view and each
panel ran in the server process, and how many requests reached the panel endpoint,
so the bench sees what Django rendered.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.html import escape

from bench.pages import make_layout
from dj_layouts import Panel, cache, layout

#: Links each sitewide panel lists: enough template work to be worth caching.
ITEMS = 40
EDGE_PANELS = ("nav", "promo", "footer")

renders: Counter[str] = Counter()


def _list_panel(name: str) -> Any:
    items = range(ITEMS)

    def panel(request: HttpRequest) -> str:
        renders[name] += 1
        return render_to_string("bench/edge_list.html", {"name": name, "items": items})

    panel.__name__ = panel.__qualname__ = f"{name}_panel"
    return panel


def whoami(request: HttpRequest) -> str:
    """The per-visitor panel: whoever the ``who`` cookie names."""
    renders["me"] += 1
    return f'<p class="me">me:{escape(request.COOKIES.get("who", "nobody"))}</p>'


EdgeLayout = make_layout(
    "BenchEdgeLayout",
    {
        **{
            name: Panel(_list_panel(name), load="edge", cache=cache.sitewide(timeout=3600))
            for name in EDGE_PANELS
        },
        "me": Panel(whoami),
    },
)


#: The same panels on a layout whose pages Varnish keeps: ``me`` becomes a hole.
KeptLayout = make_layout("BenchKeptLayout", EdgeLayout.get_panels(), edge_page_timeout=600)


@layout(EdgeLayout)
def page(request: HttpRequest) -> HttpResponse:
    renders["page"] += 1
    return HttpResponse("<h1>Edge</h1>")


@layout(KeptLayout)
def kept_page(request: HttpRequest) -> HttpResponse:
    renders["page"] += 1
    return HttpResponse("<h1>Edge</h1>")


BARE_HTML = "<p>bare</p>"


def bare(request: HttpRequest) -> HttpResponse:
    """No layout: what any request costs the server."""
    return HttpResponse(BARE_HTML)


def counts(request: HttpRequest) -> JsonResponse:
    return JsonResponse(dict(renders))


def count_endpoint_requests(get_response: Any) -> Any:
    """Middleware: counts the requests that reach the panel endpoint (Varnish's misses)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/_panels/"):
            renders["endpoint"] += 1
        return get_response(request)  # type: ignore[no-any-return]

    return middleware
