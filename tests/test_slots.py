"""Which panels a layout's template places, and pages skipping panels that have no slot."""

from __future__ import annotations

import pytest
from django.http import HttpResponse

from dj_layouts import Layout, Panel, async_layout, layout
from dj_layouts.slots import TemplateSlots, placed_panels, template_slots

pytestmark = pytest.mark.usefixtures("restore_layout_registry")


def test_the_slots_of_a_template_follow_literal_extends_and_includes():
    assert template_slots("testapp/checks/child.html") == TemplateSlots(
        frozenset({"header", "content", "footer", "sidebr"}), complete=True
    )


@pytest.mark.parametrize(
    "name",
    [
        "testapp/checks/dynamic.html",  # {% include extra_template %}
        "testapp/core/slots.html",  # {% panel slot %} in a loop
        "testapp/no-such-template.html",
    ],
)
def test_slots_decided_at_render_time_are_not_complete(name):
    assert template_slots(name).complete is False


def _layouts(calls):
    def record(name):
        def view(request):
            calls.append(name)
            return f"<p>{name}</p>"

        return view

    class StaticSlotsLayout(Layout):
        template = "testapp/checks/child.html"
        header = Panel(record("header"))
        footer = Panel(record("footer"))
        slotless = Panel(record("slotless"))

    class DynamicSlotsLayout(Layout):
        template = "testapp/checks/dynamic.html"
        layout_context_defaults = {"extra_template": "testapp/checks/footer.html"}
        header = Panel(record("header"))
        slotless = Panel(record("slotless"))

    return StaticSlotsLayout, DynamicSlotsLayout


def test_a_panel_without_a_slot_does_not_run(rf):
    calls = []
    static, _ = _layouts(calls)

    @layout(static, panels={"sidebr": Panel("<p>s</p>"), "extra": Panel(lambda r: "x")})
    def page(request):
        return HttpResponse("c")

    html = page(rf.get("/")).content.decode()
    assert sorted(calls) == ["footer", "header"]
    assert "<aside><p>s</p></aside>" in html  # a slot filled per view runs
    assert placed_panels(static) == frozenset({"header", "content", "footer", "sidebr"})


async def test_a_panel_without_a_slot_does_not_run_async(rf):
    calls = []
    static, _ = _layouts(calls)

    @async_layout(static)
    async def page(request):
        return HttpResponse("c")

    await page(rf.get("/"))
    assert sorted(calls) == ["footer", "header"]


def test_every_panel_runs_when_the_slots_are_decided_at_render_time(rf):
    calls = []
    _, dynamic = _layouts(calls)

    @layout(dynamic)
    def page(request):
        return HttpResponse("c")

    page(rf.get("/"))
    assert sorted(calls) == ["header", "slotless"]
    assert placed_panels(dynamic) is None


def test_a_layout_that_picks_its_template_per_request_runs_every_panel(rf):
    calls = []

    class PickingLayout(Layout):
        template = "testapp/checks/child.html"
        layout_context_defaults = {"extra_template": "testapp/checks/footer.html"}
        elsewhere = Panel(lambda request: calls.append("elsewhere") or "")

        def get_template(self, request):
            return "testapp/checks/dynamic.html"

    @layout(PickingLayout)
    def page(request):
        return HttpResponse("c")

    page(rf.get("/"))
    assert calls == ["elsewhere"]
    assert placed_panels(PickingLayout) is None


def test_debug_mode_logs_a_slot_that_names_no_panel(rf, settings, caplog):
    class TypoLayout(Layout):
        template = "testapp/checks/child.html"  # places "sidebr"
        header = Panel("<h1>h</h1>")
        footer = Panel("<p>f</p>")
        sidebar = Panel("<p>s</p>")

    @layout(TypoLayout)
    def page(request):
        return HttpResponse("c")

    page(rf.get("/"))
    assert [r for r in caplog.records if "sidebr" in r.getMessage()] == []  # not in production
    settings.DEBUG = True
    page(rf.get("/"))
    assert [r.getMessage() for r in caplog.records if r.name == "dj_layouts"] == [
        '{% panel "sidebr" %} in the template of layout tests.TypoLayout names no panel of '
        "this page, so its fallback shows. Declared panels: header, footer, sidebar."
    ]


def test_the_slots_are_read_again_when_a_template_file_changes(rf, settings, tmp_path):
    from django.utils.autoreload import file_changed

    (tmp_path / "live.html").write_text('{% load layouts %}{% panel "a" %}{% endpanel %}')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]

    class LiveLayout(Layout):
        template = "live.html"
        a = Panel("<p>a</p>")
        b = Panel("<p>b</p>")

    assert placed_panels(LiveLayout) == frozenset({"a"})
    (tmp_path / "live.html").write_text(
        '{% load layouts %}{% panel "a" %}{% endpanel %}{% panel "b" %}{% endpanel %}'
    )
    assert placed_panels(LiveLayout) == frozenset({"a"})  # remembered
    file_changed.send(sender=None, file_path=tmp_path / "live.html")
    # runserver's own receiver resets the template loaders; do what it does.
    from django.template import engines

    for loader in engines["django"].engine.template_loaders:
        loader.reset()
    assert placed_panels(LiveLayout) == frozenset({"a", "b"})

    @layout(LiveLayout)
    def page(request):
        return HttpResponse("c")

    assert page(rf.get("/")).content.decode() == "<p>a</p><p>b</p>"


def test_a_template_included_twice_is_read_once():
    assert template_slots("testapp/checks/twice.html") == TemplateSlots(
        frozenset({"content", "footer"}), complete=True
    )
