"""Layout: class-creation checks, panel and queue collection, the registry, extension points."""

from __future__ import annotations

import logging
import types

import pytest
from django.http import HttpResponse
from django.test import override_settings

from dj_layouts import (
    Layout,
    Panel,
    RenderQueue,
    ScriptQueue,
    SequentialExecutor,
    StyleQueue,
    ThreadedExecutor,
    layout,
    render_with_layout,
)
from dj_layouts.errors import PanelError
from tests.testapp.layouts import OtherLayout, SiteLayout

pytestmark = pytest.mark.usefixtures("restore_layout_registry")

PRODUCTION = override_settings(DJ_LAYOUTS={"DEBUG_ERRORS": False})


def _fake_module(name: str, source: str) -> types.ModuleType:
    """Execute ``source`` as the body of a module called ``name`` (a module-level class)."""
    module = types.ModuleType(name)
    exec(source, module.__dict__)
    return module


DUPLICATE_SOURCE = """
from dj_layouts import Layout

class DupLayout(Layout):
    template = "testapp/core/slots.html"
"""


# -- template is required -------------------------------------------------------------
def test_a_layout_without_template_is_a_type_error_at_class_creation():
    with pytest.raises(TypeError) as excinfo:

        class NoTemplateLayout(Layout):
            pass

    name = (
        "test_a_layout_without_template_is_a_type_error_at_class_creation.<locals>.NoTemplateLayout"
    )
    assert excinfo.value.args == (
        f"Layout tests.NoTemplateLayout has no template. Set {name}.template = "
        f"'<app>/layout.html', override {name}.get_template(), or set abstract = True "
        "on a base layout.",
    )
    assert "tests.NoTemplateLayout" not in Layout.registry


def test_an_inherited_template_or_get_template_override_is_enough():
    class Base(Layout):
        abstract = True
        template = "testapp/core/slots.html"

    class Child(Base):
        pass

    class Picking(Layout):
        def get_template(self, request):
            return "testapp/core/slots.html"

    assert Child.template == "testapp/core/slots.html"
    assert Layout.registry["tests.Child"] is Child
    assert Layout.registry["tests.Picking"] is Picking


def test_a_non_string_template_is_a_type_error():
    with pytest.raises(TypeError) as excinfo:

        class BadTemplate(Layout):
            template = ["a.html"]

    name = "test_a_non_string_template_is_a_type_error.<locals>.BadTemplate"
    assert excinfo.value.args == (f"{name}.template must be a template name, not ['a.html'].",)


def test_abstract_layouts_are_not_registered_and_abstract_is_not_inherited():
    class AbstractBaseLayout(Layout):
        abstract = True

    class ConcreteFromAbstract(AbstractBaseLayout):
        template = "testapp/core/slots.html"

    assert AbstractBaseLayout.abstract is True
    assert "tests.AbstractBaseLayout" not in Layout.registry
    assert ConcreteFromAbstract.abstract is False
    assert Layout.registry["tests.ConcreteFromAbstract"] is ConcreteFromAbstract


# -- panels and queues ----------------------------------------------------------------
def test_panels_are_collected_in_definition_order_with_inherited_ones_first():
    class Parent(Layout):
        abstract = True
        header = Panel("<h>parent header</h>")
        sidebar = Panel("<s>parent sidebar</s>")

    class Child(Parent):
        template = "testapp/core/slots.html"
        footer = Panel("<f>child footer</f>")
        ads = Panel("<a>child ads</a>")

    panels = Child.get_panels()
    assert list(panels) == ["header", "sidebar", "footer", "ads"]
    assert [panel.name for panel in panels.values()] == ["header", "sidebar", "footer", "ads"]
    assert list(Parent.get_panels()) == ["header", "sidebar"]


def test_an_overridden_panel_keeps_its_position():
    class Parent(Layout):
        abstract = True
        header = Panel("<h>parent</h>")
        sidebar = Panel("<s>parent</s>")
        footer = Panel("<f>parent</f>")

    new_sidebar = Panel("<s>child</s>")

    class Child(Parent):
        template = "testapp/core/slots.html"
        extra = Panel("<e>child</e>")
        sidebar = new_sidebar

    panels = Child.get_panels()
    assert list(panels) == ["header", "sidebar", "footer", "extra"]
    assert panels["sidebar"] is new_sidebar
    assert Parent.get_panels()["sidebar"] is not new_sidebar


