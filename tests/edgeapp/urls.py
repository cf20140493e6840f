"""A page of three sitewide edge panels and one per-visitor panel (inline), plus a lazy one;
and the same panels on layouts whose pages Varnish keeps (``edge_page_timeout``).

The visitor is whoever the ``who`` cookie names. ``/renders/`` reports how often each
panel ran in this process, so a test behind Varnish sees what Django rendered.
"""

from collections import Counter

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
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


def basket(request):
    renders["basket"] += 1
    return f"<p>basket:{request.session.get('items', 0)}</p>"


def add_to_basket(request):
    request.session["items"] = request.session.get("items", 0) + 1
    return HttpResponse("added")


class KeptPage(Layout):
    """Kept by Varnish for a minute; ``me`` and ``basket`` are holes, ``title`` is literal."""

    template = "edgeapp/kept.html"
    edge_page_timeout = 60
    nav = Panel(counted("nav"), load="edge", cache=cache.sitewide(timeout=300))
    promo = Panel(counted("promo"), load="edge", cache=cache.sitewide(timeout=300))
    footer = Panel(counted("footer"), load="edge", cache=cache.sitewide(timeout=300))
    title = Panel(literal="<p>title</p>")
    me = Panel(whoami)
    basket = Panel(basket, cache=cache.per_session(timeout=300))


@layout(KeptPage)
def kept(request):
    renders["kept"] += 1
    return HttpResponse(f"<h1>kept {request.GET.get('n', '')}</h1>")


@layout(KeptPage)
def kept_but_reads_the_session(request):
    renders["reads-session"] += 1
    return HttpResponse(f"<h1>hello {request.session.get('items', 0)}</h1>")


@layout(KeptPage)
def kept_but_has_a_form(request):
    renders["has-form"] += 1
    return HttpResponse(render_to_string("edgeapp/form.html", request=request))


@layout(EdgePage)
def page(request):
    renders["page"] += 1
    return HttpResponse("<h1>edge</h1>")


def counts(request):
    return JsonResponse(dict(renders))


urlpatterns = [
    path("", page),
    path("renders/", counts),
    path("kept/", kept),
    path("kept/session/", kept_but_reads_the_session),
    path("kept/form/", kept_but_has_a_form),
    path("basket/add/", add_to_basket),
    path("_panels/", include("dj_layouts.urls")),
]
