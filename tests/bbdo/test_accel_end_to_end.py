"""With or without the C accelerators (core/bbdo/accel.py), a daemon reading the same BBDO 3 stream
delivers the same thing to Canopsis: the same events in the same order, the same pbehaviors and
comments. The simulator's stream carries every kind the accelerators touch: configuration with
tags and headers, statuses, downtimes, acknowledgements, BAM."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from centreon_canopsis.core.bbdo import accel, framing, pb
from centreon_canopsis.standins.broker import SimulatedBroker, SimulationOptions
from centreon_canopsis.standins.broker.peer import BrokerPeer
from tests.delivery.helpers import sandbox
from tests.ops.helpers import EnvDaemon, settings, wait_until, write_toml

pytestmark = pytest.mark.skipif(
    not pb.accelerated() or framing._USUAL_PACKETS is None, reason="the C accelerators are not built here"
)

#: With daemon_values' NO_FILTERS (hard_only and dedup off): every event kind, every state.
EVERY_ELEMENT = {
    "accepted_categories": "neb,bam",
    "accepted_elements": "host_status,service_status,acknowledgement,downtime,ba_status",
    "acknowledged": 1,
    "in_downtime": 1,
    "flapping": 1,
    "canopsis_downtime_send_pbh": 1,
}


def stream() -> list[dict[str, Any]]:
    options = SimulationOptions(
        seed=3, hosts=30, services_per_host=4, events=3000, bbdo=3, downtime_rate=0.04, reload_interval=0,
        start=int(time.time()) - 3600,
    )  # fmt: skip
    return list(SimulatedBroker(options).events())


def deliver(tmp_path: Path, events: list[dict[str, Any]], pure_python: bool) -> tuple[Any, ...]:
    tmp_path.mkdir()
    box = sandbox()
    try:
        top, tables = settings(tmp_path, box.port, **EVERY_ELEMENT)
        config = write_toml(tmp_path / "connector.toml", top, tables)
        env = {accel.PURE_PYTHON_ENV: "1"} if pure_python else {}
        with EnvDaemon(config, env=env) as daemon:
            report = BrokerPeer(events, port=daemon.bbdo_port()).run()
            assert report.complete and report.stop_acknowledged
            wait_until(lambda: daemon.metric("outbox_items") == 0, 60, "an empty outbox")
            received = box.received_events()
            pbehaviors = sorted(repr(_without_stamps(p)) for p in box.pbehaviors())
            comments = len(box.comments())
            delivered = {
                dict(labels)["route"]: value
                for (name, labels), value in daemon.metrics().items()
                if name == "payloads_delivered_total"
            }
            invalid = daemon.metric("events_invalid_total")
            assert daemon.stop() == 0
        return received, pbehaviors, comments, delivered, invalid
    finally:
        box.stop()


def _without_stamps(value: Any) -> Any:
    """A pbehavior without what the sandbox stamps on it (its ids, clock and user)."""
    if isinstance(value, dict):
        return sorted((k, _without_stamps(v)) for k, v in value.items() if k not in _STAMPS)
    if isinstance(value, list):
        return [_without_stamps(item) for item in value]
    return value


_STAMPS = {"_id", "created", "updated", "author", "ts", "last_alarm_date", "is_active_status", "alarm_count"}


def test_the_same_stream_delivers_the_same_with_and_without_the_accelerators(tmp_path):
    events = stream()
    fast = deliver(tmp_path / "c", events, pure_python=False)
    slow = deliver(tmp_path / "python", events, pure_python=True)
    received, _, _, delivered, invalid = fast
    assert len(received) > 1000 and invalid == 0
    assert len([route for route, count in delivered.items() if count]) >= 2, delivered  # events, pbehaviors
    assert fast == slow
