"""The validator catches broken streams: each test breaks a good stream in one way."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from centreon_canopsis.standins.broker import check_stream
from tests.simulate.conftest import busy_run, is_status

Event = dict[str, Any]


def stream(bbdo: int = 3, version: str = "24.10") -> list[Event]:
    return copy.deepcopy(list(busy_run(bbdo, version)[1]))


def index_of(events: list[Event], wanted: Callable[[Event], bool], start: int = 0) -> int:
    return next(i for i in range(start, len(events)) if wanted(events[i]))


def neb(element: int) -> Callable[[Event], bool]:
    return lambda e: e["category"] == 1 and e["element"] == element


def problems_after(events: list[Event]) -> str:
    problems = check_stream(events)
    assert problems, "the broken stream went through"
    return "\n".join(problems)


def test_a_good_stream_has_no_problem() -> None:
    assert check_stream(stream()) == []


def test_undefined_host() -> None:
    events = stream()
    first_host = index_of(events, neb(30))
    host_id = events[first_host]["host_id"]
    del events[first_host]
    assert f"host {host_id} is not defined" in problems_after(events)


def test_undefined_instance_and_severity() -> None:
    events = stream()
    host = events[index_of(events, neb(30))]
    host["instance_id"] = 99
    host["severity_id"] = 42
    text = problems_after(events)
    assert "instance 99 is not defined" in text
    assert "severity 42 of type 1 is not defined" in text


def test_status_of_a_removed_service() -> None:
    events = stream()
    removed = events[index_of(events, lambda e: neb(27)(e) and not e["enabled"])]
    status = copy.deepcopy(
        events[index_of(events, lambda e: neb(29)(e) and e["host_id"] == removed["host_id"])]
    )
    status["service_id"] = removed["service_id"]
    events.append(status)
    assert f"service {removed['host_id']}:{removed['service_id']} was removed" in problems_after(events)


def test_time_going_back() -> None:
    events = stream()
    beats = [i for i, e in enumerate(events) if neb(42)(e)]
    events[beats[5]]["last_alive"] = events[beats[4]]["last_alive"] - 1
    assert "time goes back: last_alive" in problems_after(events)


def test_hard_problem_before_the_last_attempt() -> None:
    events = stream()
    i = index_of(events, lambda e: neb(29)(e) and e["state"] != 0 and e["state_type"] == 0)
    events[i]["state_type"] = 1
    assert "HARD problem at attempt 1 of" in problems_after(events)


def test_last_hard_state_change_moving_on_a_repeated_check() -> None:
    events = stream()
    last: dict[tuple[int, int], Event] = {}
    for event in events:
        if neb(29)(event) and event["checked"]:
            key = (event["host_id"], event["service_id"])
            before = last.get(key)
            if before is not None and before["state"] == event["state"] == 0:
                break
            last[key] = event
    assert event["last_hard_state_change"] < event["last_check"]
    event["last_hard_state_change"] = event["last_check"]
    assert "after no hard change, expected" in problems_after(events)


def test_ack_without_its_status() -> None:
    events = stream()
    i = index_of(events, lambda e: neb(45)(e) and e["deletion_time"] == 0)
    del events[i + 1]
    assert "expected a status of" in problems_after(events)


def test_ack_removal_that_cbmod_would_not_send() -> None:
    events = stream()
    i = index_of(events, lambda e: neb(45)(e) and e["deletion_time"] == 0)
    removal = dict(events[i], deletion_time=events[i]["entry_time"] + 1)
    events.insert(i + 2, removal)
    assert "removal must follow a status without that acknowledgement" in problems_after(events)


def test_missing_ack_removal() -> None:
    events = stream()
    i = index_of(events, lambda e: neb(45)(e) and e["deletion_time"] > 0)
    del events[i]
    assert "expected the removal of the acknowledgement" in problems_after(events)


def test_downtime_deleted_without_stop() -> None:
    events = stream()
    i = index_of(events, lambda e: neb(36)(e) and e["actual_end_time"] != -1 and e["deletion_time"] == -1)
    del events[i : i + 2]  # the STOP and its status
    assert "STOP: same actual_start_time" in problems_after(events)


def test_downtime_start_without_depth() -> None:
    events = stream()
    i = index_of(events, lambda e: neb(36)(e) and e["started"] and e["actual_end_time"] == -1)
    events[i + 1]["scheduled_downtime_depth"] = 0
    assert "with scheduled_downtime_depth 1" in problems_after(events)


def test_downtime_started_twice() -> None:
    events = stream()
    i = index_of(events, lambda e: neb(36)(e) and e["started"] and e["actual_end_time"] == -1)
    events[i]["cancelled"] = True
    assert "START: actual_start_time set" in problems_after(events)


def test_ba_status_of_an_unknown_ba() -> None:
    events = stream()
    i = index_of(events, lambda e: e["category"] == 6 and e["element"] == 19)
    events[i]["ba_id"] = 77
    assert "BA 77 is not defined" in problems_after(events)


def test_protobuf_shape_problems() -> None:
    events = stream()
    i = index_of(events, is_status)
    status = events[i]
    del status["perfdata"]
    status["surprise"] = 1
    events[i + 1]["_type"] = 1
    text = problems_after(events)
    assert "missing fields ['perfdata']" in text
    assert "unknown fields ['surprise']" in text
    assert "_type must be" in text


def test_protobuf_field_order_and_types() -> None:
    events = stream()
    i = index_of(events, lambda e: neb(29)(e) and e["latency"] > 0)
    status = events[i]
    events[i] = {"_type": status["_type"], "category": 1, "element": 29, "service_id": status["service_id"]}
    events[i].update({k: v for k, v in status.items() if k not in events[i]})
    events[i]["latency"] = "0.2"
    events[i]["check_attempt"] = 1.0
    events[i]["flapping"] = 0
    text = problems_after(events)
    assert "fields out of declaration order" in text
    assert "latency must be a number, not '0.2'" in text
    assert "check_attempt must be an integer, not 1.0" in text
    assert "flapping must be a boolean, not 0" in text


@pytest.mark.parametrize("version", ["22.10", "24.10"])
def test_mapped_invalid_values(version: str) -> None:
    events = stream(2, version)
    ack = events[index_of(events, lambda e: neb(1)(e) and e["type"] == 0)]
    ack["service_id"] = 0
    downtime = events[index_of(events, lambda e: neb(5)(e) and not e["started"])]
    downtime["actual_start_time"] = -1
    text = problems_after(events)
    assert "service_id must be absent when 0" in text
    assert "actual_start_time must be absent when -1" in text


def test_unknown_event() -> None:
    events = stream()
    events.insert(5, {"_type": 65535, "category": 1, "element": 65535})
    assert "unknown event 1:65535" in problems_after(events)
