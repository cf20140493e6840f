"""Two layouts with different page structures, so that moving between them shows
what HTMX smart routing does: within a layout only ``#panel-content`` changes,
across layouts the whole body is swapped.

Both set ``registry_key``: it is the value of the ``DJ-Layout`` header that
``{% layout_hx_headers %}`` writes, and what smart routing compares.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from dj_layouts import Layout, Panel, ScriptQueue


class StoreLayout(Layout):
    registry_key = "htmxdemo.Store"
    template = "htmxdemo/store.html"
    layout_context_defaults = {"title": "Store"}
    scripts = ScriptQueue()
    # Outside the content: it shows who is signed in, so signing in needs the full page.
    account = Panel(template="htmxdemo/panels/account.html")

    def get_layout_context(self, request: HttpRequest) -> dict[str, Any]:
        return {"shopper": request.get_signed_cookie("shopper", default="")}


class DocsLayout(Layout):
    registry_key = "htmxdemo.Docs"
    template = "htmxdemo/docs.html"
    layout_context_defaults = {"title": "Docs"}
    scripts = ScriptQueue()
    toc = Panel("htmxdemo:toc")
