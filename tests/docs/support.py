"""What the pages' sample projects rely on without showing it, and helpers for their tests.

``open_page(page, tmp_path)`` opens a page's sample project (``tests/docs/pages.py``)
with the support files below: ``docs_support.SlotsLayout`` renders any panel in a
slot of its own, ``slots()`` reads them back.
"""

from __future__ import annotations

import re

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from tests.docs.pages import DocProject, code_blocks

#: Panel slots of the support layout template, each shown as
#: ``<div id="slot-NAME">...</div><!--/NAME-->`` with the fallback ``[no NAME]``.
SLOTS = (
    "content",
    "header",
    "nav",
    "sidebar",
    "footer",
    "ads",
    "promo",
    "info",
    "news",
    "greeting",
    "related",
    "comments",
    "banner",
    "weather",
    "featured",
    "cart",
)
_SLOT = re.compile(r'<div id="slot-(\w+)">(.*?)</div><!--/\1-->', re.S)


def layout_template(marker: str = "") -> str:
    """A layout template with a slot for every name in ``SLOTS``."""
    body = "".join(
        f'<div id="slot-{name}">{{% panel "{name}" %}}[no {name}]{{% endpanel %}}</div><!--/{name}-->'
        for name in SLOTS
    )
    return (
        "{% load layouts %}<title>{{ page_title }}</title>"
        + marker
        + body
        + "{% renderstyles %}{% renderscripts %}"
    )


def slots(response) -> dict[str, str]:
    """The HTML of every slot of a page rendered with ``layout_template()``."""
    html = response if isinstance(response, str) else response.content.decode()
    return dict(_SLOT.findall(html))


SUPPORT_VIEWS = """\
from django.http import HttpResponse


def nav(request):
    return HttpResponse("<nav>site nav</nav>")


def blog_nav(request):
    return HttpResponse("<nav>blog nav</nav>")


def sidebar(request):
    return HttpResponse("<p>sidebar</p>")
"""

SUPPORT_URLS = """\
from django.urls import path

from . import support_views as views

app_name = "myapp"
urlpatterns = [
    path("_panels/nav/", views.nav, name="nav"),
    path("_panels/blog-nav/", views.blog_nav, name="blog_nav"),
    path("_panels/sidebar/", views.sidebar, name="sidebar"),
]
"""

_TEMPLATE = "myapp/templates/myapp/layout.html"

#: A layout every page's test can render any panel with: ``docs_support.SlotsLayout``.
SLOTS_LAYOUT = {
    "docs_support/layouts.py": (
        "from dj_layouts import Layout, ScriptQueue, StyleQueue\n\n\n"
        "class SlotsLayout(Layout):\n"
        '    template = "docs_support/slots.html"\n'
        "    scripts = ScriptQueue()\n"
        "    styles = StyleQueue()\n"
    ),
    "docs_support/templates/docs_support/slots.html": layout_template(),
}

VIEWS_LAYOUTS = """\
from dj_layouts import Layout, Panel


class SiteLayout(Layout):
    template = "myapp/layout.html"
    layout_context_defaults = {"page_title": "My site"}
    header = Panel("<strong>My site</strong>")
    nav = Panel("<nav>site nav</nav>")
    footer = Panel("<p>© My site</p>")
"""

#: Files a page's samples rely on without showing them (the page's own files win).
SUPPORT: dict[str, dict[str, str]] = {
    "concepts.md": {_TEMPLATE: layout_template()},
    "layouts.md": {
        _TEMPLATE: layout_template(),
        "myapp/templates/myapp/print.html": layout_template("<p>PRINT</p>"),
        "myapp/support_views.py": SUPPORT_VIEWS,
        "myapp/urls.py": SUPPORT_URLS,
    },
    "panels.md": {_TEMPLATE: layout_template()},
    "views.md": {
        _TEMPLATE: layout_template(),
        "myapp/layouts.py": VIEWS_LAYOUTS,
        "myapp/templates/myapp/dashboard.html": "<h1>Hello {{ name }}</h1>",
        "myapp/templates/myapp/about.html": "<p>Since {{ year }}</p>",
        "myapp/templates/myapp/404.html": "<h1>Not found</h1>",
        "myapp/templates/myapp/recent_posts.html": "<ul><li>Post</li></ul>",
    },
    "layout-context.md": {
        _TEMPLATE: layout_template(),
        "myapp/templates/myapp/processor.html": "[{{ processor_value }}]",
    },
    "errors.md": {_TEMPLATE: layout_template()},
    "checks.md": {
        _TEMPLATE: layout_template(),
        "myapp/support_views.py": SUPPORT_VIEWS,
        "myapp/urls.py": SUPPORT_URLS,
    },
    "security.md": {_TEMPLATE: layout_template()},
    "patterns.md": {_TEMPLATE: layout_template()},
    "migration.md": {
        _TEMPLATE: layout_template(),
        "myapp/support_views.py": SUPPORT_VIEWS,
        "myapp/urls.py": SUPPORT_URLS,
    },
}

ROOT_URLCONF = {
    "getting-started.md": "mysite.urls",
    "panels.md": "mysite.urls",
    "panel-urls.md": "mysite.urls",
}

#: Where a page's snippets run (their functions' ``__module__``), when not ``myapp.docs``.
SNIPPET_MODULE = {"views.md": "myapp.views", "checks.md": "myapp.views"}


def open_page(page: str, tmp_path) -> DocProject:
    return DocProject(
        tmp_path,
        page,
        support={**SLOTS_LAYOUT, **SUPPORT.get(page, {})},
        root_urlconf=ROOT_URLCONF.get(page),
        snippet_module=SNIPPET_MODULE.get(page, "myapp.docs"),
    )


def get(path: str = "/", **extra):
    """A GET request as middleware would leave it (an anonymous user)."""
    request = RequestFactory().get(path, **extra)
    request.user = AnonymousUser()
    return request


def render(layout_class, content: str, request=None, panels=None):
    """``content`` as the main view of a ``layout_class`` page."""
    from django.http import HttpResponse

    from dj_layouts import layout

    view = layout(layout_class, panels=panels)(lambda request: HttpResponse(content))
    return view(request or get())


def render_slots(content: str = "<p>content</p>", request=None, **panels) -> dict[str, str]:
    """Render ``panels`` (name -> panel or source) in ``docs_support.SlotsLayout``."""
    return slots(render("docs_support.SlotsLayout", content, request=request, panels=panels))


def make_user(**attrs):
    from django.contrib.auth.models import User

    return User(username="ada", **attrs)  # never saved: no database needed


def text_blocks(page: str) -> list[str]:
    return [block.code.strip() for block in code_blocks(page) if block.lang == "text"]
