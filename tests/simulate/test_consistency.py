"""Generated streams pass the validator for every shape, and their truth can be replayed."""

from __future__ import annotations

from collections import Counter

import pytest

from centreon_canopsis.standins.broker import SimulatedBroker, check_stream, truth_from_stream
from tests.simulate.conftest import SHAPES, busy_run, is_status, object_key


@pytest.mark.parametrize(("bbdo", "version"), SHAPES)
def test_busy_stream_has_no_problem(bbdo: int, version: str) -> None:
    _, events = busy_run(bbdo, version)
    assert check_stream(events) == []


@pytest.mark.parametrize(("bbdo", "version"), SHAPES)
def test_truth_replayed_from_the_events_equals_the_simulator_truth(bbdo: int, version: str) -> None:
    broker, events = busy_run(bbdo, version)
    truth = broker.truth()
    replayed = truth_from_stream(events)
    assert replayed == truth
    assert replayed.time == truth.time  # not part of ==, but the last step carries its time
    assert truth.time >= max(e.get("last_check", 0) for e in events if is_status(e))


def test_default_options_give_a_consistent_stream() -> None:
    broker = SimulatedBroker(events=3000, start=1_700_000_000)
    events = list(broker.events())
    assert check_stream(events) == []
    assert broker.runtime_events >= 3000
    assert broker.runtime_events < 3000 + 10  # the last step finishes, no more
    assert len(events) == broker.config_events + broker.runtime_events


def test_a_large_estate_with_many_services_per_host_is_consistent() -> None:
    broker = SimulatedBroker(hosts=150, services_per_host=14, pollers=4, bas=12, events=4000, seed=3)
    events = list(broker.events())
    assert check_stream(events) == []
    descriptions = {e["description"] for e in events if e["element"] == 27 and e["category"] == 1}
    assert {"Disk-/data1", "Disk-/data2", "Ping", "ba_12"} <= descriptions
    assert len(broker.truth().services) == 150 * 14 + 12


def test_zero_runtime_events_gives_only_the_configuration() -> None:
    broker = SimulatedBroker(events=0, hosts=3, services_per_host=2, pollers=1, bas=1)
    events = list(broker.events())
    assert broker.runtime_events == 0
    assert check_stream(events) == []
    assert not any(is_status(e) for e in events)
    truth = broker.truth()
    assert {h.state for h in truth.hosts.values()} == {4}  # pending: never checked


def _scenarios(events: tuple[dict, ...]) -> Counter[str]:
    """What happened in a stream, told from the events alone."""
    seen: Counter[str] = Counter()
    last: dict[tuple[int, int], dict] = {}
    downtimes: dict[tuple[int, int], list[dict]] = {}
    for event in events:
        cat, el = event["category"], event["element"]
        if is_status(event):
            key = object_key(event)
            before = last.get(key)
            if before and event["last_check"] > before.get("last_check", 0):
                if before["state"] != 0 and before["state_type"] == 0 and event["state"] == 0:
                    seen["soft recovery"] += 1
                if (
                    before["state_type"] == 1
                    and event["state_type"] == 1
                    and 0 != before["state"] != event["state"] != 0
                ):
                    seen["hard severity change"] += 1
                if (
                    before["acknowledgement_type"]
                    and not event["acknowledgement_type"]
                    and event["state"] == 0
                ):
                    seen["ack ended by recovery"] += 1
            if event["flapping"]:
                seen["flapping"] += 1
            last[key] = event
        elif cat == 1 and el in (1, 45):
            removal = event.get("deletion_time", 0) > 0
            seen[f"ack {'removal' if removal else 'sticky' if event['sticky'] else 'normal'}"] += 1
        elif cat == 1 and el in (5, 36):
            downtimes.setdefault(
                (event["instance_id"], event.get("id", event.get("internal_id"))), []
            ).append(event)
        elif (cat, el) in ((6, 1), (6, 19)) and event["state_changed"]:
            seen["ba state change"] += 1
        elif cat == 1 and el in (27, 23) and not event["enabled"]:
            seen["service removed"] += 1
    for rows in downtimes.values():
        steps = ["START" if r["started"] and r.get("actual_end_time", -1) == -1 else "x" for r in rows]
        if len(rows) == 1:
            continue
        if len(rows) == 2 and not rows[1]["started"]:
            seen["downtime cancelled before start"] += 1
        if len(rows) == 4:
            seen["downtime cancelled while running" if rows[2]["cancelled"] else "downtime natural end"] += 1
        if rows[0]["type"] == 2 and "START" in steps:
            seen["host downtime"] += 1
        if rows[0]["entry_time"] == rows[0]["start_time"]:
            seen["immediate downtime"] += 1
        else:
            seen["future downtime"] += 1
    return seen


@pytest.mark.parametrize(("bbdo", "version"), [(3, "24.10"), (2, "22.10")])
def test_busy_stream_exercises_every_lifecycle(bbdo: int, version: str) -> None:
    # The other tests are only as good as the variety of the stream they read.
    _, events = busy_run(bbdo, version)
    seen = _scenarios(events)
    wanted = {
        "soft recovery",
        "hard severity change",
        "ack ended by recovery",
        "flapping",
        "ack sticky",
        "ack normal",
        "ack removal",
        "ba state change",
        "service removed",
        "downtime cancelled before start",
        "downtime cancelled while running",
        "downtime natural end",
        "host downtime",
        "immediate downtime",
        "future downtime",
    }
    assert wanted - set(seen) == set()
