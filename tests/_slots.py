"""Helpers for whole-page tests of executors and async rendering.

``make_layout()`` builds a layout whose template (``testapp/slots.html``) prints
every panel in a ``<section id="name">`` in definition order, then the scripts.
``Tracker`` records, from any thread or task, when panels start and end.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

from dj_layouts import Layout, Panel, ScriptQueue

_SECTION = re.compile(r'<section id="(\w+)">(.*?)</section>', re.S)
_SCRIPT = re.compile(r'<script src="([^"]+)"')


def make_layout(panels: dict[str, Any], *, name: str = "SlotsLayout", **attrs: Any) -> type[Layout]:
    """A layout with ``panels`` (a Panel or a plain source each) in this order."""
    namespace: dict[str, Any] = {
        "__module__": __name__,
        # A "<locals>" qualname marks a throwaway class: re-declaring it replaces the old one.
        "__qualname__": f"make_layout.<locals>.{name}",
        "template": "testapp/slots.html",
        "scripts": ScriptQueue(),
        "layout_context_defaults": {"slots": list(panels)},
    }
    for panel_name, value in panels.items():
        namespace[panel_name] = value if isinstance(value, Panel) else Panel(value)
    namespace.update(attrs)
    return type(name, (Layout,), namespace)


def sections(html: str | bytes) -> dict[str, str]:
    """Each panel slot's HTML by panel name, in document order."""
    text = html.decode() if isinstance(html, bytes) else html
    return dict(_SECTION.findall(text))


def script_srcs(html: str | bytes) -> list[str]:
    text = html.decode() if isinstance(html, bytes) else html
    return _SCRIPT.findall(text)


class Tracker:
    """Thread-safe record of panel starts and ends, and of the peak overlap."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.events: list[tuple[str, str]] = []
        self.threads: dict[str, str] = {}
        self.active = 0
        self.peak = 0

    def start(self, name: str) -> None:
        with self._lock:
            self.events.append(("start", name))
            self.threads[name] = threading.current_thread().name
            self.active += 1
            self.peak = max(self.peak, self.active)

    def end(self, name: str) -> None:
        with self._lock:
            self.events.append(("end", name))
            self.active -= 1

    def ended(self) -> list[str]:
        with self._lock:
            return [name for kind, name in self.events if kind == "end"]

    def started(self) -> list[str]:
        with self._lock:
            return [name for kind, name in self.events if kind == "start"]

    def sync_panel(
        self,
        name: str,
        delay: float = 0.0,
        html: str | None = None,
        *,
        barrier: threading.Barrier | None = None,
    ) -> Any:
        """A sync panel callable that sleeps (really blocks) for ``delay`` seconds.

        With a ``barrier``, it first waits until all of the barrier's panels are
        running at once, which only works if each has a thread of its own.
        """

        def panel(request: Any) -> str:
            self.start(name)
            try:
                if barrier is not None:
                    barrier.wait(timeout=5)
                time.sleep(delay)
            finally:
                self.end(name)
            return html if html is not None else f"<p>{name}</p>"

        panel.__name__ = panel.__qualname__ = f"sync_{name}"
        return panel

    def async_panel(self, name: str, delay: float = 0.0, html: str | None = None) -> Any:
        import asyncio

        async def panel(request: Any) -> str:
            self.start(name)
            try:
                await asyncio.sleep(delay)
            finally:
                self.end(name)
            return html if html is not None else f"<p>{name}</p>"

        panel.__name__ = panel.__qualname__ = f"async_{name}"
        return panel
