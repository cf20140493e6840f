"""LayoutContext (what the content view writes) and FrozenLayoutContext (what panels read)."""

from __future__ import annotations

import collections
import copy
import json
import pickle
import threading

import pytest
from django.http import HttpResponse
from django.template import Context, Template
from django.test import override_settings

from dj_layouts import (
    FrozenLayoutContext,
    Layout,
    LayoutContext,
    Panel,
    PanelRenderError,
    ThreadedExecutor,
    get_layout_context,
    layout,
)
from dj_layouts.context import FrozenDict, FrozenList, freeze, thaw

pytestmark = pytest.mark.usefixtures("restore_layout_registry")

READ_ONLY = ("layout_context is read-only in panel views",)


def _merge_layout(panel_seen):
    def panel_view(request):
        panel_seen.append(dict(request.layout_context))
        return ""

    class MergeLayout(Layout):
        template = "testapp/core/context.html"
        layout_context_defaults = {"a": "default-a", "b": "default-b", "c": "default-c"}
        reader = Panel(panel_view)

        def get_layout_context(self, request):
            return {"b": "hook-b", "c": "hook-c"}

    return MergeLayout


def test_merge_order_defaults_then_get_layout_context_then_content_view(rf):
    panel_seen = []
    view_seen = []

    @layout(_merge_layout(panel_seen))
    def view(request):
        # Set before the content view runs:
        view_seen.append((type(request.layout_context), dict(request.layout_context)))
        request.layout_context["c"] = "view-c"
        return HttpResponse("body")

    response = view(rf.get("/ctx/"))
    assert response.content.decode() == (
        "a=default-a|b=hook-b|c=view-c|proc=from-processor|path=/ctx/|user=anonymous|content=body\n"
    )
    assert view_seen == [(LayoutContext, {"a": "default-a", "b": "hook-b", "c": "hook-c"})]
    assert panel_seen == [{"a": "default-a", "b": "hook-b", "c": "view-c"}]


def test_the_content_view_can_remove_keys_and_add_new_ones(rf):
    @layout(_merge_layout([]))
    def view(request):
        del request.layout_context["a"]
        request.layout_context.update(b="view-b")
        request.layout_context.setdefault("c", "ignored")
        return HttpResponse("body")

    assert view(rf.get("/")).content.decode().startswith("a=|b=view-b|c=hook-c|")


def test_writes_do_not_leak_into_the_defaults_or_the_next_request(rf):
    layout_class = _merge_layout([])

    @layout(layout_class)
    def writer(request):
        request.layout_context["a"] = "written"
        return HttpResponse("w")

    @layout(layout_class)
    def reader(request):
        return HttpResponse("r")

    assert writer(rf.get("/")).content.decode().startswith("a=written|")
    assert reader(rf.get("/")).content.decode().startswith("a=default-a|")
    assert layout_class.layout_context_defaults == {
        "a": "default-a",
        "b": "default-b",
        "c": "default-c",
    }


def test_layout_context_is_a_dict():
    context = LayoutContext({"a": 1})
    context["b"] = 2
    assert isinstance(context, dict)
    assert context == {"a": 1, "b": 2}


# -- FrozenLayoutContext -----------------------------------------------------------------
@pytest.mark.parametrize(
    "mutate",
    [
        lambda c: c.__setitem__("a", 2),
        lambda c: c.__delitem__("a"),
        lambda c: c.__ior__({"a": 2}),
        lambda c: c.clear(),
        lambda c: c.pop("a"),
        lambda c: c.pop("missing", None),
        lambda c: c.popitem(),
        lambda c: c.setdefault("new", 1),
        lambda c: c.setdefault("a"),
        lambda c: c.update({"a": 2}),
        lambda c: c.update(a=2),
        lambda c: c.update(),
    ],
    ids=[
        "setitem",
        "delitem",
        "ior",
        "clear",
        "pop",
        "pop-default",
        "popitem",
        "setdefault-new",
        "setdefault-existing",
        "update-dict",
        "update-kwargs",
        "update-empty",
    ],
)
def test_frozen_refuses_every_mutating_method(mutate):
    frozen = FrozenLayoutContext({"a": 1})
    with pytest.raises(TypeError) as excinfo:
        mutate(frozen)
    assert excinfo.value.args == READ_ONLY
    assert frozen == {"a": 1}


def test_frozen_refuses_statement_forms():
    frozen = FrozenLayoutContext({"a": 1})
    with pytest.raises(TypeError) as set_error:
        frozen["a"] = 2
    with pytest.raises(TypeError) as del_error:
        del frozen["a"]
    with pytest.raises(TypeError) as ior_error:
        frozen |= {"b": 2}
    assert set_error.value.args == del_error.value.args == ior_error.value.args == READ_ONLY
    assert frozen == {"a": 1}


