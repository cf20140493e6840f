"""The htmx demo's views: plain content views; the layouts add the rest."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from dj_layouts import Layout, layout, panel_only, render_error_page
from dj_layouts.detection import current_layout
from sandbox.htmxdemo.layouts import DocsLayout, StoreLayout

PRODUCTS = {
    "teapot": ("Teapot", "Short and stout; answers 418 to coffee requests."),
    "kettle": ("Kettle", "Boils water. Whistles when the panels are done."),
    "mug": ("Mug", "Holds one partial response of tea."),
}

DOCS = {
    "routing": (
        "Smart routing",
        "Same layout: only #panel-content is swapped. Another layout: the whole body.",
    ),
    "per-tab": (
        "Per-tab tracking",
        "Each page names its layout in a DJ-Layout header, "
        "so two tabs on different layouts both route right.",
    ),
    "errors": (
        "Error pages",
        "render_error_page() shows a 404 inside the layout the visitor is looking at.",
    ),
}


def _page(request: HttpRequest, template: str, title: str, **context: object) -> TemplateResponse:
    request.layout_context["title"] = title  # type: ignore[attr-defined]
    return TemplateResponse(request, f"htmxdemo/pages/{template}", {"title": title, **context})


@layout(StoreLayout)
def store_home(request: HttpRequest) -> HttpResponse:
    return _page(request, "store_home.html", "Store")


@layout(StoreLayout)
def products(request: HttpRequest) -> HttpResponse:
    return _page(request, "products.html", "Products", products=PRODUCTS)


@layout(StoreLayout)
def product(request: HttpRequest, slug: str) -> HttpResponse:
    if slug not in PRODUCTS:
        return _missing(request, StoreLayout, slug)
    name, text = PRODUCTS[slug]
    return _page(request, "product.html", name, name=name, text=text)


@layout(StoreLayout)
def sign_in(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("name", "").strip()[:40] if request.method == "POST" else ""
    if not name:
        return _page(request, "sign_in.html", "Sign in", failed=request.method == "POST")
    request.layout_context["shopper"] = name  # type: ignore[attr-defined]
    # The account panel, outside the content, must show the name: answer with the
    # whole page even though htmx asked from a page of this very layout.
    request.dj_layouts_force_full = True  # type: ignore[attr-defined]
    response = _page(request, "signed_in.html", "Signed in", name=name)
    response.set_signed_cookie("shopper", name, httponly=True, samesite="Lax")
    return response


@layout(DocsLayout)
def docs_index(request: HttpRequest) -> HttpResponse:
    return _page(request, "docs_index.html", "Docs", docs=DOCS)


@layout(DocsLayout)
def docs_page(request: HttpRequest, slug: str) -> HttpResponse:
    if slug not in DOCS:
        return _missing(request, DocsLayout, slug)
    title, text = DOCS[slug]
    return _page(request, "docs_page.html", title, text=text)


@panel_only
def toc(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "htmxdemo/panels/toc.html", {"docs": DOCS})


def _missing(request: HttpRequest, layout_class: type[Layout] | str, path: str) -> HttpResponse:
    # An HTMX request from a page of this layout gets only the error, into its
    # content slot (404 passes through the view's own @layout untouched).
    return render_error_page(
        request, layout_class, "htmxdemo/pages/not_found.html", {"path": path}, status=404
    )


def not_found(request: HttpRequest) -> HttpResponse:
    """Any other URL under /htmx/: a 404 inside the layout the visitor is looking at.

    ``current_layout()`` reads the page's ``DJ-Layout`` header, then the cookie; a
    fresh visit gets the store.
    """
    return _missing(request, current_layout(request) or StoreLayout, request.path)
