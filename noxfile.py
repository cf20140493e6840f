"""Every development task of dj-layouts is a nox session; `nox -l` lists them.

`nox -s ci` runs what CI runs (`.ci/run`): lint, types, docs, the test suite on the CI
pairs (every Django series, the oldest and newest Python found here), the Wagtail site
(`nox -s wagtail`: the Wagtail LTS and latest release), the browser tests and coverage,
one after another, then checks that tests ran. `nox -s tests` runs the
whole Python x Django matrix; `-j auto` runs those sessions one per core at once, which
is quicker but oversubscribed cores make timing assertions flaky, so CI does not.
Interpreters that are missing are skipped, not failed; the summary names them.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import re
import shutil
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import nox

nox.needs_version = ">=2026.8.10"  # --parallel/-j and allow_parallel=
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.error_on_missing_interpreters = False
# Use only the interpreters installed here: no standalone Python downloads.
nox.options.download_python = "never"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["ci"]
# Let uv trust the operating system's certificates, as pip does, so installs also work
# behind a proxy whose CA is installed system-wide but not named in SSL_CERT_FILE.
os.environ.setdefault("UV_SYSTEM_CERTS", "1")

ROOT = Path(__file__).resolve().parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
# The Python versions each Django series supports (Django's FAQ, "What Python version
# can I use with Django?"); 4.2 stops at 3.12, 6.0 starts at 3.12.
DJANGO_PYTHONS = {
    "4.2": ("3.10", "3.11", "3.12"),
    "5.2": ("3.10", "3.11", "3.12", "3.13"),
    "6.0": ("3.12", "3.13"),
}
TEST_MATRIX = [
    (python, django)
    for python in PYTHONS
    for django, pythons in DJANGO_PYTHONS.items()
    if python in pythons
]
# The Wagtail releases `nox -s wagtail` tests dj_layouts.wagtail on: the current LTS and
# the latest feature release (PyPI; Wagtail's release schedule names the LTS).
WAGTAIL_VERSIONS = {"7.4": "LTS", "8.0": "latest"}
LINT_PATHS = ["src", "tests", "sandbox", "bench", "noxfile.py"]
REPORTS = ROOT / ".nox" / "_reports"  # pytest's JUnit XML, one file per session
TEST_ENV = {"PYTHONDEVMODE": "1"}
# When this nox run started. Under -j every session runs in a nox subprocess that loads
# this file again; they inherit the top-level run's time through the environment.
_STARTED = float(os.environ.setdefault("DJ_LAYOUTS_NOX_STARTED", str(time.time())))


def _expose_pyenv_interpreters() -> None:
    """Put pyenv's CPython 3.X builds on PATH as `python3.X`.

    pyenv's shims run only the versions selected with `pyenv global` or PYENV_VERSION,
    so nox would not find the others. The newest installed patch release of each
    version is linked into .nox/_interpreters, which goes first on PATH. A machine
    without pyenv is left as it is.
    """
    versions_dir = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    links = ROOT / ".nox" / "_interpreters"
    for version in PYTHONS:
        builds = [
            build / "bin" / f"python{version}"
            for build in versions_dir.glob(f"{version}.*")
            if re.fullmatch(rf"{re.escape(version)}\.\d+", build.name)
        ]
        builds = [exe for exe in builds if os.access(exe, os.X_OK)]
        if not builds:
            continue
        newest = max(builds, key=lambda exe: int(exe.parent.parent.name.rsplit(".", 1)[1]))
        link = links / f"python{version}"
        if link.is_symlink() and os.readlink(link) == str(newest):
            continue
        links.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        with contextlib.suppress(FileExistsError):  # another nox process was faster
            link.symlink_to(newest)
    if links.is_dir():
        os.environ["PATH"] = os.pathsep.join([str(links), os.environ.get("PATH", "")])


_expose_pyenv_interpreters()


def _ci_matrix() -> list[tuple[str, str]]:
    """The pairs CI runs: every Django series, and both ends of the Pythons found here.

    Each Django series runs on the newest Python here that it supports, except the
    oldest series, which runs on the oldest Python: on this project's machines that is
    3.10 x 4.2, 3.13 x 5.2 and 3.13 x 6.0. `nox -s tests` runs the whole matrix.
    """
    found = [version for version in PYTHONS if shutil.which(f"python{version}")]
    pairs = []
    for index, (django, pythons) in enumerate(DJANGO_PYTHONS.items()):
        usable = [version for version in found if version in pythons]
        if usable:
            pairs.append((usable[0] if index == 0 else usable[-1], django))
    return pairs


CI_MATRIX = _ci_matrix()


def _group(name: str) -> tuple[str, ...]:
    return nox.project.dependency_groups(PYPROJECT, name)


@functools.cache
def _services() -> ModuleType:
    """tests/_services.py, loaded by path: it is stdlib-only, nox's environment has no Django."""
    spec = importlib.util.spec_from_file_location(
        "_dj_layouts_services", ROOT / "tests" / "_services.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _report_counts(report: Path) -> tuple[int, int, int] | None:
    """(passed, failed, skipped) from a JUnit XML report written by this nox run."""
    if not report.is_file() or report.stat().st_mtime < _STARTED:
        return None
    passed = failed = skipped = 0
    for suite in ET.parse(report).getroot().iter("testsuite"):
        total, skip = int(suite.get("tests", 0)), int(suite.get("skipped", 0))
        fail = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        passed, failed, skipped = passed + total - fail - skip, failed + fail, skipped + skip
    return passed, failed, skipped


def _pytest(session: nox.Session, report_name: str, *args: str, env: dict[str, str]) -> None:
    REPORTS.mkdir(parents=True, exist_ok=True)
    report = REPORTS / f"{report_name}.xml"
    report.unlink(missing_ok=True)
    # Exit code 5 ("no tests collected") is not an error for one session, e.g. before
    # the first e2e test exists; `ci` fails when no session ran any test.
    session.run(
        "pytest", f"--junitxml={report}", *args, *session.posargs, env=env, success_codes=[0, 5]
    )
    counts = _report_counts(report)
    if counts is not None and counts[0] + counts[1] == 0:
        session.warn(f"{session.name}: pytest ran no test.")


@nox.session(allow_parallel=True)
@nox.parametrize(("python", "django"), TEST_MATRIX)
def tests(session: nox.Session, django: str) -> None:
    """The test suite (without browser tests) on one Python x Django pair."""
    _run_tests(session, django)


@nox.session
@nox.parametrize(("python", "django"), CI_MATRIX)
def tests_ci(session: nox.Session, django: str) -> None:
    """The test suite on the pairs CI runs (see _ci_matrix), one after another."""
    _run_tests(session, django)


def _run_tests(session: nox.Session, django: str) -> None:
    services = _services()
    if services.find_redis_server() is None:
        session.warn(f"Redis tests will be skipped: {services.redis_unavailable_reason()}")
    if services.find_varnishd() is None:
        # tests/test_varnish.py starts its own varnishd, as the Redis tests start Redis.
        session.warn(f"Varnish tests will be skipped: {services.varnish_unavailable_reason()}")
    session.install("-e", ".", *_group("test"), f"Django~={django}.0")
    name = f"tests-{session.python}-django{django}"
    env = {**TEST_ENV, "COVERAGE_FILE": str(ROOT / f".coverage.{name}")}
    _pytest(session, name, "-m", "not e2e", "--cov", "--cov-report=", env=env)


# Both Wagtail releases support Django 5.2: the Wagtail site runs on the CI pair of 5.2.
WAGTAIL_PYTHON = next((python for python, django in CI_MATRIX if django == "5.2"), None)


@nox.session(python=WAGTAIL_PYTHON)
@nox.parametrize("wagtail", list(WAGTAIL_VERSIONS))
def wagtail(session: nox.Session, wagtail: str) -> None:
    """dj_layouts.wagtail on a real Wagtail site (tests/wagtailsite/, its own settings).

    Also the sandbox's Wagtail page tree (tests/test_sandbox_check.py), which the other
    test sessions skip: they have no Wagtail.
    """
    session.install("-e", ".[wagtail]", *_group("test"), f"wagtail~={wagtail}.0", "Django~=5.2.0")
    name = f"wagtail-{wagtail}"
    env = {**TEST_ENV, "COVERAGE_FILE": str(ROOT / f".coverage.{name}")}
    _pytest(
        session,
        name,
        "tests/wagtailsite",
        "tests/test_sandbox_check.py",
        "--ds=tests.wagtailsite.settings",
        "--cov",
        "--cov-report=",
        env=env,
    )


@nox.session(requires=["tests_ci", "wagtail"])
def coverage(session: nox.Session) -> None:
    """Run the test matrix, then combine its coverage data and report it."""
    if not any(ROOT.glob(".coverage.tests-*")):
        session.skip("No coverage data: run `nox -s tests` first.")
    session.install("-e", ".", *_group("test"))
    env = {"DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT)}
    session.run("coverage", "combine", env=env)
    session.run("coverage", "report", env=env)


@nox.session
def e2e(session: nox.Session) -> None:
    """Browser tests (`-m e2e`) with Playwright driving Debian's Chromium."""
    services = _services()
    chromium = services.find_chromium()
    if chromium is None:
        print(f"SKIPPED e2e: {services.chromium_unavailable_reason()}", flush=True)
        return
    session.install("-e", ".", *_group("test"), *_group("e2e"))
    env = {**TEST_ENV, "DJ_LAYOUTS_CHROMIUM": chromium}
    _pytest(session, "e2e", "-m", "e2e", env=env)


@nox.session(allow_parallel=True)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check; `nox -s lint -- --fix` fixes instead."""
    session.install(*_group("lint"))
    paths = [path for path in LINT_PATHS if (ROOT / path).exists()]
    if "--fix" in session.posargs:
        session.run("ruff", "check", "--fix", *paths)
        session.run("ruff", "format", *paths)
    else:
        session.run("ruff", "check", *paths)
        session.run("ruff", "format", "--check", *paths)


@nox.session(allow_parallel=True)
def types(session: nox.Session) -> None:
    """mypy --strict on src/ (the django-stubs plugin loads tests.settings)."""
    session.install("-e", ".", *_group("types"), *_group("test"))
    session.run("mypy", "src", env={"PYTHONPATH": str(ROOT)})


@nox.session(allow_parallel=True)
def docs(session: nox.Session) -> None:
    """Build the documentation into site/ (strict: any warning fails)."""
    session.install(*_group("docs"))
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks (bench/run.py); extra arguments go to the script."""
    session.install("-e", ".", *_group("test"))
    session.run("python", "bench/run.py", *session.posargs, env={"PYTHONPATH": str(ROOT)})


def _prepare_sandbox(session: nox.Session) -> dict[str, str]:
    """Install the sandbox's dependencies, migrate and seed its SQLite database."""
    session.install("-e", ".", *_group("sandbox"))
    env = {"PYTHONPATH": str(ROOT)}
    manage = ("python", "sandbox/manage.py")
    session.run(*manage, "migrate", "--noinput", env=env)
    commands = session.run(*manage, "help", "--commands", env=env, silent=True)
    if "seed_demo" in str(commands).split():
        session.run(*manage, "seed_demo", env=env)
    return env


@nox.session
def sandbox(session: nox.Session) -> None:
    """Serve the demo project on http://127.0.0.1:8000/ with uvicorn (ASGI).

    `nox -s sandbox -- runserver [ADDRPORT]` uses Django's runserver instead; other
    arguments go to uvicorn (e.g. `-- --reload`).
    """
    env = _prepare_sandbox(session)
    if session.posargs[:1] == ["runserver"]:
        manage = ("python", "sandbox/manage.py")
        session.run(*manage, "runserver", *(session.posargs[1:] or ["127.0.0.1:8000"]), env=env)
    else:
        session.run(
            *("uvicorn", "sandbox.asgi:application", "--host", "127.0.0.1", "--port", "8000"),
            *session.posargs,
            env=env,
        )


@nox.session
def sandbox_edge(session: nox.Session) -> None:
    """Serve the demo project behind Varnish: http://127.0.0.1:8000/ is Varnish, running
    docs/varnish/dj-layouts.vcl in front of uvicorn on port 8001 (edge panels and pages).

    Debian's varnish is installed when missing (as root); other arguments go to uvicorn.
    """
    import subprocess
    import tempfile

    varnishd = _services().find_varnishd()
    if varnishd is None:
        session.error(f"no varnishd: {_services().varnish_unavailable_reason()}")
    env = _prepare_sandbox(session)
    work = Path(tempfile.mkdtemp(prefix="dj-layouts-varnish-"))
    vcl = (ROOT / "docs" / "varnish" / "dj-layouts.vcl").read_text()
    (work / "dj-layouts.vcl").write_text(vcl.replace('.port = "8000"', '.port = "8001"'))
    command = [varnishd, "-F", "-j", "none", "-n", str(work / "n")]
    command += ["-f", str(work / "dj-layouts.vcl"), "-a", "127.0.0.1:8000", "-T", "none"]
    varnish = subprocess.Popen([*command, "-s", "malloc,64m"])
    session.log("Varnish on http://127.0.0.1:8000/ in front of uvicorn on 127.0.0.1:8001")
    try:
        session.run(
            *("uvicorn", "sandbox.asgi:application", "--host", "127.0.0.1", "--port", "8001"),
            *session.posargs,
            env=env,
        )
    finally:
        _services().stop_process(varnish)
        shutil.rmtree(work, ignore_errors=True)


@nox.session(
    python=False,
    requires=["lint", "types", "docs", "tests_ci", "wagtail", "e2e", "coverage"],
)
def ci(session: nox.Session) -> None:
    """Everything CI runs (the sessions above, in order); fails if no test ran."""
    reports = {f"tests-{python}-django{django}" for python, django in CI_MATRIX} | {"e2e"}
    reports |= {f"wagtail-{version}" for version in WAGTAIL_VERSIONS}
    totals = [0, 0, 0]
    not_run = []
    for name in sorted(reports):
        counts = _report_counts(REPORTS / f"{name}.xml")
        if counts is None:
            not_run.append(name)
        else:
            totals = [a + b for a, b in zip(totals, counts, strict=True)]
    if not_run:
        print(f"Not run (interpreter not found, or no browser): {', '.join(not_run)}")
    passed, failed, skipped = totals
    print(f"ci: {passed} passed, {failed} failed, {skipped} skipped", flush=True)
    if passed + failed == 0:
        session.error("No test ran in any session")
