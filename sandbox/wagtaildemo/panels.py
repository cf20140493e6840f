"""The panels around the sandbox's Wagtail pages: each reads the page tree for itself.

A panel gets the page's request, not the page: ``current_page()`` finds the page the
way Wagtail's serve view did (``Page.find_for_request``), from the path Wagtail's URL
pattern captured. Wagtail keeps the route it found on the request, and a panel's
request is a copy of the page's, so that costs no query.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from wagtail.models import Page, Site

from dj_layouts.cache import invalidate_panel
from sandbox.wagtaildemo.models import SectionPage


def current_page(request: HttpRequest) -> Page | None:
    """The Wagtail page ``request`` (a page's, or one of its panels') is for."""
    match = request.resolver_match
    if match is None or match.url_name != "wagtail_serve":
        return None
    page = Page.find_for_request(request, match.args[0])
    return None if page is None else page.specific


def _now() -> str:
    return timezone.localtime().strftime("%H:%M:%S.%f")[:-3]


def siblings(request: HttpRequest) -> str:
    """The sidebar: the pages next to this one (the sections, on the site's root page)."""
    page = current_page(request)
    if page is None:
        return ""
    if page.is_site_root():
        heading, pages = "Sections", page.get_children().live()
    else:
        parent = page.get_parent()
        heading, pages = f"In {parent.title}", page.get_siblings().live()
    current = format_html(' aria-current="page"')
    items = format_html_join(
        "",
        '<li><a href="{}"{}>{}</a></li>',
        ((item.url, current if item.pk == page.pk else "", item.title) for item in pages),
    )
    return format_html(
        '<nav class="card page-nav" aria-label="{}"><h2>{}</h2><ul>{}</ul></nav>',
        heading,
        heading,
        items,
    )


async def visit(request: HttpRequest) -> str:
    """Rendered for every request: an async panel, querying with the async ORM."""
    live = await Page.objects.live().filter(depth__gt=1).acount()
    return format_html(
        '<p>Rendered for this request at <time class="rendered-at">{}</time>.</p>'
        '<p class="live-pages">{} live pages in the tree, counted with the async ORM.</p>',
        _now(),
        live,
    )


def site_map(request: HttpRequest) -> str:
    """Every section and how many live pages it has: cached for every visitor."""
    site = Site.find_for_request(request)
    if site is None:
        return ""
    rows = (
        (section.url, section.title, _pages(section.get_children().live().count()))
        for section in SectionPage.objects.child_of(site.root_page).live()
    )
    return format_html(
        '<ul class="site-map">{}</ul><p>Rendered at <time class="rendered-at">{}</time></p>',
        format_html_join("", '<li><a href="{}">{}</a> ({})</li>', rows),
        _now(),
    )


def _pages(count: int) -> str:
    return f"{count} page" if count == 1 else f"{count} pages"


def drop_site_map(**kwargs: Any) -> None:
    """A page was published or unpublished: the cached site map is out of date."""
    invalidate_panel("site_map")
