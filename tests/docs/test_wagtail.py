"""docs/wagtail.md: its templates compile here; its page models run on the Wagtail site.

The Python samples need Wagtail, which the main suite does not install: they are
marked ``skip`` and run in ``tests/wagtailsite/test_docs.py`` (``nox -s wagtail``).
Here they must at least compile.
"""

from __future__ import annotations

from django.template.loader import render_to_string

from tests.docs.pages import python_blocks
from tests.docs.support import open_page

PAGE = "wagtail.md"


def test_every_sample_runs(tmp_path):
    with open_page(PAGE, tmp_path) as project:
        project.run_samples()


def test_the_python_samples_compile():
    blocks = python_blocks(PAGE)
    assert [block.title for block in blocks] == ["blog/models.py", "events/models.py"]
    for block in blocks:
        compile(block.code, block.where, "exec")


def test_the_page_template_renders_both_ways(tmp_path):
    with open_page(PAGE, tmp_path):
        inside = render_to_string(
            "blog/blog_page.html",
            {"base_template": "layouts/blank.html", "page": {"title": "Hi", "intro": "Yo"}},
        )
        assert inside.split() == ["<h1>Hi</h1>", "<p", 'class="intro">Yo</p>']
