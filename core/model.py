"""The records that travel between the stages: payloads, routes, outbox items, delivery results."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

Event = dict[str, Any]


@dataclass(slots=True)
class Payload:
    """What a transform produces: one request body for Canopsis, before routing.

    ``kind`` tells the route hook what it is (builtin kinds: ``event`` for ``/api/v4/event``,
    ``pbehavior.create``, ``pbehavior.delete``, ``pbehavior.comment``). ``key`` orders payloads:
    the outbox never lets a payload overtake an earlier one with the same key on the same lane
    (builtin plugins use the Canopsis entity id, or the pbehavior name).
    """

    kind: str
    body: Any
    key: str = ""


@dataclass(frozen=True, slots=True)
class Route:
    """Where and how payloads go. Routes are registered by name the first time they are seen.

    ``lane`` is a FIFO queue of the outbox: a payload waiting for a retry blocks later payloads of
    its lane only, so pbehavior calls and events never hold each other up. ``batch`` is the most
    payloads sent in one request (bodies combined into a JSON array when above 1).
    """

    name: str
    method: str
    path: str
    lane: str
    batch: int = 1


class Outcome(enum.Enum):
    DELIVERED = "delivered"  # accepted by Canopsis, or already there (a duplicate pbehavior)
    RETRY = "retry"  # a transient failure: try again later, keep the order
    FAILED = "failed"  # a permanent failure: move to the dead letters


@dataclass(slots=True)
class Result:
    """What became of one outbox item after a send."""

    outcome: Outcome
    status: int | None = None
    reason: str = ""
    #: Seconds the server asked us to wait (``Retry-After``), for RETRY.
    retry_after: float | None = None
    #: The answer (or an excerpt), kept with a dead letter.
    response: str | None = None
    #: RETRY because the receiver refused this very item (an event listed in ``failed_events``),
    #: not because the request failed: counted in :attr:`OutboxItem.rejections`, so a sender can
    #: dead-letter an item after a few refusals however many outages it went through.
    rejected: bool = False

    @classmethod
    def delivered(cls, status: int | None = None, reason: str = "") -> Result:
        return cls(Outcome.DELIVERED, status, reason)


@dataclass(slots=True)
class OutboxItem:
    """A payload waiting in the outbox."""

    id: int
    route: str
    key: str
    body: Any
    attempts: int = 0
    enqueued_at: float = 0.0
    #: Times the receiver refused this item itself (see :attr:`Result.rejected`).
    rejections: int = 0
