"""Panels: every kind of source, declaration errors, URL names, ConditionalPanel."""

from __future__ import annotations

import asyncio
import functools
import logging
import types
import uuid

import pytest
from django.http import HttpResponse, StreamingHttpResponse
from django.test import override_settings
from django.urls import NoReverseMatch, include, path, reverse
from django.utils.safestring import mark_safe
from django.views import View
from django.views.generic import TemplateView

from dj_layouts import (
    ConditionalPanel,
    FrozenLayoutContext,
    Panel,
    PanelRenderError,
    PanelResponseError,
    add_script,
    async_resolve_panel_source,
    layout,
    resolve_panel_source,
)

# -- views behind the URL names this module's panels use ---------------------------------


def word_view(request, word, **extra):
    return HttpResponse(f"<b>{word}</b>{sorted(extra.items())}")


def plain_view(request, **extra):
    return HttpResponse(f"<u>plain {sorted(extra.items())} {request.layout_role}</u>")


def status_view(request):
    return HttpResponse("gone", status=404)


def streaming_view(request):
    return StreamingHttpResponse(iter(["<p>streamed</p>"]))


def int_view(request):
    return 42


async def async_word_view(request, word="async"):
    await asyncio.sleep(0)
    return HttpResponse(f"<b>async {word}</b>")


def scripted_view(request):
    add_script(request, "/static/panel.js")
    return HttpResponse("<p>scripted</p>")


core_patterns = [
    path("word/<str:word>/", word_view, name="word"),
    path("plain/", plain_view, name="plain"),
    path("greet/", word_view, {"word": "from-url"}, name="greet"),
    path("status/", status_view, name="status"),
    path("streaming/", streaming_view, name="streaming"),
    path("int/", int_view, name="int"),
    path("async/<str:word>/", async_word_view, name="async-word"),
    path("scripted/", scripted_view, name="scripted"),
]

urlpatterns = [
    path("core/", include((core_patterns, "core"))),
    path("top-level/", plain_view, name="top-level"),
    path("", include("tests.testapp.urls")),
]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.usefixtures("restore_layout_registry")]

DEBUG_ERRORS = override_settings(DJ_LAYOUTS={"DEBUG_ERRORS": True})
PRODUCTION = override_settings(DJ_LAYOUTS={"DEBUG_ERRORS": False})


@pytest.fixture
def render(rf, make_layout, slots):
    """Render a page of a layout with ``panels``; returns the HTML of each slot."""

    def render_page(content=None, defaults=None, **panels):
        layout_class = make_layout("PanelsLayout", layout_context_defaults=defaults or {}, **panels)

        @layout(layout_class)
        def view(request):
            if content is not None:
                content(request)
            return HttpResponse("<h1>content</h1>")

        return slots(view(rf.get("/page/")))

    return render_page


def greet(request, **context):
    return f"<i>{request.layout_role}:{sorted(context.items())}</i>"


async def agreet(request, **context):
    await asyncio.sleep(0)
    return HttpResponse(f"<i>async {request.layout_role}:{sorted(context.items())}</i>")


class HelloView(View):
    def get(self, request, **kwargs):
        return HttpResponse(f"<p>view {request.method} {sorted(kwargs.items())}</p>")


class PostOnlyView(View):
    def post(self, request):
        return HttpResponse("posted")


class GreetingTemplateView(TemplateView):
    template_name = "testapp/core/panel.html"


# -- source kinds -------------------------------------------------------------------------
def test_a_string_with_a_colon_is_a_url_name(render):
    page = render(side=Panel("core:word", context={"word": "hi"}))
    assert page["side"] == "<b>hi</b>[]"


def test_url_name_keyword_is_a_url_name_even_without_a_colon(render):
    page = render(side=Panel(url_name="top-level"))
    assert page["side"] == "<u>plain [] panel</u>"


def test_a_string_without_a_colon_is_literal_html(render):
    page = render(side=Panel("<p>hello</p>"), text=Panel("just text & more"))
    assert page["side"] == "<p>hello</p>"
    assert page["text"] == "just text & more"  # trusted: not escaped


def test_html_and_safe_strings_with_colons_are_literal(render):
    page = render(
        clock=Panel("<p>Opens at 10:30</p>"),
        safe=Panel(mark_safe("Note: trusted")),
    )
    assert page["clock"] == "<p>Opens at 10:30</p>"
    assert page["safe"] == "Note: trusted"


