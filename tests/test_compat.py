"""Spellings of the existing dj-layouts package that must keep working (SPEC §1)."""

from __future__ import annotations

import pytest
from django.http import HttpResponse, HttpResponseForbidden
from django.template import engines

from dj_layouts import (
    Layout,
    Panel,
    RenderQueue,
    ScriptQueue,
    StyleQueue,
    add_script,
    add_style,
    layout,
)


def test_on_panel_error_can_tell_a_403_panel_from_a_raising_one(rf):
    seen = {}

    def forbidden(request):
        return HttpResponseForbidden("no")

    def raises(request):
        raise ValueError("bug")

    class HidingLayout(Layout):
        template = "testapp/other.html"
        footer = Panel([])  # replaced per test below

        def on_panel_error(self, request, error):
            seen[error.panel_name] = (error.status_code, error.is_http_error)
            return "" if error.is_http_error else "<p>broken</p>"

    for source, expected in ((forbidden, (403, True)), (raises, (None, False))):
        seen.clear()

        @layout(HidingLayout, panels={"footer": Panel(source)})
        def page(request):
            return HttpResponse("<h1>c</h1>")

        html = page(rf.get("/")).content.decode()
        assert seen == {"footer": expected}
        assert ("<p>broken</p>" in html) is (expected[0] is None)


def test_render_queue_template_items_print_as_html_and_keep_their_fields(rf, tmp_path, settings):
    (tmp_path / "q.html").write_text(
        "{% for item in items %}[{{ item }}|{{ item.src }}]{% endfor %}"
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]},
    ]

    class QueueLayout(Layout):
        template = "testapp/other.html"
        scripts = ScriptQueue(template="q.html")
        styles = StyleQueue()

    @layout(QueueLayout)
    def page(request):
        add_script(request, "/a.js", is_deferred=True)
        return HttpResponse("<h1>c</h1>")

    html = page(rf.get("/")).content.decode()
    assert '[<script src="/a.js" defer></script>|/a.js]' in html


def test_block_tags_add_inline_code(rf):
    class BlockLayout(Layout):
        template = "testapp/layout.html"
        scripts = ScriptQueue()
        styles = StyleQueue()
        extra = RenderQueue()

    engine = engines["django"]
    content = engine.from_string(
        "{% load layouts %}{% addscript %} init(); {% endaddscript %}"
        "{% addstyle %}.chart{color:red}{% endaddstyle %}<h1>c</h1>"
    )

    @layout(BlockLayout)
    def page(request):
        return HttpResponse(content.render({}, request))

    html = page(rf.get("/")).content.decode()
    assert "<script>init();</script>" in html
    assert "<style>.chart{color:red}</style>" in html


def test_add_script_needs_exactly_one_of_src_and_inline(rf):
    class OneLayout(Layout):
        template = "testapp/other.html"
        scripts = ScriptQueue()

    @layout(OneLayout)
    def page(request):
        with pytest.raises(TypeError) as excinfo:
            add_script(request, "/a.js", inline="x()")
        assert excinfo.value.args == (
            "add_script() takes a script URL or inline=code, exactly one of them "
            "(got src='/a.js', inline='x()').",
        )
        with pytest.raises(TypeError):
            add_style(request)
        return HttpResponse("ok")

    assert page(rf.get("/")).status_code == 200


def test_render_queue_takes_template_or_template_name_not_both():
    with pytest.raises(TypeError) as excinfo:
        RenderQueue("a.html", template="b.html")
    assert excinfo.value.args == ("RenderQueue() takes template_name= or template=, not both.",)
