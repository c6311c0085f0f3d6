"""Which downtime events start a pbehavior, which end it, and which send nothing.

cbmod sends one event per step of a downtime, with the same id and ``entry_time`` throughout
(broker-events-json.md section 5; -1 is absent in BBDO 2):

==========  =================  ===============  =============  ==========================
step        actual_start_time  actual_end_time  deletion_time  here
==========  =================  ===============  =============  ==========================
ADD         -1                 -1               -1             nothing (not started yet)
START       start              -1               -1             pbehavior create + comment
STOP        start              stop             -1             nothing (DELETE follows)
DELETE      start              stop             now            pbehavior delete
DELETE      -1                 -1               now            nothing (never started)
==========  =================  ===============  =============  ==========================

STOP (expiry, or a cancel while running) is always followed by DELETE, so the delete is sent
once, on DELETE. The Lua connector's ``deletion_time == 1`` test (B2c) made a BBDO 2 natural end
re-create the pbehavior; here "set" means a real time in both forms.
"""

from __future__ import annotations

import enum
from typing import Any

from centreon_canopsis.core.events import is_set


class Step(enum.Enum):
    START = "start"
    END = "end"
    NOT_STARTED = "downtime_not_started"  # scheduled, in the future (or flexible, not triggered)
    STOPPED = "downtime_stopped"  # ended; the DELETE that follows removes the pbehavior
    NEVER_STARTED = "downtime_cancelled_before_start"  # deleted without ever starting

    @property
    def sends(self) -> bool:
        return self in (Step.START, Step.END)


def started(event: dict[str, Any]) -> bool:
    return is_set(event.get("actual_start_time")) or event.get("started") is True


def classify(event: dict[str, Any]) -> Step:
    """The step of a downtime event, in its BBDO 2 or BBDO 3 form."""
    if is_set(event.get("deletion_time")):
        return Step.END if started(event) else Step.NEVER_STARTED
    if is_set(event.get("actual_end_time")):
        return Step.STOPPED
    if started(event):
        return Step.START
    return Step.NOT_STARTED
