"""The ground truth is what the last events say about each object."""

from __future__ import annotations

import json

import pytest

from centreon_canopsis.standins.broker import SimulatedBroker
from tests.simulate.conftest import SHAPES, busy_run, is_status, object_key


@pytest.mark.parametrize(("bbdo", "version"), SHAPES[::2])
def test_truth_matches_the_last_events(bbdo: int, version: str) -> None:
    broker, events = busy_run(bbdo, version)
    truth = broker.truth()
    last_status: dict[tuple[int, int], dict] = {}
    ack_type: dict[tuple[int, int], int] = {}
    running: dict[tuple[int, int], set[int]] = {}
    ba_state: dict[int, int] = {}
    for event in events:
        if event["category"] == 6 and event["element"] in (1, 19):
            ba_state[event["ba_id"]] = event["state"]
            continue
        if event["category"] != 1:
            continue
        key = object_key(event)
        if is_status(event):
            last_status[key] = event
        if "acknowledgement_type" in event and event["element"] in (14, 24, 29, 32, 55, 56):
            ack_type[key] = event["acknowledgement_type"]
        if event["element"] in (5, 36):
            downtime_id = event.get("id", event.get("internal_id"))
            ids = running.setdefault(key, set())
            if event["started"] and event.get("actual_end_time", -1) == -1:
                ids.add(downtime_id)
            else:
                ids.discard(downtime_id)
    objects = {**{(k, 0): v for k, v in truth.hosts.items()}, **truth.services}
    checked = 0
    for key, status in last_status.items():
        if key not in objects:
            assert key in truth.removed_services
            continue
        expected = objects[key]
        assert (expected.state, expected.state_type, expected.last_check) == (
            status["state"],
            status["state_type"],
            status.get("last_check", 0),
        )
        assert expected.last_hard_state_change == status.get("last_hard_state_change", 0)
        assert expected.flapping == status["flapping"]
        assert expected.acknowledgement_type == ack_type[key]
        assert expected.acknowledged == (ack_type[key] != 0)
        assert set(expected.downtimes) == running.get(key, set())
        assert expected.scheduled_downtime_depth == len(expected.downtimes)
        checked += 1
    assert checked == len(last_status) - len(truth.removed_services)
    assert {k: b.state for k, b in truth.bas.items()} == ba_state
    assert any(o.acknowledged for o in objects.values())
    assert any(o.downtimes for o in objects.values())


def test_truth_names_pollers_hosts_services_and_bas() -> None:
    broker, events = busy_run(3, "24.10")
    truth = broker.truth()
    assert truth.pollers == {1: "Central", 2: "Poller-1", 3: "Poller-2"}
    host = truth.hosts[10]
    assert (host.name, host.host_name, host.poller_id, host.service_id) == (
        "par-web-001",
        "par-web-001",
        1,
        0,
    )
    service = truth.services[(10, 100)]
    assert (service.name, service.host_name, service.poller_id) == ("Ping", "par-web-001", 1)
    assert sorted(truth.bas) == [1, 2, 3]
    assert truth.bas[1].name == "BA-Web-Shop"
    removed = [e for e in events if e["category"] == 1 and e["element"] == 27 and not e["enabled"]]
    assert truth.removed_services == tuple(sorted((e["host_id"], e["service_id"]) for e in removed))
    assert all(key not in truth.services for key in truth.removed_services)


def test_truth_serializes_to_json() -> None:
    broker = SimulatedBroker(hosts=2, services_per_host=2, pollers=1, bas=1, events=300, start=1_700_000_000)
    for _ in broker.events():
        pass
    data = json.loads(json.dumps(broker.truth().to_dict()))
    assert data["pollers"] == {"1": "Central"}
    assert set(data["hosts"]) == {"10", "11", "12"}  # two hosts and the BAM module host
    assert data["services"]["10:100"]["name"] == "Ping"
    assert data["bas"]["1"]["name"] == "BA-Web-Shop"
    assert data["time"] == broker.truth().time
