"""The render-queue tags: addscript, addstyle, enqueue, renderscripts, renderstyles, renderqueue."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.http import HttpResponse
from django.template import Context, RequestContext, Template, TemplateSyntaxError
from django.test import AsyncRequestFactory, RequestFactory, override_settings

from dj_layouts import (
    Layout,
    Panel,
    RenderQueue,
    ScriptQueue,
    StyleQueue,
    add_script,
    async_layout,
    layout,
)

pytestmark = pytest.mark.usefixtures("restore_layout_registry")

LAYOUT_TEMPLATE = "testapp/queues/layout.html"
MODES = ["sync", "async"]
_SECTION = re.compile(r"<!--(\w+)-->(.*?)<!--/\1-->", re.S)
_MAIN = re.compile(r"<main>(.*?)</main>", re.S)


def queues_of(response: Any) -> dict[str, list[str]]:
    html = response.content.decode()
    return {
        name: [line for line in body.split("\n") if line] for name, body in _SECTION.findall(html)
    }


def main_of(response: Any) -> str:
    found = _MAIN.search(response.content.decode())
    assert found is not None
    return found.group(1)


def from_template(source: str, **context: Any) -> Callable[[Any], HttpResponse]:
    """A view (or panel) that renders ``source`` with the request."""
    compiled = Template("{% load layouts %}" + source)

    def view(request, **kwargs):
        return HttpResponse(compiled.render(RequestContext(request, context)))

    return view


def queue_layout(make_layout: Callable[..., type[Layout]], **attrs: Any) -> type[Layout]:
    attrs.setdefault("extra", RenderQueue())
    attrs.setdefault("template", LAYOUT_TEMPLATE)
    return make_layout("TagLayout", **attrs)


async def get_page(mode: str, layout_class: type[Layout], content: Callable[[Any], Any]) -> Any:
    if mode == "sync":
        view = layout(layout_class)(content)
        return await sync_to_async(view)(RequestFactory().get("/page/"))

    async def async_content(request):
        return content(request)

    return await async_layout(layout_class)(async_content)(AsyncRequestFactory().get("/page/"))


# -- parsing ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "{% addscript %}",
            "Unclosed tag on line 1: 'addscript'. Looking for one of: endaddscript.",
        ),
        (
            "{% addstyle %}",
            "Unclosed tag on line 1: 'addstyle'. Looking for one of: endaddstyle.",
        ),
        (
            '{% addscript "/a.js" defer lazy %}',
            "'addscript' does not understand 'lazy'. Flags: defer, async, module, nomodule; "
            'other attributes as name="value".',
        ),
        (
            '{% addstyle "/a.css" defer %}',
            "'addstyle' does not understand 'defer'. Flags: none; "
            'other attributes as name="value".',
        ),
        (
            "{% enqueue %}x{% endenqueue %}",
            "'enqueue' takes exactly one argument, the queue name: "
            '{% enqueue "scripts" %}...{% endenqueue %}',
        ),
        (
            '{% enqueue "scripts" "styles" %}x{% endenqueue %}',
            "'enqueue' takes exactly one argument, the queue name: "
            '{% enqueue "scripts" %}...{% endenqueue %}',
        ),
        (
            "{% renderqueue %}",
            "'renderqueue' did not receive value(s) for the argument(s): 'name'",
        ),
        ('{% renderscripts "a" "b" %}', "'renderscripts' received too many positional arguments"),
    ],
)
def test_bad_tag_arguments_are_template_syntax_errors(source, message):
    with pytest.raises(TemplateSyntaxError) as excinfo:
        Template("{% load layouts %}" + source)
    assert excinfo.value.args == (message,)


def test_an_enqueue_block_must_be_closed():
    with pytest.raises(TemplateSyntaxError) as excinfo:
        Template('{% load layouts %}{% enqueue "scripts" %}x')
    assert "endenqueue" in str(excinfo.value)


# -- adding -------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
async def test_addscript_flags_and_attributes(mode, make_layout):
    content = from_template(
        '{% addscript "/app.js" defer async module integrity="sha384-x" crossorigin="anonymous" %}'
        "{% addscript legacy nomodule data-build=build %}"
        '{% addscript "/app.js" %}'  # once per src: the first one's attributes stay
        "<h1>c</h1>",
        legacy="/legacy.js",
        build=42,
    )
    response = await get_page(mode, queue_layout(make_layout), content)
    assert queues_of(response)["scripts"] == [
        '<script src="/app.js" defer async integrity="sha384-x" crossorigin="anonymous" '
        'type="module"></script>',
        '<script src="/legacy.js" nomodule data-build="42"></script>',
    ]
    assert main_of(response) == "<h1>c</h1>"  # the tags themselves render nothing


@pytest.mark.parametrize("mode", MODES)
async def test_addstyle_with_media(mode, make_layout):
    content = from_template(
        '{% addstyle "/site.css" %}{% addstyle "/print.css" media="print" %}'
        '{% addstyle "/site.css" media="print" %}{% addstyle "/site.css" %}'
    )
    response = await get_page(mode, queue_layout(make_layout), content)
    assert queues_of(response)["styles"] == [
        '<link rel="stylesheet" href="/site.css">',
        '<link rel="stylesheet" href="/print.css" media="print">',
        '<link rel="stylesheet" href="/site.css" media="print">',
    ]


@pytest.mark.parametrize("mode", MODES)
async def test_values_from_the_context_are_escaped(mode, make_layout):
    content = from_template(
        "{% addscript src integrity=sri %}{% addstyle href media=media %}",
        src='/a.js?x=1&y="2"',
        sri='"><script>alert(1)</script>',
        href="/a.css?<x>",
        media="screen' onload='x()",
    )
    response = await get_page(mode, queue_layout(make_layout), content)
    assert queues_of(response)["scripts"] == [
        '<script src="/a.js?x=1&amp;y=&quot;2&quot;" '
        'integrity="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"></script>'
    ]
    assert queues_of(response)["styles"] == [
        '<link rel="stylesheet" href="/a.css?&lt;x&gt;" media="screen&#x27; onload=&#x27;x()">'
    ]


@pytest.mark.parametrize("mode", MODES)
async def test_queue_attribute_picks_the_queue(mode, make_layout):
    content = from_template(
        '{% addscript "/head.js" queue="head_js" %}{% addscript "/body.js" %}'
        '{% addstyle "/late.css" queue=late %}',
        late="late_css",
    )
    layout_class = queue_layout(
        make_layout,
        template="testapp/queues/named.html",
        head_js=ScriptQueue(),
        late_css=StyleQueue(),
    )
    response = await get_page(mode, layout_class, content)
    assert queues_of(response) == {
        "head_js": ['<script src="/head.js"></script>'],
        "scripts": ['<script src="/body.js"></script>'],
        "late_css": ['<link rel="stylesheet" href="/late.css">'],
        "styles": [],
    }


@pytest.mark.parametrize("mode", MODES)
async def test_enqueue_blocks(mode, make_layout):
    content = from_template(
        '{% enqueue "scripts" %}start({{ page|safe }});{% endenqueue %}'
        '{% enqueue "scripts" %}<script type="module">import "/m.js";</script>'
        "<script>after()</script>{% endenqueue %}"
        '{% enqueue "styles" %}<style media="print">nav{display:none}</style>{% endenqueue %}'
        '{% enqueue "extra" %}<template id="{{ page }}"><b>x</b></template>{% endenqueue %}'
        '{% enqueue "extra" %}{% if false_flag %}<i>never</i>{% endif %}{% endenqueue %}'
        "<h1>c</h1>",
        page=7,
        false_flag=False,
    )
    response = await get_page(mode, queue_layout(make_layout), content)
    assert queues_of(response) == {
        "styles": ['<style media="print">nav{display:none}</style>'],
        "scripts": [
            "<script>start(7);</script>",
            '<script type="module">import "/m.js";</script>',
            "<script>after()</script>",
        ],
        "extra": ['<template id="7"><b>x</b></template>'],
    }
    assert main_of(response) == "<h1>c</h1>"


@pytest.mark.parametrize("mode", MODES)
async def test_tags_in_panels_merge_in_definition_order_without_duplicates(mode, make_layout):
    shared = '{% addscript "/shared.js" %}{% enqueue "extra" %}<i>shared</i>{% endenqueue %}'
    layout_class = queue_layout(
        make_layout,
        first=Panel(from_template(shared + '{% addscript "/first.js" %}<p>1</p>')),
        second=Panel(from_template(shared + '{% addscript "/second.js" %}<p>2</p>')),
        tpl=Panel(template="testapp/queues/panel.html", context={"greeting": "tpl"}),
    )
    content = from_template('{% addscript "/content.js" %}<h1>c</h1>')
    response = await get_page(mode, layout_class, content)
    assert queues_of(response) == {
        "styles": ['<link rel="stylesheet" href="/panel-template.css" media="print">'],
        "scripts": [
            '<script src="/content.js"></script>',
            '<script src="/shared.js"></script>',
            '<script src="/first.js"></script>',
            '<script src="/second.js"></script>',
            '<script src="/panel-template.js" defer></script>',
        ],
        "extra": ["<i>shared</i>", "<i>from tpl</i>"],
    }


@pytest.mark.parametrize("mode", MODES)
async def test_the_layout_template_itself_may_queue_before_rendering(mode, make_layout):
    layout_class = queue_layout(make_layout, template="testapp/queues/self_queueing.html")

    def content(request):
        add_script(request, "/content.js")
        return HttpResponse("<h1>c</h1>")

    response = await get_page(mode, layout_class, content)
    assert queues_of(response)["scripts"] == [
        '<script src="/content.js"></script>',
        '<script src="/layout.js" defer></script>',
    ]


# -- rendering ----------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
async def test_render_tags_take_a_queue_name(mode, make_layout):
    layout_class = queue_layout(
        make_layout,
        template="testapp/queues/named.html",
        head_js=ScriptQueue(),
        late_css=StyleQueue(),
    )

    def content(request):
        add_script(request, "/head.js", queue="head_js")
        add_script(request, "/body.js")
        return HttpResponse("<h1>c</h1>")

    response = await get_page(mode, layout_class, content)
    assert queues_of(response) == {
        "head_js": ['<script src="/head.js"></script>'],
        "scripts": ['<script src="/body.js"></script>'],
        "late_css": [],
        "styles": [],
    }


@pytest.mark.parametrize("mode", MODES)
async def test_renderqueue_of_an_unknown_queue_is_a_key_error(mode, make_layout):
    layout_class = make_layout("NoExtraLayout", template=LAYOUT_TEMPLATE)
    with pytest.raises(KeyError) as excinfo:
        await get_page(mode, layout_class, from_template("<h1>c</h1>"))
    assert excinfo.value.args == (
        "Layout tests.NoExtraLayout has no queue named 'extra'. Declared queues: "
        "'scripts', 'styles'. Declare it on the layout, e.g. extra = RenderQueue().",
    )


@pytest.mark.parametrize("mode", MODES)
async def test_render_tags_without_a_queue_of_their_kind_render_nothing(
    mode, restore_layout_registry
):
    class FragmentsOnlyLayout(Layout):
        template = "testapp/queues/layout.html"
        extra = RenderQueue()

    response = await get_page(mode, FragmentsOnlyLayout, from_template("<h1>c</h1>"))
    assert queues_of(response) == {"styles": [], "scripts": [], "extra": []}


@pytest.mark.parametrize("mode", MODES)
async def test_renderscripts_with_several_script_queues_and_no_default_is_an_error(
    mode, restore_layout_registry
):
    class TwoScriptQueuesLayout(Layout):
        template = "testapp/queues/layout.html"
        head_js = ScriptQueue()
        body_js = ScriptQueue()
        styles = StyleQueue()
        extra = RenderQueue()

    with pytest.raises(KeyError) as excinfo:
        await get_page(mode, TwoScriptQueuesLayout, from_template("<h1>c</h1>"))
    assert excinfo.value.args == (
        "{% renderscripts %}: layout tests.TwoScriptQueuesLayout has no default ScriptQueue. "
        "Declare one (e.g. scripts = ScriptQueue()) or pass queue='name'. Declared queues: "
        "'head_js', 'body_js', 'styles', 'extra'.",
    )


@pytest.mark.parametrize("mode", MODES)
async def test_the_nonce_reaches_blocks_queued_by_tags(mode, make_layout, settings):
    from csp.constants import NONCE, SELF
    from csp.middleware import CSPMiddleware

    content = from_template(
        '{% addscript "/a.js" %}{% enqueue "scripts" %}go(){% endenqueue %}'
        '{% enqueue "styles" %}<style>p{}</style>{% endenqueue %}'
    )
    layout_class = queue_layout(make_layout)
    if mode == "sync":
        view: Any = layout(layout_class)(content)
        request = RequestFactory().get("/page/")
    else:

        async def async_content(request):
            return content(request)

        view = async_layout(layout_class)(async_content)
        request = AsyncRequestFactory().get("/page/")
    policy = {"DIRECTIVES": {"script-src": [SELF, NONCE], "style-src": [SELF, NONCE]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        middleware = CSPMiddleware(view)
        result = middleware(request)
        response = await result if inspect.isawaitable(result) else result
    (nonce,) = set(re.findall(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]))
    assert queues_of(response)["scripts"] == [
        f'<script src="/a.js" nonce="{nonce}"></script>',
        f'<script nonce="{nonce}">go()</script>',
    ]
    assert queues_of(response)["styles"] == [f'<style nonce="{nonce}">p{{}}</style>']


# -- outside a layout request --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "tag"),
    [
        ('{% addscript "/a.js" %}', "{% addscript %}"),
        ('{% addstyle "/a.css" %}', "{% addstyle %}"),
        ('{% enqueue "scripts" %}go(){% endenqueue %}', "{% enqueue %}"),
    ],
)
def test_adding_outside_a_layout_request_says_so(rf, source, tag):
    compiled = Template("{% load layouts %}" + source)
    with pytest.raises(RuntimeError) as excinfo:
        compiled.render(RequestContext(rf.get("/")))
    assert excinfo.value.args == (
        f"{tag} needs a request rendered by a layout, and this one is not (it has no request.layout_queues). Call it from a "
        "view under @layout/@async_layout or a layout mixin, or from one of their panels.",
    )
    with pytest.raises(RuntimeError) as excinfo:
        compiled.render(Context())
    assert excinfo.value.args == (
        f"{tag} found no request to queue on. Render the template with the request "
        "(render(request, ...), a TemplateResponse or render_to_string(..., request=request)).",
    )


def test_rendering_outside_a_layout_request_renders_nothing(rf):
    # A base template shared with pages that no layout renders (a 404 page) keeps working.
    compiled = Template(
        '{% load layouts %}[{% renderscripts %}|{% renderstyles %}|{% renderqueue "extra" %}]'
    )
    assert compiled.render(RequestContext(rf.get("/"))) == "[||]"
    assert compiled.render(Context()) == "[||]"
