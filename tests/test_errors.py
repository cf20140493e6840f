"""Panel errors: debug mode raises, production logs and fills the slot, one panel at a time."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from django.http import HttpResponse
from django.test import override_settings

from dj_layouts import (
    Panel,
    PanelError,
    PanelRenderError,
    PanelResponseError,
    PanelTimeout,
    add_script,
    layout,
)

pytestmark = pytest.mark.usefixtures("restore_layout_registry")

PRODUCTION = override_settings(DJ_LAYOUTS={"DEBUG_ERRORS": False})
DEBUG_ERRORS = override_settings(DJ_LAYOUTS={"DEBUG_ERRORS": True})
ERROR_DIV = (
    '<div class="dj-layouts-panel-error" data-panel="{}" role="alert">This part of the page '
    "could not be loaded.</div>\n"
)


def explode(request):
    raise ValueError("boom")


def also_explode(request):
    raise KeyError("missing")


def _render(make_layout, rf, name="ErrorsLayout", **attrs):
    layout_class = make_layout(name, **attrs)

    @layout(layout_class)
    def view(request):
        add_script(request, "/static/content.js")
        return HttpResponse("<p>content</p>")

    return view(rf.get("/errors/"))


# -- the exception classes ----------------------------------------------------------------
def test_panel_error_fields():
    exc = ValueError("boom")
    error = PanelError("sidebar", "app:sidebar", exc)
    assert dataclasses.is_dataclass(error)
    assert [field.name for field in dataclasses.fields(PanelError)] == [
        "panel_name",
        "source",
        "exception",
        "traceback_str",
        "status_code",
    ]
    assert (error.panel_name, error.source, error.exception, error.traceback_str) == (
        "sidebar",
        "app:sidebar",
        exc,
        "",
    )


def test_panel_render_error_message_and_details():
    exc = ValueError("boom")
    error = PanelError("sidebar", "app:sidebar", exc, "tb")
    raised = PanelRenderError(error)
    assert raised.args == ("Panel 'sidebar' failed to render: ValueError: boom",)
    assert raised.panel_error is error


def test_panel_timeout_and_response_error():
    timeout = PanelTimeout("slow", 0.25)
    assert isinstance(timeout, TimeoutError)
    assert timeout.args == ("Panel 'slow' did not answer within 0.25 s.",)
    assert (timeout.panel_name, timeout.timeout) == ("slow", 0.25)
    assert issubclass(PanelResponseError, Exception)


# -- debug mode -----------------------------------------------------------------------------
@DEBUG_ERRORS
def test_debug_mode_raises_panel_render_error_chained_from_the_original(make_layout, rf):
    with pytest.raises(PanelRenderError) as excinfo:
        _render(make_layout, rf, ok=Panel("<p>ok</p>"), broken=Panel(explode))
    error = excinfo.value
    assert error.args == ("Panel 'broken' failed to render: ValueError: boom",)
    assert isinstance(error.__cause__, ValueError)
    assert error.__cause__ is error.panel_error.exception
    assert error.panel_error.panel_name == "broken"
    assert error.panel_error.source is explode
    assert "Traceback (most recent call last)" in error.panel_error.traceback_str
    assert 'raise ValueError("boom")' in error.panel_error.traceback_str
    assert error.panel_error.traceback_str.rstrip().endswith("ValueError: boom")


@DEBUG_ERRORS
def test_debug_mode_reports_the_first_failed_panel_in_definition_order(make_layout, rf):
    with pytest.raises(PanelRenderError) as excinfo:
        _render(make_layout, rf, first=Panel(also_explode), second=Panel(explode))
    assert excinfo.value.args == ("Panel 'first' failed to render: KeyError: 'missing'",)


@pytest.mark.parametrize(
    ("debug_errors", "debug", "raises"),
    [
        (True, False, True),
        (False, True, False),
        (None, True, True),
        (None, False, False),
    ],
)
def test_debug_errors_setting_and_none_follows_debug(make_layout, rf, debug_errors, debug, raises):
    with override_settings(DEBUG=debug, DJ_LAYOUTS={"DEBUG_ERRORS": debug_errors}):
        if raises:
            with pytest.raises(PanelRenderError):
                _render(make_layout, rf, broken=Panel(explode))
        else:
            response = _render(make_layout, rf, broken=Panel(explode))
            assert response.status_code == 200


@override_settings(DEBUG=True, DJ_LAYOUTS={})
def test_debug_errors_defaults_to_following_debug(make_layout, rf):
    with pytest.raises(PanelRenderError):
        _render(make_layout, rf, broken=Panel(explode))


# -- production mode ---------------------------------------------------------------------
@PRODUCTION
def test_production_logs_at_error_with_the_traceback(make_layout, rf, slots, caplog):
    with caplog.at_level(logging.DEBUG, logger="dj_layouts"):
        response = _render(make_layout, rf, ok=Panel("<p>ok</p>"), broken=Panel(explode))
    page = slots(response)
    assert page["ok"] == "<p>ok</p>"
    assert page["broken"] == ERROR_DIV.format("broken")
    [record] = [r for r in caplog.records if r.name == "dj_layouts"]
    assert record.levelno == logging.ERROR
    assert (
        record.getMessage()
        == "Panel 'broken' of layout tests.ErrorsLayout failed: ValueError: boom"
    )
    assert record.exc_info[0] is ValueError
    assert record.exc_info[2] is not None
    assert "Traceback (most recent call last)" in caplog.text
    assert 'raise ValueError("boom")' in caplog.text


@PRODUCTION
def test_on_panel_error_output_fills_the_slot(make_layout, rf, slots):
    errors = []

    def on_panel_error(self, request, error):
        errors.append((request.layout_role, error))
        return f"<em>{error.panel_name}: try again later</em>"

    page = slots(_render(make_layout, rf, on_panel_error=on_panel_error, broken=Panel(explode)))
    assert page["broken"] == "<em>broken: try again later</em>"
    [(role, error)] = errors
    assert role == "main"
    assert isinstance(error, PanelError)
    assert error.panel_name == "broken"
    assert error.source is explode
    assert isinstance(error.exception, ValueError)
    assert "Traceback" in error.traceback_str


@PRODUCTION
def test_an_empty_on_panel_error_shows_the_fallback(make_layout, rf, slots):
    page = slots(
        _render(
            make_layout, rf, on_panel_error=lambda self, request, error: "", broken=Panel(explode)
        )
    )
    assert page["broken"] == "fallback:broken"


@PRODUCTION
def test_on_panel_error_raising_leaves_the_slot_empty_and_is_logged(make_layout, rf, slots, caplog):
    def on_panel_error(self, request, error):
        raise RuntimeError("handler broke")

    with caplog.at_level(logging.ERROR, logger="dj_layouts"):
        response = _render(
            make_layout,
            rf,
            on_panel_error=on_panel_error,
            broken=Panel(explode),
            ok=Panel("<p>ok</p>"),
        )
    page = slots(response)
    assert page["broken"] == "fallback:broken"
    assert page["ok"] == "<p>ok</p>"
    messages = [r.getMessage() for r in caplog.records if r.name == "dj_layouts"]
    assert messages == [
        "Panel 'broken' of layout tests.ErrorsLayout failed: ValueError: boom",
        "make_layout.<locals>.ErrorsLayout.on_panel_error() raised for panel 'broken'; "
        "the slot stays empty.",
    ]
    assert caplog.records[-1].exc_info[0] is RuntimeError


@PRODUCTION
@pytest.mark.parametrize(
    "error_template", ["testapp/core/no-such-error.html", "testapp/core/broken-error.html"]
)
def test_an_error_template_that_fails_leaves_the_slot_empty(
    make_layout, rf, slots, caplog, error_template
):
    with caplog.at_level(logging.ERROR, logger="dj_layouts"):
        response = _render(make_layout, rf, error_template=error_template, broken=Panel(explode))
    assert slots(response)["broken"] == "fallback:broken"
    messages = [r.getMessage() for r in caplog.records if r.name == "dj_layouts"]
    assert messages == [
        "Panel 'broken' of layout tests.ErrorsLayout failed: ValueError: boom",
        f"Layout tests.ErrorsLayout could not render its error template {error_template!r} "
        "for panel 'broken'.",
    ]


@PRODUCTION
def test_a_custom_error_template(make_layout, rf, slots):
    page = slots(
        _render(make_layout, rf, error_template="testapp/core/panel.html", broken=Panel(explode))
    )
    # The error template gets the request: the layout's main request.
    assert page["broken"] == "<p>//main</p>\n"


@PRODUCTION
def test_errors_are_isolated_per_panel(make_layout, rf, slots, caplog):
    calls = []

    def ok(request):
        calls.append("ok")
        return "<p>ok</p>"

    with caplog.at_level(logging.ERROR, logger="dj_layouts"):
        response = _render(
            make_layout,
            rf,
            first=Panel(explode),
            middle=Panel(ok),
            last=Panel(also_explode),
            tail=Panel("<p>tail</p>"),
        )
    page = slots(response)
    assert page["first"] == ERROR_DIV.format("first")
    assert page["middle"] == "<p>ok</p>"
    assert page["last"] == ERROR_DIV.format("last")
    assert page["tail"] == "<p>tail</p>"
    assert page["content"] == "<p>content</p>"
    assert calls == ["ok"]
    assert [r.getMessage() for r in caplog.records if r.name == "dj_layouts"] == [
        "Panel 'first' of layout tests.ErrorsLayout failed: ValueError: boom",
        "Panel 'last' of layout tests.ErrorsLayout failed: KeyError: 'missing'",
    ]


@PRODUCTION
def test_a_failed_panels_queue_items_are_dropped(make_layout, rf):
    def adds_then_fails(request):
        add_script(request, "/static/failed.js")
        raise ValueError("after queueing")

    def adds(request):
        add_script(request, "/static/ok.js")
        return "<p>ok</p>"

    html = _render(make_layout, rf, failing=Panel(adds_then_fails), ok=Panel(adds)).content.decode()
    assert "/static/failed.js" not in html
    assert (
        '<div id="scripts"><script src="/static/content.js"></script>\n'
        '<script src="/static/ok.js"></script></div>'
    ) in html
