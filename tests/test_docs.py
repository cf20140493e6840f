"""The code samples of the user documentation run, and say what the code does.

Every page listed in ``PAGES`` is checked three ways: its Python blocks run (project
files are imported, snippets executed in order, settings snippets validated), its
template blocks compile, and a behaviour test per page calls the views the samples
define. ``tests/docs_helpers.py`` explains the conventions a page follows.
"""

from __future__ import annotations

import inspect
import logging
import re
import sys
import types

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from tests.docs.pages import (
    DocProject,
    check_settings_block,
    compile_template,
    python_blocks,
    settings_blocks,
    template_blocks,
)

PAGES = [
    "index.md",
    "getting-started.md",
    "concepts.md",
    "layouts.md",
    "panels.md",
    "views.md",
    "layout-context.md",
    "errors.md",
    "settings.md",
    "checks.md",
    "security.md",
    "patterns.md",
    "migration.md",
]

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

ROOT_URLCONF = {"getting-started.md": "mysite.urls", "panels.md": "mysite.urls"}

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


# -- every page ---------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_python_samples_run(page, tmp_path):
    assert python_blocks(page) or template_blocks(page) or page in NO_SAMPLES
    with open_page(page, tmp_path) as project:
        for module in sorted(project.files()):
            if module.endswith(".py") and not module.endswith("settings.py"):
                project.module(module[:-3].replace("/", "."))
        project.run_snippets()


@pytest.mark.parametrize("page", PAGES)
def test_template_samples_compile(page, tmp_path):
    with open_page(page, tmp_path):
        for block in template_blocks(page):
            compile_template(block)


@pytest.mark.parametrize("page", [p for p in PAGES if settings_blocks(p)])
def test_settings_samples_are_valid(page):
    for block in settings_blocks(page):
        check_settings_block(block)


NO_SAMPLES: set[str] = set()


# -- index.md ------------------------------------------------------------------------


