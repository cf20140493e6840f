"""dj_layouts.wagtail without Wagtail; with it, tests/wagtailsite/ (`nox -s wagtail`)."""

from __future__ import annotations

import os
import subprocess
import sys


def test_importing_it_without_wagtail_names_the_extra():
    code = (
        "import sys; sys.modules['wagtail'] = sys.modules['wagtail.models'] = None\n"
        "try:\n    import dj_layouts.wagtail\n"
        "except ImportError as exc:\n    print(exc.args[0]); print(repr(exc.__cause__))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert result.stdout == (
        "dj_layouts.wagtail needs Wagtail. Install it with `pip install dj-layouts[wagtail]`.\n"
        "ModuleNotFoundError('import of wagtail.models halted; None in sys.modules')\n"
    )
