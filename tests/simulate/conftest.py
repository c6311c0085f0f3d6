"""Streams shared by the simulator tests, generated once per session (they are read-only)."""

from __future__ import annotations

import functools
from typing import Any

from centreon_canopsis.standins.broker import BROKER_VERSIONS, SimulatedBroker

Event = dict[str, Any]

#: Every (bbdo, broker_version) the simulator knows.
SHAPES = [(bbdo, version) for bbdo in (2, 3) for version in BROKER_VERSIONS]

#: A small, busy estate: every lifecycle shows up within a few thousand events.
BUSY = {
    "seed": 7,
    "hosts": 12,
    "services_per_host": 4,
    "pollers": 3,
    "bas": 3,
    "events": 5000,
    "start": 1_700_000_000,
    "problem_rate": 0.05,
    "ack_rate": 0.7,
    "downtime_rate": 0.01,
    "flapping_rate": 0.01,
    "reload_interval": 3600,
}


@functools.cache
def busy_run(bbdo: int, version: str) -> tuple[SimulatedBroker, tuple[Event, ...]]:
    """The busy stream of one shape, and the broker that made it (its truth is the final one)."""
    broker = SimulatedBroker(**BUSY, bbdo=bbdo, broker_version=version)
    return broker, tuple(broker.events())


def is_status(event: Event) -> bool:
    return event["category"] == 1 and event["element"] in (14, 24, 29, 32)


def object_key(event: Event) -> tuple[int, int]:
    """(host_id, service_id) of a neb event; service_id 0 for host events (absent in BBDO 2)."""
    service_id = event.get("service_id", 0) if event["element"] not in (14, 32, 56) else 0
    return (event.get("host_id", 0), service_id)
