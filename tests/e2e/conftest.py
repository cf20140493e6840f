"""Fixtures for the browser tests: the sandbox under uvicorn, and Debian's Chromium.

``sandbox_url`` serves the sandbox (``sandbox/``) under uvicorn on a free loopback
port, with a fresh SQLite database (migrated and seeded) for the session.
``page`` is a fresh Chromium tab (its own cookies) for each test, driven by
Playwright. When Chromium or Playwright cannot be had, the tests that need them
are skipped with the reason.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import _services

ROOT = Path(__file__).resolve().parents[2]
SERVER_START_TIMEOUT = 30.0
#: Milliseconds Playwright waits for a page or an element before failing.
BROWSER_TIMEOUT_MS = 15_000
#: Seconds one browser test may take in all, setup and teardown included.
TEST_DEADLINE = 120


def sandbox_env(database: Path) -> dict[str, str]:
    """The environment of a sandbox process: its own settings, this database."""
    env = {
        key: value
        for key, value in os.environ.items()
        # pytest-django exported the test suite's settings; the sandbox has its own.
        if key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="sandbox.settings",
        DJ_LAYOUTS_SANDBOX_DB=str(database),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``sandbox/manage.py`` with ``args``; fail the test with its output if it fails."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "sandbox" / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(
            f"manage.py {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return done


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def sandbox_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL (no trailing slash) of the sandbox running under uvicorn."""
    workdir = tmp_path_factory.mktemp("sandbox")
    env = sandbox_env(workdir / "db.sqlite3")
    manage("migrate", "--noinput", env=env)
    manage("seed_demo", env=env)
    log_path = workdir / "uvicorn.log"
    failure = ""
    for _attempt in range(3):  # another process may take the free port first
        port = _services.free_port()
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    sys.executable, "-m", "uvicorn", "sandbox.asgi:application",
                    "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                ],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            if _answers(url + "/"):
                try:
                    yield url
                finally:
                    _services.stop_process(process)
                return
            time.sleep(0.1)
        _services.stop_process(process)
        failure = log_path.read_text(errors="replace")[-3000:]
    pytest.fail(f"The sandbox did not start under uvicorn:\n{failure}")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("DJ_LAYOUTS_CHROMIUM") or _services.find_chromium()
    if path is None:
        pytest.skip(f"Chromium is not available: {_services.chromium_unavailable_reason()}")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="Playwright for Python is not installed (pip install playwright)",
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            # Playwright adds the headless flag itself; it is here for the record.
            args=["--headless", *_services.CHROMIUM_ARGS],
        )
        try:
            yield browser
        finally:
            browser.close()


class PageProblems(list[str]):
    """JavaScript errors and console errors a page produced."""


def _on_deadline(signum: int, frame: Any) -> None:
    raise TimeoutError(
        f"The browser test took over {TEST_DEADLINE} s: Chromium or the sandbox is stuck."
    )


@pytest.fixture
def deadline() -> Iterator[None]:
    """Fail a test that hangs instead of waiting forever.

    Some Playwright calls (``evaluate``, ``new_page``) have no timeout of their own.
    """
    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _on_deadline)
    signal.alarm(TEST_DEADLINE)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def page(browser: Any, deadline: None) -> Iterator[Any]:
    """A fresh tab with its own cookies; ``page.problems`` collects JS and console errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    tab = context.new_page()
    problems = PageProblems()
    tab.on("pageerror", lambda exc: problems.append(f"JavaScript error: {exc}"))
    tab.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if message.type == "error"
            else None
        ),
    )
    tab.problems = problems
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def expect() -> Any:
    """Playwright's ``expect`` (assertions that wait for the page)."""
    return pytest.importorskip("playwright.sync_api").expect
