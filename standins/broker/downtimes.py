"""Downtimes and the exact values cbmod puts in each downtime event of their lifecycle.

cbmod keeps private parameters per downtime id and fills every event from them
(``callback_downtime``; broker-events-json.md section 5):

======  =================  ===============  =============  =======  ==============================
step    actual_start_time  actual_end_time  deletion_time  started  cancelled
======  =================  ===============  =============  =======  ==============================
ADD     -1                 -1               -1             false    false
START   start              -1               -1             true     false
STOP    start              stop             -1             true     if cancelled
DELETE  start or -1        stop or -1       now            as is    if cancelled or never started
======  =================  ===============  =============  =======  ==============================

-1 is Broker's null time: BBDO 2 leaves such fields out, BBDO 3 shows uint64 max as -1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from centreon_canopsis.standins.broker.topology import Monitored

NULL_TIME = -1

# What happens to a downtime once scheduled (drawn when it is added).
NATURAL_END = "end"
CANCEL_RUNNING = "cancel-running"
CANCEL_BEFORE_START = "cancel-before-start"


@dataclass(slots=True, eq=False)
class Downtime:
    id: int
    instance_id: int
    target: Monitored
    author: str
    comment: str
    entry_time: int
    start_time: int
    end_time: int
    fate: str
    cancel_time: int = 0
    fixed: bool = True
    triggered_by: int = 0
    actual_start_time: int = NULL_TIME
    actual_end_time: int = NULL_TIME
    deletion_time: int = NULL_TIME
    started: bool = False
    cancelled: bool = False

    @property
    def duration(self) -> int:
        return self.end_time - self.start_time

    def start(self, now: int) -> None:
        self.started = True
        self.actual_start_time = now

    def stop(self, now: int, *, cancelled: bool) -> None:
        self.actual_end_time = now
        if cancelled:
            self.cancelled = True

    def delete(self, now: int) -> None:
        if not self.started:
            self.cancelled = True
        self.deletion_time = now
