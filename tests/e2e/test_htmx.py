"""HTMX smart routing in a real browser, with the real htmx (the sandbox's /htmx/ pages).

The sandbox vendors htmx 2 (``sandbox/htmxdemo/static/htmxdemo/vendor/``). Its two
layouts, the store and the docs, differ in structure; the store's sidebar holds a
counter that a click handler updates, state that only survives while the sidebar
element itself is kept. ``window.__marker`` survives as long as the document does:
it tells an htmx swap from a browser page load.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e

STORE = "htmxdemo.Store"
DOCS = "htmxdemo.Docs"


def open_page(page: Any, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert page.evaluate("htmx.version") == "2.0.11"
    # Kept until the browser loads another document; htmx swaps never reset it.
    page.evaluate("window.__marker = 'same document'")
    page.evaluate("window.__sidebar = document.getElementById('sidebar')")


def same_document(page: Any) -> bool:
    return bool(page.evaluate("window.__marker === 'same document'"))


ARM = (
    "window.__settled = false; document.addEventListener("
    "'htmx:afterSettle', () => { window.__settled = true }, {once: true})"
)


def wait_settled(page: Any) -> None:
    page.wait_for_function("window.__settled === true")


def navigate(page: Any, selector: str) -> Any:
    """Click a boosted link (or submit button), wait until htmx has swapped and settled
    (it pushes the URL before it swaps); the response htmx got."""
    page.evaluate(ARM)
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true") as info:
        page.click(selector)
    wait_settled(page)
    return info.value


def layout_of(page: Any) -> str | None:
    return page.get_attribute("#layout", "data-layout")


def click_counter(page: Any, times: int) -> None:
    for _ in range(times):
        page.click("#counter")


def test_within_a_layout_only_the_content_is_swapped(page, sandbox_url, expect):
    open_page(page, sandbox_url + "/htmx/")
    click_counter(page, 2)
    response = navigate(page, "#nav-products")
    expect(page.locator("#heading")).to_have_text("Products")
    assert response.request.headers["dj-layout"] == STORE
    assert response.headers["hx-retarget"] == "#panel-content"
    assert "<body" not in response.text()  # the partial, not the page
    # The sidebar is the very same element, with the state the script gave it.
    assert page.evaluate("window.__sidebar === document.getElementById('sidebar')")
    expect(page.locator("#counter")).to_have_text("Clicked 2")
    assert same_document(page)
    assert page.url == sandbox_url + "/htmx/products/"
    assert page.title() == "Products · Store"  # from the partial's <title>
    navigate(page, "#product-kettle")
    expect(page.locator("#heading")).to_have_text("Kettle")
    expect(page.locator("#counter")).to_have_text("Clicked 2")
    assert page.problems == []


def test_across_layouts_the_body_is_swapped(page, sandbox_url, expect):
    open_page(page, sandbox_url + "/htmx/")
    click_counter(page, 3)
    response = navigate(page, "#nav-docs")
    expect(page.locator("#heading")).to_have_text("Docs")
    assert response.request.headers["dj-layout"] == STORE
    assert (response.headers["hx-retarget"], response.headers["hx-reswap"]) == ("body", "outerHTML")
    assert layout_of(page) == "docs"
    assert page.locator("#sidebar").count() == 0
    expect(page.locator("#toc li")).to_have_count(3)  # the docs layout's own panel
    assert same_document(page)  # htmx swapped it; the browser did not reload
    assert page.title() == "Docs · Docs"
    # The docs page now names its own layout: staying in the docs is a partial...
    response = navigate(page, "#toc-routing")
    assert response.request.headers["dj-layout"] == DOCS
    assert response.headers["hx-retarget"] == "#panel-content"
    expect(page.locator("#heading")).to_have_text("Smart routing")
    # ...and the way back to the store is a fresh store body (the counter starts over).
    response = navigate(page, "#nav-store")
    assert response.headers["hx-retarget"] == "body"
    expect(page.locator("#heading")).to_have_text("Welcome to the store")
    assert layout_of(page) == "store"
    expect(page.locator("#counter")).to_have_text("Clicked 0")
    assert page.problems == []


def check_store(page: Any, expect: Any, heading: str, url: str) -> None:
    expect(page.locator("#heading")).to_have_text(heading)
    assert page.url == url
    assert layout_of(page) == "store"
    assert (page.locator("#sidebar").count(), page.locator("#toc").count()) == (1, 0)


def check_docs(page: Any, expect: Any, heading: str, url: str) -> None:
    expect(page.locator("#heading")).to_have_text(heading)
    assert page.url == url
    assert layout_of(page) == "docs"
    assert (page.locator("#sidebar").count(), page.locator("#toc").count()) == (0, 1)


def test_back_and_forward_show_whole_pages_of_the_right_layout(page, sandbox_url, expect):
    base = sandbox_url + "/htmx/"
    open_page(page, base)
    navigate(page, "#nav-products")  # partial
    navigate(page, "#nav-docs")  # body
    navigate(page, "#toc-routing")  # partial
    check_docs(page, expect, "Smart routing", base + "docs/routing/")

    page.go_back()
    check_docs(page, expect, "Docs", base + "docs/")
    page.go_back()
    check_store(page, expect, "Products", base + "products/")
    assert page.title() == "Products · Store"
    page.go_back()
    check_store(page, expect, "Welcome to the store", base)
    page.go_forward()
    check_store(page, expect, "Products", base + "products/")
    page.go_forward()
    check_docs(page, expect, "Docs", base + "docs/")
    page.go_forward()
    check_docs(page, expect, "Smart routing", base + "docs/routing/")
    assert same_document(page)  # htmx restored every step from its history cache

    # Back in the store after a body swap, the page names the store again: going
    # on in the store is a partial, going to the docs swaps the body.
    page.go_back()
    page.go_back()
    check_store(page, expect, "Products", base + "products/")
    response = navigate(page, "#product-teapot")
    assert (response.request.headers["dj-layout"], response.headers["hx-retarget"]) == (
        STORE,
        "#panel-content",
    )
    check_store(page, expect, "Teapot", base + "products/teapot/")
    response = navigate(page, "#nav-docs")
    assert response.headers["hx-retarget"] == "body"
    check_docs(page, expect, "Docs", base + "docs/")
    assert page.problems == []


def test_back_without_a_history_snapshot_gets_the_full_page_from_the_server(
    page, sandbox_url, expect
):
    base = sandbox_url + "/htmx/"
    open_page(page, base + "products/")
    # No snapshots: every Back asks the server (HX-History-Restore-Request).
    page.evaluate("htmx.config.historyCacheSize = 0")
    navigate(page, "#nav-docs")
    navigate(page, "#toc-per-tab")
    with page.expect_response(
        lambda r: r.request.headers.get("hx-history-restore-request") == "true"
    ) as info:
        page.go_back()
    restore = info.value
    assert restore.request.headers["hx-request"] == "true"  # htmx 2 sends both headers
    assert "hx-retarget" not in restore.headers
    assert restore.text().startswith("<!DOCTYPE html>")  # the whole page, not the partial
    check_docs(page, expect, "Docs", base + "docs/")
    with page.expect_response(lambda r: r.url == base + "products/"):
        page.go_back()
    check_store(page, expect, "Products", base + "products/")
    assert page.title() == "Products · Store"
    assert page.problems == []


def test_two_tabs_on_different_layouts_each_route_right(page, sandbox_url, expect):
    store_tab = page
    open_page(store_tab, sandbox_url + "/htmx/")
    docs_tab = store_tab.context.new_page()
    open_page(docs_tab, sandbox_url + "/htmx/docs/")
    # One cookie for both tabs, and the docs tab set it last.
    cookies = {c["name"]: c["value"] for c in store_tab.context.cookies()}
    assert cookies["dj_layout_current"] == DOCS

    click_counter(store_tab, 1)
    response = navigate(store_tab, "#nav-products")
    assert (response.request.headers["dj-layout"], response.headers["hx-retarget"]) == (
        STORE,
        "#panel-content",
    )
    expect(store_tab.locator("#heading")).to_have_text("Products")
    expect(store_tab.locator("#counter")).to_have_text("Clicked 1")
    assert layout_of(store_tab) == "store"

    docs_tab.evaluate("window.__toc = document.getElementById('toc')")
    response = navigate(docs_tab, "#toc-errors")
    assert response.headers["hx-retarget"] == "#panel-content"
    expect(docs_tab.locator("#heading")).to_have_text("Error pages")
    assert docs_tab.evaluate("window.__toc === document.getElementById('toc')")

    # Each tab still moves across layouts with a body swap.
    response = navigate(docs_tab, "#nav-store")
    assert response.headers["hx-retarget"] == "body"
    check_store(docs_tab, expect, "Welcome to the store", sandbox_url + "/htmx/")
    assert store_tab.problems == []


def test_a_form_can_ask_for_the_whole_page(page, sandbox_url, expect):
    open_page(page, sandbox_url + "/htmx/")
    click_counter(page, 2)
    navigate(page, "#nav-sign-in")
    expect(page.locator("#counter")).to_have_text("Clicked 2")
    expect(page.locator("#account")).to_have_text("Not signed in")
    page.fill("#name", "Ada")
    response = navigate(page, "#sign-in-submit")
    assert response.request.method == "POST"
    assert response.request.headers["dj-layout"] == STORE  # same layout, yet...
    assert (response.headers["hx-retarget"], response.headers["hx-reswap"]) == ("body", "outerHTML")
    expect(page.locator("#heading")).to_have_text("Hello, Ada")
    # ...the panel outside the content changed: the whole body was replaced.
    expect(page.locator("#account")).to_have_text("Signed in as Ada")
    expect(page.locator("#counter")).to_have_text("Clicked 0")
    assert same_document(page)
    # The next navigation is a partial again, and the account panel stays.
    response = navigate(page, "#nav-products")
    assert response.headers["hx-retarget"] == "#panel-content"
    expect(page.locator("#account")).to_have_text("Signed in as Ada")
    assert page.problems == []


def test_an_htmx_404_shows_inside_the_layout(page, sandbox_url, expect):
    base = sandbox_url + "/htmx/"
    open_page(page, base)
    click_counter(page, 1)
    response = navigate(page, "#nav-missing")
    assert response.status == 404
    assert response.headers["hx-retarget"] == "#panel-content"
    expect(page.locator("#heading")).to_have_text("Not found")
    expect(page.locator("#not-found")).to_contain_text("Nothing lives at unicorn.")
    # Inside the store: the sidebar and its state are still there.
    assert page.evaluate("window.__sidebar === document.getElementById('sidebar')")
    expect(page.locator("#counter")).to_have_text("Clicked 1")
    assert page.title() == "Not found"

    # Any unknown URL: the 404 follows the layout the visitor is looking at.
    navigate(page, "#nav-docs")
    response = navigate(page, "#nav-missing")
    assert (response.status, response.request.headers["dj-layout"]) == (404, DOCS)
    check_docs(page, expect, "Not found", base + "docs/nowhere/")
    page.evaluate(ARM)
    page.evaluate("htmx.ajax('GET', '/htmx/no/such/page/', {source: '#toc'})")
    wait_settled(page)
    expect(page.locator("#not-found")).to_contain_text("/htmx/no/such/page/")
    assert layout_of(page) == "docs"

    # What a 404 logs in the console is the browser's own note of the status and
    # htmx's report of an error response, nothing else.
    assert page.problems, "htmx and the browser report a 404"
    assert all("404" in problem or "Response Status Error" in problem for problem in page.problems)

    # Without htmx the same URL is a whole page with status 404, in the layout the
    # cookie names (the one this browser showed last).
    response = page.goto(base + "no/such/page/")
    assert response is not None and response.status == 404
    check_docs(page, expect, "Not found", base + "no/such/page/")
    page.context.clear_cookies()
    response = page.goto(base + "no/such/page/")
    assert response is not None and response.status == 404
    check_store(page, expect, "Not found", base + "no/such/page/")
