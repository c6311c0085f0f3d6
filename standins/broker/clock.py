"""The simulated clock: a queue of timed actions, popped in time order.

Ties are broken by insertion order, so a run is reproducible and actions scheduled for the same
second happen in the order they were decided.
"""

from __future__ import annotations

import heapq
from typing import Any


class Scheduler:
    __slots__ = ("_heap", "_seq", "now")

    def __init__(self, start: int) -> None:
        self.now = start
        self._heap: list[tuple[int, int, int, Any]] = []
        self._seq = 0

    def at(self, when: int, action: int, subject: Any = None) -> None:
        """Schedule ``action`` on ``subject`` at ``when`` (never before now: time does not go back)."""
        self._seq += 1
        heapq.heappush(self._heap, (max(when, self.now), self._seq, action, subject))

    def pop(self) -> tuple[int, Any]:
        """The next action; advances the clock to its time."""
        when, _, action, subject = heapq.heappop(self._heap)
        self.now = when
        return action, subject

    def __bool__(self) -> bool:
        return bool(self._heap)
