"""The layout of the sandbox's Wagtail pages: the sandbox's look, panels that read the tree."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from dj_layouts import Panel, ThreadedExecutor, cache
from sandbox.demo.layouts import SiteLayout, SlotsLayout
from sandbox.wagtaildemo import panels


class WagtailPagesLayout(SlotsLayout):
    """Every page of the tree: siblings in the sidebar, a per-request and a cached card."""

    registry_key = "wagtaildemo.Pages"
    # Wagtail serves pages from sync code: a thread pool runs the panels side by side.
    executor = ThreadedExecutor(max_workers=4)
    layout_context_defaults = {
        **SiteLayout.layout_context_defaults,
        "slots": [
            (
                "visit",
                "Panel(visit)",
                "An async panel, rendered for every request: the time, and the live pages "
                "counted with the async ORM.",
            ),
            (
                "site_map",
                "Panel(site_map, cache=cache.sitewide(timeout=300))",
                "Cached for every visitor: its time stays the same across reloads until a "
                "page is published or unpublished.",
            ),
        ],
    }
    sidebar = Panel(panels.siblings)
    visit = Panel(panels.visit)
    site_map = Panel(panels.site_map, cache=cache.sitewide(timeout=300))

    def get_layout_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().get_layout_context(request)
        page = panels.current_page(request)
        if page is not None:
            context["demo_title"] = page.title
            context["demo_summary"] = context["demo_summary"] or page.intro
        return context
