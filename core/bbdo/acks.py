"""What may be acknowledged to Broker, and when (reference/bbdo.md 2.4 and 2.5).

Every non-control event a peer sends gets a sequence number in arrival order, decodable or not.
Events are handed to the pipeline in batches; an event counts as handled once the batch holding it,
and every batch before it, has been committed. Events that go into no batch (undecodable,
unknown, oversized) are handled as soon as everything before them is. The peer's thread asks
:meth:`AckTracker.take_due` how many events to acknowledge; the pipeline thread calls the
``on_commit`` of each batch.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class _Mark:
    __slots__ = ("done", "end")

    def __init__(self, end: int) -> None:
        self.end = end  # sequence number of the last event this batch makes handled
        self.done = False


class AckTracker:
    """Counts received, committed and acknowledged events of one BBDO connection."""

    def __init__(
        self,
        ack_events: int,
        ack_interval: float,
        wake: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ack_events = max(1, ack_events)
        self.ack_interval = ack_interval
        self._wake = wake
        self._clock = clock
        self._cond = threading.Condition()
        self._pending: deque[_Mark] = deque()
        self.received = 0  # events read so far (reader thread only)
        self.committed = 0  # events handled (read under the lock)
        self.acked = 0  # events acknowledged to the peer
        self._last_ack = clock()

    def batch_done_callback(self, end: int) -> Callable[[], None]:
        """Registers a batch covering events up to ``end``; returns its ``on_commit``."""
        mark = _Mark(end)
        with self._cond:
            self._pending.append(mark)
        return lambda: self._commit(mark)

    def handled_without_batch(self, end: int) -> None:
        """Events up to ``end`` need no commit of their own (they went into no batch)."""
        with self._cond:
            if self._pending:
                self._pending[-1].end = end
            else:
                self.committed = end
                self._cond.notify_all()

    def _commit(self, mark: _Mark) -> None:
        wake = False
        with self._cond:
            mark.done = True
            pending = self._pending
            while pending and pending[0].done:
                self.committed = pending.popleft().end
            wake = self.committed - self.acked >= self.ack_events
            self._cond.notify_all()
        if wake and self._wake is not None:
            self._wake()

    @property
    def in_flight(self) -> int:
        """Batches handed over and not committed yet."""
        with self._cond:
            return len(self._pending)

    def wait_committed(self, timeout: float) -> bool:
        """Waits until every batch handed over is committed; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending, timeout)

    def take_due(self, force: bool = False) -> int:
        """Events to acknowledge now (0 if none is due); counts them as acknowledged."""
        now = self._clock()
        with self._cond:
            count = self.committed - self.acked
            if count <= 0 and not force:
                return 0
            if not force and count < self.ack_events and now - self._last_ack < self.ack_interval:
                return 0
            self.acked += max(count, 0)
            self._last_ack = now
            return max(count, 0)

    def seconds_until_due(self) -> float | None:
        """Time until the interval makes an ack due, or None when nothing is committed."""
        with self._cond:
            if self.committed <= self.acked:
                return None
            return max(0.0, self._last_ack + self.ack_interval - self._clock())
