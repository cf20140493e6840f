"""``{% load layouts %}``: panel slots and render queues.

Each tag only parses its arguments and hands off to a plain function.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import FilterExpression, Node, NodeList, Parser, Token
from django.utils.safestring import SafeString

from dj_layouts import tag_functions as slots
from dj_layouts.collector import (
    enqueue_html,
    enqueue_inline,
    enqueue_script,
    enqueue_style,
)
from dj_layouts.endpoints import panel_url

register = template.Library()

_SCRIPT_FLAGS = ("defer", "async", "module", "nomodule")


_request = slots.context_request


class PanelNode(Node):
    def __init__(
        self,
        name: FilterExpression,
        fallback: NodeList,
        bare: str | None,
        loading: NodeList | None = None,
    ) -> None:
        self.name = name
        self.fallback = fallback
        self.bare = bare
        self.loading = loading

    def render(self, context: template.Context) -> SafeString:
        value = self.name.resolve(context, ignore_failures=True)
        if self.bare is not None and not isinstance(value, str):
            value = self.bare
        loading = self.loading
        return slots.fill_slot(
            context,
            str(value),
            lambda: str(self.fallback.render(context)),
            None if loading is None else lambda: str(loading.render(context)),
        )


@register.tag("panel")
def do_panel(parser: Parser, token: Token) -> PanelNode:
    """``{% panel "name" %}fallback{% endpanel %}``: the panel's HTML, else the fallback.

    ``{% panel "name" %}fallback{% loading %}Loading…{% endpanel %}`` also gives the
    placeholder an unordered streamed page shows until the panel arrives.
    """
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(
            f"'{bits[0]}' takes exactly one argument, the panel name: "
            f'{{% {bits[0]} "sidebar" %}}fallback{{% endpanel %}}'
        )
    fallback = parser.parse(("loading", "endpanel"))
    loading = None
    if parser.next_token().contents == "loading":
        loading = parser.parse(("endpanel",))
        parser.delete_first_token()
    # A bare word names a variable holding the panel name ({% for slot in slots %}); when
    # there is no such string variable it is the name itself, as the existing package
    # reads {% panel sidebar %}.
    bare = bits[1] if bits[1].isidentifier() else None
    return PanelNode(parser.compile_filter(bits[1]), fallback, bare, loading)


class AddItemNode(Node):
    def __init__(
        self, kind: str, url: FilterExpression, flags: list[str], attrs: dict[str, FilterExpression]
    ) -> None:
        self.kind = kind
        self.url = url
        self.flags = flags
        self.attrs = attrs

    def render(self, context: template.Context) -> str:
        attrs: dict[str, Any] = {flag: True for flag in self.flags}
        attrs.update({key: value.resolve(context) for key, value in self.attrs.items()})
        queue = attrs.pop("queue", None)
        url = str(self.url.resolve(context))
        if self.kind == "script":
            enqueue_script(_request(context), url, attrs, queue=queue, caller="{% addscript %}")
        else:
            enqueue_style(_request(context), url, attrs, queue=queue, caller="{% addstyle %}")
        return ""


class InlineItemNode(Node):
    """``{% addscript %}code{% endaddscript %}``: an inline block for the default queue."""

    def __init__(self, kind: str, nodelist: NodeList) -> None:
        self.kind = kind
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        tag = "{% addscript %}" if self.kind == "script" else "{% addstyle %}"
        enqueue_inline(_request(context), self.kind, self.nodelist.render(context), caller=tag)
        return ""


def _parse_item(
    parser: Parser, token: Token, kind: str, flags: tuple[str, ...]
) -> AddItemNode | InlineItemNode:
    bits = token.split_contents()
    tag = bits[0]
    if len(bits) == 1:
        # The block form of the existing package: the body is inline code.
        nodelist = parser.parse((f"end{tag}",))
        parser.delete_first_token()
        return InlineItemNode(kind, nodelist)
    found: list[str] = []
    attrs: dict[str, FilterExpression] = {}
    for bit in bits[2:]:
        if "=" in bit:
            key, value = bit.split("=", 1)
            attrs[key] = parser.compile_filter(value)
        elif bit in flags:
            found.append(bit)
        else:
            allowed = ", ".join(flags) or "none"
            raise template.TemplateSyntaxError(
                f"'{tag}' does not understand {bit!r}. Flags: {allowed}; "
                'other attributes as name="value".'
            )
    return AddItemNode(kind, parser.compile_filter(bits[1]), found, attrs)


@register.tag("addscript")
def do_addscript(parser: Parser, token: Token) -> AddItemNode | InlineItemNode:
    """``{% addscript "app.js" defer %}`` queues a script (flags: defer async module
    nomodule); ``{% addscript %}code{% endaddscript %}`` an inline one."""
    return _parse_item(parser, token, "script", _SCRIPT_FLAGS)


@register.tag("addstyle")
def do_addstyle(parser: Parser, token: Token) -> AddItemNode | InlineItemNode:
    """``{% addstyle "app.css" media="print" %}`` queues a stylesheet;
    ``{% addstyle %}css{% endaddstyle %}`` an inline style."""
    return _parse_item(parser, token, "style", ())


class EnqueueNode(Node):
    def __init__(self, name: FilterExpression, nodelist: NodeList) -> None:
        self.name = name
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        body = self.nodelist.render(context)
        name = str(self.name.resolve(context))
        enqueue_html(_request(context), name, body, caller="{% enqueue %}")
        return ""


@register.tag("enqueue")
def do_enqueue(parser: Parser, token: Token) -> EnqueueNode:
    """``{% enqueue "name" %}...{% endenqueue %}``: queue the block; renders nothing."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(
            f"'{bits[0]}' takes exactly one argument, the queue name: "
            f'{{% {bits[0]} "scripts" %}}...{{% endenqueue %}}'
        )
    nodelist = parser.parse(("endenqueue",))
    parser.delete_first_token()
    return EnqueueNode(parser.compile_filter(bits[1]), nodelist)


