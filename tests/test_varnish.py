"""Edge composition on a real varnishd with the VCL in docs/varnish/ (SPEC §16).

Django runs under uvicorn (tests/edgeapp), Varnish in front of it on a free loopback
port. varnishd is installed when missing (Debian's varnish, as root); otherwise the
tests are skipped with the reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import _services

ROOT = Path(__file__).resolve().parent.parent
VCL = ROOT / "docs" / "varnish" / "dj-layouts.vcl"


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            if process.poll() is not None:
                break
            time.sleep(0.05)
    output = process.stdout.read().decode() if process.stdout else ""
    pytest.fail(f"{process.args[0]} did not start: {output}")


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    varnishd = _services.find_varnishd()  # Debian's varnish, installed when root
    if varnishd is None:
        pytest.skip(f"no varnishd for the edge tests: {_services.varnish_unavailable_reason()}")
    django_port, varnish_port = _services.free_port(), _services.free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.edgeapp.settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    env.pop("PYTHONDEVMODE", None)
    command = [sys.executable, "-m", "uvicorn", "tests.edgeapp.asgi:application"]
    command += ["--host", "127.0.0.1", "--port", str(django_port), "--log-level", "warning"]
    django = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    work = tmp_path_factory.mktemp("varnish")
    vcl = work / "dj-layouts.vcl"
    vcl.write_text(VCL.read_text().replace('.port = "8000"', f'.port = "{django_port}"'))
    command = [varnishd, "-F", "-j", "none", "-n", str(work / "n"), "-f", str(vcl)]
    command += ["-a", f"127.0.0.1:{varnish_port}", "-T", "none", "-s", "malloc,32m"]
    varnish = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait(f"http://127.0.0.1:{django_port}/renders/", django)
        _wait(f"http://127.0.0.1:{varnish_port}/renders/", varnish)
        yield f"http://127.0.0.1:{varnish_port}"
    finally:
        _services.stop_process(varnish)
        _services.stop_process(django)


def renders(proxy: str) -> dict[str, int]:
    with httpx.Client(timeout=10) as http:
        return dict(http.get(proxy + "/renders/").json())


def client(proxy: str, who: str) -> httpx.Client:
    return httpx.Client(base_url=proxy, cookies={"who": who}, timeout=10)


def test_edge_panels_come_from_varnish_and_only_the_per_user_panel_renders(proxy):
    with client(proxy, "alice") as alice:
        first, before, second, after = _two_visits(alice, proxy)
    for name in ("<p>nav</p>", "<p>promo</p>", "<p>footer</p>", "<p>me:alice</p>"):
        assert name in first
    assert "esi:include" not in first
    assert second.count("<p>") == first.count("<p>")
    # The second page: Django ran the content view and the per-user panel only.
    changed = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    assert {name: n for name, n in changed.items() if n} == {"page": 1, "me": 1}


def _two_visits(alice: httpx.Client, proxy: str) -> tuple[str, dict, str, dict]:
    first = alice.get("/").text
    before = renders(proxy)
    second = alice.get("/").text
    return first, before, second, renders(proxy)


def test_a_per_user_panel_is_never_served_to_another_user(proxy):
    with client(proxy, "alice") as alice, client(proxy, "bob") as bob:
        page = alice.get("/").text
        bobs_page = bob.get("/").text
        later = page.split('data-src="', 1)[1].split('"', 1)[0]
        alices = alice.get(later).text
        # The same URL through the same proxy, fetched by bob: bob's panel, not alice's.
        response = bob.get(later)
    assert "<p>me:alice</p>" in page
    assert "<p>me:bob</p>" in bobs_page
    assert alices == "<p>me:alice</p>"
    assert response.text == "<p>me:bob</p>"
    assert response.headers["X-Cache"] == "MISS"
