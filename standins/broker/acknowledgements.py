"""Acknowledgements as Engine holds them and as cbmod reports them.

Engine keeps one acknowledgement per host or service; cbmod remembers the last acknowledgement event
it sent for each object (per poller, in memory, so an Engine restart forgets them). When a status
shows the acknowledgement gone, cbmod re-sends that remembered event with ``deletion_time`` set, but
only when the object is still not OK and (the acknowledgement was sticky or the state is the one
that was acknowledged): broker-events-json.md section 5 and ``callback_pb_host_status`` in
cbmod's callbacks.cc.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from centreon_canopsis.standins.broker.topology import Monitored

_COMMENTS = (
    "Known issue, team is on it",
    "Ticket INC{n} opened",
    "Scheduled fix tonight",
    "Vendor contacted, case {n}",
    "Investigating",
)


@dataclass(slots=True, eq=False)
class Acknowledgement:
    target: Monitored
    instance_id: int
    author: str
    comment: str
    sticky: bool
    notify_contacts: bool
    persistent_comment: bool
    entry_time: int
    state: int  # the state that was acknowledged
    deletion_time: int = 0


def comment_text(template_index: int, number: int) -> str:
    return _COMMENTS[template_index % len(_COMMENTS)].format(n=number)


def removal_event_due(ack: Acknowledgement, state: int) -> bool:
    """cbmod's condition for re-sending a remembered acknowledgement as removed."""
    return state != 0 and (ack.sticky or state == ack.state)
