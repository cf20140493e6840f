"""docs/architecture.md: the module table names every module of the package."""

from __future__ import annotations

import re
from pathlib import Path

from tests.docs.pages import page_path

PAGE = "architecture.md"
PACKAGE = Path(__file__).resolve().parents[2] / "src" / "dj_layouts"


def test_every_module_is_in_the_table():
    text = page_path(PAGE).read_text()
    named = set(re.findall(r"`([a-z0-9_/]+(?:\.py|/))`", text))
    modules = {
        path.name if path.parent == PACKAGE else f"{path.parent.name}/"
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py" and "migrations" not in path.parts
    }
    modules.discard("templatetags/")
    assert modules - named - {"_utils.py", "types.py"} == set()
