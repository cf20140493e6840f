"""The per-request collector's public reads, and the enqueue functions the tags call."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from dj_layouts import RenderQueue, ScriptQueue, StyleQueue, add_script, add_style
from dj_layouts.collector import (
    QueueCollector,
    enqueue_html,
    enqueue_inline,
    enqueue_script,
    enqueue_style,
    find_collector,
)
from dj_layouts.queues import Fragment, InlineScript, InlineStyle, Script, Stylesheet

pytestmark = pytest.mark.usefixtures("restore_layout_registry")


@pytest.fixture
def request_(make_layout):
    page_layout = make_layout(
        "CollectorLayout",
        scripts=ScriptQueue(),
        styles=StyleQueue(),
        extra=RenderQueue(),
    )
    request = RequestFactory().get("/")
    request.layout_queues = QueueCollector.for_layout(page_layout)
    return request


def test_has_items_says_whether_anything_was_queued(request_):
    collector = request_.layout_queues
    assert collector.has_items() is False
    collector["scripts"]  # looking at a queue queues nothing
    assert collector.has_items() is False
    add_style(request_, "/a.css")
    assert collector.has_items() is True


def test_entries_are_the_items_of_one_queue_in_order_with_their_keys(request_):
    add_script(request_, "/b.js")
    add_script(request_, "/a.js", defer=True)
    add_script(request_, "/b.js", defer=True)  # a duplicate: the first one stays
    add_style(request_, "/a.css")
    entries = request_.layout_queues.entries("scripts")
    assert entries == [
        (("script", "/b.js"), Script("/b.js")),
        (("script", "/a.js"), Script("/a.js", (("defer", True),))),
    ]
    assert request_.layout_queues.entries("extra") == []
    assert request_.layout_queues.entries("undeclared") == []


def test_the_enqueue_functions_name_their_caller_in_errors(request_):
    with pytest.raises(ValueError) as excinfo:
        enqueue_script(request_, "/a.js", {"on click": "x()"}, caller="{% addscript %}")
    assert excinfo.value.args == (
        "{% addscript %}: 'on click' is not a valid HTML attribute name. Use letters, "
        "digits, '-', ':' and '.' (in Python, data_id=1 gives data-id=\"1\").",
    )
    with pytest.raises(RuntimeError) as missing:
        enqueue_html(None, "extra", "<i>x</i>", caller="{% enqueue %}")
    assert missing.value.args[0].startswith("{% enqueue %} found no request to queue on.")


def test_the_enqueue_functions_queue_what_the_tags_ask_for(request_):
    enqueue_script(request_, "/m.js", {"module": True}, caller="{% addscript %}")
    enqueue_style(request_, "/p.css", {"media": "print"}, queue="styles", caller="{% addstyle %}")
    enqueue_html(request_, "extra", "<i>x</i>", caller="{% enqueue %}")
    enqueue_inline(request_, "script", "go()", caller="{% addscript %}")
    enqueue_inline(request_, "style", "p{}", caller="{% addstyle %}")
    assert request_.layout_queues.dump() == {
        "scripts": [Script("/m.js", (("type", "module"),)), InlineScript("go()")],
        "styles": [Stylesheet("/p.css", (("media", "print"),)), InlineStyle("p{}")],
        "extra": [Fragment("<i>x</i>")],
    }


def test_find_collector_refuses_a_request_no_layout_rendered():
    with pytest.raises(RuntimeError) as excinfo:
        find_collector(RequestFactory().get("/"), "{% addstyle %}")
    assert excinfo.value.args == (
        "{% addstyle %} needs a request rendered by a layout, and this one is not (it has no request.layout_queues). Call it "
        "from a view under @layout/@async_layout or a layout mixin, or from one of "
        "their panels.",
    )


def test_find_collector_returns_the_requests_collector(request_):
    assert find_collector(request_, "x") is request_.layout_queues
