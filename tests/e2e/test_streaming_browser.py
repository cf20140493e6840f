"""Streamed pages in a real browser: panels appear as they finish, the end result is the page."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e

# The slots, with the per-request timing lines removed: what must equal the buffered page.
SLOTS_DOM = """() => {
  const slots = document.querySelector('.slots').cloneNode(true);
  slots.querySelectorAll('.timing').forEach((el) => el.remove());
  return slots.innerHTML;
}"""

LEFTOVERS = """() => {
  const walker = document.createTreeWalker(document, NodeFilter.SHOW_COMMENT);
  const comments = [];
  while (walker.nextNode()) {
    if (walker.currentNode.data.startsWith('djl:') || walker.currentNode.data.startsWith('/djl:')) {
      comments.push(walker.currentNode.data);
    }
  }
  return {
    fills: document.querySelectorAll('djl-fill').length,
    runtime: document.querySelectorAll('script[data-page]').length,
    comments,
  };
}"""


def slots_of(page: Any, url: str) -> str:
    page.goto(url, wait_until="load")
    return page.evaluate(SLOTS_DOM)


def test_unordered_fast_panels_show_while_the_slow_one_is_pending(page, sandbox_url):
    page.goto(f"{sandbox_url}/streaming/unordered/", wait_until="commit")
    page.wait_for_selector("#slot-fast .streamed", state="attached")
    # The slow panel (1.5 s) still shows its loading placeholder, not the "rendered
    # nothing" fallback (issue 16), while the fast one (0.1 s) shows.
    assert page.locator("#slot-slow .streamed").count() == 0
    assert page.locator("#slot-slow .loading").inner_text() == "Loading…"
    assert page.locator("#slot-slow .fallback").count() == 0
    page.wait_for_load_state("load")
    assert page.locator("#slot-slow .streamed").count() == 1

    streamed = page.evaluate(SLOTS_DOM)
    assert page.evaluate(LEFTOVERS) == {"fills": 0, "runtime": 0, "comments": []}
    assert streamed == slots_of(page, f"{sandbox_url}/streaming/buffered/")
    assert page.problems == []


def test_ordered_content_shows_before_the_slow_panel_and_ends_as_the_buffered_page(
    page, sandbox_url
):
    page.goto(f"{sandbox_url}/streaming/ordered/", wait_until="commit")
    page.wait_for_selector("#panel-content p", state="attached")
    assert page.locator("#slot-slow .streamed").count() == 0
    page.wait_for_load_state("load")
    streamed = page.evaluate(SLOTS_DOM)
    assert streamed == slots_of(page, f"{sandbox_url}/streaming/buffered/")
    assert page.problems == []


def test_ordered_needs_no_javascript(browser, sandbox_url, deadline):
    context = browser.new_context(java_script_enabled=False)
    try:
        tab = context.new_page()
        streamed = slots_of(tab, f"{sandbox_url}/streaming/ordered/")
        buffered = slots_of(tab, f"{sandbox_url}/streaming/buffered/")
        assert "Ready after 1.5 s." in streamed
        assert streamed == buffered
    finally:
        context.close()
