"""The sandbox in a real browser: every demo page, and what each one demonstrates.

The sandbox runs under uvicorn (``sandbox_url`` in conftest.py); Chromium loads
the pages, runs their scripts and applies their styles, as a visitor's would.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from sandbox import wagtaildemo
from sandbox.demo.catalog import DEMOS, Demo
from tests.e2e.conftest import ROOT, sandbox_env

pytestmark = pytest.mark.e2e

ERROR_BOX = ".dj-layouts-panel-error"
FALLBACK = "Fallback: this panel rendered nothing."
#: Failed panels each page is built to show (every other page has none).
EXPECTED_ERRORS = {"Error fallbacks": 4, "Timeouts": 2}
_HOME_ITEM = re.compile(r'<li><a href="([^"]+)">([^<]+)</a> <span>([^<]+)</span></li>')


def _demo_id(demo: Demo) -> str:
    parts = [
        *demo.kwargs.values(),
        *(arg.strip("/").replace("/", "-") or "root" for arg in demo.args),
    ]
    return demo.url_name.split(":")[-1] + "".join(f"-{part}" for part in parts)


@pytest.fixture(scope="session")
def home_links(sandbox_url: str) -> dict[str, tuple[str, str]]:
    """Title -> (URL, summary) of every demo page the home page lists."""
    import urllib.request

    with urllib.request.urlopen(sandbox_url + "/", timeout=10) as response:
        body = response.read().decode()
    return {
        html.unescape(title): (sandbox_url + html.unescape(href), html.unescape(summary))
        for href, title, summary in _HOME_ITEM.findall(body)
    }


def visit(page: Any, url: str, status: int = 200) -> Any:
    response = page.goto(url)
    assert response is not None
    assert response.status == status, f"{url} answered {response.status}"
    return response


def slot(page: Any, name: str) -> Any:
    """The body of the card that shows panel ``name``."""
    return page.locator(f"#slot-{name} .slot-body")


def timeline(page: Any) -> tuple[float, dict[str, tuple[float, float]]]:
    """The page's total in ms, and each timed part's (start, end) in ms."""
    total = float(page.locator("#total-ms").get_attribute("data-ms"))
    spans = {}
    for row in page.locator(".span-row").all():
        spans[row.get_attribute("data-name")] = (
            float(row.get_attribute("data-start")),
            float(row.get_attribute("data-end")),
        )
    return total, spans


def assert_valid_html(body: bytes, url: str) -> None:
    html5lib = pytest.importorskip("html5lib", reason="html5lib is not installed")
    parser = html5lib.HTMLParser(strict=True)
    try:
        parser.parse(body)
    except html5lib.html5parser.ParseError as exc:
        line, column = parser.errors[0][0] if parser.errors else ("?", "?")
        pytest.fail(f"{url} is not valid HTML at line {line}, column {column}: {exc}")


# -- every page ------------------------------------------------------------------------


def test_home_page_lists_every_demo_page(home_links: dict[str, tuple[str, str]]) -> None:
    listed = {title: summary for title, (_url, summary) in home_links.items()}
    expected = {demo.title: demo.summary for demo in DEMOS if demo.url_name != "demo:home"}
    assert listed == expected


@pytest.mark.parametrize("demo", DEMOS, ids=_demo_id)
def test_demo_page(
    page: Any, sandbox_url: str, home_links: dict[str, tuple[str, str]], demo: Demo
) -> None:
    url = sandbox_url + "/" if demo.url_name == "demo:home" else home_links[demo.title][0]
    response = visit(page, url)

    assert page.locator("#panel-content").inner_text().strip()
    assert page.locator(ERROR_BOX).count() == EXPECTED_ERRORS.get(demo.title, 0)
    if demo.url_name.startswith("demo:"):  # other apps' pages have layouts of their own
        assert page.locator("h1").inner_text() == demo.title
        assert page.locator("#demo-summary").inner_text() == demo.summary
        assert page.locator("#slot-sidebar").inner_text().strip()
        assert page.locator("#slot-footer").inner_text().strip()
        for body in page.locator(".slot-body").all():
            assert body.inner_text().strip(), "every card shows its panel or its fallback"
    # Every page, the htmx demo's own layouts included, has the sandbox's stylesheet
    # (issue 16: they were browser-default serif) and a way back to the demos.
    background = page.locator(".topbar").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(13, 17, 23)"
    font = page.locator("#panel-content").evaluate("e => getComputedStyle(e).fontFamily")
    assert "serif" not in font.replace("sans-serif", "")
    assert page.locator(".topbar a.brand").get_attribute("href") == "/"
    assert_valid_html(response.body(), url)
    duplicates = page.evaluate(
        """() => {
            const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
            return ids.filter((id, i) => ids.indexOf(id) !== i);
        }"""
    )
    assert duplicates == []
    assert page.problems == []


# -- layouts and panels ------------------------------------------------------------------


def test_every_panel_source_kind_renders(page: Any, sandbox_url: str) -> None:
    visit(page, sandbox_url + "/sources/")

    assert slot(page, "by_url_name").inner_text().startswith("Server time: ")
    assert slot(page, "by_url_name_kwarg").inner_text() == "Hello, Ada!"
    assert slot(page, "with_url_args").locator("h3").inner_text() == "Panels in parallel"
    assert slot(page, "literal").inner_html() == "<p>Literal <strong>HTML</strong>, as is.</p>"
    assert slot(page, "literal_kw").inner_text() == "Note: literal= keeps even a colon literal."
    assert "site is called dj-layouts sandbox" in slot(page, "template_panel").inner_text()
    assert "{'flavour': 'sync'}" in slot(page, "sync_callable").inner_text()
    assert "The Unix philosophy" in slot(page, "async_callable").inner_text()
    assert slot(page, "class_based").locator("li a").all_inner_texts() == [
        "Panels in parallel",
        "A quiet announcement",
        "One script, many panels",
    ]
    joined = slot(page, "joined").inner_html()
    assert re.fullmatch(
        r"<span>literal</span> · <p>Server time: <time>[\d:.]+</time></p> · "
        r'<span class="badge">callable</span>',
        joined,
    ), joined
    assert slot(page, "empty").inner_text() == FALLBACK
    # resolve_panel_source() in the content view: HTML, not escaped text.
    assert page.locator("#resolved-source time").count() == 1


def test_subclass_removes_replaces_and_adds_panels(page: Any, sandbox_url: str) -> None:
    visit(page, sandbox_url + "/layouts/inheritance/")

    assert page.locator("#slot-sidebar").inner_text() == (
        "Fallback: this layout has no sidebar panel, so the template's fallback shows."
    )
    assert page.locator("#slot-footer").inner_text() == "The subclass's own footer · all demos"
    assert slot(page, "banner").inner_text() == "This banner panel exists only in the subclass."


def test_layout_context_merge_order_and_read_only_panels(page: Any, sandbox_url: str) -> None:
    visit(page, sandbox_url + "/layouts/context/")

    rows = page.locator("#slot-context_report tr").all_inner_texts()
    assert [" ".join(row.split()) for row in rows] == [
        "colour grey (layout_context_defaults)",
        "greeting good day (get_layout_context)",
        "audience you (the content view)",
    ]
    assert page.locator("#write-result").inner_text() == (
        "TypeError: layout_context is read-only in panel views"
    )


@pytest.mark.parametrize("path", ["/overrides/", "/overrides/class/"])
def test_per_view_overrides(page: Any, sandbox_url: str, path: str) -> None:
    visit(page, sandbox_url + path)

    assert slot(page, "weather").inner_text() == "The view's own weather: sunny."
    assert slot(page, "ads").inner_text() == FALLBACK
    assert page.locator(".ad").count() == 0
    assert "site is called dj-layouts sandbox" in slot(page, "tips").inner_text()


def test_conditional_panel_renders_when_its_condition_holds(page: Any, sandbox_url: str) -> None:
    visit(page, sandbox_url + "/articles/panels-in-parallel/")

    assert slot(page, "comments").locator("li").all_inner_texts() == [
        "Ada: The dashboard demo made it click for me.",
        "Grace: Nice that sync views get real threads.",
    ]
    assert slot(page, "related").inner_text() == FALLBACK
    assert slot(page, "beta").inner_text() == FALLBACK


def test_conditional_panel_is_skipped_when_its_condition_fails(page: Any, sandbox_url: str) -> None:
    visit(page, sandbox_url + "/articles/quiet-announcement/?related=1")

    assert slot(page, "comments").inner_text() == FALLBACK
    assert "Linus" not in page.content()
    # The callable condition reads show_related, which the view set from ?related=1.
    assert slot(page, "related").locator("li").count() == 3
    assert slot(page, "beta").inner_text() == FALLBACK


def test_partial_request_gets_the_content_only(page: Any, sandbox_url: str) -> None:
    visit(page, sandbox_url + "/partial/")
    page.click("#partial-link")
    page.wait_for_url("**/partial/?_partial=1")

    assert page.locator("#partial-flag").inner_text() == (
        "This response is partial: only the content view's HTML, no layout."
    )
    assert page.locator(".topbar").count() == 0
    raw = page.request.get(sandbox_url + "/partial/?_partial=1").text()
    assert raw.lstrip().startswith('<p id="partial-flag">')
    assert "<html" not in raw


# -- views --------------------------------------------------------------------------------


SYNC_DEFAULT = "SequentialExecutor (the default for sync views)"
ASYNC_DEFAULT = "GatherExecutor (the default for async views)"


@pytest.mark.parametrize(
    ("path", "kind", "executor"),
    [
        ("/views/sync-function/", "sync function view (@layout)", SYNC_DEFAULT),
        ("/views/async-function/", "async function view (@async_layout)", ASYNC_DEFAULT),
        (
            "/views/sync-class/",
            "sync class-based view (LayoutMixin + DetailView)",
            SYNC_DEFAULT,
        ),
        (
            "/views/async-class/",
            "async class-based view (AsyncLayoutMixin, async def get)",
            ASYNC_DEFAULT,
        ),
        ("/views/shortcut/", "sandbox.demo.views.shortcut", SYNC_DEFAULT),
        ("/views/async-shortcut/", "sandbox.demo.views.async_shortcut", ASYNC_DEFAULT),
    ],
)
def test_view_kinds_all_get_panels(
    page: Any, sandbox_url: str, path: str, kind: str, executor: str
) -> None:
    visit(page, sandbox_url + path)

    facts = slot(page, "request_facts")
    assert facts.locator(".role").inner_text() == "panel"
    assert kind in facts.inner_text()
    sidebar = page.locator("#slot-sidebar").inner_text()
    assert kind in sidebar
    assert executor in sidebar
    assert "An async panel on the event loop, in task" in slot(page, "loop_facts").inner_text()


def test_panel_only_view_renders_as_panel_and_refuses_direct_visits(
    page: Any, sandbox_url: str
) -> None:
    visit(page, sandbox_url + "/views/panel-only/")
    assert "This came from a @panel_only view." in slot(page, "members").inner_text()

    direct = page.locator("#direct-link").get_attribute("href")
    visit(page, sandbox_url + direct, status=403)


# -- concurrency ---------------------------------------------------------------------------

PANEL_MS = 300  # each dashboard panel waits this long
DASHBOARD_PARTS = {"orders", "weather", "visitors", "headlines"}


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/threaded/"])
def test_dashboard_costs_about_its_slowest_panel(page: Any, sandbox_url: str, path: str) -> None:
    visit(page, sandbox_url + path)
    total, spans = timeline(page)

    assert set(spans) == DASHBOARD_PARTS
    assert all(end - start >= PANEL_MS - 10 for start, end in spans.values())
    # All four ran at the same time: each started before any finished.
    assert max(start for start, _ in spans.values()) < min(end for _, end in spans.values())
    # 4 x 0.3 s of waiting; run one after another they would take 1.2 s.
    assert PANEL_MS <= total < 3 * PANEL_MS
    served = page.evaluate(
        "() => { const n = performance.getEntriesByType('navigation')[0];"
        " return n.responseEnd - n.requestStart; }"
    )
    assert served < 4 * PANEL_MS - 100
    for name in DASHBOARD_PARTS:
        assert "started +" in slot(page, name).inner_text()


def test_sequential_dashboard_costs_the_sum_of_its_panels(page: Any, sandbox_url: str) -> None:
    visit(page, sandbox_url + "/dashboard/sequential/")
    total, spans = timeline(page)

    assert set(spans) == DASHBOARD_PARTS
    ordered = sorted(spans.values())
    for (_, previous_end), (start, _) in itertools.pairwise(ordered):
        assert start >= previous_end - 0.1  # one after another, rounded to 0.1 ms
    assert total >= 4 * (PANEL_MS - 10)


def test_eager_panel_runs_alongside_the_content_view(page: Any, sandbox_url: str) -> None:
    visit(page, sandbox_url + "/eager/")
    total, spans = timeline(page)

    _, content_end = spans["content view"]
    panel_start, _ = spans["recommendations"]
    assert panel_start < content_end
    assert total < 2 * PANEL_MS - 50


def test_panel_that_is_not_eager_waits_for_the_content_view(page: Any, sandbox_url: str) -> None:
    visit(page, sandbox_url + "/eager/off/")
    total, spans = timeline(page)

    _, content_end = spans["content view"]
    panel_start, _ = spans["recommendations"]
    assert panel_start >= content_end
    assert total >= 2 * (PANEL_MS - 10)


def test_timed_out_panels_show_the_error_fallback_quickly(page: Any, sandbox_url: str) -> None:
    started = time.monotonic()
    visit(page, sandbox_url + "/timeouts/")
    elapsed = time.monotonic() - started

    # The slow panels would take 3 s; the page waits at most 0.8 s for them.
    assert elapsed < 2.5
    for name in ("slow_async", "slow_sync"):
        assert slot(page, name).locator(ERROR_BOX).inner_text() == (
            "This part of the page could not be loaded."
        )
    assert "Done in time." in slot(page, "quick").inner_text()
    total, spans = timeline(page)
    # The timed-out panels are on the timeline too (issue 16), where the page stopped
    # waiting for them: the async one cancelled at 0.5 s, the sync one still running.
    assert set(spans) == {"quick", "slow_async", "slow_sync"}
    assert 400 <= spans["slow_async"][1] < 1500
    assert spans["slow_sync"][1] >= 750
    kinds = {
        row.get_attribute("data-name"): row.locator("td").nth(1).inner_text()
        for row in page.locator(".span-row").all()
    }
    assert kinds["slow_async"] == "async callable · timed out, cancelled"
    assert kinds["slow_sync"] == "sync callable · timed out, still running"
    assert 750 <= total < 2500


# -- queues, errors, caching ------------------------------------------------------------------


def test_queued_scripts_and_styles_load_once(page: Any, sandbox_url: str) -> None:
    visit(page, sandbox_url + "/queues/")

    assert page.evaluate("window.demoCounter") == 1
    assert page.evaluate("window.demoInlineRuns") == 1
    # The content view's script first, then the panels' (definition order).
    assert page.evaluate("window.demoScriptLog") == ["queue-log.js", "counter.js"]
    assert page.locator("#counter-runs").inner_text() == "1"
    assert page.locator("#inline-runs").inner_text() == "1"
    assert page.locator('script[src="/static/demo/counter.js"]').count() == 1
    assert page.locator('link[href="/static/demo/widgets.css"]').count() == 1
    # The queued stylesheet applies to all three widgets.
    widths = page.locator(".widget").evaluate_all(
        "els => els.map(e => getComputedStyle(e).borderLeftWidth)"
    )
    assert widths == ["4px", "4px", "4px"]
    assert page.locator("#notes-queue li").all_inner_texts() == [
        "Both widgets queued this note; it appears once.",
        "The weather widget says hello.",
        "The news widget queued this one from its template.",
    ]
    assert page.problems == []


def test_failed_panels_get_the_error_template(page: Any, sandbox_url: str) -> None:
    response = visit(page, sandbox_url + "/errors/")

    for name in ("broken", "broken_view", "missing", "wrong_type"):
        assert slot(page, name).inner_text() == "This part of the page could not be loaded."
    assert slot(page, "working").inner_text() == "This panel is fine."
    assert slot(page, "blank").inner_text() == FALLBACK
    assert slot(page, "empty").inner_text() == FALLBACK
    body = response.text()
    # The shipped error template never shows the exception to visitors.
    for secret in ("hunter2", "A view that crashes", "Traceback", "PanelResponseError"):
        assert secret not in body


def test_on_panel_error_override(page: Any, sandbox_url: str) -> None:
    visit(page, sandbox_url + "/errors/custom/")

    for name in ("broken", "broken_view"):
        assert slot(page, name).inner_text() == (
            f"on_panel_error() says: the {name} panel is taking a break."
        )
    for name in ("missing", "wrong_type", "blank", "empty"):
        assert slot(page, name).inner_text() == FALLBACK
    assert page.locator(ERROR_BOX).count() == 0


def _rendered_at(page: Any) -> dict[str, str]:
    names = ("sitewide", "per_path", "per_session", "stale_while_revalidate", "uncached")
    return {name: slot(page, name).locator(".rendered-at").inner_text() for name in names}


def test_cached_panels_keep_their_timestamp(page: Any, sandbox_url: str) -> None:
    visit(page, sandbox_url + "/cache/")
    first = _rendered_at(page)
    # The first visit has no session: the card says it shows the shared entry (issue 16).
    assert slot(page, "per_session").locator("#no-session-note").count() == 1
    page.reload()
    second = _rendered_at(page)
    assert slot(page, "per_session").locator("#no-session-note").count() == 0
    page.reload()
    third = _rendered_at(page)

    assert second["sitewide"] == first["sitewide"] == third["sitewide"]
    assert second["per_path"] == first["per_path"] == third["per_path"]
    # The first visit had no session yet ("no-session"); from the second on it has one.
    assert third["per_session"] == second["per_session"]
    assert len({first["uncached"], second["uncached"], third["uncached"]}) == 3
    assert "loaded this page 3 times" in page.locator("#panel-content").inner_text()

    page.click("#invalidate")
    page.wait_for_load_state()
    fourth = _rendered_at(page)
    for name in ("sitewide", "per_path", "per_session"):
        assert fourth[name] != third[name], name


# -- Wagtail pages (sandbox/wagtaildemo) ---------------------------------------------------

needs_wagtail = pytest.mark.skipif(
    not wagtaildemo.ENABLED, reason="the sandbox has no Wagtail pages without Wagtail"
)
ARTICLE = "/wagtail-pages/guides/panels-around-a-page/"
GUIDES = ["Panels around a page", "One template, both ways", "Previews skip the layout"]


def sidebar(page: Any) -> tuple[str, list[str], list[str]]:
    """The sidebar's heading, its links, and the link marked as the current page."""
    nav = page.locator("#slot-sidebar nav.page-nav")
    return (
        nav.locator("h2").inner_text(),
        nav.locator("a").all_inner_texts(),
        nav.locator('a[aria-current="page"]').all_inner_texts(),
    )


