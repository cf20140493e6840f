"""docs/concepts.md: every sample runs (Sybil), and the page says what the code does."""

from __future__ import annotations

from tests.docs.support import get, open_page, slots

PAGE = "concepts.md"


def test_every_sample_runs(tmp_path):
    with open_page(PAGE, tmp_path) as project:
        project.run_samples()


def test_concepts_roles(tmp_path):
    with open_page(PAGE, tmp_path) as project:
        ns = project.run_samples()
        page = slots(ns["article"](get("/articles/1/")))
        assert page["content"] == "<article>main</article>"
        assert page["info"] == "<p>panel info: On layouts</p>"


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

    with open_page(PAGE, tmp_path):
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
