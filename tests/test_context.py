"""LayoutContext (what the content view writes) and FrozenLayoutContext (what panels read)."""

from __future__ import annotations

import copy
import pickle

import pytest
from django.http import HttpResponse
from django.test import override_settings

from dj_layouts import (
    FrozenLayoutContext,
    Layout,
    LayoutContext,
    Panel,
    PanelRenderError,
    layout,
)

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
        writer = Panel(write)

    @layout(WritingLayout)
    def view(request):
        return HttpResponse("body")

    with pytest.raises(PanelRenderError) as excinfo:
        view(rf.get("/"))
    assert excinfo.value.panel_error.panel_name == "writer"
    assert excinfo.value.panel_error.exception.args == READ_ONLY
