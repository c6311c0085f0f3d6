"""Memory budgets of the BBDO listener: what peers may make it hold before they are dropped.

A peer can make the connector hold bytes in two places: split events it started and has not
finished (packets of 0xFFFF bytes, "more follows"), and complete events waiting in the source's
queue for the pipeline. The first is a peer's choice, so it is capped, per peer and for all peers
together, and a peer that would go over is dropped (its bytes freed at once). The second is
normal backpressure: a session that would push the queued bytes over the limit waits, like it
waits for a full queue.
"""

from __future__ import annotations

import threading

from .errors import BBDOError

MiB = 1 << 20
#: Largest event kept; larger ones are discarded (counted, acknowledged) without being buffered.
DEFAULT_MAX_EVENT_SIZE = 16 * MiB
#: Unfinished split events one peer may hold.
DEFAULT_PEER_BUFFER_LIMIT = 32 * MiB
#: Unfinished split events all peers together may hold; also the bytes of decoded batches waiting
#: for the pipeline.
DEFAULT_TOTAL_BUFFER_LIMIT = 64 * MiB


class BudgetExceeded(BBDOError):
    """A peer would hold more than its budget; the message says which limit and how much."""


class BufferBudget:
    """Bytes held by every peer's unfinished split events, against ``total_limit``."""

    def __init__(self, total_limit: int = DEFAULT_TOTAL_BUFFER_LIMIT) -> None:
        self.total_limit = total_limit
        self._lock = threading.Lock()
        self.held = 0

    def reserve(self, size: int) -> bool:
        """Takes ``size`` bytes if they fit; False (nothing taken) otherwise."""
        with self._lock:
            if self.held + size > self.total_limit:
                return False
            self.held += size
            return True

    def release(self, size: int) -> None:
        if size:
            with self._lock:
                self.held -= size