def test_literal_keyword_is_literal_even_with_a_colon(render):
    page = render(side=Panel(literal="a: b"))
    assert page["side"] == "a: b"


@DEBUG_ERRORS
def test_a_plain_string_with_a_colon_is_taken_as_a_url_name(render):
    with pytest.raises(PanelRenderError) as excinfo:
        render(side=Panel("note: hello"))
    exception = excinfo.value.panel_error.exception
    assert isinstance(exception, NoReverseMatch)
    assert exception.args == (
        "Panel URL name 'note: hello' cannot be reversed: 'note' is not a registered namespace",
    )


def test_template_renders_with_layout_context_and_panel_context(render):
    def content(request):
        request.layout_context["site_name"] = "Acme from view"

    page = render(
        content=content,
        defaults={"site_name": "Acme", "greeting": "layout greeting"},
        side=Panel(template="testapp/core/panel.html", context={"greeting": "panel greeting"}),
        plain=Panel(template="testapp/core/panel.html"),
    )
    assert page["side"] == "<p>Acme from view/panel greeting/panel</p>\n"
    assert page["plain"] == "<p>Acme from view/layout greeting/panel</p>\n"


def test_sync_callable_gets_the_panel_request_and_context(render):
    page = render(side=Panel(greet, context={"who": "you", "n": 2}), bare=Panel(greet))
    assert page["side"] == "<i>panel:[('n', 2), ('who', 'you')]</i>"
    assert page["bare"] == "<i>panel:[]</i>"


def test_async_callable(render):
    page = render(side=Panel(agreet, context={"who": "you"}))
    assert page["side"] == "<i>async panel:[('who', 'you')]</i>"


def test_async_callable_objects_and_partials_are_detected_as_async(render):
    class AsyncCallable:
        async def __call__(self, request, **context):
            await asyncio.sleep(0)
            return "<i>async object</i>"

    partial = functools.partial(agreet, who="partial")
    assert Panel(AsyncCallable()).is_async is True
    assert Panel(partial).is_async is True
    assert Panel(greet).is_async is False
    page = render(obj=Panel(AsyncCallable()), part=Panel(partial))
    assert page["obj"] == "<i>async object</i>"
    assert page["part"] == "<i>async panel:[('who', 'partial')]</i>"


def test_a_view_class_is_called_through_as_view(render):
    page = render(
        hello=Panel(HelloView, context={"x": 1}),
        greeting=Panel(GreetingTemplateView, context={"greeting": "hi"}),
    )
    assert page["hello"] == "<p>view GET [('x', 1)]</p>"
    # A TemplateResponse is rendered; TemplateView passes its kwargs to the template.
    assert page["greeting"] == "<p>/hi/panel</p>\n"


def test_a_list_is_resolved_item_by_item_and_joined_in_order(render):
    page = render(
        combo=Panel(
            ["<a>1</a>", greet, "core:word", agreet, HelloView],
            join=" | ",
            context={"word": "w"},
        ),
        tight=Panel(["<a>1</a>", "<a>2</a>"]),
        tuple_=Panel(("<a>3</a>", "<a>4</a>"), join="+"),
    )
    assert page["combo"] == (
        "<a>1</a> | <i>panel:[('word', 'w')]</i> | <b>w</b>[] | "
        "<i>async panel:[('word', 'w')]</i> | <p>view GET [('word', 'w')]</p>"
    )
    assert page["tight"] == "<a>1</a><a>2</a>"
    assert page["tuple_"] == "<a>3</a>+<a>4</a>"


def test_an_all_async_list_is_async_and_a_mixed_one_is_not(render):
    assert Panel([agreet, agreet]).is_async is True
    assert Panel([agreet, greet]).is_async is False
    assert Panel([]).is_async is False
    page = render(both=Panel([agreet, agreet], join=","))
    assert page["both"] == "<i>async panel:[]</i>,<i>async panel:[]</i>"


def test_empty_panels_show_the_fallback(render):
    page = render(
        bare=Panel(),
        none=Panel(None),
        empty_list=Panel([]),
        empty_view=Panel("testapp:empty"),
        blank=Panel("   \n  "),
    )
    for name in ("bare", "none", "empty_list", "empty_view", "blank"):
        assert page[name] == f"fallback:{name}"


