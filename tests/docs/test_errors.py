"""docs/errors.md: every sample runs (Sybil), and the page says what the code does."""

from __future__ import annotations

import logging

import pytest

from tests.docs.pages import code_blocks
from tests.docs.support import get, open_page, render_slots, slots, text_blocks

PAGE = "errors.md"


def test_every_sample_runs(tmp_path):
    with open_page(PAGE, tmp_path) as project:
        project.run_samples()


def test_errors_production_and_debug(tmp_path, caplog):
    from django.test import override_settings

    from dj_layouts import PanelRenderError

    with open_page(PAGE, tmp_path) as project:
        ns = project.run_samples()
        with caplog.at_level(logging.ERROR, logger="dj_layouts"):
            page = slots(ns["home"](get("/")))
        assert page["nav"] == (
            '<p class="panel-error">The nav could not be loaded. <a href="/">Try again</a>.</p>\n'
        )
        assert "database down" in caplog.text

        default_html = next(b.code.strip() for b in code_blocks(PAGE) if b.lang == "html")
        with caplog.at_level(logging.ERROR, logger="dj_layouts"):
            assert render_slots(nav=ns["flaky"])["nav"].strip() == default_html

        with caplog.at_level(logging.WARNING, logger="myapp.panels"):
            assert slots(ns["quiet_home"](get("/")))["nav"] == "[no nav]"
        assert "panel nav failed: RuntimeError('database down')" in caplog.text

        with (
            override_settings(DJ_LAYOUTS={"DEBUG_ERRORS": True}),
            pytest.raises(PanelRenderError) as excinfo,
        ):
            ns["home"](get("/"))
        debug_line = text_blocks(PAGE)[0]
        assert f"{type(excinfo.value).__name__}: {excinfo.value}" == debug_line
        assert excinfo.value.panel_error.panel_name == "nav"
        assert isinstance(excinfo.value.__cause__, RuntimeError)


def test_errors_response_error_messages(tmp_path):
    from django.http import HttpResponseRedirect, StreamingHttpResponse
    from django.test import override_settings

    from dj_layouts import PanelRenderError, PanelResponseError

    answers = [
        lambda request: HttpResponseRedirect("/elsewhere/"),
        lambda request: StreamingHttpResponse(iter(["x"])),
        lambda request: 42,
    ]
    with open_page(PAGE, tmp_path), override_settings(DJ_LAYOUTS={"DEBUG_ERRORS": True}):
        messages = []
        for answer in answers:
            with pytest.raises(PanelRenderError) as excinfo:
                render_slots(nav=answer)
            assert isinstance(excinfo.value.panel_error.exception, PanelResponseError)
            messages.append(str(excinfo.value.panel_error.exception))
    assert "\n".join(messages) == text_blocks(PAGE)[1]