@needs_wagtail
def test_the_top_bar_links_to_the_wagtail_pages(page: Any, sandbox_url: str) -> None:
    visit(page, sandbox_url + "/")
    page.locator(".topbar a", has_text="Wagtail pages").click()
    page.wait_for_load_state()

    assert page.url == sandbox_url + "/wagtail-pages/"
    assert page.locator("h1").inner_text() == "Wagtail pages"
    assert sidebar(page) == ("Sections", ["Guides", "News"], [])
    assert page.locator("#panel-content .page-children a").all_inner_texts() == ["Guides", "News"]


@needs_wagtail
def test_a_wagtail_section_lists_its_pages_and_its_siblings(page: Any, sandbox_url: str) -> None:
    visit(page, sandbox_url + "/wagtail-pages/guides/")

    assert page.locator("h1").inner_text() == "Guides"
    assert page.locator("#panel-content .page-children a").all_inner_texts() == GUIDES
    assert sidebar(page) == ("In Wagtail pages", ["Guides", "News"], ["Guides"])


@needs_wagtail
def test_the_sidebar_lists_an_articles_siblings_and_follows_the_page(
    page: Any, sandbox_url: str
) -> None:
    visit(page, sandbox_url + ARTICLE)
    assert page.locator("h1").inner_text() == "Panels around a page"
    assert sidebar(page) == ("In Guides", GUIDES, ["Panels around a page"])

    page.locator("#slot-sidebar a", has_text="Previews skip the layout").click()
    page.wait_for_load_state()

    assert page.url == sandbox_url + "/wagtail-pages/guides/previews-skip-the-layout/"
    assert page.locator("h1").inner_text() == "Previews skip the layout"
    assert sidebar(page) == ("In Guides", GUIDES, ["Previews skip the layout"])
    assert page.locator(".topbar").count() == 1


