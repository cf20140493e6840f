"""Spellings of the existing dj-layouts package that must keep working (SPEC §1)."""

from __future__ import annotations

import pytest
from django.http import HttpResponse, HttpResponseForbidden
from django.template import Context, RequestContext, Template, engines

from dj_layouts import (
    ConditionalPanel,
    Layout,
    Panel,
    RenderQueue,
    ScriptQueue,
    StyleQueue,
    add_script,
    add_style,
    add_to_queue,
    async_layout,
    layout,
)
from dj_layouts.collector import QueueCollector


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


# == issue 16: what tests and code written for the existing package do ==========================
def test_conditional_panel_takes_template_name_and_renders_the_template(rf):
    class TemplateLayout(Layout):
        template = "testapp/other.html"
        layout_context_defaults = {"site_name": "Shop", "greeting": "hi", "show": True}
        footer = ConditionalPanel(template_name="testapp/panel.html", condition="show")

    @layout(TemplateLayout)
    def page(request):
        return HttpResponse("<h1>c</h1>")

    html = page(rf.get("/")).content.decode()
    assert "<footer><p>Shop/hi</p>\n</footer>" in html


@pytest.mark.parametrize(
    ("kwargs", "got"),
    [
        ({"source": "<p>x</p>"}, "source"),
        ({"literal": "x"}, "literal"),
        ({"template": "a.html"}, "template"),
    ],
)
def test_conditional_panel_template_name_with_another_source_is_a_type_error(kwargs, got):
    with pytest.raises(TypeError) as excinfo:
        ConditionalPanel(template_name="testapp/panel.html", condition=True, **kwargs)
    assert excinfo.value.args == (
        f"ConditionalPanel() takes exactly one source, got {got} and template_name. Pass one "
        "of: a positional source, url_name=, literal= or template= (template_name= is its "
        "alias).",
    )


def test_should_render_takes_a_request_with_its_layout_context(rf):
    panel = ConditionalPanel("<p>x</p>", condition="user.is_staff")
    request = rf.get("/")
    request.layout_context = {"user": {"is_staff": True}}
    assert panel.should_render(request) is True
    request.layout_context = {"user": {"is_staff": False}}
    assert panel.should_render(request) is False
    assert panel.should_render(rf.get("/")) is False  # no layout_context at all
    assert panel.should_render({"user": {"is_staff": True}}) is True


def test_decorated_functions_carry_layout_class_as_given():
    class KeyedLayout(Layout):
        template = "testapp/other.html"

    @layout(KeyedLayout)
    def by_class(request):
        return HttpResponse("")

    @layout("tests.KeyedLayout")
    def by_key(request):
        return HttpResponse("")

    @async_layout(KeyedLayout)
    async def async_view(request):
        return HttpResponse("")

    assert by_class.layout_class is KeyedLayout
    assert by_key.layout_class == "tests.KeyedLayout"
    assert async_view.layout_class is KeyedLayout


@pytest.fixture
def hand_queues(rf):
    """A request with queues set by hand, as the existing package's tests do."""
    request = rf.get("/")
    request.layout_queues = {
        "scripts": ScriptQueue(),
        "styles": StyleQueue(),
        "extras": RenderQueue(template="testapp/queues/compat-extras.html"),
    }
    return request


def test_renderscripts_with_a_request_context_after_addscript_in_another_template(hand_queues):
    Template("{% load layouts %}{% addscript '/js/a.js' %}").render(RequestContext(hand_queues))
    html = Template("{% load layouts %}{% renderscripts %}").render(RequestContext(hand_queues))
    assert html == '<script src="/js/a.js"></script>'
    Template("{% load layouts %}{% addstyle '/css/a.css' %}").render(RequestContext(hand_queues))
    html = Template("{% load layouts %}{% renderstyles %}").render(RequestContext(hand_queues))
    assert html == '<link rel="stylesheet" href="/css/a.css">'


def test_empty_queues_render_nothing_even_with_a_template(hand_queues):
    html = Template(
        "{% load layouts %}[{% renderscripts %}|{% renderstyles %}|{% renderqueue 'extras' %}]"
    ).render(RequestContext(hand_queues))
    assert html == "[||]"


def test_render_queue_renders_its_items_through_its_template(hand_queues):
    add_to_queue(hand_queues, "extras", "<meta name='a'>")
    hand_queues.layout_queues["extras"].add("<meta name='b'>")  # a collector by now
    html = Template("{% load layouts %}{% renderqueue 'extras' %}").render(
        RequestContext(hand_queues)
    )
    assert html == "<ul><li><meta name='a'></li><li><meta name='b'></li></ul>\n"


def test_a_collector_of_hand_made_queues_takes_strings(rf):
    request = rf.get("/")
    request.layout_queues = QueueCollector.of({"extras": RenderQueue(), "scripts": ScriptQueue()})
    request.layout_queues["extras"].add("<meta>")
    request.layout_queues["extras"].add("  ")  # blank: nothing
    request.layout_queues["scripts"].add("go();")
    html = Template("{% load layouts %}{% renderqueue 'extras' %}|{% renderscripts %}").render(
        RequestContext(request)
    )
    assert html == "<meta>|<script>go();</script>"


def test_an_unknown_queue_name_is_a_key_error(hand_queues):
    with pytest.raises(KeyError) as excinfo:
        add_to_queue(hand_queues, "unknown", "item")
    assert excinfo.value.args == (
        "Layout <request> has no queue named 'unknown'. Declared queues: 'scripts', 'styles', "
        "'extras'. Declare it on the layout, e.g. unknown = RenderQueue().",
    )


def test_queueing_without_layout_queues_is_also_an_attribute_error(rf):
    with pytest.raises(AttributeError, match="layout_queues"):
        add_script(rf.get("/"), "/js/app.js")


def test_the_tag_library_also_loads_as_dj_layouts(rf):
    class LoadLayout(Layout):
        template = "testapp/other.html"
        footer = Panel("<b>f</b>")
        scripts = ScriptQueue()

    same = Template("{% load dj_layouts %}{% panel 'footer' %}none{% endpanel %}")
    assert same.render(Context()) == "none"

    @layout(LoadLayout)
    def page(request):
        return HttpResponse(
            Template("{% load dj_layouts %}{% addscript '/x.js' %}ok").render(
                RequestContext(request)
            )
        )

    assert '<script src="/x.js"></script>' in page(rf.get("/")).content.decode()


def test_an_empty_render_queue_of_a_layout_does_not_render_its_template(rf):
    class EmptyQueueLayout(Layout):
        template = "testapp/queues/compat-layout.html"
        extras = RenderQueue(template="testapp/queues/compat-extras.html")

    @layout(EmptyQueueLayout)
    def empty(request):
        return HttpResponse("c")

    @layout(EmptyQueueLayout)
    def full(request):
        add_to_queue(request, "extras", "<i>x</i>")
        return HttpResponse("c")

    assert empty(rf.get("/")).content.decode() == "<main>c</main>[]\n"
    assert full(rf.get("/")).content.decode() == "<main>c</main>[<ul><li><i>x</i></li></ul>\n]\n"


def test_layout_queues_of_something_else_is_no_layout(rf):
    request = rf.get("/")
    request.layout_queues = {"scripts": "not a queue"}
    with pytest.raises(AttributeError, match="layout_queues"):
        add_script(request, "/a.js")
    html = Template("{% load layouts %}[{% renderscripts %}]").render(RequestContext(request))
    assert html == "[]"