# -- declaration errors -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "chosen"),
    [
        ({"source": "<p>x</p>", "literal": "y"}, "source and literal"),
        ({"source": "app:x", "url_name": "x"}, "source and url_name"),
        ({"url_name": "x", "template": "t.html"}, "url_name and template"),
        (
            {"literal": "x", "template": "t.html", "url_name": "y"},
            "url_name and literal and template",
        ),
    ],
)
def test_two_sources_are_a_type_error(kwargs, chosen):
    with pytest.raises(TypeError) as excinfo:
        Panel(**kwargs)
    assert excinfo.value.args == (
        f"Panel() takes exactly one source, got {chosen}. "
        "Pass one of: a positional source, url_name=, literal= or template=.",
    )


def test_two_sources_on_a_conditional_panel_name_it():
    with pytest.raises(TypeError) as excinfo:
        ConditionalPanel("<p>x</p>", literal="y", condition=True)
    assert excinfo.value.args == (
        "ConditionalPanel() takes exactly one source, got source and literal. "
        "Pass one of: a positional source, url_name=, literal= or template=.",
    )


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        (42, "42 (int)"),
        ({"a": 1}, "{'a': 1} (dict)"),
        (b"<p>", "b'<p>' (bytes)"),
        (4.5, "4.5 (float)"),
    ],
)
def test_an_unsupported_source_type_is_a_type_error_at_declaration(source, shown):
    with pytest.raises(TypeError) as excinfo:
        Panel(source)
    assert excinfo.value.args == (
        f"Panel: unsupported panel source {shown}. Use a URL name ('app:name'), literal HTML, "
        "a template=, a callable, a list of those, or None.",
    )


def test_an_unsupported_item_in_a_list_is_a_type_error_at_declaration():
    with pytest.raises(TypeError) as excinfo:
        Panel(["<p>ok</p>", 7])
    assert excinfo.value.args == (
        "Panel: unsupported panel source 7 (int). Use a URL name ('app:name'), literal HTML, "
        "a template=, a callable, a list of those, or None.",
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"join": 1}, "Panel(join=...) must be a str, not int."),
        ({"join": None}, "Panel(join=...) must be a str, not NoneType."),
        ({"context": [("a", 1)]}, "Panel(context=...) must be a dict, not list."),
        ({"context": "a=1"}, "Panel(context=...) must be a dict, not str."),
        ({"timeout": 0}, "Panel(timeout=...) must be a positive number of seconds or None, not 0."),
        (
            {"timeout": -1.5},
            "Panel(timeout=...) must be a positive number of seconds or None, not -1.5.",
        ),
        (
            {"timeout": True},
            "Panel(timeout=...) must be a positive number of seconds or None, not True.",
        ),
        (
            {"timeout": "2"},
            "Panel(timeout=...) must be a positive number of seconds or None, not '2'.",
        ),
        ({"eager": 1}, "Panel(eager=...) must be True or False, not 1."),
        ({"eager": "yes"}, "Panel(eager=...) must be True or False, not 'yes'."),
        (
            {"cache": "sitewide"},
            "Panel(cache=...) must come from dj_layouts.cache (e.g. cache.sitewide(timeout=300)), "
            "not 'sitewide'.",
        ),
    ],
)
def test_bad_options_are_type_errors(kwargs, message):
    with pytest.raises(TypeError) as excinfo:
        Panel("<p>x</p>", **kwargs)
    assert excinfo.value.args == (message,)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url_name": 5}, "Panel(url_name=...) must be a str, not 5."),
        ({"literal": 5}, "Panel(literal=...) must be a str, not 5."),
        ({"template": ["a.html"]}, "Panel(template=...) must be a template name, not ['a.html']."),
    ],
)
def test_keyword_sources_must_be_strings(kwargs, message):
    with pytest.raises(TypeError) as excinfo:
        Panel(**kwargs)
    assert excinfo.value.args == (message,)


def test_good_options_are_kept():
    panel = Panel("<p>x</p>", timeout=0.5, eager=True, join=",", context={"a": 1})
    assert (panel.timeout, panel.eager, panel.join, panel.context) == (0.5, True, ",", {"a": 1})


# -- naming ---------------------------------------------------------------------------------


def test_bound_returns_a_named_copy_and_leaves_the_panel_unnamed():
    panel = Panel("<p>x</p>", timeout=0.5)
    named = panel.bound("side")
    assert panel.name is None
    assert (named.name, named.source, named.timeout) == ("side", panel.source, 0.5)
    assert named is not panel
    assert named.bound("side") is named
    assert named.bound("other").name == "other"
    assert named.name == "side"


