"""Which panels a layout's template places, read from the template where that is knowable.

The system checks warn about ``{% panel %}`` names a layout does not declare and
about declared panels that no slot shows; pages skip such panels, because their
HTML would be thrown away. Both only act when the answer is certain: a Django
template whose panel names, ``{% extends %}`` and ``{% include %}`` are all
literal strings. Anything decided at render time (a variable, a filter, another
template engine, a ``get_template()`` override) makes the answer "unknown".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.signals import setting_changed
from django.template import Template, TemplateDoesNotExist, TemplateSyntaxError
from django.template.base import FilterExpression, Node
from django.template.loader import get_template
from django.template.loader_tags import ExtendsNode, IncludeNode
from django.utils.autoreload import file_changed

if TYPE_CHECKING:
    from dj_layouts.layout import Layout


@dataclass(frozen=True)
class TemplateSlots:
    """The literal panel names a template places; ``complete`` when those are all of them."""

    names: frozenset[str]
    complete: bool


def _literal(expression: Any) -> str | None:
    """The string a filter expression always is, or None when it is decided at render time."""
    if isinstance(expression, FilterExpression) and not expression.filters:
        value = expression.var
        if isinstance(value, str):
            return value
    return None


def _django_template(name: str) -> Template | None:
    try:
        template = get_template(name)
    except (TemplateDoesNotExist, TemplateSyntaxError):
        return None
    inner = getattr(template, "template", None)
    return inner if isinstance(inner, Template) else None


class _Reader:
    def __init__(self) -> None:
        self.names: set[str] = set()
        self.complete = True
        self.seen: set[str] = set()

    def read(self, name: str) -> None:
        if name in self.seen:
            return
        self.seen.add(name)
        template = _django_template(name)
        if template is None:
            self.complete = False
            return
        self.nodes(template.nodelist.get_nodes_by_type(Node))

    def nodes(self, nodes: Iterable[Node]) -> None:
        from dj_layouts.templatetags.layouts import PanelNode  # the tags import the page code

        for node in nodes:
            if isinstance(node, PanelNode):
                name = _literal(node.name)
                if name is not None and node.bare is None:
                    self.names.add(name)
                else:
                    # A variable, or {% panel sidebar %}, which may name a variable.
                    self.complete = False
            elif isinstance(node, (ExtendsNode, IncludeNode)):
                expression = node.parent_name if isinstance(node, ExtendsNode) else node.template
                target = _literal(expression)
                if target is None:
                    self.complete = False
                else:
                    self.read(target)


def template_slots(template_name: str) -> TemplateSlots:
    """The panels ``template_name`` places, following literal extends and includes."""
    reader = _Reader()
    reader.read(template_name)
    return TemplateSlots(frozenset(reader.names), reader.complete)


def layout_slots(layout_class: type[Layout]) -> TemplateSlots | None:
    """The panels ``layout_class``'s template places, or None when it picks it per request."""
    from dj_layouts.layout import Layout

    template = layout_class.template
    if not template or layout_class.get_template is not Layout.get_template:
        return None
    return template_slots(template)


# (layout class, template name) -> the placed panel names, or None when not knowable.
_placed: dict[tuple[type, str], frozenset[str] | None] = {}


def forget_slots(**kwargs: Any) -> None:
    """Read the templates again: a template file or the TEMPLATES setting changed."""
    _placed.clear()


# runserver's autoreloader sends file_changed for template files too (and keeps serving);
# tests change TEMPLATES with override_settings.
file_changed.connect(forget_slots, dispatch_uid="dj_layouts.slots")
setting_changed.connect(forget_slots, dispatch_uid="dj_layouts.slots")


def placed_panels(layout_class: type[Layout]) -> frozenset[str] | None:
    """The names of the panels that have a slot, or None when that is not knowable.

    Read once per layout, and again after a template file or the TEMPLATES setting
    changes, so a page pays a dict lookup.
    """
    from dj_layouts.layout import Layout

    name = layout_class.template
    if not name or layout_class.get_template is not Layout.get_template:
        return None
    key = (layout_class, name)
    try:
        return _placed[key]
    except KeyError:
        pass
    slots = template_slots(name)
    placed = slots.names if slots.complete else None
    _placed[key] = placed
    return placed
