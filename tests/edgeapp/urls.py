"""A page of three sitewide edge panels and one per-visitor panel (inline), plus a lazy one.

The visitor is whoever the ``who`` cookie names. ``/renders/`` reports how often each
panel ran in this process, so a test behind Varnish sees what Django rendered.
"""

from collections import Counter

from django.http import HttpResponse, JsonResponse
from django.urls import include, path

from dj_layouts import Layout, Panel, cache, layout

renders: Counter[str] = Counter()


def counted(name):
    def panel(request):
        renders[name] += 1
        return f"<p>{name}</p>"

    panel.__name__ = name
    return panel


def whoami(request):
    renders["me"] += 1
    return f"<p>me:{request.COOKIES.get('who', 'nobody')}</p>"


class EdgePage(Layout):
    template = "edgeapp/layout.html"
    nav = Panel(counted("nav"), load="edge", cache=cache.sitewide(timeout=300))
    promo = Panel(counted("promo"), load="edge", cache=cache.sitewide(timeout=300))
    footer = Panel(counted("footer"), load="edge", cache=cache.sitewide(timeout=300))
    me = Panel(whoami)
    later = Panel(whoami, load="lazy")


@layout(EdgePage)
def page(request):
    renders["page"] += 1
    return HttpResponse("<h1>edge</h1>")


def counts(request):
    return JsonResponse(dict(renders))


urlpatterns = [
    path("", page),
    path("renders/", counts),
    path("_panels/", include("dj_layouts.urls")),
]