def test_a_panel_declared_on_a_class_is_named_by_its_attribute(make_layout):
    sidebar = Panel("<p>x</p>")
    page_layout = make_layout("NamingLayout", sidebar=sidebar)
    assert sidebar.name == "sidebar"
    assert page_layout.get_panels()["sidebar"] is sidebar


def test_one_panel_given_to_two_views_under_two_names_stays_unnamed(render, make_layout, rf, slots):
    shared = Panel(lambda request: "<p>shared</p>")
    page_layout = make_layout("SharedLayout", side=Panel(), extra=Panel())

    @layout(page_layout, panels={"side": shared})
    def first(request):
        return HttpResponse("<h1>first</h1>")

    @layout(page_layout, panels={"extra": shared})
    def second(request):
        return HttpResponse("<h1>second</h1>")

    assert shared.name is None
    assert slots(first(rf.get("/")))["side"] == "<p>shared</p>"
    assert slots(second(rf.get("/")))["extra"] == "<p>shared</p>"
    assert shared.name is None


# -- URL names ------------------------------------------------------------------------------
def test_url_names_that_take_arguments_are_reversed_with_the_panel_context(render):
    page = render(
        side=Panel("core:word", context={"word": "hi"}),
        asynchronous=Panel("core:async-word", context={"word": "there"}),
    )
    assert page["side"] == "<b>hi</b>[]"
    assert page["asynchronous"] == "<b>async there</b>"


def test_context_the_url_does_not_take_is_passed_as_view_kwargs(render):
    page = render(side=Panel("core:plain", context={"limit": 5}))
    assert page["side"] == "<u>plain [('limit', 5)] panel</u>"


def test_url_arguments_and_extra_view_kwargs_together(render):
    page = render(side=Panel("core:word", context={"word": "hi", "limit": 5}))
    assert page["side"] == "<b>hi</b>[('limit', 5)]"


def test_many_context_keys_for_a_url_without_arguments(render):
    context = {f"k{i}": i for i in range(8)}
    page = render(side=Panel("core:plain", context=context))
    assert page["side"] == f"<u>plain {sorted(context.items())} panel</u>"


def test_panel_context_wins_over_the_urls_own_kwargs(render):
    page = render(
        url_default=Panel("core:greet"),
        overridden=Panel("core:greet", context={"word": "from-panel"}),
    )
    assert page["url_default"] == "<b>from-url</b>[]"
    assert page["overridden"] == "<b>from-panel</b>[]"


@DEBUG_ERRORS
def test_a_url_that_cannot_be_reversed_with_the_context_names_it(render):
    with pytest.raises(PanelRenderError) as excinfo:
        render(side=Panel("core:word"))
    with pytest.raises(NoReverseMatch) as django_error:
        reverse("core:word")
    assert excinfo.value.panel_error.exception.args == (
        f"Panel URL name 'core:word' cannot be reversed: {django_error.value}",
    )
    assert excinfo.value.panel_error.panel_name == "side"


def test_the_view_behind_a_url_name_is_resolved_once(render, monkeypatch):
    from dj_layouts import sources as sources_module

    resolved = []
    real_resolve = sources_module.resolve

    def counting_resolve(path, urlconf=None):
        resolved.append(path)
        return real_resolve(path, urlconf)

    monkeypatch.setattr(sources_module, "resolve", counting_resolve)
    token = uuid.uuid4().hex  # a context no other test used: nothing cached yet
    for _ in range(3):
        page = render(side=Panel("core:word", context={"word": token}))
        assert page["side"] == f"<b>{token}</b>[]"
    assert resolved == [f"/core/word/{token}/"]


def test_a_urlconf_change_drops_what_was_resolved(render, monkeypatch):
    from dj_layouts import sources as sources_module

    resolved = []
    real_resolve = sources_module.resolve

    def counting_resolve(path, urlconf=None):
        resolved.append(path)
        return real_resolve(path, urlconf)

    monkeypatch.setattr(sources_module, "resolve", counting_resolve)
    token = uuid.uuid4().hex
    render(side=Panel("core:word", context={"word": token}))
    render(side=Panel("core:word", context={"word": token}))
    assert len(resolved) == 1
    with override_settings(ROOT_URLCONF=__name__):  # setting_changed: the cache is dropped
        page = render(side=Panel("core:word", context={"word": token}))
    assert page["side"] == f"<b>{token}</b>[]"
    assert len(resolved) == 2


def test_unhashable_context_values_work(render):
    page = render(side=Panel("core:plain", context={"ids": [1, 2], "tags": {"a"}}))
    assert page["side"] == "<u>plain [('ids', [1, 2]), ('tags', {'a'})] panel</u>"