def render_queue(context: template.Context, name: str | None, kind: str, tag: str) -> SafeString:
    return slots.render_queue(context, name, kind, f"{{% {tag} %}}")


@register.simple_tag(takes_context=True)
def renderscripts(context: template.Context, name: str | None = None) -> SafeString:
    """Every queued script, once each, in order (the layout's script queue, or ``name``)."""
    return render_queue(context, name, "script", "renderscripts")


@register.simple_tag(takes_context=True)
def renderstyles(context: template.Context, name: str | None = None) -> SafeString:
    """Every queued stylesheet and inline style, once each, in order."""
    return render_queue(context, name, "style", "renderstyles")


@register.simple_tag(takes_context=True)
def renderqueue(context: template.Context, name: str) -> SafeString:
    """Every item of queue ``name``, once each, in order."""
    return render_queue(context, name, "html", "renderqueue")


@register.simple_tag(takes_context=True)
def layout_hx_headers(context: template.Context, *, inherited: bool = False) -> SafeString:
    """``hx-headers='{"DJ-Layout": "<key>"}'``: names the page's layout for per-tab routing.

    Put it on the element wrapping the page inside ``<body>`` (htmx 2 never replaces
    the attributes of ``<body>`` itself). ``inherited=True`` writes htmx 4's
    ``hx-headers:inherited``. Outside a layout page it renders nothing.
    """
    return slots.hx_headers(context, inherited, "layout_hx_headers")


@register.simple_tag(takes_context=True, name="panel_url")
def panel_url_tag(context: template.Context, name: str) -> str:
    """``{% panel_url "cart" %}``: the signed URL of a panel, for ``hx-get`` and refreshes."""
    return _panel_url(context, name, "panel_url")


@register.simple_tag(takes_context=True)
def panel_action(context: template.Context, name: str | None = None) -> str:
    """``<form method="post" action="{% panel_action %}">``: post to this panel's URL.

    Inside a panel the name defaults to the panel's own; elsewhere give it.
    """
    if name is None:
        name = getattr(_request(context), "layout_panel_name", None)
        if name is None:
            raise template.TemplateSyntaxError(
                "'panel_action' without a name only works inside a panel; "
                'outside one give the panel: {% panel_action "cart" %}'
            )
    return _panel_url(context, name, "panel_action")


def _panel_url(context: template.Context, name: str, tag: str) -> str:
    request = _request(context)
    if request is None:
        raise template.TemplateSyntaxError(
            f"'{tag}' needs the request: render the template with it "
            "(render(request, ...), a TemplateResponse or render_to_string(..., request=request))."
        )
    return panel_url(request, str(name))
