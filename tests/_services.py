"""Outside programs the test suite needs: a throwaway Redis server and Debian's Chromium.

Standard library only: the noxfile imports this module in nox's own environment (to
provision the programs before pytest starts) as well as the tests do.

A program that is missing is installed from Debian's archive with apt-get when this
process is root (after one ``apt-get update`` per process), waiting for the dpkg lock
if another install is running. Nothing is downloaded from anywhere else: no browser
builds. When a program cannot be had, the function returns ``None`` and
``redis_unavailable_reason()`` / ``chromium_unavailable_reason()`` say why, so the
tests can skip with that reason::

    url = start_redis()
    if url is None:
        pytest.skip(redis_unavailable_reason())
    ...
    stop_redis(url)
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

# Seconds. A cold `apt-get install chromium` fetches ~100 MB; a lock held by another
# install can take as long again.
APT_TIMEOUT = 900
REDIS_START_TIMEOUT = 10.0

# Flags for launching Debian's Chromium here (as root, on a machine whose only network
# is loopback and the package registries). Headless mode is the launcher's business
# (Playwright adds it itself).
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

_EXTRA_BIN_DIRS = ("/usr/local/bin", "/usr/bin", "/usr/sbin", "/bin", "/sbin")
_APT_LOCK_MESSAGES = ("Could not get lock", "Unable to acquire", "is held by process")

_reasons: dict[str, str] = {}
_servers: dict[str, tuple[subprocess.Popen[bytes], tempfile.TemporaryDirectory[str]]] = {}
_apt_updated = False


# --- Redis ----------------------------------------------------------------------------


def find_redis_server() -> str | None:
    """Return the path of ``redis-server``, installing Debian's package if missing."""
    return _find_program("redis", ("redis-server",), "redis-server")


def start_redis() -> str | None:
    """Start a private Redis server on a free loopback port; return its URL.

    The server keeps nothing on disk and lives until ``stop_redis()`` or the end of
    this process. Returns ``None`` (see ``redis_unavailable_reason()``) when no
    server can be had.
    """
    server = find_redis_server()
    if server is None:
        return None
    failure = ""
    for _attempt in range(3):  # another process may take the free port first
        port = free_port()
        workdir = tempfile.TemporaryDirectory(prefix="dj-layouts-redis-")
        log = Path(workdir.name, "redis.log")
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                [
                    server,
                    "--bind", "127.0.0.1",
                    "--port", str(port),
                    "--save", "",
                    "--appendonly", "no",
                    "--daemonize", "no",
                    "--dir", workdir.name,
                ],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        if _wait_for_pong(process, port):
            url = f"redis://127.0.0.1:{port}/0"
            _servers[url] = (process, workdir)
            _reasons.pop("redis", None)
            return url
        stop_process(process, timeout=5)
        failure = _tail(log)
        workdir.cleanup()
    _reasons["redis"] = f"redis-server ({server}) did not answer PING: {failure}"
    return None


def stop_redis(url: str | None = None) -> None:
    """Stop the server started for ``url``, or every server this process started."""
    for key in [url] if url is not None else list(_servers):
        entry = _servers.pop(key, None)
        if entry is not None:
            process, workdir = entry
            stop_process(process, timeout=5)
            workdir.cleanup()


def redis_pid(url: str) -> int | None:
    """The process id of the server started for ``url`` (the benchmarks read its CPU time)."""
    entry = _servers.get(url)
    return entry[0].pid if entry is not None else None


def redis_unavailable_reason() -> str | None:
    """Why the last ``find_redis_server()``/``start_redis()`` came back empty."""
    return _reasons.get("redis")


atexit.register(stop_redis)


# --- Varnish --------------------------------------------------------------------------


def find_varnishd() -> str | None:
    """Return the path of ``varnishd``, installing Debian's ``varnish`` if missing."""
    return _find_program("varnish", ("varnishd",), "varnish")


def varnish_unavailable_reason() -> str | None:
    """Why the last ``find_varnishd()`` came back empty."""
    return _reasons.get("varnish")


# --- wrk (the benchmarks' load generator) -----------------------------------------------


def find_wrk() -> str | None:
    """Return the path of ``wrk``, installing Debian's ``wrk`` if missing."""
    return _find_program("wrk", ("wrk",), "wrk")


def wrk_unavailable_reason() -> str | None:
    """Why the last ``find_wrk()`` came back empty."""
    return _reasons.get("wrk")


# --- Chromium -------------------------------------------------------------------------


def find_chromium() -> str | None:
    """Return the path of Debian's Chromium, installing the package if missing.

    Launch it with ``CHROMIUM_ARGS``; e.g. Playwright's
    ``chromium.launch(executable_path=path, args=list(CHROMIUM_ARGS))``.
    """
    path = _find_program("chromium", ("chromium", "chromium-browser"), "chromium")
    if path is None:
        return None
    try:
        subprocess.run([path, "--version"], capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        _reasons["chromium"] = f"{path} --version failed: {exc}"
        return None
    return path


def chromium_unavailable_reason() -> str | None:
    """Why the last ``find_chromium()`` came back empty."""
    return _reasons.get("chromium")


# --- helpers --------------------------------------------------------------------------


def _find_program(key: str, names: tuple[str, ...], package: str) -> str | None:
    path = _which(names)
    if path is None:
        reason = _apt_install(package)
        path = _which(names)
        if path is None:
            _reasons[key] = reason or f"apt-get installed {package}, but found none of {names}"
            return None
    _reasons.pop(key, None)
    return path


def _which(names: tuple[str, ...]) -> str | None:
    search = os.pathsep.join([os.environ.get("PATH", ""), *_EXTRA_BIN_DIRS])
    for name in names:
        found = shutil.which(name, path=search)
        if found is not None:
            return found
    return None


def _apt_install(package: str) -> str | None:
    """Install a Debian package; return ``None`` on success, else why it failed."""
    global _apt_updated
    if shutil.which("apt-get") is None:
        return f"{package} is not installed, and there is no apt-get to install it"
    if os.geteuid() != 0:
        return f"{package} is not installed (as root: apt-get install -y {package})"
    if not _apt_updated:
        error = _apt("update")
        if error is not None:
            return error
        _apt_updated = True
    return _apt("install", "-y", package)


def _apt(*args: str) -> str | None:
    """Run apt-get, waiting while another apt/dpkg holds its lock."""
    command = ["apt-get", "-o", f"DPkg::Lock::Timeout={APT_TIMEOUT}", *args]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    deadline = time.monotonic() + APT_TIMEOUT
    while True:
        try:
            done = subprocess.run(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=max(deadline - time.monotonic(), 1),
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"`{' '.join(command)}` failed: {exc}"
        if done.returncode == 0:
            return None
        output = done.stdout + done.stderr
        if not any(m in output for m in _APT_LOCK_MESSAGES) or time.monotonic() > deadline:
            last = output.strip().splitlines()[-3:]
            return f"`{' '.join(command)}` exited {done.returncode}: {' / '.join(last)}"
        time.sleep(5)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_pong(process: subprocess.Popen[bytes], port: int) -> bool:
    deadline = time.monotonic() + REDIS_START_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(64).startswith(b"+PONG"):
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def stop_process(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL after ``timeout`` seconds; closes a piped stdout."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout:
        process.stdout.close()


def _tail(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " / ".join(lines[-3:]) or "(empty log)"