def test_frozen_reads_like_a_dict():
    frozen = FrozenLayoutContext({"a": 1, "b": [2]})
    assert frozen["a"] == 1
    assert frozen.get("missing", "x") == "x"
    assert list(frozen.items()) == [("a", 1), ("b", [2])]
    assert "b" in frozen
    merged = frozen | {"c": 3}
    assert merged == {"a": 1, "b": [2], "c": 3}
    assert type(merged) is dict


def test_frozen_copy_is_a_writable_dict():
    frozen = FrozenLayoutContext({"a": 1})
    plain = frozen.copy()
    assert type(plain) is dict
    plain["a"] = 2
    assert frozen == {"a": 1}


def test_frozen_copy_module_and_deepcopy():
    frozen = FrozenLayoutContext({"a": 1, "nested": {"b": [2]}})
    assert copy.copy(frozen) is frozen  # immutable: a copy would be identical
    deep = copy.deepcopy(frozen)
    assert type(deep) is FrozenLayoutContext
    assert deep == frozen
    assert deep["nested"] is not frozen["nested"]
    with pytest.raises(TypeError) as excinfo:
        deep["a"] = 2
    assert excinfo.value.args == READ_ONLY


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_frozen_pickles(protocol):
    frozen = FrozenLayoutContext({"a": 1, "items": [1, 2]})
    restored = pickle.loads(pickle.dumps(frozen, protocol=protocol))
    assert type(restored) is FrozenLayoutContext
    assert restored == frozen
    with pytest.raises(TypeError) as excinfo:
        restored.update(a=2)
    assert excinfo.value.args == READ_ONLY


@override_settings(DJ_LAYOUTS={"DEBUG_ERRORS": True})
def test_a_panel_writing_the_layout_context_fails_with_the_read_only_error(rf):
    def write(request):
        request.layout_context["title"] = "from panel"
        return "never"

    class WritingLayout(Layout):
        template = "testapp/core/context.html"
        reader = Panel(write)

    @layout(WritingLayout)
    def view(request):
        return HttpResponse("body")

    with pytest.raises(PanelRenderError) as excinfo:
        view(rf.get("/"))
    assert excinfo.value.panel_error.panel_name == "reader"
    assert excinfo.value.panel_error.exception.args == READ_ONLY


# -- read-only all the way down ------------------------------------------------------------
def _nested():
    return {
        "filters": {"tags": ["a", "b"], "seen": {1, 2}},
        "rows": [{"id": 1}, {"id": 2}],
        "pair": ([1], {"k": "v"}),
        "title": "t",
    }


@pytest.mark.parametrize(
    ("path", "mutate"),
    [
        (("filters",), lambda d: d.__setitem__("x", 1)),
        (("filters",), lambda d: d.__delitem__("tags")),
        (("filters",), lambda d: d.__ior__({"x": 1})),
        (("filters",), lambda d: d.clear()),
        (("filters",), lambda d: d.pop("tags")),
        (("filters",), lambda d: d.popitem()),
        (("filters",), lambda d: d.setdefault("x", 1)),
        (("filters",), lambda d: d.update(x=1)),
        (("filters", "tags"), lambda v: v.__setitem__(0, "z")),
        (("filters", "tags"), lambda v: v.__setitem__(slice(0, 1), ["z"])),
        (("filters", "tags"), lambda v: v.__delitem__(0)),
        (("filters", "tags"), lambda v: v.__iadd__(["z"])),
        (("filters", "tags"), lambda v: v.__imul__(2)),
        (("filters", "tags"), lambda v: v.append("z")),
        (("filters", "tags"), lambda v: v.extend(["z"])),
        (("filters", "tags"), lambda v: v.insert(0, "z")),
        (("filters", "tags"), lambda v: v.pop()),
        (("filters", "tags"), lambda v: v.remove("a")),
        (("filters", "tags"), lambda v: v.reverse()),
        (("filters", "tags"), lambda v: v.sort()),
        (("filters", "tags"), lambda v: v.clear()),
        (("filters", "seen"), lambda s: s.add(3)),
        (("filters", "seen"), lambda s: s.discard(1)),
        (("filters", "seen"), lambda s: s.remove(1)),
        (("filters", "seen"), lambda s: s.pop()),
        (("filters", "seen"), lambda s: s.clear()),
        (("filters", "seen"), lambda s: s.update({3})),
        (("filters", "seen"), lambda s: s.intersection_update({1})),
        (("filters", "seen"), lambda s: s.difference_update({1})),
        (("filters", "seen"), lambda s: s.symmetric_difference_update({1})),
        (("filters", "seen"), lambda s: s.__ior__({3})),
        (("filters", "seen"), lambda s: s.__iand__({1})),
        (("filters", "seen"), lambda s: s.__isub__({1})),
        (("filters", "seen"), lambda s: s.__ixor__({1})),
        (("rows", 0), lambda d: d.__setitem__("id", 9)),
        (("pair", 0), lambda v: v.append(2)),
        (("pair", 1), lambda d: d.update(k="w")),
    ],
)
def test_nested_containers_refuse_every_mutating_method(path, mutate):
    frozen = FrozenLayoutContext(_nested())
    target = frozen
    for step in path:
        target = target[step]
    with pytest.raises(TypeError) as excinfo:
        mutate(target)
    assert excinfo.value.args == READ_ONLY
    assert frozen == _nested()


