"""A stopwatch shared by a page and its panels, so the page can show when each panel ran.

The layout puts a ``Stopwatch`` in the layout context before the content view
runs. Panels see a read-only copy of the context, but the stopwatch inside is
the same object, so each panel can record its start and end on it; the layout
template then draws the timeline.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from dj_layouts import get_layout_context


@dataclass(frozen=True)
class Span:
    name: str
    kind: str
    start_ms: float
    end_ms: float
    thread: str

    @property
    def duration_ms(self) -> float:
        return self.end_ms - self.start_ms


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.perf_counter()
        self._spans: list[Span] = []
        # Blocks still running: a panel the page stopped waiting for (a timeout) is one.
        self._open: dict[int, Span] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()

    def now_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000

    def add(self, span: Span) -> None:
        with self._lock:
            self._spans.append(span)

    @contextmanager
    def measure(self, name: str, kind: str) -> Iterator[dict[str, Any]]:
        """Time a block; what it yields is filled with the span once the block ends.

        Until it ends, the report shows the block as still running; a block cut off
        by a cancellation (an async panel's timeout) ends there, and says so.
        """
        result: dict[str, Any] = {}
        start = self.now_ms()
        thread = threading.current_thread().name
        key = next(self._ids)
        with self._lock:
            self._open[key] = Span(name, f"{kind} · timed out, still running", start, 0, thread)
        ended = kind
        try:
            yield result
        except asyncio.CancelledError:
            ended = f"{kind} · timed out, cancelled"
            raise
        finally:
            span = Span(name, ended, start, self.now_ms(), thread)
            with self._lock:
                self._open.pop(key, None)
            self.add(span)
            result["span"] = span

    def report(self) -> dict[str, Any]:
        """Total time so far and every span, with bar offsets in % of the total."""
        total = self.now_ms()
        with self._lock:
            running = [
                Span(span.name, span.kind, span.start_ms, total, span.thread)
                for span in self._open.values()
            ]
            spans = sorted([*self._spans, *running], key=lambda span: span.start_ms)
        scale = max(total, 1.0)
        rows = [
            {
                "span": span,
                "left": round(span.start_ms / scale * 100, 2),
                "width": round(max(span.duration_ms, scale / 200) / scale * 100, 2),
            }
            for span in spans
        ]
        return {
            "total_ms": total,
            "work_ms": sum(span.duration_ms for span in spans),
            "rows": rows,
        }


def stopwatch_of(request: HttpRequest) -> Stopwatch:
    """The page's stopwatch, from a content view's or a panel's request.

    A panel view visited on its own (no layout) times itself with a fresh one.
    """
    watch = get_layout_context(request).get("stopwatch")
    return watch if isinstance(watch, Stopwatch) else Stopwatch()
