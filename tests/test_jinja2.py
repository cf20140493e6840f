"""dj_layouts.jinja2: the same layout rendered by Django's Jinja2 backend and by Django
templates gives the same HTML -- slots, fallbacks, queues, hx headers, CSRF, streaming."""

from __future__ import annotations

import re
from pathlib import Path
from unittest import mock

import pytest
from django.http import HttpResponse
from django.shortcuts import render
from django.template import TemplateSyntaxError, engines
from django.test import Client, RequestFactory, override_settings
from django.urls import path
from django.views.decorators.csrf import csrf_protect

from dj_layouts import Layout, Panel, RenderQueue, ScriptQueue, StyleQueue, layout
from dj_layouts.jinja2 import environment

HERE = Path(__file__).parent / "jinjacmp"
WHO = "<b>Ann & co</b>"
DJANGO = {
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [HERE / "django"],
    "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
}
JINJA2 = {
    "BACKEND": "django.template.backends.jinja2.Jinja2",
    "DIRS": [HERE / "jinja2"],
    "OPTIONS": {"environment": "dj_layouts.jinja2.environment"},
}


def sidebar(request):
    return render(request, "cmp/sidebar.html", {"who": WHO})


def form(request):
    return render(request, "cmp/form.html")


class CmpLayout(Layout):
    template = "cmp/layout.html"
    styles = StyleQueue()
    scripts = ScriptQueue()
    modals = RenderQueue()
    sidebar = Panel(sidebar)
    empty = Panel()
    form = Panel(form)


def content(request):
    request.layout_context["title"] = "Title & <more>"
    return render(request, "cmp/content.html", {"who": WHO})


buffered = layout(CmpLayout)(content)
ordered = layout(CmpLayout, streaming="ordered")(content)
unordered = layout(CmpLayout, streaming="unordered")(content)


@csrf_protect
def submit(request):
    return HttpResponse("accepted")


urlpatterns = [
    path("cmp/buffered/", buffered),
    path("cmp/ordered/", ordered),
    path("cmp/unordered/", unordered),
    path("cmp/submit/", submit),
]

pytestmark = pytest.mark.urls(__name__)

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# In an unordered page's <djl-fill data-html="...">, the same input entity-escaped.
ESCAPED_CSRF = re.compile(r"name=&quot;csrfmiddlewaretoken&quot; value=&quot;(\w+)&quot;")


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def normalised(html: str) -> str:
    """CSRF tokens are masked afresh on every render, stream tokens are random."""
    html = CSRF.sub('name="csrfmiddlewaretoken" value="TOKEN"', html)
    html = ESCAPED_CSRF.sub("TOKEN", html)
    html = re.sub(r'data-page="[0-9a-f]{12}"', 'data-page="PAGE"', html)
    return re.sub(r"djl:[0-9a-f]{12}:", "djl:PAGE:", html)


def get_with(backend: dict, url: str, client: Client | None = None) -> str:
    with override_settings(TEMPLATES=[backend]):
        return body((client or Client()).get(url))


@pytest.mark.parametrize("url", ["/cmp/buffered/", "/cmp/ordered/", "/cmp/unordered/"])
def test_jinja2_and_django_templates_give_the_same_page(url):
    django_html = get_with(DJANGO, url)
    jinja_html = get_with(JINJA2, url)
    assert normalised(jinja_html) == normalised(django_html)


def test_the_buffered_page_has_every_part():
    html = normalised(get_with(JINJA2, "/cmp/buffered/"))
    assert html == (
        "<!doctype html><html><head><title>Title &amp; &lt;more&gt;</title>"
        '<link rel="stylesheet" href="/static/side.css" media="print">\n'
        "<style>aside { color: red }</style></head>\n"
        "<body><div id=\"page\" hx-headers='{&quot;DJ-Layout&quot;: &quot;tests.CmpLayout&quot;}'>"
        "<main><h1>Hello &lt;b&gt;Ann &amp; co&lt;/b&gt;</h1>\n</main>\n"
        "<aside><p>sidebar for &lt;b&gt;Ann &amp; co&lt;/b&gt;</p>\n</aside>\n"
        '<section id="empty"><p>empty &amp; fallback</p></section>\n'
        '<section id="form"><form method="post" action="/cmp/submit/">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="TOKEN"><button>go</button></form>\n'
        "</section>\n"
        '</div><dialog id="hi">hi &lt;b&gt;Ann &amp; co&lt;/b&gt;</dialog>'
        '<script src="/static/content.js" type="module"></script>\n'
        '<script src="/static/side.js" defer></script>\n'
        '<script>console.log("side")</script></body></html>\n'
    )


