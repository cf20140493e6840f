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


# -- pages Varnish keeps (Layout.edge_page_timeout) ----------------------------------------------
def _changed_renders(proxy: str, before: dict[str, int]) -> dict[str, int]:
    after = renders(proxy)
    changed = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    return {name: n for name, n in changed.items() if n}


def test_a_kept_page_comes_from_varnish_and_django_renders_only_its_holes(proxy):
    with client(proxy, "alice") as alice:
        first = alice.get("/kept/?n=1")
        before = renders(proxy)
        second = alice.get("/kept/?n=1")
        changed = _changed_renders(proxy, before)
    assert first.headers["X-Cache"] == "MISS"
    assert second.headers["X-Cache"] == "HIT"
    for html in (first.text, second.text):
        for part in ("<h1>kept 1</h1>", "<p>nav</p>", "<p>promo</p>", "<p>footer</p>"):
            assert part in html
        assert "<p>title</p>" in html
        assert "<p>me:alice</p>" in html
        assert "<p>basket:0</p>" in html
        assert "esi:include" not in html
    # Django ran neither the content view nor an edge panel: only the two holes.
    assert changed == {"me": 1, "basket": 1}
    assert "private" in second.headers["Cache-Control"]
    assert "Surrogate-Control" not in second.headers


def test_each_visitor_gets_their_own_holes_in_a_kept_page(proxy):
    with client(proxy, "alice") as alice, client(proxy, "bob") as bob:
        alices = alice.get("/kept/?n=2")
        assert bob.get("/basket/add/").text == "added"  # bob's session now has one item
        bobs = bob.get("/kept/?n=2")
        alices_again = alice.get("/kept/?n=2")
    assert bobs.headers["X-Cache"] == "HIT"
    assert "<p>me:alice</p>" in alices.text and "<p>basket:0</p>" in alices.text
    assert "<p>me:bob</p>" in bobs.text and "<p>basket:1</p>" in bobs.text
    assert "me:alice" not in bobs.text
    assert "<p>me:alice</p>" in alices_again.text and "<p>basket:0</p>" in alices_again.text


def test_a_page_that_reads_the_visitor_is_never_kept(proxy):
    with client(proxy, "alice") as alice:
        alice.get("/basket/add/")
        before = renders(proxy)
        pages = [alice.get(url) for url in ("/kept/session/", "/kept/session/")]
        forms = [alice.get(url) for url in ("/kept/form/", "/kept/form/")]
        changed = _changed_renders(proxy, before)
    assert changed["reads-session"] == 2
    assert changed["has-form"] == 2
    assert all(page.headers["X-Cache"] == "MISS" for page in pages + forms)
    assert "<h1>hello 1</h1>" in pages[1].text
    # The holes are still composed by Varnish, as the visitor's.
    assert "<p>me:alice</p>" in pages[1].text and "<p>basket:1</p>" in pages[1].text
    assert 'name="csrfmiddlewaretoken"' in forms[1].text


def test_a_ban_by_layout_drops_the_kept_pages(proxy):
    with client(proxy, "alice") as alice:
        alice.get("/kept/?n=3")
        assert alice.get("/kept/?n=3").headers["X-Cache"] == "HIT"
        banned = httpx.request(
            "BAN", proxy + "/", headers={"X-Ban-Layout": "tests.KeptPage"}, timeout=10
        )
        before = renders(proxy)
        again = alice.get("/kept/?n=3")
        changed = _changed_renders(proxy, before)
    assert banned.status_code == 200
    assert again.headers["X-Cache"] == "MISS"
    assert changed.get("kept") == 1
