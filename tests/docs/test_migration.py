"""docs/migration.md: every sample runs (Sybil), and the page says what the code does."""

from __future__ import annotations

from tests.docs.support import open_page, render, slots

PAGE = "migration.md"


def test_every_sample_runs(tmp_path):
    with open_page(PAGE, tmp_path) as project:
        project.run_samples()


def test_migration_samples(tmp_path):
    with open_page(PAGE, tmp_path) as project:
        ns = project.run_samples()
        links = slots(render(ns["LinksLayout"], "<p>x</p>"))
        assert links["footer"] == "<a href='https://example.com'>Example</a>"
        assert links["nav"] == "<nav>site nav</nav>"

        page = render("docs_support.SlotsLayout", "", panels={"info": ns["chart_panel"]})
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

    with open_page(PAGE, tmp_path):
        page = render("docs_support.SlotsLayout", "", panels={"info": first, "news": second})
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

    with open_page(PAGE, tmp_path) as project:
        page = render("docs_support.SlotsLayout", "", panels={"info": old_style})
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
        assert slots(render(old, ""))["nav"] == "[nav|nav]"

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
        assert render(quoted, "").content.decode() == "<p>sidebar</p>"
