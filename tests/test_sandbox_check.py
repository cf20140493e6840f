"""The sandbox's configuration, checked without a browser (fast; runs in every test session).

The browser tests (tests/e2e) exercise the sandbox's pages; these make a broken
sandbox fail CI even on a machine without Chromium.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import ROOT, sandbox_env


def run_manage(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "sandbox" / "manage.py"), *args],
        cwd=ROOT,
        env=sandbox_env(database),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_sandbox_passes_the_system_checks(tmp_path: Path) -> None:
    done = run_manage("check", "--fail-level", "WARNING", database=tmp_path / "db.sqlite3")

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == "System check identified no issues (0 silenced).\n"


def test_sandbox_models_match_their_migrations(tmp_path: Path) -> None:
    done = run_manage("makemigrations", "--check", "--dry-run", database=tmp_path / "db.sqlite3")

    assert done.returncode == 0, done.stdout + done.stderr


def test_the_readme_says_how_to_change_the_sandbox_port() -> None:
    # nox -s sandbox runs uvicorn with --port 8000 and then the arguments after `--`;
    # uvicorn takes the last --port, which the README relies on.
    readme = (ROOT / "README.md").read_text()
    assert "`.venv/bin/nox -s sandbox -- --port 8001`" in readme
    noxfile = (ROOT / "noxfile.py").read_text()
    assert '"--port", "8000"),\n            *session.posargs,' in noxfile
