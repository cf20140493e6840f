"""render_with_layout(): a template as the content of a full layout page."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

from dj_layouts import Panel, layout, render_with_layout

#: What the dual-use view saw, per call.
DUAL_ROLES: list = []


def dual_view(request):
    DUAL_ROLES.append(getattr(request, "layout_role", None))
    return render_with_layout(
        request, "tests.ShortcutsDualLayout", "testapp/core/content.html", {"heading": "Dual"}
    )


urlpatterns = [path("dual/", dual_view, name="shortcuts-dual")]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.usefixtures("restore_layout_registry")]

QUERY_PARAM_PARTIALS = override_settings(
    DJ_LAYOUTS={"PARTIAL_DETECTORS": ["dj_layouts.detection.query_param_detector"]}
)


@pytest.fixture
def shortcut_layout(make_layout):
    return make_layout("ShortcutsLayout", side=Panel("<p>side</p>"), foot=Panel("<p>foot</p>"))


def test_renders_the_template_as_the_content_of_the_full_page(rf, slots, shortcut_layout):
    response = render_with_layout(
        rf.get("/shortcut/"), shortcut_layout, "testapp/core/content.html", {"heading": "Hi"}
    )
    assert response.status_code == 200
    page = slots(response)
    assert page["content"] == '<h1>Hi</h1><p class="content-path">/shortcut/</p>\n'
    assert (page["side"], page["foot"]) == ("<p>side</p>", "<p>foot</p>")
    assert '<p class="proc">from-processor</p>' in response.content.decode()


def test_a_registry_key_a_template_list_and_no_context(rf, slots, shortcut_layout):
    response = render_with_layout(
        rf.get("/"),
        "tests.ShortcutsLayout",
        ["testapp/core/no-such-template.html", "testapp/core/content.html"],
    )
    assert slots(response)["content"] == '<h1></h1><p class="content-path">/</p>\n'


def test_the_templates_queue_items_reach_the_layout(rf, shortcut_layout):
    html = render_with_layout(
        rf.get("/"), shortcut_layout, "testapp/page.html", {"heading": "Queued"}
    ).content.decode()
    assert "<h1>Queued</h1>" in html
    assert '<div id="scripts"><script src="/static/page.js" defer></script></div>' in html


def test_panels_override(rf, slots, shortcut_layout):
    page = slots(
        render_with_layout(
            rf.get("/"),
            shortcut_layout,
            "testapp/core/content.html",
            panels={"side": Panel("<p>other side</p>"), "foot": None},
        )
    )
    assert (page["side"], page["foot"]) == ("<p>other side</p>", "fallback:foot")


def test_bad_panels_are_a_type_error(rf, shortcut_layout):
    with pytest.raises(TypeError) as excinfo:
        render_with_layout(rf.get("/"), shortcut_layout, "testapp/core/content.html", panels=5)
    assert excinfo.value.args == (
        "render_with_layout(): panels must be a dict of name -> Panel or None, not 5.",
    )


def test_bad_streaming_is_a_type_error(rf, shortcut_layout):
    with pytest.raises(TypeError) as excinfo:
        render_with_layout(
            rf.get("/"), shortcut_layout, "testapp/core/content.html", streaming="later"
        )
    assert excinfo.value.args == (
        "render_with_layout(streaming=...) must be None, 'ordered' or 'unordered', not 'later'.",
    )


def test_an_unknown_registry_key_is_a_key_error(rf):
    with pytest.raises(KeyError) as excinfo:
        render_with_layout(rf.get("/"), "tests.NoSuchShortcutLayout", "testapp/core/content.html")
    assert excinfo.value.args[0].startswith(
        "No layout is registered under 'tests.NoSuchShortcutLayout'. Registered layouts: "
    )


@QUERY_PARAM_PARTIALS
def test_always_the_full_page_even_when_a_detector_says_partial(rf, slots, shortcut_layout):
    @layout(shortcut_layout)
    def decorated(request):
        return HttpResponse("<p>partial</p>")

    assert decorated(rf.get("/?_partial=1")).content == b"<p>partial</p>"
    response = render_with_layout(
        rf.get("/?_partial=1"), shortcut_layout, "testapp/core/content.html", {"heading": "Full"}
    )
    page = slots(response)
    assert page["content"] == '<h1>Full</h1><p class="content-path">/</p>\n'
    assert page["side"] == "<p>side</p>"


def test_dual_use_in_panel_role_returns_only_the_template(rf, client, make_layout, slots):
    make_layout("ShortcutsDualLayout", inner_side=Panel("<p>inner side</p>"))
    outer = make_layout("ShortcutsOuterLayout", dual=Panel(url_name="shortcuts-dual"))
    DUAL_ROLES.clear()
    page = slots(layout(outer)(lambda request: HttpResponse("outer"))(rf.get("/outer/")))
    assert page["dual"] == '<h1>Dual</h1><p class="content-path">/outer/</p>\n'
    assert "inner side" not in page["dual"]
    assert DUAL_ROLES == ["panel"]
    own = slots(client.get("/dual/"))
    assert own["content"] == '<h1>Dual</h1><p class="content-path">/dual/</p>\n'
    assert own["inner_side"] == "<p>inner side</p>"
    assert DUAL_ROLES == ["panel", None]
