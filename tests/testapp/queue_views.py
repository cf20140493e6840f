"""Pages for the render-queue tests (tests/test_queues.py), served through the middleware.

The content view and a panel both queue external and inline scripts and styles, so
the CSP tests can compare the nonce on every tag with the one in the response header.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.template.response import TemplateResponse

from dj_layouts import (
    Layout,
    Panel,
    RenderQueue,
    ScriptQueue,
    StyleQueue,
    add_inline_script,
    add_inline_style,
    add_script,
    add_style,
    add_to_queue,
    async_layout,
    layout,
)


def aside(request):
    add_script(request, "/static/aside.js", defer=True)
    add_inline_script(request, "aside()")
    add_inline_style(request, ".aside{}")
    return "<p>aside</p>"


class QueuesDemoLayout(Layout):
    template = "testapp/queues/layout.html"
    layout_context_defaults = {"slots": ["aside"]}
    scripts = ScriptQueue()
    styles = StyleQueue()
    extra = RenderQueue()
    aside = Panel(aside)


def _content(request):
    add_script(request, "/static/content.js")
    add_inline_script(request, "content()")
    add_style(request, "/static/content.css")
    add_inline_style(request, ".content{}")
    add_to_queue(request, "extra", "<i>extra</i>")
    if request.GET.get("show_nonce"):
        # The template reads {{ csp_nonce }} (Django 6's csp() context processor).
        return TemplateResponse(request, "testapp/queues/csp_content.html")
    return HttpResponse("<h1>content</h1>")


@layout(QueuesDemoLayout)
def sync_page(request):
    return _content(request)


@async_layout(QueuesDemoLayout)
async def async_page(request):
    return _content(request)
