"""docs/settings.md: every sample runs (Sybil), and the page says what the code does."""

from __future__ import annotations

import re

from tests.docs.support import open_page

PAGE = "settings.md"


def test_every_sample_runs(tmp_path):
    with open_page(PAGE, tmp_path) as project:
        project.run_samples()


def test_settings_table_lists_every_setting_with_its_default():
    import ast

    from dj_layouts.conf import DEFAULTS
    from tests.docs.pages import page_path

    rows = re.findall(r"^\| `([A-Z_]+)` \| `([^`]*)` \|", page_path(PAGE).read_text(), re.M)
    documented = {key: ast.literal_eval(default) for key, default in rows}
    assert documented == dict(DEFAULTS)


def test_settings_snippets_run(tmp_path):
    with open_page(PAGE, tmp_path) as project:
        project.run_samples()  # the validation_errors() assertion is in the sample
