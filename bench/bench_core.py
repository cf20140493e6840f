"""Core engine costs: concurrency, CPU overhead against plain Django, scaling with panels."""

from __future__ import annotations

import asyncio
from typing import Any

from django.test import RequestFactory

from bench import pages
from bench._measure import acpu_us, awall_s, cpu_us
from bench._table import Row

GROUP_A = "a concurrency"
GROUP_B = "b cpu/page"
GROUP_C = "c cpu/panel"

PANEL_SECONDS = 0.05
WALL_TARGET = 1.2
CPU_TARGET = 1.5
FLAT_TARGET = 1.5
SCALING_COUNTS = (1, 10, 50, 100)

_rf = RequestFactory()


def _request() -> Any:
    return _rf.get("/")


async def _concurrency_rows() -> list[Row]:
    rows = []
    for label, panel in (
        ("5 sync panels x time.sleep(0.05), @async_layout", pages.sleeping_sync_panel),
        ("5 async panels x asyncio.sleep(0.05), @async_layout", pages.sleeping_async_panel),
    ):
        view = pages.sleeping_page("SleepLayout", panel(PANEL_SECONDS), 5)
        seconds = await awall_s(lambda view=view: view(_request()))
        ratio = seconds / PANEL_SECONDS
        rows.append(
            Row(
                GROUP_A,
                label,
                f"{seconds * 1000:.1f} ms = {ratio:.2f}x ideal",
                f"<= {WALL_TARGET}x ideal ({PANEL_SECONDS * 1000:.0f} ms)",
                ratio <= WALL_TARGET,
            )
        )
    return rows


def _cpu(view: Any) -> float:
    """CPU us per page; a coroutine view is awaited in one event loop."""
    if asyncio.iscoroutinefunction(view):
        return asyncio.run(acpu_us(lambda: view(_request())))
    return cpu_us(lambda: view(_request()))


def _html(view: Any) -> bytes:
    if asyncio.iscoroutinefunction(view):
        return asyncio.run(view(_request())).content  # type: ignore[no-any-return]
    return view(_request()).content  # type: ignore[no-any-return]


def _ratio_row(label: str, value: float, base: float, base_name: str, targeted: bool) -> Row:
    ratio = value / base
    return Row(
        GROUP_B,
        label,
        f"{value:.0f} us = {ratio:.2f}x {base_name}",
        f"<= {CPU_TARGET}x {base_name}" if targeted else "(info)",
        ratio <= CPU_TARGET if targeted else None,
    )


def _cpu_rows() -> list[Row]:
    plain_view, plain_async_view = pages.plain_page(5), pages.plain_async_page(5)
    html = _html(plain_view)
    sync_trivial, _, _ = pages.items_pages(5, "sync")
    _, async_trivial, _ = pages.items_pages(5, "async")
    _, async_sync_trivial, _ = pages.items_pages(5, "sync")
    sync_template, async_template, _ = pages.items_pages(5, "template")
    views = [plain_async_view, sync_trivial, async_trivial, async_sync_trivial]
    for view in [*views, sync_template, async_template]:
        pages.check_same_html(_html(view), html)

    plain, plain_async = _cpu(plain_view), _cpu(plain_async_view)
    async_value = _cpu(async_trivial)
    return [
        Row(GROUP_B, "plain sync view, 5 {% include %}s", f"{plain:.0f} us", "baseline"),
        Row(GROUP_B, "plain async view, same, rendered off the loop",
            f"{plain_async:.0f} us", "baseline (async)"),
        _ratio_row("@layout, 5 trivial sync panels", _cpu(sync_trivial), plain, "plain", True),
        _ratio_row("@async_layout, 5 trivial async panels", async_value, plain, "plain", True),
        _ratio_row("  the same, against the plain async view", async_value, plain_async,
                   "plain async", True),
        _ratio_row("@async_layout, 5 trivial sync panels (threads)", _cpu(async_sync_trivial),
                   plain_async, "plain async", False),
        _ratio_row("@layout, 5 template panels", _cpu(sync_template), plain, "plain", False),
        _ratio_row("@async_layout, 5 template panels (threads)", _cpu(async_template),
                   plain_async, "plain async", False),
    ]  # fmt: skip


def _scaling_rows() -> list[Row]:
    rows = []
    for path, kind in (("sync", "sync"), ("async", "async")):
        empty = _page_cpu(path, kind, 0)
        per_count = {
            count: (_page_cpu(path, kind, count) - empty) / count for count in SCALING_COUNTS
        }
        for count, value in per_count.items():
            rows.append(
                Row(GROUP_C, f"{path} path, {count} trivial {kind} panels", f"{value:.1f} us/panel")
            )
        flat = [per_count[c] for c in SCALING_COUNTS if c >= 10]
        spread = max(flat) / min(flat)
        rows.append(
            Row(
                GROUP_C,
                f"{path} path, max/min over 10..100 panels",
                f"{spread:.2f}x",
                f"<= {FLAT_TARGET}x",
                spread <= FLAT_TARGET,
            )
        )
    return rows


def _page_cpu(path: str, kind: str, count: int) -> float:
    sync_view, async_view, _ = pages.items_pages(count, kind)
    return _cpu(sync_view if path == "sync" else async_view)


def run() -> list[Row]:
    return [*asyncio.run(_concurrency_rows()), *_cpu_rows(), *_scaling_rows()]
