"""{% panel %} and {% layout_hx_headers %} (the queue tags are tested in test_queue_tags.py)."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from django.http import HttpResponse
from django.template import Context, Template, TemplateSyntaxError

from dj_layouts import Layout, Panel, layout

pytestmark = pytest.mark.usefixtures("restore_layout_registry")


def _tags_layout():
    class TagsLayout(Layout):
        template = "testapp/core/tags.html"
        layout_context_defaults = {
            "site_name": "Acme",
            "slot_name": "html",
            "dangerous": "<script>x</script>",
        }
        html = Panel("<b>bold & <i>raw</i></b>")
        empty = Panel(lambda request: "")
        blank = Panel(lambda request: "  \n\t ")

    return TagsLayout


@pytest.fixture
def lines(rf):
    """Render a page of testapp/core/tags.html; its ``[name:html]`` lines by name."""

    def render(content="<p>the content</p>"):
        @layout(_tags_layout())
        def view(request):
            return HttpResponse(content)

        html = view(rf.get("/")).content.decode()
        return dict(line[1:-1].split(":", 1) for line in html.splitlines() if line.startswith("["))

    return render


def test_panel_html_is_not_escaped(lines):
    assert lines()["html"] == "<b>bold & <i>raw</i></b>"


def test_the_content_slot_is_the_content_views_output(lines):
    assert lines()["content"] == "<p>the content</p>"


def test_an_empty_content_view_shows_the_content_fallback(lines):
    assert lines(content="")["content"] == "none"


def test_fallback_when_empty_whitespace_or_unknown(lines):
    page = lines()
    assert page["empty"] == "fb-empty"
    assert page["blank"] == "fb-blank"
    # The fallback is template code: variables render, auto-escaped.
    assert page["unknown"] == "fb-unknown Acme &lt;script&gt;x&lt;/script&gt;"


def test_the_name_can_be_a_variable_or_a_filter_expression(lines):
    page = lines()
    assert page["var"] == "<b>bold & <i>raw</i></b>"
    assert page["filtered"] == "<b>bold & <i>raw</i></b>"


def test_panel_tags_work_in_extended_templates(rf):
    class ChildTemplateLayout(Layout):
        template = "testapp/core/tags-child.html"
        html = Panel("<nav>nav</nav>")

    @layout(ChildTemplateLayout)
    def view(request):
        return HttpResponse("<p>body</p>")

    assert view(rf.get("/")).content.decode() == (
        "<header><nav>nav</nav></header><main><p>body</p></main>\n"
    )


def test_outside_a_layout_page_the_fallback_shows():
    template = Template('{% load layouts %}{% panel "sidebar" %}no {{ what }}{% endpanel %}')
    assert template.render(Context({"what": "sidebar"})) == "no sidebar"


@pytest.mark.parametrize(
    "source",
    [
        "{% load layouts %}{% panel %}x{% endpanel %}",
        '{% load layouts %}{% panel "a" "b" %}x{% endpanel %}',
        '{% load layouts %}{% panel "a" as b %}x{% endpanel %}',
    ],
)
def test_bad_arguments_are_a_template_syntax_error_naming_the_tag(source):
    with pytest.raises(TemplateSyntaxError) as excinfo:
        Template(source)
    assert excinfo.value.args == (
        "'panel' takes exactly one argument, the panel name: "
        '{% panel "sidebar" %}fallback{% endpanel %}',
    )


def test_an_unclosed_panel_tag_is_a_template_syntax_error():
    with pytest.raises(TemplateSyntaxError) as excinfo:
        Template('{% load layouts %}{% panel "a" %}fallback')
    assert excinfo.value.args == (
        "Unclosed tag on line 1: 'panel'. Looking for one of: loading, endpanel.",
    )


# -- {% layout_hx_headers %} -------------------------------------------------------------
class _BodyAttrs(HTMLParser):
    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self.attrs = dict(attrs)


def test_layout_hx_headers_names_the_layouts_registry_key(rf):
    @layout(_tags_layout())
    def view(request):
        return HttpResponse("c")

    html = view(rf.get("/")).content.decode()
    assert (
        "<body hx-headers='{&quot;DJ-Layout&quot;: &quot;tests.TagsLayout&quot;}'></body>" in html
    )
    parser = _BodyAttrs()
    parser.feed(html)
    assert json.loads(parser.attrs["hx-headers"]) == {"DJ-Layout": "tests.TagsLayout"}


def test_layout_hx_headers_escapes_the_key(rf):
    class QuotedLayout(Layout):
        template = "testapp/core/tags.html"
        registry_key = "it's.<Quoted>"

    @layout(QuotedLayout)
    def view(request):
        return HttpResponse("c")

    html = view(rf.get("/")).content.decode()
    assert "<Quoted>" not in html
    parser = _BodyAttrs()
    parser.feed(html)
    assert json.loads(parser.attrs["hx-headers"]) == {"DJ-Layout": "it's.<Quoted>"}


def test_layout_hx_headers_outside_a_layout_page_is_empty():
    template = Template("{% load layouts %}<body {% layout_hx_headers %}>")
    assert template.render(Context({})) == "<body >"
