"""docs/checks.md: every sample runs (Sybil), and the page says what the code does."""

from __future__ import annotations

import re

from tests.docs.support import open_page, text_blocks

PAGE = "checks.md"


def test_every_sample_runs(tmp_path):
    with open_page(PAGE, tmp_path) as project:
        project.run_samples()


def test_checks_page_documents_every_check_id():
    from pathlib import Path

    import dj_layouts

    src = Path(dj_layouts.__file__).parent
    in_code = set()
    for path in src.rglob("*.py"):
        in_code |= set(re.findall(r'id="(dj_layouts\.[EW]\d{3})"', path.read_text()))
    from tests.docs.pages import page_path

    headings = re.findall(r"^## (dj_layouts\.[EW]\d{3}):", page_path(PAGE).read_text(), re.M)
    assert sorted(headings) == sorted(in_code)
    assert len(headings) == len(set(headings))


def test_checks_messages_are_what_django_prints(tmp_path):
    from django.test import override_settings

    from dj_layouts import checks

    with open_page(PAGE, tmp_path) as project:
        ns = project.run_samples()
        with override_settings(DJ_LAYOUTS=ns["DJ_LAYOUTS"]):
            messages = checks.check_settings()
            # With bad settings the settings-dependent checks (E006) wait: run them after.
            assert not any(m.id == "dj_layouts.E006" for m in checks.check_layouts())
        messages += checks.check_layout_references() + checks.check_layouts()
    printed = []
    for message in messages:
        printed.append(f"({message.id}) {message.msg}")
        if message.hint:
            printed.append(f"    HINT: {message.hint}")
    blocks = text_blocks(PAGE)
    assert len(blocks) == 15
    for block in blocks:
        lines = block.splitlines()
        assert any(printed[i : i + len(lines)] == lines for i in range(len(printed))), (
            block,
            printed,
        )
