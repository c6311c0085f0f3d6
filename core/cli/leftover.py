"""What is left undelivered when a command that should have delivered everything gives up."""

from __future__ import annotations

from typing import Any


def describe_leftover(pipeline: Any) -> str:
    """``"68 payloads wait in the outbox (lane events: 60, last error: ...; lane pbehaviors: 8)"``."""
    outbox = pipeline.outbox
    parts = []
    for lane in outbox.lanes():
        depth = outbox.depth(lane)
        if not depth:
            continue
        state = pipeline.delivery.lane_states.get(lane)
        error = f", last error: {state.last_error}" if state is not None and state.last_error else ""
        parts.append(f"lane {lane}: {depth}{error}")
    detail = f" ({'; '.join(parts)})" if parts else ""
    return f"{outbox.depth()} payloads wait in the outbox{detail}"


def dead_lettered(pipeline: Any) -> int:
    """Payloads refused for good by this process: dead-lettered, or discarded because the dead
    letters were at their bound (``delivery.max_dead_letters``)."""
    metrics = pipeline.context.metrics
    kept = sum(metrics.series("payloads_dead_lettered_total").values())
    discarded = sum(
        count
        for labels, count in metrics.series("dead_letters_discarded_total").items()
        if dict(labels).get("stage") == "delivery"
    )
    return int(kept + discarded)