def test_a_url_name_panel_view_adds_to_the_pages_queues(rf, make_layout, slots):
    layout_class = make_layout(side=Panel("core:scripted"))
    response = layout(layout_class)(lambda request: HttpResponse("c"))(rf.get("/"))
    assert slots(response)["side"] == "<p>scripted</p>"
    assert (
        '<div id="scripts"><script src="/static/panel.js"></script></div>'
        in response.content.decode()
    )


# -- bad panel responses -------------------------------------------------------------------
@DEBUG_ERRORS
@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("core:status", "Panel 'bad' answered with status 404; a panel view must answer 200."),
        (PostOnlyView, "Panel 'bad' answered with status 405; a panel view must answer 200."),
        (
            "core:streaming",
            "Panel 'bad' answered with a streaming response (StreamingHttpResponse); "
            "a panel must answer with a plain HttpResponse.",
        ),
        (
            "core:int",
            "Panel 'bad' returned int; a panel view or callable must return an HttpResponse or a str.",
        ),
        (
            lambda request: None,
            "Panel 'bad' returned NoneType; a panel view or callable must return an HttpResponse "
            "or a str.",
        ),
        (
            lambda request: b"<p>bytes</p>",
            "Panel 'bad' returned bytes; a panel view or callable must return an HttpResponse "
            "or a str.",
        ),
    ],
)
def test_a_bad_panel_response_is_a_panel_error_naming_the_panel(render, source, message):
    with pytest.raises(PanelRenderError) as excinfo:
        render(bad=Panel(source), good=Panel("<p>good</p>"))
    exception = excinfo.value.panel_error.exception
    assert isinstance(exception, PanelResponseError)
    assert exception.args == (message,)


@PRODUCTION
def test_a_bad_panel_response_in_production_fills_only_its_slot(render, caplog):
    with caplog.at_level(logging.ERROR, logger="dj_layouts"):
        page = render(bad=Panel("core:status"), good=Panel("<p>good</p>"))
    assert page["good"] == "<p>good</p>"
    assert 'data-panel="bad"' in page["bad"]
    assert "Panel 'bad' answered with status 404" in caplog.text


# -- ConditionalPanel ----------------------------------------------------------------------
def _counting(calls):
    def panel_view(request):
        calls.append(request.layout_role)
        return "<p>shown</p>"

    return panel_view


def test_condition_callable_gets_the_layout_context_after_the_content_view(render):
    seen = []

    def condition(context):
        seen.append((type(context), dict(context)))
        return context["show"]

    def content(request):
        request.layout_context["show"] = True

    page = render(
        content=content,
        defaults={"show": False},
        maybe=ConditionalPanel("<p>shown</p>", condition=condition),
    )
    assert page["maybe"] == "<p>shown</p>"
    assert seen == [(FrozenLayoutContext, {"show": True, "slots": ["maybe"]})]


def test_a_false_condition_skips_the_panel_entirely(render):
    calls = []
    page = render(maybe=ConditionalPanel(_counting(calls), condition=lambda context: False))
    assert page["maybe"] == "fallback:maybe"
    assert calls == []


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (types.SimpleNamespace(allow_replies=True), "<p>shown</p>"),
        (types.SimpleNamespace(allow_replies=False), "fallback:maybe"),
        ({"allow_replies": True}, "<p>shown</p>"),
        ({"allow_replies": 0}, "fallback:maybe"),
        (types.SimpleNamespace(allow_replies=lambda: True), "<p>shown</p>"),
        (types.SimpleNamespace(), "fallback:maybe"),
        (None, "fallback:maybe"),
    ],
)
def test_condition_dotted_lookup(render, obj, expected):
    calls = []

    def content(request):
        request.layout_context["object"] = obj

    page = render(
        content=content,
        maybe=ConditionalPanel(_counting(calls), condition="object.allow_replies"),
    )
    assert page["maybe"] == expected
    assert calls == (["panel"] if expected == "<p>shown</p>" else [])


def test_condition_lookup_indexes_lists(render):
    def content(request):
        request.layout_context["flags"] = [False, True]

    page = render(
        content=content,
        first=ConditionalPanel("<p>first</p>", condition="flags.0"),
        second=ConditionalPanel("<p>second</p>", condition="flags.1"),
        missing=ConditionalPanel("<p>missing</p>", condition="flags.5"),
    )
    assert (page["first"], page["second"], page["missing"]) == (
        "fallback:first",
        "<p>second</p>",
        "fallback:missing",
    )