def test_none_removes_an_inherited_panel_or_queue(rf, slots):
    class Parent(Layout):
        abstract = True
        template = "testapp/core/slots.html"
        scripts = ScriptQueue()
        extra = RenderQueue()
        header = Panel("<h>header</h>")
        sidebar = Panel("<s>sidebar</s>")

    class Child(Parent):
        layout_context_defaults = {"slots": ["header", "sidebar"]}
        sidebar = None
        extra = None

    assert list(Child.get_panels()) == ["header"]
    assert list(Child.get_queues()) == ["scripts"]
    page = slots(render_with_layout(rf.get("/"), Child, "testapp/core/content.html"))
    assert page["header"] == "<h>header</h>"
    assert page["sidebar"] == "fallback:sidebar"


def test_overriding_an_inherited_panel_with_something_else_is_a_type_error():
    class Parent(Layout):
        abstract = True
        sidebar = Panel("<s>sidebar</s>")

    with pytest.raises(TypeError) as excinfo:

        class Child(Parent):
            template = "testapp/core/slots.html"
            sidebar = "<s>not a panel</s>"

    name = "test_overriding_an_inherited_panel_with_something_else_is_a_type_error.<locals>.Child"
    assert excinfo.value.args == (
        f"{name}.sidebar overrides an inherited panel or queue with '<s>not a panel</s>'. "
        "Use a Panel(...) to replace it or None to remove it.",
    )


def test_queues_are_collected_and_named_after_their_attribute():
    class WithQueues(Layout):
        template = "testapp/core/slots.html"
        scripts = ScriptQueue()
        styles = StyleQueue()
        modals = RenderQueue()

    queues = WithQueues.get_queues()
    assert list(queues) == ["scripts", "styles", "modals"]
    assert [queue.name for queue in queues.values()] == ["scripts", "styles", "modals"]
    assert isinstance(queues["modals"], RenderQueue)


def test_one_panel_object_used_under_two_names_gets_both_names():
    shared = Panel("<p>shared</p>")

    class Twice(Layout):
        template = "testapp/core/slots.html"
        first = shared
        second = shared

    panels = Twice.get_panels()
    assert panels["first"].name == "first"
    assert panels["second"].name == "second"
    assert panels["second"].source is shared.source


def test_content_cannot_be_a_panel_name():
    with pytest.raises(TypeError) as excinfo:

        class ContentPanel(Layout):
            template = "testapp/core/slots.html"
            content = Panel("<p>x</p>")

    name = "test_content_cannot_be_a_panel_name.<locals>.ContentPanel"
    assert excinfo.value.args == (
        f"{name}.content: 'content' cannot be a panel name; 'content' is the content "
        "view's slot. Rename the panel.",
    )


@pytest.mark.parametrize(
    "attribute", ["template", "executor", "streaming", "registry", "resolve", "on_panel_error"]
)
def test_a_layout_attribute_cannot_be_a_panel_name(attribute):
    with pytest.raises(TypeError) as excinfo:
        type(
            "ShadowingLayout",
            (Layout,),
            {
                "__qualname__": "f.<locals>.ShadowingLayout",
                "template": "testapp/core/slots.html",
                attribute: Panel("<p>x</p>"),
            },
        )
    assert excinfo.value.args == (
        f"f.<locals>.ShadowingLayout.{attribute}: {attribute!r} cannot be a panel name; "
        "it is a Layout attribute. Rename the panel.",
    )


# -- the registry ---------------------------------------------------------------------
def test_registry_key_is_first_module_segment_and_class_name():
    class KeyedLayout(Layout):
        template = "testapp/core/slots.html"

    assert KeyedLayout.__module__ == "tests.test_layout"
    assert KeyedLayout.key == "tests.KeyedLayout"
    assert Layout.registry["tests.KeyedLayout"] is KeyedLayout
    assert Layout.resolve("tests.KeyedLayout") is KeyedLayout
    assert repr(KeyedLayout()) == "<KeyedLayout tests.KeyedLayout>"