def _wagtail_panels(page: Any) -> tuple[str, str]:
    return (
        slot(page, "visit").locator(".rendered-at").inner_text(),
        slot(page, "site_map").locator(".rendered-at").inner_text(),
    )


@needs_wagtail
def test_the_per_request_panel_renders_every_time_and_the_cached_one_once(
    page: Any, sandbox_url: str
) -> None:
    first = visit(page, sandbox_url + ARTICLE)
    visit_time, map_time = _wagtail_panels(page)
    assert slot(page, "visit").locator(".live-pages").inner_text().startswith("7 live pages")
    assert slot(page, "site_map").locator("li").all_inner_texts() == [
        "Guides (3 pages)",
        "News (1 page)",
    ]
    again = visit(page, sandbox_url + "/wagtail-pages/news/")
    later_visit, later_map = _wagtail_panels(page)

    assert later_visit != visit_time
    assert later_map == map_time  # cached for every visitor, every page
    # The page's Server-Timing (DEBUG is on) names the panels, and the cache hit.
    assert re.search(r"panel-visit;dur=[0-9.]+(,|$)", again.headers["server-timing"])
    assert "panel-site_map;dur=" in first.headers["server-timing"]
    assert re.search(r'panel-site_map;dur=[0-9.]+;desc="cache hit"', again.headers["server-timing"])


