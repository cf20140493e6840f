"""docs/changelog.md: the page says what the code does."""

from __future__ import annotations

PAGE = "changelog.md"


def test_changelog_page_includes_the_changelog():
    from tests.docs.pages import DOCS, page_path

    assert page_path(PAGE).read_text().strip() == '--8<-- "CHANGELOG.md"'
    assert (DOCS.parent / "CHANGELOG.md").read_text().startswith("# Changelog")