def test_registry_key_attribute_sets_the_key_and_is_not_inherited():
    class Custom(Layout):
        template = "testapp/core/slots.html"
        registry_key = "shop.Storefront"

    class CustomChild(Custom):
        pass

    assert Custom.key == "shop.Storefront"
    assert Layout.resolve("shop.Storefront") is Custom
    assert "tests.Custom" not in Layout.registry
    assert CustomChild.key == "tests.CustomChild"
    assert Layout.resolve("tests.CustomChild") is CustomChild


def test_resolve_returns_a_layout_class_as_is():
    assert Layout.resolve(SiteLayout) is SiteLayout
    assert Layout.resolve("tests.SiteLayout") is SiteLayout
    assert Layout.resolve("tests.OtherLayout") is OtherLayout


@pytest.mark.parametrize("key", ["nope.Missing", 42, None])
def test_resolve_unknown_key_is_a_key_error_listing_registered_layouts(key):
    with pytest.raises(KeyError) as excinfo:
        Layout.resolve(key)
    known = ", ".join(sorted(Layout.registry))
    assert "tests.SiteLayout" in known
    assert excinfo.value.args == (
        f"No layout is registered under {key!r}. Registered layouts: {known}. Layouts "
        "register when their module is imported: define them in <app>/layouts.py "
        "(imported at start-up) or pass the class itself.",
    )


def test_two_module_level_layouts_from_different_modules_under_one_key_are_an_error():
    blog = _fake_module("coreproj.blog.layouts", DUPLICATE_SOURCE)
    assert Layout.registry["coreproj.DupLayout"] is blog.DupLayout
    with pytest.raises(TypeError) as excinfo:
        _fake_module("coreproj.shop.layouts", DUPLICATE_SOURCE)
    assert excinfo.value.args == (
        "Two layouts claim the key 'coreproj.DupLayout': coreproj.blog.layouts.DupLayout "
        "and coreproj.shop.layouts.DupLayout. Rename one class, or give one a "
        "registry_key = '<app>.<Name>'.",
    )
    assert Layout.registry["coreproj.DupLayout"] is blog.DupLayout


def test_type_created_module_level_layouts_clash_too():
    def make(module):
        return type(
            "TypeDup",
            (Layout,),
            {
                "__module__": module,
                "__qualname__": "TypeDup",
                "template": "testapp/core/slots.html",
            },
        )

    first = make("typeproj.a")
    with pytest.raises(TypeError) as excinfo:
        make("typeproj.b")
    assert excinfo.value.args == (
        "Two layouts claim the key 'typeproj.TypeDup': typeproj.a.TypeDup and "
        "typeproj.b.TypeDup. Rename one class, or give one a registry_key = '<app>.<Name>'.",
    )
    assert Layout.resolve("typeproj.TypeDup") is first


def test_a_registry_key_resolves_a_clash():
    _fake_module("keyproj.blog.layouts", DUPLICATE_SOURCE)
    shop = _fake_module(
        "keyproj.shop.layouts", DUPLICATE_SOURCE + '    registry_key = "shop.DupLayout"\n'
    )
    assert Layout.resolve("shop.DupLayout") is shop.DupLayout
    assert Layout.resolve("keyproj.DupLayout").__module__ == "keyproj.blog.layouts"


def test_a_reloaded_module_replaces_its_layout():
    first = _fake_module("reloadproj.layouts", DUPLICATE_SOURCE)
    second = _fake_module("reloadproj.layouts", DUPLICATE_SOURCE)
    assert first.DupLayout is not second.DupLayout
    assert Layout.resolve("reloadproj.DupLayout") is second.DupLayout


def test_redeclaring_a_layout_in_a_function_replaces_it(rf, slots):
    def declare(text):
        class Redeclared(Layout):
            template = "testapp/core/slots.html"
            layout_context_defaults = {"slots": ["note"]}
            note = Panel(literal=text)

        return Redeclared

    first = declare("first")
    second = declare("second")
    assert Layout.resolve("tests.Redeclared") is second
    assert first is not second
    page = slots(render_with_layout(rf.get("/"), "tests.Redeclared", "testapp/core/content.html"))
    assert page["note"] == "second"