@needs_wagtail
def test_the_wagtail_admin_is_mounted(sandbox_url: str) -> None:
    status, body = _get(sandbox_url + "/cms/login/")

    assert status == 200
    assert 'name="username"' in body


# -- panel views visited on their own --------------------------------------------------------

#: Run with the sandbox's settings: the path of every panel view, as JSON. A panel view
#: is a URL a registered layout names as a panel source (reversed with that panel's
#: arguments), or any URL of the URLconf served by a ``panels`` module.
_LIST_PANEL_URLS = """
import json
import django

django.setup()
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from dj_layouts import Layout
from dj_layouts.panels import UrlSource

paths = set()
for layout_class in Layout.registry.values():
    for panel in layout_class.get_panels().values():
        if isinstance(panel.source, UrlSource):
            func, args, kwargs = panel.source.resolve()
            paths.add(reverse(panel.source.url_name, args=args, kwargs=kwargs))


def walk(patterns, prefix):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.callback


for route, callback in walk(get_resolver().url_patterns, "/"):
    if callback.__module__.endswith(".panels") and "<" not in route:
        paths.add(route)
print(json.dumps(sorted(paths)))
"""


def _panel_paths(tmp_path: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _LIST_PANEL_URLS],
        cwd=ROOT,
        env=sandbox_env(tmp_path / "unused.sqlite3"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


#: Panel views that answer something other than 200 on their own, by design.
DIRECT_STATUS = {
    "/panels/members-only/": 403,  # @panel_only
    "/panels/stock-widget/": 403,  # @panel_only: it queues assets onto its page
    "/panels/broken/": 403,  # @panel_only: it crashes, as a panel, for the errors page
    "/panels/missing/": 404,  # answers 404 on purpose, for the errors page
    "/htmx/toc/": 403,  # @panel_only
}


def test_every_panel_view_visited_directly_answers_without_a_server_error(
    sandbox_url: str, tmp_path: Path
) -> None:
    paths = _panel_paths(tmp_path)
    assert "/panels/request-facts/" in paths
    assert "/panels/articles/panels-in-parallel/" in paths  # a URL with an argument
    assert set(DIRECT_STATUS) <= set(paths)
    answers = {path: _get(sandbox_url + path) for path in paths}
    statuses = {path: status for path, (status, _body) in answers.items()}
    assert statuses == {path: DIRECT_STATUS.get(path, 200) for path in paths}
    for path, (status, body) in answers.items():
        if status == 403:
            assert "<h1>403 Forbidden</h1>" in body, path


def test_a_panel_view_reading_the_layout_context_renders_on_its_own(sandbox_url: str) -> None:
    status, body = _get(sandbox_url + "/panels/request-facts/")

    assert status == 200
    assert '<code class="role">none: visited on its own</code>' in body
    assert '<dt>layout_context["view_kind"]</dt><dd>(empty outside a layout)</dd>' in body