def test_index_example(tmp_path, client):
    with open_page("index.md", tmp_path):
        response = client.get("/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "<aside><nav><a href='/'>Home</a></nav></aside>" in html
        assert "<main><h1>Welcome</h1></main>" in html
        assert client.get("/_panels/sidebar/").status_code == 403


# -- getting-started.md -----------------------------------------------------------------


def test_getting_started_settings_install_the_app():
    (block,) = settings_blocks("getting-started.md")
    assert "dj_layouts" in check_settings_block(block)["INSTALLED_APPS"]


def test_getting_started_site(tmp_path, client):
    with open_page("getting-started.md", tmp_path) as project:
        home = client.get("/")
        assert home.status_code == 200
        html = home.content.decode()
        assert "<title>Welcome</title>" in html
        assert "<footer><p>© My site</p></footer>" in html
        assert '<main id="panel-content"><h1>Welcome!</h1>' in html

        about = client.get("/about/").content.decode()
        assert "<title>My site</title>" in about
        assert "<p>Founded in 2024.</p>" in about
        assert "<a href='/about/'>About</a>" in about

        assert client.get("/_panels/sidebar/").status_code == 403

        tests = project.module("myapp.tests")
        tests.test_home_page_has_the_sidebar()
        tests.test_the_sidebar_is_not_a_page()


def test_doc_project_leaves_nothing_behind(tmp_path):
    from dj_layouts import Layout

    with open_page("getting-started.md", tmp_path) as project:
        assert Layout.resolve("myapp.DefaultLayout").__module__ == "myapp.layouts"
        project.module("myapp.views")
    assert "myapp.DefaultLayout" not in Layout.registry
    assert not [name for name in sys.modules if name.split(".")[0] in ("myapp", "mysite")]
    assert str(tmp_path / "project") not in sys.path


# -- concepts.md ----------------------------------------------------------------------


def test_concepts_roles(tmp_path):
    with open_page("concepts.md", tmp_path) as project:
        ns = project.run_snippets()
        page = slots(ns["article"](get("/articles/1/")))
        assert page["content"] == "<article>main</article>"
        assert page["info"] == "<p>panel info: On layouts</p>"


# -- layouts.md -----------------------------------------------------------------------


def test_layouts_registry_and_inheritance(tmp_path):
    from dj_layouts import Layout

    with open_page("layouts.md", tmp_path) as project:
        ns = project.run_snippets()
        assert list(ns["SiteLayout"].get_panels()) == ["header", "nav", "footer"]
        assert list(ns["SiteLayout"].get_queues()) == ["scripts", "styles"]
        assert Layout.registry["myapp.PlainLayout"] is ns["PlainLayout"]
        assert Layout.registry.get("myapp.ShopLayout") is not ns["ShopLayout"]
        # registry_key and abstract are not inherited.
        child = type("ShopChildLayout", (ns["ShopLayout"],), {"__module__": "myapp.docs"})
        assert Layout.registry["myapp.ShopChildLayout"] is child
        assert not child.abstract

        blog = slots(_render(ns["BlogLayout"], "<p>x</p>"))
        assert blog["nav"] == "<nav>blog nav</nav>"
        assert blog["sidebar"] == "<p>sidebar</p>"
        assert blog["footer"] == "[no footer]"
        assert blog["header"] == "<strong>My site</strong>"
        assert slots(_render(ns["SiteLayout"], "<p>x</p>"))["nav"] == "<nav>site nav</nav>"


def _render(layout_class, content: str, request=None, panels=None):
    from django.http import HttpResponse

    from dj_layouts import layout

    view = layout(layout_class, panels=panels)(lambda request: HttpResponse(content))
    return view(request or get())


def test_layouts_extension_points(tmp_path, caplog):
    from dj_layouts import Panel

    def broken(request):
        raise RuntimeError("database down")

    with open_page("layouts.md", tmp_path) as project:
        account = project.run_snippets()["AccountLayout"]
        assert account().get_layout_context(get("/account/settings/")) == {"section": "account"}
        assert account().get_layout_context(get("/")) == {"section": "home"}

        with caplog.at_level(logging.ERROR, logger="dj_layouts"):
            page = _render(account, "<p>me</p>", panels={"nav": Panel(broken)})
        assert slots(page)["nav"] == '<p class="unavailable">nav is unavailable.</p>'
        assert "database down" in caplog.text
        assert "<p>PRINT</p>" not in page.content.decode()

        printed = _render(account, "<p>me</p>", request=get("/?print=1"))
        assert "<p>PRINT</p>" in printed.content.decode()
        assert slots(printed)["content"] == "<p>me</p>"


# -- panels.md ------------------------------------------------------------------------


def test_panels_every_source_kind(tmp_path):
    from dj_layouts import render_with_layout

    with open_page("panels.md", tmp_path) as project:
        ns = project.run_snippets()
        page = slots(
            render_with_layout(
                get(),
                ns["PanelsLayout"],
                "myapp/promo.html",
                {"page_title": "Content"},
                panels={"weather": ns["weather"], "featured": ns["featured"]},
            )
        )
        assert page == {
            "content": '<p class="promo">Content: 20% off today.</p>\n',
            "header": "<strong>My site</strong>",
            "nav": "<nav>Home · Blog</nav>",
            "sidebar": "[no sidebar]",
            "footer": "Open: Mon\u2013Fri",
            "ads": "[no ads]",
            "promo": '<p class="promo">Spring sale: 20% off today.</p>\n',
            "info": "<p>All systems go</p>",
            "news": "<ul><li>1.0 is out</li></ul><hr><p>Hello, guest!</p>",
            "greeting": "<p>Hello, guest!</p>",
            "related": "[no related]",
            "comments": "[no comments]",
            "banner": "[no banner]",
            "weather": "<p>Oslo: 21 °F</p>",
            "featured": "<article>Article 42</article>",
            "cart": "[no cart]",
        }
        more = slots(
            render_with_layout(
                get(),
                ns["PanelsLayout"],
                "myapp/promo.html",
                panels={"header": ns["notice"], "footer": ns["hours"], "news": ns["headlines"]},
            )
        )
        assert more["header"] == (
            "<p>Closed on Monday: see <a href='https://example.com'>hours</a></p>"
        )
        assert more["footer"] == "Open: Mon\u2013Fri"
        assert more["news"] == "<ul><li>1.0 is out</li></ul>\n<hr>\n<nav>Home · Blog</nav>"

        promo = slots(_render(ns["PromoLayout"], "<p>x</p>"))
        assert promo["promo"] == '<p class="promo">Promo: 20% off today.</p>\n'

        widget = ns["weather_widget"](get())
        assert widget.content.decode() == "<p>Bergen: 21 °C</p>"

        timed = ns["TimedLayout"]
        assert timed.panel_timeout == 5
        assert timed.get_panels()["weather"].timeout == 1.5


def test_panels_conditions_and_overrides(tmp_path):
    with open_page("panels.md", tmp_path) as project:
        ns = project.run_snippets()
        article = slots(ns["article_page"](get()))
        assert article["content"] == "<h1>Hello</h1>"
        assert article["comments"] == "<section>Comments</section>"
        assert article["ads"] == "<div>Ad</div>"
        assert article["banner"] == "[no banner]"
        assert slots(ns["article_page"](get("/?premium=1")))["ads"] == "[no ads]"

        landing = slots(ns["landing"](get()))
        assert landing["nav"] == "<nav>Landing</nav>"
        assert landing["ads"] == "[no ads]"
        assert landing["related"] == "<ul><li>1.0 is out</li></ul>"
        assert landing["greeting"] == "<p>Hello, guest!</p>"

        about = slots(ns["about"](get()))
        assert about["greeting"] == "[no greeting]"
        assert about["content"] == '<p class="promo">About: 20% off today.</p>\n'


def render_slots(content: str = "<p>content</p>", request=None, **panels) -> dict[str, str]:
    """Render ``panels`` (name -> panel or source) in ``docs_support.SlotsLayout``."""
    return slots(_render("docs_support.SlotsLayout", content, request=request, panels=panels))


# -- views.md -------------------------------------------------------------------------


def _user(**attrs):
    from django.contrib.auth.models import User

    return User(username="ada", **attrs)  # never saved: no database needed


def test_views_function_views(tmp_path):
    from asgiref.sync import async_to_sync

    with open_page("views.md", tmp_path) as project:
        ns = project.run_snippets()

        anonymous = ns["dashboard"](get("/dashboard/"))
        assert (anonymous.status_code, anonymous["Location"]) == (302, "/login/")

        request = get("/dashboard/")
        request.user = _user()
        page = ns["dashboard"](request)
        assert page.status_code == 200
        assert page.cookies["seen_dashboard"].value == "1"
        assert "<title>Dashboard</title>" in page.content.decode()
        assert slots(page)["content"] == "<h1>Hello ada</h1>"
        assert slots(page)["nav"] == "<nav>site nav</nav>"

        news = async_to_sync(ns["news"])(get("/news/"))
        assert slots(news)["content"] == "<h1>News</h1>"
        assert (
            ns["message"]
            == "@layout cannot wrap the async view myapp.views.feed; use @async_layout."
        )


def test_views_class_based_views_and_access_mixins(tmp_path):
    from asgiref.sync import async_to_sync
    from django.core.exceptions import PermissionDenied

    with open_page("views.md", tmp_path) as project:
        ns = project.run_snippets()

        dashboard = ns["DashboardView"].as_view()(get("/dashboard/"))
        assert slots(dashboard)["content"] == "<h1>Hello guest</h1>"
        assert slots(dashboard)["footer"] == "[no footer]"
        assert "<title>Dashboard</title>" in dashboard.content.decode()

        news = async_to_sync(ns["NewsView"].as_view())(get("/news/"))
        assert slots(news)["content"] == "<h1>News</h1>"

        account = ns["AccountView"].as_view()
        denied = async_to_sync(account)(get("/account/"))
        assert (denied.status_code, denied["Location"]) == (302, "/login/?next=/account/")
        request = get("/account/")
        request.user = _user()
        assert slots(async_to_sync(account)(request))["content"] == "<h1>Your account</h1>"

        reports = ns["ReportsView"].as_view()
        request = get("/reports/")
        request.user = _user()
        with pytest.raises(PermissionDenied):
            reports(request)
        request = get("/reports/")
        request.user = _user(is_staff=True)
        assert slots(reports(request))["content"] == "<h1>Hello </h1>"


def test_views_panel_only_and_shortcuts(tmp_path):
    from django.core.exceptions import PermissionDenied

    with open_page("views.md", tmp_path) as project:
        ns = project.run_snippets()
        with pytest.raises(PermissionDenied) as excinfo:
            ns["cart_badge"](get())
        assert excinfo.value.args == (
            "myapp.views.cart_badge only renders as a panel of a layout, not as a page of its own.",
        )
        with pytest.raises(PermissionDenied):
            ns["RecentPostsPanel"].as_view()(get())
        page = render_slots(
            cart=ns["cart_badge"], info=ns["notifications"], related=ns["RecentPostsPanel"]
        )
        assert (page["cart"], page["info"]) == ("<span>3</span>", "<span>2 new</span>")
        assert page["related"] == "<ul><li>Post</li></ul>"

        assert slots(ns["about"](get("/about/")))["content"] == "<p>Since 2024</p>"
        missing = ns["page_not_found"](get("/nope/"), None)
        assert missing.status_code == 404
        assert slots(missing)["content"] == "<h1>Not found</h1>"
        assert slots(missing)["nav"] == "<nav>site nav</nav>"


# -- layout-context.md ------------------------------------------------------------------


def test_layout_context_layers(tmp_path):
    with open_page("layout-context.md", tmp_path) as project:
        ns = project.run_snippets()
        page = ns["pricing"](get("/shop/pricing/"))
        assert slots(page)["nav"] == "<p>shop \u203a Pricing</p>"
        assert "<title>Pricing</title>" in page.content.decode()
        assert ns["draft"] == {"page_title": "Changed"}
        assert type(ns["draft"]) is dict
        assert ns["snapshot"] == {"page_title": "Pricing"}


def test_layout_context_wins_over_context_processors(tmp_path):
    from dj_layouts import Layout

    with open_page("layout-context.md", tmp_path):
        plain = type(
            "ProcessorLayout",
            (Layout,),
            {"template": "myapp/processor.html", "__module__": "myapp.t"},
        )
        assert _render(plain, "").content.decode() == "[from-processor]"
        plain.layout_context_defaults = {"processor_value": "from-layout"}
        assert _render(plain, "").content.decode() == "[from-layout]"


# -- errors.md ----------------------------------------------------------------------------


def _text_blocks(page: str) -> list[str]:
    from tests.docs.pages import code_blocks

    return [block.code.strip() for block in code_blocks(page) if block.lang == "text"]


def test_errors_production_and_debug(tmp_path, caplog):
    from django.test import override_settings

    from dj_layouts import PanelRenderError
    from tests.docs.pages import code_blocks

    with open_page("errors.md", tmp_path) as project:
        ns = project.run_snippets()
        with caplog.at_level(logging.ERROR, logger="dj_layouts"):
            page = slots(ns["home"](get("/")))
        assert page["nav"] == (
            '<p class="panel-error">The nav could not be loaded. <a href="/">Try again</a>.</p>\n'
        )
        assert "database down" in caplog.text

        default_html = next(b.code.strip() for b in code_blocks("errors.md") if b.lang == "html")
        with caplog.at_level(logging.ERROR, logger="dj_layouts"):
            assert render_slots(nav=ns["flaky"])["nav"].strip() == default_html

        with caplog.at_level(logging.WARNING, logger="myapp.panels"):
            assert slots(ns["quiet_home"](get("/")))["nav"] == "[no nav]"
        assert "panel nav failed: RuntimeError('database down')" in caplog.text

        with (
            override_settings(DJ_LAYOUTS={"DEBUG_ERRORS": True}),
            pytest.raises(PanelRenderError) as excinfo,
        ):
            ns["home"](get("/"))
        debug_line = _text_blocks("errors.md")[0]
        assert f"{type(excinfo.value).__name__}: {excinfo.value}" == debug_line
        assert excinfo.value.panel_error.panel_name == "nav"
        assert isinstance(excinfo.value.__cause__, RuntimeError)


def test_errors_response_error_messages(tmp_path):
    from django.http import HttpResponseRedirect, StreamingHttpResponse
    from django.test import override_settings

    from dj_layouts import PanelRenderError, PanelResponseError

    answers = [
        lambda request: HttpResponseRedirect("/elsewhere/"),
        lambda request: StreamingHttpResponse(iter(["x"])),
        lambda request: 42,
    ]
    with open_page("errors.md", tmp_path), override_settings(DJ_LAYOUTS={"DEBUG_ERRORS": True}):
        messages = []
        for answer in answers:
            with pytest.raises(PanelRenderError) as excinfo:
                render_slots(nav=answer)
            assert isinstance(excinfo.value.panel_error.exception, PanelResponseError)
            messages.append(str(excinfo.value.panel_error.exception))
    assert "\n".join(messages) == _text_blocks("errors.md")[1]


# -- settings.md --------------------------------------------------------------------------


def test_settings_table_lists_every_setting_with_its_default():
    import ast

    from dj_layouts.conf import DEFAULTS
    from tests.docs.pages import page_path

    rows = re.findall(
        r"^\| `([A-Z_]+)` \| `([^`]*)` \|", page_path("settings.md").read_text(), re.M
    )
    documented = {key: ast.literal_eval(default) for key, default in rows}
    assert documented == dict(DEFAULTS)


def test_settings_snippets_run(tmp_path):
    with open_page("settings.md", tmp_path) as project:
        project.run_snippets()  # the validation_errors() assertion is in the sample


# -- checks.md ----------------------------------------------------------------------------


def test_checks_page_documents_every_check_id():
    from pathlib import Path

    import dj_layouts

    src = Path(dj_layouts.__file__).parent
    in_code = set()
    for path in src.rglob("*.py"):
        in_code |= set(re.findall(r'id="(dj_layouts\.[EW]\d{3})"', path.read_text()))
    from tests.docs.pages import page_path

    headings = re.findall(r"^## (dj_layouts\.[EW]\d{3}):", page_path("checks.md").read_text(), re.M)
    assert sorted(headings) == sorted(in_code)
    assert len(headings) == len(set(headings))


def test_checks_messages_are_what_django_prints(tmp_path):
    from django.test import override_settings

    from dj_layouts import checks

    with open_page("checks.md", tmp_path) as project:
        ns = project.run_snippets()
        with override_settings(DJ_LAYOUTS=ns["DJ_LAYOUTS"]):
            messages = (
                checks.check_settings() + checks.check_layout_references() + checks.check_layouts()
            )
    printed = []
    for message in messages:
        printed.append(f"({message.id}) {message.msg}")
        if message.hint:
            printed.append(f"    HINT: {message.hint}")
    blocks = _text_blocks("checks.md")
    assert len(blocks) == 8
    for block in blocks:
        lines = block.splitlines()
        assert any(printed[i : i + len(lines)] == lines for i in range(len(printed))), (
            block,
            printed,
        )


# -- security.md ---------------------------------------------------------------------------


def test_security_samples(tmp_path, caplog):
    with open_page("security.md", tmp_path) as project:
        ns = project.run_snippets()
        hello = ns["greeting"](get("/?name=<script>alert(1)</script>"))
        assert hello.content.decode() == "<p>Hello, &lt;script&gt;alert(1)&lt;/script&gt;!</p>"

        anonymous = render_slots(info=ns["account_summary"], news=ns["report_panel"])
        assert anonymous["info"] == "[no info]"
        with caplog.at_level(logging.ERROR, logger="dj_layouts"):
            assert anonymous["news"] != "<p>Quarterly numbers</p>"
        assert "dj-layouts-panel-error" in anonymous["news"]

        request = get()
        request.user = _user(is_superuser=True, is_active=True)
        signed_in = render_slots(
            request=request, info=ns["account_summary"], news=ns["report_panel"]
        )
        assert signed_in["info"] == "<p>Signed in as ada</p>"
        assert signed_in["news"] == "<p>Quarterly numbers</p>"

        store = ns["StoreLayout"].get_panels()
        assert (store["nav"].cache.strategy, store["cart"].cache.strategy) == (
            "sitewide",
            "per_session",
        )


# -- patterns.md ---------------------------------------------------------------------------


def test_patterns_dual_use_and_active_nav(tmp_path, client):
    with open_page("patterns.md", tmp_path):
        home = client.get("/")
        page = slots(home)
        assert page["content"] == "<h1>Welcome</h1>"
        assert page["featured"] == "<article><h2>Layouts in depth</h2></article>"
        assert "<title>My site</title>" in home.content.decode()
        assert '<a href="/" aria-current="page">Home</a>' in page["nav"]

        article = client.get("/articles/2/")
        assert "<title>Writing panels</title>" in article.content.decode()
        assert '<a href="/articles/2/" aria-current="page">Articles</a>' in slots(article)["nav"]
        assert '<a href="/" aria-current' not in slots(article)["nav"]
        assert client.get("/articles/9/").status_code == 404


def test_patterns_sections_and_htmx(tmp_path, client):
    from django.test import override_settings

    from tests.docs.pages import settings_blocks

    with open_page("patterns.md", tmp_path):
        blog = slots(client.get("/section/blog/"))
        assert (blog["content"], blog["sidebar"], blog["cart"]) == (
            "<h1>Blog</h1>\n",
            "<p>Recent posts</p>",
            "[no cart]",
        )
        store = slots(client.get("/section/store/"))
        assert (store["sidebar"], store["cart"]) == ("[no sidebar]", "<p>Your cart is empty</p>")
        other = slots(client.get("/section/about/"))
        assert (other["sidebar"], other["cart"]) == ("[no sidebar]", "[no cart]")

        (block,) = settings_blocks("patterns.md")
        with override_settings(DJ_LAYOUTS=check_settings_block(block)["DJ_LAYOUTS"]):
            partial = client.get("/articles/2/", headers={"HX-Request": "true"})
            full = client.get("/articles/2/")
        assert partial.content.decode() == "<article><h2>Writing panels</h2></article>"
        assert "HX-Request" in partial["Vary"]
        assert "HX-Request" in full["Vary"]
        assert slots(full)["content"] == "<article><h2>Writing panels</h2></article>"


# -- migration.md --------------------------------------------------------------------------


def test_migration_samples(tmp_path):
    with open_page("migration.md", tmp_path) as project:
        ns = project.run_snippets()
        links = slots(_render(ns["LinksLayout"], "<p>x</p>"))
        assert links["footer"] == "<a href='https://example.com'>Example</a>"
        assert links["nav"] == "<nav>site nav</nav>"

        page = _render("docs_support.SlotsLayout", "", panels={"info": ns["chart_panel"]})
        html = page.content.decode()
        assert slots(page)["info"] == "<canvas id='chart'></canvas>"
        assert html.endswith(
            '<script src="/static/chart.js" defer></script>\n'
            '<script src="/static/app.mjs" type="module"></script>\n'
            "<script>drawCharts();</script>"
        )


def test_migration_whitespace_only_panels_and_script_dedupe(tmp_path):
    from django.http import HttpResponse

    from dj_layouts import add_script

    def first(request):
        add_script(request, "/static/chart.js", defer=True)
        return HttpResponse("\n   \n")

    def second(request):
        add_script(request, "/static/chart.js")
        return HttpResponse("<p>second</p>")

    with open_page("migration.md", tmp_path):
        page = _render("docs_support.SlotsLayout", "", panels={"info": first, "news": second})
        assert slots(page)["info"] == "[no info]"
        assert page.content.decode().count("/static/chart.js") == 1
        assert page.content.decode().endswith('<script src="/static/chart.js" defer></script>')


def test_the_existing_packages_spellings_work(tmp_path):
    """docs/migration.md says these spellings of the existing package keep working."""
    from django.http import HttpResponse
    from django.template import engines

    from dj_layouts import Layout, Panel, RenderQueue, add_script, add_style

    assert RenderQueue(template="myapp/breadcrumbs.html").template_name == (
        "myapp/breadcrumbs.html"
    )
    engines["django"].from_string("{% load layouts %}{% addscript %}x(){% endaddscript %}")

    def old_style(request):
        add_script(request, "/static/a.js", is_deferred=True)
        add_script(request, "/static/b.js", is_async=True, type="module")
        add_script(request, inline="x()")
        add_style(request, inline=".x{}")
        add_style(request, "/static/print.css", media="print")
        return HttpResponse("ok")

    def broken(request):
        raise RuntimeError("boom")

    with open_page("migration.md", tmp_path) as project:
        page = _render("docs_support.SlotsLayout", "", panels={"info": old_style})
        html = page.content.decode()
        assert '<script src="/static/a.js" defer></script>' in html
        assert '<script src="/static/b.js" async type="module"></script>' in html
        assert "<script>x()</script>" in html
        assert "<style>.x{}</style>" in html
        assert '<link rel="stylesheet" href="/static/print.css" media="print">' in html

        error_template = project.root / "myapp/templates/myapp/old_error.html"
        error_template.write_text("[{{ error.panel_name }}|{{ panel_name }}]")
        old = type(
            "OldErrorLayout",
            (Layout,),
            {
                "__module__": "myapp.t",
                "template": "myapp/layout.html",
                "error_template": "myapp/old_error.html",
                "nav": Panel(broken),
            },
        )
        assert slots(_render(old, ""))["nav"] == "[nav|nav]"

        unquoted = project.root / "myapp/templates/myapp/unquoted.html"
        unquoted.write_text("{% load layouts %}{% panel sidebar %}[fallback]{% endpanel %}")
        quoted = type(
            "UnquotedLayout",
            (Layout,),
            {
                "__module__": "myapp.t",
                "template": "myapp/unquoted.html",
                "sidebar": Panel("<p>sidebar</p>"),
            },
        )
        assert _render(quoted, "").content.decode() == "<p>sidebar</p>"


# -- changelog.md --------------------------------------------------------------------------


def test_changelog_page_includes_the_changelog():
    from tests.docs.pages import DOCS, page_path

    assert page_path("changelog.md").read_text().strip() == '--8<-- "CHANGELOG.md"'
    assert (DOCS.parent / "CHANGELOG.md").read_text().startswith("# Changelog")


# -- api.md --------------------------------------------------------------------------------

#: Names the stubs of api.md use without importing them.
API_PREAMBLE = "from abc import ABC\nfrom dataclasses import dataclass\n"


def _api_stubs() -> dict[str, dict]:
    """Run api.md's stubs, section by section: module name -> the names they define."""
    import __future__

    from tests.docs.pages import page_path, python_blocks

    text = page_path("api.md").read_text().splitlines()
    sections = [
        (i + 1, m[1]) for i, line in enumerate(text) if (m := re.match(r"^## `([\w.]+)`$", line))
    ]
    stubs: dict[str, dict] = {}
    # dataclasses look up the module of a class with string annotations.
    stub_module = types.ModuleType("api_stub")
    sys.modules["api_stub"] = stub_module
    try:
        for block in python_blocks("api.md"):
            module = [name for line, name in sections if line < block.line][-1]
            namespace = stubs.setdefault(module, {"__name__": "api_stub"})
            stub_module.__dict__.clear()
            stub_module.__dict__.update(namespace)
            exec(API_PREAMBLE, stub_module.__dict__)
            flags = __future__.annotations.compiler_flag  # the stubs' annotations are for readers
            exec(compile(block.code, block.where, "exec", flags=flags), stub_module.__dict__)
            namespace.update(stub_module.__dict__)
    finally:
        del sys.modules["api_stub"]
    return {
        module: {
            name: value
            for name, value in namespace.items()
            if not name.startswith("_") and name not in ("ABC", "dataclass", "annotations")
        }
        for module, namespace in stubs.items()
    }


def _signature(func) -> list[tuple]:
    def default(value):
        if value is inspect.Parameter.empty:
            return "<required>"
        # `...` in a stub stands for a sentinel: a bare object() in the code.
        return "..." if value is Ellipsis or type(value) is object else repr(value)

    return [
        (p.name, p.kind, default(p.default)) for p in inspect.signature(func).parameters.values()
    ]


def _compare(name: str, stub, real) -> list[str]:
    problems = []
    if inspect.isclass(stub):
        mro = [klass.__name__ for klass in real.__mro__]
        problems += [
            f"{name}: not a {base.__name__}"
            for base in stub.__bases__
            if base is not object and base.__name__ not in mro
        ]
        annotations = {}
        for klass in reversed(real.__mro__):
            annotations.update(getattr(klass, "__annotations__", {}))
        fields = getattr(real, "__dataclass_fields__", {})
        for attr in getattr(stub, "__annotations__", {}):
            if attr in vars(stub):
                if getattr(real, attr, object()) != vars(stub)[attr]:
                    problems.append(f"{name}.{attr} is {getattr(real, attr, '<missing>')!r}")
            elif not (hasattr(real, attr) or attr in fields or attr in annotations):
                problems.append(f"{name}.{attr} does not exist")
        for attr, value in vars(stub).items():
            if attr.startswith("__") and attr != "__init__":
                continue
            if isinstance(value, (classmethod, staticmethod)) or inspect.isfunction(value):
                if not hasattr(real, attr):
                    problems.append(f"{name}.{attr} does not exist")
                    continue
                problems += _compare(f"{name}.{attr}", getattr(stub, attr), getattr(real, attr))
    elif callable(stub):
        if _signature(stub) != _signature(real):
            problems.append(f"{name}{inspect.signature(real)} != stub {inspect.signature(stub)}")
        if inspect.iscoroutinefunction(stub) != inspect.iscoroutinefunction(real):
            problems.append(f"{name}: async in one, sync in the other")
    elif stub != real:
        problems.append(f"{name} is {real!r}, not {stub!r}")
    return problems


def test_api_stubs_match_the_code():
    import importlib

    problems = []
    for module_name, names in _api_stubs().items():
        module = importlib.import_module(module_name)
        for name, stub in names.items():
            if not hasattr(module, name):
                problems.append(f"{module_name}.{name} does not exist")
            else:
                problems += _compare(f"{module_name}.{name}", stub, getattr(module, name))
    assert problems == []


def test_api_documents_every_public_name():
    import importlib

    import dj_layouts

    stubs = _api_stubs()
    assert set(stubs) == {"dj_layouts", "dj_layouts.cache", "dj_layouts.detection"}
    assert set(dj_layouts.__all__) - set(stubs["dj_layouts"]) == {"cache"}
    for module_name in ("dj_layouts.cache", "dj_layouts.detection"):
        module = importlib.import_module(module_name)
        public = {
            name
            for name, value in vars(module).items()
            if inspect.isfunction(value)
            and value.__module__ == module_name
            and not name.startswith("_")
        }
        assert public - set(stubs[module_name]) == set(), module_name


def test_api_lists_every_template_tag():
    from dj_layouts.templatetags.layouts import register
    from tests.docs.pages import page_path

    text = page_path("api.md").read_text()
    assert [tag for tag in register.tags if "{% " + tag not in text] == []


# -- claims made in prose --------------------------------------------------------------


def test_request_attributes_are_as_the_roles_table_says(tmp_path):
    from django.http import HttpResponse

    from dj_layouts import FrozenLayoutContext, LayoutContext, layout

    seen = {}

    def panel(request):
        seen["panel"] = request
        return HttpResponse("")

    @layout("docs_support.SlotsLayout", panels={"info": panel})
    def content(request):
        seen["main"] = request
        return HttpResponse("")

    with open_page("concepts.md", tmp_path):
        plain = get()
        content(plain)
    main, in_panel = seen["main"], seen["panel"]
    assert main is plain
    assert (main.layout_role, in_panel.layout_role) == ("main", "panel")
    assert (main.is_layout_partial, in_panel.is_layout_partial) == (False, False)
    assert type(main.layout_context) is LayoutContext
    assert type(in_panel.layout_context) is FrozenLayoutContext
    assert main.layout_queues is not in_panel.layout_queues
    assert main.layout_key == in_panel.layout_key == "docs_support.SlotsLayout"
    assert in_panel.layout_panel_name == "info" and not hasattr(main, "layout_panel_name")
    assert (in_panel.method, dict(in_panel.POST)) == ("GET", {})


def test_async_views_accept_an_async_get_layout_context(tmp_path):
    from asgiref.sync import async_to_sync
    from django.http import HttpResponse

    from dj_layouts import Layout, async_layout

    with open_page("layout-context.md", tmp_path):

        class AsyncContextLayout(Layout):
            template = "myapp/layout.html"

            async def get_layout_context(self, request):
                return {"page_title": "From async"}

        @async_layout(AsyncContextLayout)
        async def view(request):
            return HttpResponse("")

        page = async_to_sync(view)(get())
        assert "<title>From async</title>" in page.content.decode()