def test_nested_containers_are_still_lists_dicts_and_sets():
    frozen = FrozenLayoutContext(_nested())
    assert isinstance(frozen["filters"], dict)
    assert isinstance(frozen["filters"]["tags"], list)
    assert isinstance(frozen["filters"]["seen"], set)
    assert isinstance(frozen["rows"][1], dict)
    assert type(frozen["pair"]) is tuple
    assert json.loads(json.dumps({k: v for k, v in frozen.items() if k != "filters"})) == {
        "rows": [{"id": 1}, {"id": 2}],
        "pair": [[1], {"k": "v"}],
        "title": "t",
    }
    assert frozen["filters"]["tags"] + ["c"] == ["a", "b", "c"]
    assert sorted(frozen["filters"]["seen"] | {3}) == [1, 2, 3]


def test_templates_iterate_and_index_the_frozen_containers():
    template = Template(
        "{% for tag in filters.tags %}{{ tag }},{% endfor %}|{{ rows.1.id }}|{{ pair.1.k }}"
        "|{{ filters.tags|length }}|{{ filters.seen|length }}"
    )
    rendered = template.render(Context(FrozenLayoutContext(_nested())))
    assert rendered == "a,b,|2|v|2|2"


def test_the_snapshot_is_a_copy_the_original_stays_writable():
    original = LayoutContext(_nested())
    frozen = FrozenLayoutContext(original)
    original["filters"]["tags"].append("c")
    original["rows"].append({"id": 3})
    assert frozen["filters"]["tags"] == ["a", "b"]
    assert frozen["rows"] == [{"id": 1}, {"id": 2}]


def test_copy_is_a_deep_writable_copy():
    frozen = FrozenLayoutContext(_nested())
    plain = frozen.copy()
    assert plain == _nested()
    assert type(plain["filters"]) is dict
    assert type(plain["filters"]["tags"]) is list
    assert type(plain["filters"]["seen"]) is set
    assert type(plain["rows"][0]) is dict
    assert type(plain["pair"][0]) is list
    plain["filters"]["tags"].append("c")
    plain["rows"][0]["id"] = 9
    plain["pair"][0].append(2)
    plain["filters"]["seen"].add(3)
    assert frozen == _nested()
    nested_copy = frozen["filters"].copy()
    nested_copy["tags"].append("d")
    assert type(nested_copy) is dict
    assert frozen["filters"]["tags"] == ["a", "b"]
    assert type(frozen["rows"].copy()) is list
    assert type(frozen["filters"]["seen"].copy()) is set


def test_nested_frozen_containers_copy_deepcopy_and_pickle():
    frozen = FrozenLayoutContext(_nested())
    tags = frozen["filters"]["tags"]
    assert copy.copy(tags) is tags
    assert copy.copy(frozen["filters"]) is frozen["filters"]
    assert copy.copy(frozen["filters"]["seen"]) is frozen["filters"]["seen"]
    deep = copy.deepcopy(frozen)
    assert deep == frozen
    assert deep["filters"]["tags"] is not tags
    restored = pickle.loads(pickle.dumps(frozen))
    assert restored == frozen
    for again in (deep, restored):
        with pytest.raises(TypeError) as excinfo:
            again["filters"]["tags"].append("z")
        assert excinfo.value.args == READ_ONLY


Point = collections.namedtuple("Point", "x y")


def test_tuples_are_rebuilt_only_when_they_hold_containers():
    scalars = (1, "two", None)
    point = Point([1], 2)
    frozen = FrozenLayoutContext(scalars=scalars, point=point)
    assert frozen["scalars"] is scalars
    assert type(frozen["point"]) is Point
    assert frozen["point"] == Point([1], 2)
    with pytest.raises(TypeError) as excinfo:
        frozen["point"].x.append(2)
    assert excinfo.value.args == READ_ONLY
    assert type(frozen.copy()["point"]) is Point


