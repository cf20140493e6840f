"""The docs harness itself: every sample of every page runs, and a broken one names its line."""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest

from tests.docs.pages import DOCS, PYTHON, TEMPLATES, DocProject, code_blocks, parse

HERE = Path(__file__).resolve().parent

#: Pages without a sample to run.
NO_SAMPLES = {"changelog.md", "architecture.md"}


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_every_page_has_its_test_file(page):
    assert (HERE / f"test_{page[:-3].replace('-', '_')}.py").exists()


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_every_python_and_template_block_is_a_sybil_example(page):
    """A block Sybil does not pick up (say ``python linenums="1"``) would never run."""
    runnable = [
        block.line
        for block in code_blocks(page)
        # Project files of any language count: they are written into the sample project
        # (a Jinja2 template, say), even where there is nothing to import or compile.
        if block.lang in PYTHON or block.is_file or (block.lang in TEMPLATES and not block.title)
    ]
    examples = [example.line for example in parse(page) if example.region.evaluator]
    skips = [example.line for example in parse(page) if type(example.parsed) is tuple]
    assert sorted(set(examples) - set(skips)) == runnable
    assert bool(runnable) == (page not in NO_SAMPLES)


def test_a_broken_sample_fails_with_its_page_and_line(tmp_path):
    page = tmp_path / "broken.md"
    page.write_text(
        "# Broken\n\n```python\nanswer = 42\n```\n\nText.\n\n```python\nanswer / 0\n```\n"
    )
    examples = list(parse(page))
    examples[0].evaluate()
    with pytest.raises(ZeroDivisionError) as excinfo:
        examples[1].evaluate()
    last = traceback.extract_tb(excinfo.tb)[-1]
    assert (last.filename, last.lineno, last.line) == (str(page), 10, "answer / 0")


def test_a_skipped_sample_does_not_run(tmp_path):
    page = tmp_path / "skipped.md"
    page.write_text("<!-- skip: next -->\n\n```python\n1 / 0\n```\n\n```python\nran = True\n```\n")
    document = parse(page)
    for example in document:
        example.evaluate()
    assert document.namespace["ran"] is True


def test_a_broken_project_file_fails_with_its_page_and_line(tmp_path):
    page = tmp_path / "files.md"
    page.write_text('# Files\n\n```python title="brokenapp/views.py"\nimport nowhere\n```\n')
    with DocProject(tmp_path, page) as project, pytest.raises(AssertionError) as excinfo:
        project.run_samples()
    assert excinfo.value.args == (
        f"brokenapp/views.py at {page}:3 failed: ModuleNotFoundError(\"No module named 'nowhere'\")",
    )
