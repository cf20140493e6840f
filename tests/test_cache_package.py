"""The shape of the dj_layouts.cache package: small modules, no concurrency of its own."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import dj_layouts.cache
from dj_layouts import cache

PACKAGE = Path(dj_layouts.cache.__file__).parent
MODULES = sorted(PACKAGE.glob("*.py"))
# Concurrency is the executors' job: the cache asks them (arun_io, submit_background, poll, ...).
FORBIDDEN_IMPORTS = {"threading", "asyncio", "concurrent.futures", "time.sleep"}
FORBIDDEN_CALLS = {"gather", "run_in_executor", "sleep", "Thread", "ThreadPoolExecutor"}


def _imports_and_calls(path: Path) -> tuple[set[str], set[str]]:
    tree = ast.parse(path.read_text())
    imports, calls = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imports |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Call):
            func = node.func
            calls.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return imports, calls


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_threads_tasks_or_sleeping_in_the_cache(path: Path) -> None:
    imports, calls = _imports_and_calls(path)

    assert imports & FORBIDDEN_IMPORTS == set()
    assert calls & FORBIDDEN_CALLS == set()


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_each_module_is_small(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= 400


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_each_module_imports_first_without_a_cycle(path: Path) -> None:
    module = "dj_layouts.cache" + ("" if path.stem == "__init__" else f".{path.stem}")
    code = f"import {module}"
    env_settings = {"DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **env_settings},
        cwd=PACKAGE.parents[2],
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_public_api_is_unchanged() -> None:
    assert cache.__all__ == [
        "KEY_PREFIX",
        "CacheConfig",
        "PanelCache",
        "ainvalidate_panel",
        "custom",
        "invalidate_panel",
        "make_key",
        "per_path",
        "per_session",
        "per_user",
        "per_user_per_path",
        "sitewide",
    ]
    assert all(getattr(cache, name) is not None for name in cache.__all__)