@pytest.mark.parametrize(
    ("value", "shown"), [(True, True), (1, True), (False, False), (0, False), (None, False)]
)
def test_condition_plain_value(render, value, shown):
    page = render(maybe=ConditionalPanel("<p>shown</p>", condition=value))
    assert page["maybe"] == ("<p>shown</p>" if shown else "fallback:maybe")


@pytest.mark.parametrize(
    "condition",
    [
        lambda context: 1 / 0,
        "object.explode",
    ],
    ids=["callable", "lookup"],
)
def test_a_raising_condition_counts_as_false_and_is_logged(render, caplog, condition):
    class Exploding:
        @property
        def explode(self):
            raise ZeroDivisionError("division by zero")

    calls = []

    def content(request):
        request.layout_context["object"] = Exploding()

    with caplog.at_level(logging.ERROR, logger="dj_layouts"):
        page = render(
            content=content,
            maybe=ConditionalPanel(_counting(calls), condition=condition),
            other=Panel("<p>other</p>"),
        )
    assert page["maybe"] == "fallback:maybe"
    assert page["other"] == "<p>other</p>"
    assert calls == []
    [record] = [r for r in caplog.records if r.name == "dj_layouts"]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "The condition of panel 'maybe' raised; the panel is skipped."
    assert record.exc_info[0] is ZeroDivisionError


# -- resolve_panel_source -------------------------------------------------------------------
def test_resolve_panel_source(rf):
    request = rf.get("/outside/")
    request.layout_role = "outside"
    assert resolve_panel_source(request, "core:word", word="hi") == "<b>hi</b>[]"
    assert resolve_panel_source(request, url_name="top-level", limit=1) == (
        "<u>plain [('limit', 1)] outside</u>"
    )
    assert resolve_panel_source(request, "<p>literal</p>") == "<p>literal</p>"
    assert resolve_panel_source(request, literal="a: b") == "a: b"
    assert resolve_panel_source(request, greet, who="me") == "<i>outside:[('who', 'me')]</i>"
    assert resolve_panel_source(request, agreet) == "<i>async outside:[]</i>"
    assert resolve_panel_source(request, ["<a>1</a>", "<a>2</a>"]) == "<a>1</a><a>2</a>"
    assert resolve_panel_source(request, None) == ""
    assert resolve_panel_source(request) == ""


def test_resolve_panel_source_raises_what_a_panel_would_report(rf):
    with pytest.raises(PanelResponseError) as excinfo:
        resolve_panel_source(rf.get("/"), "core:status")
    assert excinfo.value.args == (
        "Panel 'source' answered with status 404; a panel view must answer 200.",
    )
    with pytest.raises(TypeError) as type_error:
        resolve_panel_source(rf.get("/"), 42)
    assert type_error.value.args[0].startswith("Panel: unsupported panel source 42 (int).")
    with pytest.raises(TypeError) as two:
        resolve_panel_source(rf.get("/"), "<p>x</p>", literal="y")
    assert two.value.args[0].startswith("Panel() takes exactly one source, got source and literal.")


async def test_async_resolve_panel_source(rf):
    request = rf.get("/outside/")
    request.layout_role = "outside"
    assert await async_resolve_panel_source(request, "core:word", word="hi") == "<b>hi</b>[]"
    assert await async_resolve_panel_source(request, "core:async-word", word="yo") == (
        "<b>async yo</b>"
    )
    assert await async_resolve_panel_source(request, url_name="top-level") == (
        "<u>plain [] outside</u>"
    )
    assert await async_resolve_panel_source(request, literal="a: b") == "a: b"
    assert await async_resolve_panel_source(request, greet, who="me") == (
        "<i>outside:[('who', 'me')]</i>"
    )
    assert await async_resolve_panel_source(request, agreet, who="me") == (
        "<i>async outside:[('who', 'me')]</i>"
    )
    assert await async_resolve_panel_source(request, [agreet, "<a>2</a>"]) == (
        "<i>async outside:[]</i><a>2</a>"
    )
    assert await async_resolve_panel_source(request) == ""
    with pytest.raises(PanelResponseError) as excinfo:
        await async_resolve_panel_source(request, "core:streaming")
    assert excinfo.value.args == (
        "Panel 'source' answered with a streaming response (StreamingHttpResponse); "
        "a panel must answer with a plain HttpResponse.",
    )
