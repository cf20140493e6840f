"""docs/timing.md: every sample runs (Sybil), and the page says what the code does."""

from __future__ import annotations

import re

from tests.docs.pages import page_path
from tests.docs.support import open_page

PAGE = "timing.md"


def test_every_sample_runs(tmp_path):
    with open_page(PAGE, tmp_path) as project:
        ns = project.run_samples()
    assert callable(ns["report"]) and callable(ns["to_spans"])


def test_the_header_shown_has_the_format_the_code_writes():
    from dj_layouts.timing import PageTiming, PanelTiming

    shown = re.search(r"^Server-Timing: (.*)$", page_path(PAGE).read_text(), re.M).group(1)
    timing = PageTiming(
        layout="shop.ShopLayout",
        executor="GatherExecutor",
        path="/",
        content=0.031,
        assembly=0.0022,
        total=0.236,
        panels=[
            PanelTiming("sidebar", 0.03, 0.2014, "t", "", "ok"),
            PanelTiming("footer", 0.03, 0.0001, "t", "hit", "ok"),
            PanelTiming("header", 0.03, 0.0003, "t", "", "error", "ValueError"),
        ],
    )
    assert timing.server_timing() == shown
