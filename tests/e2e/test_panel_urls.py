"""Panels with their own URL in Chromium: lazy, visible, refresh and forms, with and without htmx.

The sandbox's /panel-urls/ page has no htmx (dj_layouts/panels.js fetches the late
panels); /panel-urls/htmx/ is the same layout with htmx on the page. ``window.__marker``
survives as long as the document does: it tells an in-place swap from a page load.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e

PLAIN = "/panel-urls/"
HTMX = "/panel-urls/htmx/"


def open_page(page: Any, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.evaluate("window.__marker = 'kept'")


def card(page: Any, name: str) -> Any:
    return page.locator(f"#slot-{name} .slot-body")


@pytest.mark.parametrize("path", [PLAIN, HTMX])
def test_a_lazy_panel_arrives_after_the_page(
    page: Any, sandbox_url: str, expect: Any, path: str
) -> None:
    response = page.request.get(sandbox_url + path)
    body = response.text()
    # The page itself never waited for the 0.5 s panel: its slot is a placeholder.
    assert '<djl-panel data-src="/_panels/' in body
    assert "lazy-rendered" not in body
    open_page(page, sandbox_url + path)
    expect(card(page, "recommendations").locator(".recommendations li")).to_have_count(2)
    assert card(page, "recommendations").locator("djl-panel").count() == 0
    assert page.locator('script[src="/static/dj_layouts/panels.js"]').count() == 1
    assert page.evaluate("!!window.htmx") is (path == HTMX)
    # Its queued scripts: the new one ran once, the one the page had is not added again.
    expect(page.locator('script[src="/static/demo/lazy-arrived.js"]')).to_have_count(1)
    assert page.evaluate("window.demoLazyRuns") == 1
    assert page.locator('script[src="/static/demo/panel-refresh.js"]').count() == 1
    assert page.problems == []


@pytest.mark.parametrize("path", [PLAIN, HTMX])
def test_a_visible_panel_waits_until_scrolled_into_view(
    page: Any, sandbox_url: str, expect: Any, path: str
) -> None:
    open_page(page, sandbox_url + path)
    expect(card(page, "recommendations").locator(".recommendations")).to_be_visible()
    reviews = card(page, "reviews")
    assert reviews.locator("djl-panel").count() == 1  # below the fold: not fetched yet
    assert reviews.locator(".reviews").count() == 0
    reviews.scroll_into_view_if_needed()
    expect(reviews.locator(".reviews")).to_contain_text("Fast pages")
    assert page.problems == []


@pytest.mark.parametrize("path", [PLAIN, HTMX])
def test_the_refresh_button_renders_the_panel_again(
    page: Any, sandbox_url: str, expect: Any, path: str
) -> None:
    open_page(page, sandbox_url + path)
    clock = page.locator("#clock-panel time")
    before = clock.inner_text()
    page.wait_for_timeout(20)
    page.locator("#refresh-clock").click()
    expect(clock).not_to_have_text(before)
    page.locator("#refresh-clock").click()  # the new button works too
    assert page.evaluate("window.__marker") == "kept"
    # The panel queues its script: it is on the page once, refreshes or not.
    assert page.locator('script[src="/static/demo/panel-refresh.js"]').count() == 1
    assert page.problems == []


def test_a_form_without_htmx_posts_and_comes_back_to_the_page(
    page: Any, sandbox_url: str, expect: Any
) -> None:
    open_page(page, sandbox_url + PLAIN)
    page.locator("#guest-name").fill("Ada")
    with page.expect_navigation():
        page.locator("#sign").click()
    assert page.url == sandbox_url + PLAIN  # 303 back to the page
    expect(page.locator("#guestbook .guests li")).to_have_text(["Ada"])
    assert page.evaluate("window.__marker") is None  # a new page load
    assert page.problems == []


def test_a_form_with_htmx_is_swapped_in_place(page: Any, sandbox_url: str, expect: Any) -> None:
    open_page(page, sandbox_url + HTMX)
    page.locator("#guest-name").fill("Grace")
    page.locator("#sign").click()
    expect(page.locator("#guestbook .guests li")).to_have_text(["Grace"])
    page.locator("#guest-name").fill("Linus")
    page.locator("#sign").click()
    expect(page.locator("#guestbook .guests li")).to_have_text(["Grace", "Linus"])
    assert page.evaluate("window.__marker") == "kept"  # never left the page
    assert page.url == sandbox_url + HTMX
    assert page.problems == []