@pytest.mark.parametrize("executor", ["SequentialExecutor", "ThreadedExecutor"])
def test_csrf_input_in_a_jinja2_panel_posts_back(executor):
    import dj_layouts

    client = Client(enforce_csrf_checks=True)
    with mock.patch.object(CmpLayout, "executor", getattr(dj_layouts, executor)()):
        html = get_with(JINJA2, "/cmp/buffered/", client)
    tokens = CSRF.findall(html)
    assert len(tokens) == 1 and "csrftoken" in client.cookies
    assert client.post("/cmp/submit/", {"csrfmiddlewaretoken": tokens[0]}).status_code == 200


def jinja(source: str):
    return engines["jinja2"].from_string(source)


@pytest.fixture
def jinja_only():
    with override_settings(TEMPLATES=[JINJA2]):
        yield


@pytest.mark.usefixtures("jinja_only")
def test_outside_a_layout_slots_show_their_fallback_and_queues_nothing():
    template = jinja(
        '{{ panel("side", "a & b") }}|{% panel "x" %}<i>f</i>{% endpanel %}|'
        "{{ renderscripts() }}|{{ renderstyles() }}|{{ layout_hx_headers() }}"
    )
    assert template.render({}, RequestFactory().get("/")) == "a &amp; b|<i>f</i>|||"


@pytest.mark.usefixtures("jinja_only")
def test_the_panel_tag_works_when_a_variable_shadows_the_global():
    template = jinja(
        '{% for panel in ["a"] %}{% panel panel %}[{{ panel }}]{% endpanel %}{% endfor %}'
    )
    assert template.render({}) == "[a]"


@pytest.mark.usefixtures("jinja_only")
@pytest.mark.parametrize(
    ("source", "caller"),
    [
        ('{{ addscript("a.js") }}', "addscript()"),
        ('{{ addstyle("a.css") }}', "addstyle()"),
        ("{% call addscript() %}x{% endcall %}", "addscript()"),
        ('{% enqueue "modals" %}x{% endenqueue %}', "enqueue()"),
    ],
)
def test_queueing_outside_a_layout_names_the_jinja2_function(source, caller):
    with pytest.raises(RuntimeError) as excinfo:
        jinja(source).render({}, RequestFactory().get("/"))
    assert excinfo.value.args == (
        f"{caller} needs a request rendered by a layout, and this one is not (it has no "
        "request.layout_queues). Call it from a view under @layout/@async_layout or a "
        "layout mixin, or from one of their panels.",
    )


@pytest.mark.usefixtures("jinja_only")
def test_layout_hx_headers_rejects_a_non_boolean():
    with pytest.raises(TemplateSyntaxError) as excinfo:
        jinja('{{ layout_hx_headers(inherited="yes") }}').render({})
    assert excinfo.value.args == (
        "'layout_hx_headers()' takes inherited=True or inherited=False, not 'yes'.",
    )


def test_environment_keeps_options_and_the_final_newline():
    env = environment(autoescape=True)
    assert env.from_string("{{ x }}\n").render(x="<") == "&lt;\n"
    assert environment(keep_trailing_newline=False).from_string("a\n").render() == "a"
    assert {"panel", "renderscripts", "addscript", "enqueue"} <= set(env.globals)


@pytest.mark.usefixtures("jinja_only")
def test_plain_strings_given_to_panel_are_escaped():
    from markupsafe import Markup

    template = jinja('{{ panel("x", text) }}|{{ panel("y", html) }}')
    assert template.render({"text": "<b>", "html": Markup("<b>")}) == "&lt;b&gt;|<b>"


@pytest.mark.usefixtures("jinja_only")
def test_enqueue_escapes_a_plain_string_and_keeps_markup(rf):
    from markupsafe import Markup

    from dj_layouts.collector import QueueCollector

    request = rf.get("/")
    request.layout_queues = QueueCollector.for_layout(CmpLayout)
    jinja('{{ enqueue("modals", text) }}{{ enqueue("modals", html) }}').render(
        {"text": "<i>t</i>", "html": Markup("<i>h</i>")}, request
    )
    assert request.layout_queues.render("modals", request) == "&lt;i&gt;t&lt;/i&gt;\n<i>h</i>"
