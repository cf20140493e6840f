"""Unordered streaming in Chromium under three CSPs: its final DOM is the buffered page's.

The pages come from ``tests/e2e/cspapp`` under uvicorn, with ``?csp=`` choosing no
CSP, ``script-src 'nonce-…' 'strict-dynamic'``, ``script-src 'self'``, or the nonce one
with Trusted Types enforced.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests import _services

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = '--><img src="x" onerror="window.pwned = 1"><!--'

# The body as a tree with namespaces, attributes and template contents: what must match.
TREE = """() => {
  const walk = (n) => {
    if (n.nodeType === 3) return JSON.stringify(n.data);
    if (n.nodeType === 8) return '<!--' + n.data + '-->';
    if (n.nodeType !== 1) return '';
    const attrs = Array.from(n.attributes, (a) => a.name + '=' + JSON.stringify(a.value));
    const kids = n.localName === 'template' ? n.content.childNodes : n.childNodes;
    return '<' + n.namespaceURI + ' ' + n.localName + ' ' + attrs.sort().join(' ') + '>'
      + Array.from(kids, walk).join('') + '</' + n.localName + '>';
  };
  return walk(document.body);
}"""

RAN = """() => ({
  nonce: window.nonceRan, bare: window.bareRan, external: window.externalRan, pwned: window.pwned,
})"""

SVG = "http://www.w3.org/2000/svg"
MATHML = "http://www.w3.org/1998/Math/MathML"

#: Which of the panel's scripts each CSP lets run, on the buffered page and so here.
EXPECTED_RUNS = {
    "none": {"nonce": 1, "bare": 1, "external": 1, "pwned": None},
    "nonce": {"nonce": 1, "bare": None, "external": None, "pwned": None},
    "self": {"nonce": None, "bare": None, "external": 1, "pwned": None},
    # The nonce CSP with Trusted Types enforced.
    "trusted": {"nonce": 1, "bare": None, "external": None, "pwned": None},
}


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def csp_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.e2e.cspapp.settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    log_path = tmp_path_factory.mktemp("cspapp") / "uvicorn.log"
    port = _services.free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "tests.e2e.cspapp.asgi:application",
                "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
            ],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(f"{url}/static/dj_layouts/stream.js"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"uvicorn did not start:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.1)
        yield url
    finally:
        _services.stop_process(process)


def visit(page: Any, url: str) -> tuple[str, dict[str, Any]]:
    page.goto(url, wait_until="load")
    return page.evaluate(TREE), page.evaluate(RAN)


@pytest.mark.parametrize("csp", ["none", "nonce", "self", "trusted"])
def test_unordered_page_ends_as_the_buffered_page_and_keeps_its_csp(page, csp_site, csp):
    query = f"?csp={csp}&slot={quote(HOSTILE)}"
    buffered_tree, buffered_ran = visit(page, f"{csp_site}/buffered/{query}")
    streamed_tree, streamed_ran = visit(page, f"{csp_site}/unordered/{query}")
    # The same scripts ran, each once, as the CSP allows them on the buffered page.
    assert streamed_ran == buffered_ran == EXPECTED_RUNS[csp]

    # Every panel is in place, in both of the slow panel's slots.
    assert page.locator("#slow .done").count() == 1
    assert page.locator("#again .done").count() == 1
    assert page.locator("#table tr").all_inner_texts() == ["row 1", "row 2"]
    assert page.locator("#stray").text_content() == "abcd"
    assert page.locator("#stray djl-fill").count() == 1
    assert page.locator("#slow").text_content() == "slow done"
    assert page.locator("#hostile").inner_html() == "<p>no such panel</p>"
    namespaces = page.evaluate(
        """() => [document.querySelector('#pic circle').namespaceURI,
                  document.querySelector('#pic text').namespaceURI,
                  document.querySelector('#formula mn').namespaceURI]"""
    )
    assert namespaces == [SVG, SVG, MATHML]
    # Nothing of the machinery is left: no markers, fills or runtime script.
    assert "djl:" not in streamed_tree
    assert "data-page" not in streamed_tree.replace('data-page="forged"', "")
    assert "img" not in streamed_tree
    assert streamed_tree == buffered_tree
    # Blocked scripts are reported as CSP violations on both pages; nothing else goes wrong.
    assert [p for p in page.problems if "JavaScript error" in p or "Trusted" in p] == []


def test_an_unclosed_comment_in_a_panel_stays_in_its_slot(page, csp_site):
    page.goto(f"{csp_site}/leak/?csp=nonce", wait_until="load")
    assert page.locator("#open").inner_html() == (
        "<p>before</p><!-- an unclosed comment <p>swallowed</p>-->"
    )
    assert page.locator("#after").inner_html() == "<p>after done</p>"
    assert page.locator("#end").inner_text() == "the end"
    assert page.problems == []


def test_a_panel_shows_as_soon_as_its_fill_is_parsed(page, csp_site):
    page.goto(f"{csp_site}/unordered/?csp=self&slot=x&slow=2", wait_until="commit")
    page.wait_for_selector("#table td:text('row 1')", state="attached")
    # The slow panel (2 s) still shows its fallback.
    assert page.locator("#slow .done").count() == 0
    page.wait_for_load_state("load")
    assert page.locator("#slow .done").count() == 1


def test_without_javascript_the_fallbacks_stay_and_the_panels_are_delivered_inert(
    browser, csp_site, deadline
):
    context = browser.new_context(java_script_enabled=False)
    try:
        tab = context.new_page()
        tab.goto(f"{csp_site}/unordered/?csp=none&slot=x", wait_until="load")
        assert tab.locator("#slow p").inner_text() == "loading slow"
        assert tab.locator("#scripts p").inner_text() == "loading scripts"
        delivered = tab.eval_on_selector_all(
            "djl-fill[data-page]", "(fills) => fills.map((f) => f.dataset.html)"
        )
        assert "<p class='done'>slow done</p>" in delivered
        assert tab.locator(".done").count() == 0
    finally:
        context.close()