def test_objects_that_are_not_plain_containers_are_shared_as_they_are():
    class Thing:
        items = [1]

    thing = Thing()
    ordered = collections.OrderedDict(a=[1])
    frozen = FrozenLayoutContext(thing=thing, ordered=ordered)
    assert frozen["thing"] is thing
    assert frozen["ordered"] is ordered


def test_shared_and_self_referencing_containers():
    shared = [1]
    looped = [0]
    looped.append(looped)
    via_tuple = []
    via_tuple.append((via_tuple,))
    frozen = FrozenLayoutContext(a=shared, b=shared, looped=looped, via_tuple=via_tuple)
    assert frozen["a"] is frozen["b"]
    assert frozen["looped"][1] is frozen["looped"]
    assert frozen["via_tuple"][0][0] is frozen["via_tuple"]
    tuple_first = []
    entered = (tuple_first,)
    tuple_first.append(entered)
    frozen_tuple = FrozenLayoutContext(t=entered)["t"]
    assert frozen_tuple[0][0] is frozen_tuple
    assert type(frozen_tuple[0]) is FrozenList
    plain = frozen.copy()
    assert plain["looped"][1] is plain["looped"]
    assert plain["a"] is plain["b"]
    plain["looped"].append(2)
    assert len(frozen["looped"]) == 2


@override_settings(DJ_LAYOUTS={"DEBUG_ERRORS": True})
def test_a_panel_cannot_change_what_another_panel_sees(rf):
    tried = threading.Event()
    seen = {}

    def write(request):
        try:
            request.layout_context["filters"]["tags"].append("from writer")
        except TypeError as exc:
            seen["writer"] = exc.args
        finally:
            tried.set()
        return "writer"

    def read(request):
        tried.wait(timeout=5)  # read after the writer tried, when both run at once
        seen["reader"] = list(request.layout_context["filters"]["tags"])
        return "reader"

    class TwoPanelLayout(Layout):
        template = "testapp/core/slots.html"
        executor = ThreadedExecutor(max_workers=2)
        layout_context_defaults = {"slots": ["writer", "reader"]}
        writer = Panel(write)
        reader = Panel(read)

    @layout(TwoPanelLayout)
    def view(request):
        request.layout_context["filters"] = {"tags": ["a"]}
        request.layout_context["filters"]["tags"].append("b")  # the content view may write
        return HttpResponse("body")

    html = view(rf.get("/")).content.decode()
    assert '<section data-slot="writer">writer</section>' in html
    assert '<section data-slot="reader">reader</section>' in html
    assert seen == {"writer": READ_ONLY, "reader": ["a", "b"]}


# -- get_layout_context(): the accessor that works everywhere ---------------------------------
def test_get_layout_context_outside_a_layout_is_empty_and_read_only(rf):
    request = rf.get("/panels/facts/")
    context = get_layout_context(request)
    assert context == {}
    assert context.get("title", "default") == "default"
    with pytest.raises(TypeError) as excinfo:
        context["title"] = "x"  # type: ignore[index]
    assert excinfo.value.args == READ_ONLY
    assert not hasattr(request, "layout_context")


def test_get_layout_context_in_the_content_view_and_in_a_panel(rf):
    seen = {}

    def panel_view(request):
        seen["panel"] = get_layout_context(request)
        return ""

    class AccessorLayout(Layout):
        template = "testapp/core/slots.html"
        layout_context_defaults = {"slots": ["reader"], "rows": [1]}
        reader = Panel(panel_view)

    @layout(AccessorLayout)
    def view(request):
        context = get_layout_context(request)
        context["rows"].append(2)  # the content view's own context stays writable
        seen["view"] = context
        return HttpResponse("body")

    view(rf.get("/"))
    assert type(seen["view"]) is LayoutContext
    assert type(seen["panel"]) is FrozenLayoutContext
    assert seen["panel"]["rows"] == [1, 2]
    assert AccessorLayout.layout_context_defaults["rows"] == [1]


def test_freeze_and_thaw_on_their_own():
    value = {"a": [1, {2}]}
    frozen = freeze(value)
    assert type(frozen) is FrozenDict
    assert frozen == value
    assert freeze(frozen) is frozen  # already frozen: as it is
    assert freeze("text") == "text"
    plain = thaw(frozen)
    assert (type(plain), type(plain["a"]), type(plain["a"][1])) == (dict, list, set)
    assert thaw("text") == "text"
