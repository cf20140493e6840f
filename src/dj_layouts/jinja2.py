"""Layout and panel templates for Django's Jinja2 backend.

Point the backend's ``environment`` option at :func:`environment` (or call
:func:`install` on an environment you build yourself). Layout templates then get
the same slots and queues as ``{% load layouts %}`` gives Django templates, through
the same functions (``dj_layouts.tag_functions`` and the queue collector)::

    {% panel "sidebar" %}<p>fallback</p>{% endpanel %}
    {{ panel("footer", "fallback text") }}
    {{ renderstyles() }} {{ renderscripts() }} {{ renderqueue("modals") }}
    {{ addscript("app.js", defer=True) }} {{ addstyle("print.css", media="print") }}
    {% call addscript() %}console.log("inline"){% endcall %}
    {% enqueue "modals" %}<dialog>...</dialog>{% endenqueue %}
    <div {{ layout_hx_headers() }}>

Only imported when a project uses Jinja2: ``jinja2`` is not a dependency of dj-layouts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import Environment, nodes, pass_context
from jinja2.ext import Extension
from jinja2.parser import Parser
from jinja2.runtime import Context
from markupsafe import Markup, escape

from dj_layouts import tag_functions as slots
from dj_layouts.collector import enqueue_html, enqueue_inline, enqueue_script, enqueue_style

Caller = Callable[[], str]


def _fallback(value: Any, caller: Caller | None) -> Caller:
    if caller is not None:
        return caller
    # A plain string is text, escaped as Jinja2 escapes any value; Markup stays HTML.
    return lambda: str(escape(value))


@pass_context
def panel(context: Context, name: str, fallback: Any = "", caller: Caller | None = None) -> Markup:
    """``panel("name", fallback)``: the panel's HTML, else ``fallback``."""
    return Markup(slots.fill_slot(context, str(name), _fallback(fallback, caller)))


@pass_context
def addscript(
    context: Context,
    src: str | None = None,
    *,
    queue: str | None = None,
    caller: Caller | None = None,
    **attrs: Any,
) -> str:
    """``addscript("app.js", defer=True)`` queues a script; with ``{% call %}``, inline code."""
    request = slots.context_request(context)
    if src is None and caller is not None:
        enqueue_inline(request, "script", str(caller()), caller="addscript()")
    else:
        enqueue_script(request, str(src), attrs, queue=queue, caller="addscript()")
    return ""


@pass_context
def addstyle(
    context: Context,
    href: str | None = None,
    *,
    queue: str | None = None,
    caller: Caller | None = None,
    **attrs: Any,
) -> str:
    """``addstyle("app.css", media="print")`` queues a stylesheet; with ``{% call %}``, a style."""
    request = slots.context_request(context)
    if href is None and caller is not None:
        enqueue_inline(request, "style", str(caller()), caller="addstyle()")
    else:
        enqueue_style(request, str(href), attrs, queue=queue, caller="addstyle()")
    return ""


@pass_context
def enqueue(context: Context, name: str, html: Any = "", caller: Caller | None = None) -> str:
    """``enqueue("modals", html)`` (or ``{% call enqueue("modals") %}``) queues a block."""
    body = str(caller()) if caller is not None else str(escape(html))
    enqueue_html(slots.context_request(context), str(name), body, caller="enqueue()")
    return ""


@pass_context
def renderscripts(context: Context, name: str | None = None) -> Markup:
    """Every queued script, once each, in order (the layout's script queue, or ``name``)."""
    return Markup(slots.render_queue(context, name, "script", "renderscripts()"))


@pass_context
def renderstyles(context: Context, name: str | None = None) -> Markup:
    """Every queued stylesheet and inline style, once each, in order."""
    return Markup(slots.render_queue(context, name, "style", "renderstyles()"))


@pass_context
def renderqueue(context: Context, name: str) -> Markup:
    """Every item of queue ``name``, once each, in order."""
    return Markup(slots.render_queue(context, name, "html", "renderqueue()"))


@pass_context
def layout_hx_headers(context: Context, inherited: Any = False) -> Markup:
    """``hx-headers='{"DJ-Layout": "<key>"}'`` for the element wrapping the page."""
    return Markup(slots.hx_headers(context, inherited, "layout_hx_headers()"))


GLOBALS: dict[str, Any] = {
    "addscript": addscript,
    "addstyle": addstyle,
    "enqueue": enqueue,
    "layout_hx_headers": layout_hx_headers,
    "panel": panel,
    "renderqueue": renderqueue,
    "renderscripts": renderscripts,
    "renderstyles": renderstyles,
}


class LayoutsExtension(Extension):
    """``{% panel "name" %}fallback{% endpanel %}`` and ``{% enqueue "name" %}...{% endenqueue %}``.

    Each block tag compiles to a call of the global of the same name with the block
    as its ``caller``, so it behaves exactly like ``{% call panel("name") %}``.
    """

    tags = {"panel", "enqueue"}

    def parse(self, parser: Parser) -> nodes.Node:
        token = next(parser.stream)
        tag = token.value
        name = parser.parse_expression()
        body = parser.parse_statements((f"name:end{tag}",), drop_needle=True)
        # The global is called through the extension, so a template variable that
        # shadows its name ({% for panel in panels %}) does not break the tag.
        args = [nodes.Const(tag), nodes.ContextReference(), name]
        call = self.call_method("_call", args)
        return nodes.CallBlock(call, [], [], body).set_lineno(token.lineno)

    def _call(self, tag: str, context: Context, name: Any, caller: Caller) -> Any:
        return GLOBALS[tag](context, name, caller=caller)


def install(env: Environment) -> Environment:
    """Add the layout globals and block tags to ``env``; returns it."""
    env.globals.update(GLOBALS)
    env.add_extension(LayoutsExtension)
    return env


def environment(**options: Any) -> Environment:
    """A Jinja2 ``Environment`` with the layout globals and tags.

    For Django's backend: ``"OPTIONS": {"environment": "dj_layouts.jinja2.environment"}``.
    Templates keep their final newline, as Django templates do (Jinja2 drops it by
    default), so a page renders byte for byte alike with either engine; pass
    ``keep_trailing_newline=False`` in ``OPTIONS`` to change that.
    """
    options.setdefault("keep_trailing_newline", True)
    return install(Environment(**options))
