"""docs/api.md: the page says what the code does."""

from __future__ import annotations

import inspect
import re
import sys
import types

from tests.docs.pages import compile_template, python_blocks, run_block, template_blocks

PAGE = "api.md"


#: Names the stubs of api.md use without importing them.
API_PREAMBLE = "from abc import ABC\nfrom dataclasses import dataclass\n"


def _api_stubs() -> dict[str, dict]:
    """Run api.md's stubs, section by section: module name -> the names they define."""
    from tests.docs.pages import page_path

    text = page_path(PAGE).read_text().splitlines()
    sections = [
        (i + 1, m[1]) for i, line in enumerate(text) if (m := re.match(r"^## `([\w.]+)`$", line))
    ]
    stubs: dict[str, dict] = {}
    # dataclasses look up the module of a class with string annotations.
    stub_module = types.ModuleType("api_stub")
    sys.modules["api_stub"] = stub_module
    try:
        for block in python_blocks(PAGE):
            module = [name for line, name in sections if line < block.line][-1]
            namespace = stubs.setdefault(module, {"__name__": "api_stub"})
            stub_module.__dict__.clear()
            stub_module.__dict__.update(namespace)
            exec(API_PREAMBLE, stub_module.__dict__)
            # The stubs' annotations are for readers: they name what is never imported.
            run_block(block, stub_module.__dict__, future_imports=("annotations",))
            namespace.update(stub_module.__dict__)
    finally:
        del sys.modules["api_stub"]
    return {
        module: {
            name: value
            for name, value in namespace.items()
            if not name.startswith("_") and name not in ("ABC", "dataclass", "annotations")
        }
        for module, namespace in stubs.items()
    }


def test_every_template_sample_compiles():
    assert [compile_template(block) for block in template_blocks(PAGE)]


def _signature(func) -> list[tuple]:
    def default(value):
        if value is inspect.Parameter.empty:
            return "<required>"
        # `...` in a stub stands for a sentinel: a bare object() in the code.
        return "..." if value is Ellipsis or type(value) is object else repr(value)

    return [
        (p.name, p.kind, default(p.default)) for p in inspect.signature(func).parameters.values()
    ]


def _compare(name: str, stub, real) -> list[str]:
    problems = []
    if inspect.isclass(stub):
        mro = [klass.__name__ for klass in real.__mro__]
        problems += [
            f"{name}: not a {base.__name__}"
            for base in stub.__bases__
            if base is not object and base.__name__ not in mro
        ]
        annotations = {}
        for klass in reversed(real.__mro__):
            annotations.update(getattr(klass, "__annotations__", {}))
        fields = getattr(real, "__dataclass_fields__", {})
        for attr in getattr(stub, "__annotations__", {}):
            if attr in vars(stub):
                if getattr(real, attr, object()) != vars(stub)[attr]:
                    problems.append(f"{name}.{attr} is {getattr(real, attr, '<missing>')!r}")
            elif not (hasattr(real, attr) or attr in fields or attr in annotations):
                problems.append(f"{name}.{attr} does not exist")
        for attr, value in vars(stub).items():
            if attr.startswith("__") and attr != "__init__":
                continue
            if isinstance(value, (classmethod, staticmethod)) or inspect.isfunction(value):
                if not hasattr(real, attr):
                    problems.append(f"{name}.{attr} does not exist")
                    continue
                problems += _compare(f"{name}.{attr}", getattr(stub, attr), getattr(real, attr))
    elif callable(stub):
        if _signature(stub) != _signature(real):
            problems.append(f"{name}{inspect.signature(real)} != stub {inspect.signature(stub)}")
        if inspect.iscoroutinefunction(stub) != inspect.iscoroutinefunction(real):
            problems.append(f"{name}: async in one, sync in the other")
    elif stub != real:
        problems.append(f"{name} is {real!r}, not {stub!r}")
    return problems


def test_api_stubs_match_the_code():
    import importlib

    problems = []
    for module_name, names in _api_stubs().items():
        module = importlib.import_module(module_name)
        for name, stub in names.items():
            if not hasattr(module, name):
                problems.append(f"{module_name}.{name} does not exist")
            else:
                problems += _compare(f"{module_name}.{name}", stub, getattr(module, name))
    assert problems == []


def test_api_documents_every_public_name():
    import importlib

    import dj_layouts

    stubs = _api_stubs()
    assert set(stubs) == {"dj_layouts", "dj_layouts.cache", "dj_layouts.detection"}
    assert set(dj_layouts.__all__) - set(stubs["dj_layouts"]) == {"cache"}
    for module_name in ("dj_layouts.cache", "dj_layouts.detection"):
        module = importlib.import_module(module_name)
        public = {
            name
            for name, value in vars(module).items()
            if inspect.isfunction(value)
            and value.__module__ == module_name
            and not name.startswith("_")
        }
        assert public - set(stubs[module_name]) == set(), module_name


def test_api_lists_every_template_tag():
    from dj_layouts.templatetags.layouts import register
    from tests.docs.pages import page_path

    text = page_path(PAGE).read_text()
    assert [tag for tag in register.tags if "{% " + tag not in text] == []