def test_a_function_layout_replaces_a_module_level_one_from_another_module():
    module = _fake_module("tests.fake_layouts", DUPLICATE_SOURCE)
    assert Layout.resolve("tests.DupLayout") is module.DupLayout

    class DupLayout(Layout):
        template = "testapp/core/slots.html"

    assert Layout.resolve("tests.DupLayout") is DupLayout


def test_registry_is_a_read_only_live_view():
    with pytest.raises(TypeError) as excinfo:
        Layout.registry["tests.Forged"] = SiteLayout  # type: ignore[index]
    assert excinfo.value.args == ("'mappingproxy' object does not support item assignment",)
    with pytest.raises(TypeError):
        del Layout.registry["tests.SiteLayout"]  # type: ignore[attr-defined]
    assert "tests.LateLayout" not in Layout.registry

    class LateLayout(Layout):
        template = "testapp/core/slots.html"

    assert Layout.registry["tests.LateLayout"] is LateLayout


# -- class attribute validation -------------------------------------------------------
def test_layout_context_defaults_must_be_a_mapping():
    with pytest.raises(TypeError) as excinfo:

        class ListDefaults(Layout):
            template = "testapp/core/slots.html"
            layout_context_defaults = [("site_name", "Acme")]

    name = "test_layout_context_defaults_must_be_a_mapping.<locals>.ListDefaults"
    assert excinfo.value.args == (f"{name}.layout_context_defaults must be a dict, not list.",)


@pytest.mark.parametrize("value", [5, "GatherExecutor", object])
def test_executor_must_be_an_executor_class_or_instance(value):
    with pytest.raises(TypeError) as excinfo:
        type(
            "BadExecutor",
            (Layout,),
            {"__qualname__": "f.<locals>.BadExecutor", "template": "t.html", "executor": value},
        )
    assert excinfo.value.args == (
        f"f.<locals>.BadExecutor.executor must be a PanelExecutor subclass or instance, not "
        f"{value!r}. Use SequentialExecutor, GatherExecutor or ThreadedExecutor(max_workers=8).",
    )


def test_an_executor_class_or_instance_is_used_for_the_panels(rf, slots):
    calls = []

    class RecordingExecutor(SequentialExecutor):
        def start(self, jobs):
            calls.append([job.name for job in jobs])
            return super().start(jobs)

    class ByClass(Layout):
        template = "testapp/core/slots.html"
        layout_context_defaults = {"slots": ["one", "two"]}
        executor = RecordingExecutor
        one = Panel("<p>1</p>")
        two = Panel("<p>2</p>")

    instance = ThreadedExecutor(max_workers=2)

    class ByInstance(Layout):
        template = "testapp/core/slots.html"
        executor = instance

    page = slots(render_with_layout(rf.get("/"), ByClass, "testapp/core/content.html"))
    assert (page["one"], page["two"]) == ("<p>1</p>", "<p>2</p>")
    assert calls == [["one", "two"]]
    assert ByInstance.executor is instance


@pytest.mark.parametrize("value", [0, -1, True, "5", [1]])
def test_panel_timeout_must_be_a_positive_number(value):
    with pytest.raises(TypeError) as excinfo:
        type(
            "BadTimeout",
            (Layout,),
            {"__qualname__": "f.<locals>.BadTimeout", "template": "t.html", "panel_timeout": value},
        )
    assert excinfo.value.args == (
        f"f.<locals>.BadTimeout.panel_timeout must be a positive number of seconds or None, "
        f"not {value!r}.",
    )


@pytest.mark.parametrize("value", [0.5, 3, None])
def test_panel_timeout_accepts_positive_numbers_and_none(value):
    class GoodTimeout(Layout):
        template = "testapp/core/slots.html"
        panel_timeout = value

    assert GoodTimeout.panel_timeout == value


@pytest.mark.parametrize("value", ["both", True, "ORDERED", 1])
def test_streaming_must_be_none_ordered_or_unordered(value):
    with pytest.raises(TypeError) as excinfo:
        type(
            "BadStreaming",
            (Layout,),
            {"__qualname__": "f.<locals>.BadStreaming", "template": "t.html", "streaming": value},
        )
    assert excinfo.value.args == (
        f"f.<locals>.BadStreaming.streaming must be None, 'ordered' or 'unordered', not {value!r}.",
    )


