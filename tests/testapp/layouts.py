"""Layouts discovered at start-up (autodiscovery of <app>/layouts.py)."""

from dj_layouts import Layout, Panel, RenderQueue, ScriptQueue, StyleQueue


class BaseLayout(Layout):
    abstract = True
    template = "testapp/layout.html"
    scripts = ScriptQueue()
    styles = StyleQueue()
    extra = RenderQueue()


class SiteLayout(BaseLayout):
    layout_context_defaults = {"site_name": "Acme", "title": "Untitled"}
    sidebar = Panel("testapp:sidebar")
    footer = Panel("<p>footer</p>")


class OtherLayout(BaseLayout):
    template = "testapp/other.html"
    footer = Panel("<p>other footer</p>")
