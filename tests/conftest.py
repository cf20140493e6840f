# Shared by the whole suite (several test modules use these): keep it small, fixtures only.
from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dj_layouts import Layout, ScriptQueue, StyleQueue
from dj_layouts import views as views_module
from dj_layouts.executors import reset_circuits

# The Wagtail test site has settings of its own and needs Wagtail: `nox -s wagtail` runs
# it (`pytest tests/wagtailsite --ds=tests.wagtailsite.settings`); other runs skip it.
WAGTAIL_SETTINGS = "tests.wagtailsite.settings"
if os.environ.get("DJANGO_SETTINGS_MODULE") != WAGTAIL_SETTINGS:
    collect_ignore = ["wagtailsite"]

# `dj_layouts.layout` is also the name of the decorator the package exports.
layout_module = importlib.import_module("dj_layouts.layout")


@pytest.fixture(autouse=True)
def _closed_circuits() -> Iterator[None]:
    """Circuit breakers are process-wide: a test's timeouts must not open another's circuit."""
    reset_circuits()
    yield
    reset_circuits()


@pytest.fixture
def restore_layout_registry() -> Iterator[None]:
    """Put the layout registry and the recorded string layout references back afterwards.

    Layouts a test declares (and `@layout("key")` references it makes) would otherwise
    leak into later tests and into the system checks, whatever the test order.
    """
    registry = dict(layout_module._registry)
    references = list(views_module.layout_references)
    yield
    layout_module._registry.clear()
    layout_module._registry.update(registry)
    views_module.layout_references[:] = references


@pytest.fixture
def make_layout(restore_layout_registry: None) -> Callable[..., type[Layout]]:
    """Declare a Layout subclass as a test function would (registered as ``tests.<name>``).

    Defaults: ``scripts``/``styles`` queues and the template
    ``testapp/core/slots-scripts.html``, which shows the content, one
    ``<section data-slot="name">`` per panel (fallback ``fallback:<name>``) and the
    scripts. Keyword arguments become class attributes.
    """

    def make(
        name: str = "PageLayout", *, bases: tuple[type, ...] = (Layout,), **attrs: Any
    ) -> type[Layout]:
        namespace: dict[str, Any] = {
            "__module__": "tests.layouts_under_test",
            # "<locals>" marks a class declared in a function: re-declaring replaces it.
            "__qualname__": f"make_layout.<locals>.{name}",
        }
        if not any(getattr(base, "template", None) for base in bases):
            namespace["template"] = "testapp/core/slots-scripts.html"
        if not any(getattr(base, "_queues", None) for base in bases):
            namespace["scripts"] = ScriptQueue()
            namespace["styles"] = StyleQueue()
        namespace.update(attrs)
        cls = type(name, bases, namespace)
        defaults = dict(cls.layout_context_defaults)
        # Every panel, inherited ones included, gets a slot in the default template.
        defaults.setdefault("slots", list(cls.get_panels()))
        cls.layout_context_defaults = defaults
        return cls

    return make


_SLOT = re.compile(r'<section data-slot="([^"]+)">(.*?)</section><!-- /\1 -->', re.S)
_CONTENT = re.compile(r"<main>(.*?)</main><!-- /content -->", re.S)


@pytest.fixture
def slots() -> Callable[[Any], dict[str, str]]:
    """Parse a page rendered with ``testapp/core/slots.html``: slot name -> its HTML."""

    def parse(page: Any) -> dict[str, str]:
        html = page if isinstance(page, str) else page.content.decode()
        found = {name: body for name, body in _SLOT.findall(html)}
        content = _CONTENT.search(html)
        if content is not None:
            found["content"] = content.group(1)
        return found

    return parse
