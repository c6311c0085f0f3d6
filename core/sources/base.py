"""The contract between a source and the pipeline.

A source yields :class:`Batch` objects. The pipeline runs every event of a batch through the
stages, commits what they produced to the outbox together with ``batch.position`` in one
transaction, and only then calls ``batch.on_commit()``. So a source may tell its peer that events
are safe (a BBDO ``ack``, for example) from ``on_commit`` and nowhere else: what was committed is
in the outbox or was deliberately dropped by a filter.

Backpressure is the pipeline not asking for the next batch: a source must never buffer without
bound while it waits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

Event = dict[str, Any]


class Rejected(NamedTuple):
    """Input a source could not decode. A plain ``(label, reason)`` pair is accepted too."""

    label: Any
    reason: str
    #: The input as it came (kept as an ``input`` dead letter), or None when not kept.
    raw: bytes | None = None
    #: The ``reason`` label of ``events_invalid_total`` (see core/intake.py).
    code: str = "undecodable"


@dataclass(slots=True)
class Batch:
    """Events read together, and what to do once they are committed."""

    events: list[Event]
    #: Opaque resume token stored with the commit (for a file: the byte offset after the batch).
    #: ``None`` for sources that cannot resume (standard input, BBDO: Broker replays instead).
    position: str | None = None
    #: Called by the pipeline once the batch is committed; may be None.
    on_commit: Callable[[], None] | None = None
    #: Where the batch comes from, for log lines ("events.jsonl", "broker 10.0.0.5:41234").
    origin: str = ""
    #: Per-event positions for error messages (line numbers for a file), shown as
    #: ``<origin>:<label>``; empty when not known.
    labels: list[Any] = field(default_factory=list)
    #: Input the source could not decode at all: :class:`Rejected` entries (or ``(label, reason)``
    #: pairs); reported, counted and kept by the pipeline like events that are not Broker events.
    rejected: list[Rejected | tuple[Any, str]] = field(default_factory=list)
    #: The source's decoder guarantees what the entry check (core/intake.py) checks: a dict with
    #: ``_type``, int ids and str names (a BBDO decoder, whose types come from the protocol). The
    #: pipeline then takes ``_type`` as it is. Sources of text (JSON lines) leave it False.
    typed: bool = False


class Source(Protocol):
    """What the pipeline needs from a source."""

    #: Stable name, used as the key of the stored resume position.
    name: str

    def batches(self, resume: str | None) -> Iterator[Batch]:
        """Yield batches until the source ends (end of a replayed file) or ``close`` is called.

        ``resume`` is the position committed last time for this source name, or None.
        """
        ...

    def close(self) -> None:
        """Stop reading (called from another thread, e.g. on SIGTERM); ``batches`` then returns."""
        ...

    # Optional: ``pending() -> bool``, True when the next batch is ready (``batches`` yields it
    # without waiting). The pipeline then processes it too before committing (group commit).
