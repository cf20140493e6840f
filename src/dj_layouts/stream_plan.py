"""The plan of a streamed page: the layout rendered once with a marker in each slot.

``StreamPlan`` collects the slots and queue positions while the layout template
renders (the tags ask it for a marker), then cuts the rendered text at those
markers into parts: text, slots and queues.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass


@dataclass
class Text:
    text: str


@dataclass
class Slot:
    number: int
    name: str
    fallback: str
    loading: str | None = None  # shown while an unordered page waits; None: the fallback


@dataclass
class QueueSpot:
    name: str


Part = Text | Slot | QueueSpot


_MARKER = re.compile("\x00djl([0-9a-f]+):(slot|queue):(\\d+)\x00")


class StreamPlan:
    """Collects the slots and queue positions while the layout template renders."""

    def __init__(self) -> None:
        self.token = secrets.token_hex(6)
        self.slots: list[Slot] = []
        self.queues: list[str] = []

    def slot(self, name: str, fallback: str, loading: str | None = None) -> str:
        self.slots.append(Slot(len(self.slots), name, fallback, loading))
        return f"\x00djl{self.token}:slot:{len(self.slots) - 1}\x00"

    def queue(self, name: str) -> str:
        self.queues.append(name)
        return f"\x00djl{self.token}:queue:{len(self.queues) - 1}\x00"

    def parts(self, rendered: str) -> list[Part]:
        parts: list[Part] = []
        position = 0
        for match in _MARKER.finditer(rendered):
            if match.group(1) != self.token:
                continue  # not ours: text that happens to look like a marker
            if match.start() > position:
                parts.append(Text(rendered[position : match.start()]))
            kind, number = match.group(2), int(match.group(3))
            parts.append(self.slots[number] if kind == "slot" else QueueSpot(self.queues[number]))
            position = match.end()
        if position < len(rendered):
            parts.append(Text(rendered[position:]))
        return parts