@pytest.mark.parametrize("value", ["", None, 3])
def test_error_template_must_be_a_template_name(value):
    with pytest.raises(TypeError) as excinfo:
        type(
            "BadErrorTemplate",
            (Layout,),
            {
                "__qualname__": "f.<locals>.BadErrorTemplate",
                "template": "t.html",
                "error_template": value,
            },
        )
    assert excinfo.value.args == (
        f"f.<locals>.BadErrorTemplate.error_template must be a template name, not {value!r}.",
    )


# -- extension points -------------------------------------------------------------------
def test_get_layout_context_is_merged_over_the_defaults(rf):
    seen = []

    class Contextual(Layout):
        template = "testapp/core/context.html"
        layout_context_defaults = {"a": "default-a", "b": "default-b"}

        def get_layout_context(self, request):
            seen.append(request.path)
            return {"b": f"hook-b:{request.GET['x']}", "c": "hook-c"}

    response = render_with_layout(rf.get("/p/?x=1"), Contextual, "testapp/core/content.html")
    assert response.content.decode().startswith("a=default-a|b=hook-b:1|c=hook-c|")
    assert seen == ["/p/"]


def test_get_template_picks_the_template_per_request(rf):
    class Picking(Layout):
        template = "testapp/core/context.html"

        def get_template(self, request):
            return "testapp/core/other.html" if "other" in request.GET else self.template

    other = render_with_layout(rf.get("/?other=1"), Picking, "testapp/core/content.html")
    default = render_with_layout(rf.get("/"), Picking, "testapp/core/content.html")
    assert other.content.decode().startswith('<body class="core-other">')
    assert default.content.decode().startswith("a=|b=|c=|")


def test_get_template_without_a_template_names_the_layout(rf):
    class Fallthrough(Layout):
        def get_template(self, request):
            if "custom" in request.GET:
                return "testapp/core/other.html"
            return super().get_template(request)

    with pytest.raises(TypeError) as excinfo:
        render_with_layout(rf.get("/"), Fallthrough, "testapp/core/content.html")
    assert excinfo.value.args == ("Layout tests.Fallthrough has no template for this request.",)
    response = render_with_layout(rf.get("/?custom=1"), Fallthrough, "testapp/core/content.html")
    assert response.content.decode().startswith('<body class="core-other">')


@PRODUCTION
def test_on_panel_error_override_fills_the_slot(rf, slots):
    errors = []

    def explode(request):
        raise ValueError("boom")

    class Handling(Layout):
        template = "testapp/core/slots.html"
        layout_context_defaults = {"slots": ["broken"]}
        broken = Panel(explode)

        def on_panel_error(self, request, error):
            errors.append(error)
            return f"<em>{error.panel_name} is resting</em>"

    page = slots(render_with_layout(rf.get("/"), Handling, "testapp/core/content.html"))
    assert page["broken"] == "<em>broken is resting</em>"
    [error] = errors
    assert isinstance(error, PanelError)
    assert (error.panel_name, type(error.exception), str(error.exception)) == (
        "broken",
        ValueError,
        "boom",
    )


@PRODUCTION
def test_default_error_template_never_shows_exception_text(rf, slots, caplog):
    def leak(request):
        raise RuntimeError("password=hunter2 in /srv/secret.py")

    class Leaky(Layout):
        template = "testapp/core/slots.html"
        layout_context_defaults = {"slots": ["leaky"]}
        leaky = Panel(leak)

    with caplog.at_level(logging.ERROR, logger="dj_layouts"):
        response = render_with_layout(rf.get("/"), Leaky, "testapp/core/content.html")
    html = response.content.decode()
    assert slots(html)["leaky"] == (
        '<div class="dj-layouts-panel-error" data-panel="leaky" role="alert">This part of the '
        "page could not be loaded.</div>\n"
    )
    for secret in ("hunter2", "secret.py", "RuntimeError", "Traceback"):
        assert secret not in html
    assert "hunter2" in caplog.text  # the details go to the log instead


