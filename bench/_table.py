"""Rows of the results table, and how it prints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One measurement. ``ok`` is None for a number shown without a target."""

    group: str
    metric: str
    measured: str
    target: str = ""
    ok: bool | None = None

    @property
    def status(self) -> str:
        return "" if self.ok is None else ("PASS" if self.ok else "MISS")


def render_table(rows: Sequence[Row]) -> str:
    header = ("group", "metric", "measured", "target", "")
    cells = [header] + [(r.group, r.metric, r.measured, r.target, r.status) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for index, row in enumerate(cells):
        lines.append(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
        if index == 0:
            lines.append("  ".join("-" * width for width in widths).rstrip())
    return "\n".join(lines)
