"""The sandbox dashboard in Chromium: django-debug-toolbar's Layout tab, and Server-Timing."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.e2e


def test_the_layout_tab_shows_the_dashboard_panels_and_the_missed_queries(
    page: Any, sandbox_url: str
) -> None:
    response = page.goto(sandbox_url + "/dashboard/threaded/")
    assert response is not None and response.status == 200
    server_timing = response.headers["server-timing"]
    for name in ("orders", "weather", "visitors", "headlines"):
        # Each dashboard panel sleeps 0.3 s: its entry says so.
        duration = float(re.search(rf"panel-{name};dur=([0-9.]+)", server_timing).group(1))
        assert duration >= 290, server_timing
    assert "SQLPanel_sql_time" in server_timing  # the toolbar's entries are there too

    page.locator("#djDebugToolbar a.LayoutPanel").click()
    table = page.locator("#LayoutPanel table.djl-panels")
    table.wait_for()
    assert (
        page.locator("#LayoutPanel h4")
        .first.inner_text()
        .startswith("sandbox.ThreadedDashboardLayout")
    )
    rows = {
        row.locator("td").first.inner_text(): row.locator("td").all_inner_texts()
        for row in table.locator("tbody tr").all()
    }
    assert {"orders", "weather", "visitors", "headlines"} <= set(rows)
    orders = rows["orders"]
    assert orders[1] == "url:demo:dash_orders"
    assert orders[5].startswith("dj-layouts-threaded")
    # The orders panel queries in its worker thread: the SQL panel cannot see it.
    assert orders[8] == "1 (not on the SQL panel)"
    assert "not counted on the SQL panel" in page.locator("#LayoutPanel .djl-sql-note").inner_text()
    assert page.locator("#LayoutPanel svg.djDebugLineChart rect").count() == len(rows)
    assert page.problems == []