def test_get_panels_and_get_queues_return_copies():
    panels = SiteLayout.get_panels()
    panels.pop("sidebar")
    assert "sidebar" in SiteLayout.get_panels()
    queues = SiteLayout.get_queues()
    queues.clear()
    assert list(SiteLayout.get_queues()) == ["scripts", "styles", "extra"]


def test_layout_class_attributes_are_used_by_a_decorated_view(rf):
    class Decorated(Layout):
        template = "testapp/core/context.html"
        layout_context_defaults = {"a": "A"}

    @layout(Decorated)
    def view(request):
        request.layout_context["c"] = "C"
        return HttpResponse("body")

    assert (
        view(rf.get("/v/")).content.decode().startswith("a=A|b=|c=C|proc=from-processor|path=/v/|")
    )


def test_mutable_context_defaults_are_copied_for_each_request(rf):
    from django.http import HttpResponse

    from dj_layouts import layout

    class CrumbLayout(Layout):
        template = "testapp/other.html"
        layout_context_defaults = {"breadcrumbs": [("Home", "/")]}

    @layout(CrumbLayout)
    def page(request):
        request.layout_context["breadcrumbs"].append(("Page", "/page/"))
        return HttpResponse(str(len(request.layout_context["breadcrumbs"])))

    page(rf.get("/"))
    page(rf.get("/"))
    assert CrumbLayout.layout_context_defaults == {"breadcrumbs": [("Home", "/")]}


def test_a_queue_cannot_take_a_layout_attribute_name():
    from dj_layouts import ScriptQueue

    with pytest.raises(TypeError) as excinfo:

        class Clash(Layout):
            template = "x.html"
            resolve = ScriptQueue()

    assert excinfo.value.args == (
        "test_a_queue_cannot_take_a_layout_attribute_name.<locals>.Clash.resolve: 'resolve' "
        "cannot be a queue name; it is a Layout attribute. Rename the queue.",
    )


def test_registry_key_must_be_a_string():
    with pytest.raises(TypeError) as excinfo:

        class Keyed(Layout):
            template = "x.html"
            registry_key = 42

    assert excinfo.value.args == (
        "test_registry_key_must_be_a_string.<locals>.Keyed.registry_key must be a non-empty "
        "str such as 'myapp.Keyed', not 42.",
    )


# -- class API for the page engine -------------------------------------------------------


def test_get_queue_spec_names_the_default_queues():
    class SpecLayout(Layout):
        template = "layouts/error.html"
        head_js = ScriptQueue()
        styles = StyleQueue()
        extra = RenderQueue()

    spec = SpecLayout.get_queue_spec()
    assert spec.owner == SpecLayout.key
    assert list(spec.queues) == ["head_js", "styles", "extra"]
    assert spec.defaults == {"script": "head_js", "style": "styles"}


def test_get_executor_follows_a_changed_declaration():
    class ExecLayout(Layout):
        template = "layouts/error.html"
        executor = SequentialExecutor

    first = ExecLayout.get_executor()
    assert isinstance(first, SequentialExecutor)
    assert ExecLayout.get_executor() is first  # kept while the declaration is unchanged
    threaded = ThreadedExecutor(max_workers=2)
    ExecLayout.executor = threaded
    assert ExecLayout.get_executor() is threaded
    ExecLayout.executor = None
    assert ExecLayout.get_executor() is None


def test_initial_layout_context_copies_mutable_defaults():
    class MutableLayout(Layout):
        template = "layouts/error.html"
        layout_context_defaults = {"crumbs": ["home"], "title": "Shop"}

    class PlainLayout(Layout):
        template = "layouts/error.html"
        layout_context_defaults = {"title": "Shop"}

    first = MutableLayout.initial_layout_context()
    first["crumbs"].append("cart")
    first["title"] = "changed"
    assert MutableLayout.initial_layout_context() == {"crumbs": ["home"], "title": "Shop"}
    assert MutableLayout.layout_context_defaults == {"crumbs": ["home"], "title": "Shop"}
    plain = PlainLayout.initial_layout_context()
    plain["title"] = "changed"
    assert PlainLayout.layout_context_defaults == {"title": "Shop"}
