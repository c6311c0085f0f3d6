"""Acknowledgement and downtime lifecycles, as the tables of broker-events-json.md section 5 say."""

from __future__ import annotations

from typing import Any

import pytest

from tests.simulate.conftest import SHAPES, busy_run, is_status, object_key

Event = dict[str, Any]
NULL = -1


def is_ack(event: Event) -> bool:
    return event["category"] == 1 and event["element"] in (1, 45)


def is_downtime(event: Event) -> bool:
    return event["category"] == 1 and event["element"] in (5, 36)


def is_attribute_status(event: Event) -> bool:
    return is_status(event) or (event["category"] == 1 and event["element"] in (55, 56))


def adaptive(bbdo: int, version: str) -> bool:
    return bbdo == 3 and version in ("24.04", "24.10")


@pytest.mark.parametrize(("bbdo", "version"), SHAPES)
def test_acknowledgement_creation_then_status(bbdo: int, version: str) -> None:
    _, events = busy_run(bbdo, version)
    created = 0
    for i, event in enumerate(events):
        if not is_ack(event) or event.get("deletion_time", 0) > 0:
            continue
        created += 1
        if bbdo == 2 or version == "22.10":
            assert "deletion_time" not in event  # BBDO 2 form: -1 is left out
        else:
            assert event["deletion_time"] == 0
        status = events[i + 1]
        assert is_attribute_status(status) and object_key(status) == object_key(event)
        assert status["acknowledgement_type"] == (2 if event["sticky"] else 1)
        assert event["type"] == (1 if object_key(event)[1] else 0)
        if adaptive(bbdo, version):
            assert status["element"] in (55, 56)
            assert "scheduled_downtime_depth" not in status
        else:
            assert status["element"] in (14, 24, 29, 32)
            assert status["state"] == event["state"] != 0
    assert created > 20


@pytest.mark.parametrize(("bbdo", "version"), SHAPES)
def test_acknowledgement_removal_repeats_the_ack_after_a_status_without_it(bbdo: int, version: str) -> None:
    _, events = busy_run(bbdo, version)
    acks: dict[tuple[int, int], Event] = {}
    removals = 0
    for i, event in enumerate(events):
        if not is_ack(event):
            continue
        key = object_key(event)
        if event.get("deletion_time", 0) <= 0:
            acks[key] = event
            continue
        removals += 1
        created = acks.pop(key)
        assert {k: v for k, v in event.items() if k != "deletion_time"} == {
            k: v for k, v in created.items() if k != "deletion_time"
        }
        assert event["deletion_time"] >= created["entry_time"]
        status = events[i - 1]
        assert is_attribute_status(status) and object_key(status) == key
        assert status["acknowledgement_type"] == 0
        assert (status["element"] in (55, 56)) == adaptive(bbdo, version)
    assert removals >= 3


@pytest.mark.parametrize(("bbdo", "version"), [(3, "24.10"), (2, "23.10")])
def test_no_removal_event_on_recovery_or_when_a_normal_ack_meets_another_state(
    bbdo: int, version: str
) -> None:
    _, events = busy_run(bbdo, version)
    acked: dict[tuple[int, int], Event] = {}
    silent = 0
    for i, event in enumerate(events):
        key = object_key(event) if event["category"] == 1 else None
        if is_ack(event) and event.get("deletion_time", 0) <= 0:
            acked[key] = event
        elif is_status(event) and key in acked and event["acknowledgement_type"] == 0:
            ack = acked.pop(key)
            nxt = events[i + 1] if i + 1 < len(events) else {"category": 0}
            removal_follows = is_ack(nxt) and object_key(nxt) == key
            due = event["state"] != 0 and (ack["sticky"] or event["state"] == ack["state"])
            assert removal_follows == due
            silent += not due
        elif is_ack(event):
            acked.pop(key, None)
    assert silent >= 10


def downtime_rows(events: tuple[Event, ...]) -> dict[tuple[int, int], list[tuple[int, Event]]]:
    rows: dict[tuple[int, int], list[tuple[int, Event]]] = {}
    for i, event in enumerate(events):
        if is_downtime(event):
            rows.setdefault((event["instance_id"], event.get("id", event.get("internal_id"))), []).append(
                (i, event)
            )
    return rows


def step_values(event: Event) -> tuple[int, int, int, bool, bool]:
    return (
        event.get("actual_start_time", NULL),
        event.get("actual_end_time", NULL),
        event.get("deletion_time", NULL),
        event["started"],
        event["cancelled"],
    )


@pytest.mark.parametrize(("bbdo", "version"), SHAPES)
def test_downtime_rows_follow_the_lifecycle_table(bbdo: int, version: str) -> None:
    _, events = busy_run(bbdo, version)
    kinds = set()
    mapped = bbdo == 2 or version == "22.10"
    for rows in downtime_rows(events).values():
        first = rows[0][1]
        entry, start, end = first["entry_time"], first["start_time"], first["end_time"]
        for _, row in rows:  # same id, entry time, schedule and object throughout
            assert (row["entry_time"], row["start_time"], row["end_time"]) == (entry, start, end)
            assert object_key(row) == object_key(first)
            assert row["duration"] == end - start and row["fixed"] is True
            assert row["type"] == (1 if object_key(row)[1] else 2)
            if mapped:
                assert "id" in row or row["internal_id"] > 0
                assert NULL not in (
                    row.get("actual_start_time"),
                    row.get("actual_end_time"),
                    row.get("deletion_time"),
                )
        assert step_values(first) == (NULL, NULL, NULL, False, False)  # ADD
        if len(rows) == 2 and not rows[1][1]["started"]:  # cancelled before it started
            (_, delete) = rows[1]
            assert step_values(delete) == (NULL, NULL, delete["deletion_time"], False, True)
            assert entry < delete["deletion_time"] < start
            kinds.add("cancelled before start")
            continue
        if len(rows) < 4:
            continue  # still scheduled or running at the end of the stream
        (i_start, started), (i_stop, stop), (_, delete) = rows[1], rows[2], rows[3]
        assert step_values(started) == (start, NULL, NULL, True, False)  # fixed: starts on time
        cancelled = stop["actual_end_time"] < end
        assert step_values(stop) == (start, stop["actual_end_time"], NULL, True, cancelled)
        assert step_values(delete) == (
            start,
            stop["actual_end_time"],
            stop["actual_end_time"],
            True,
            cancelled,
        )
        if not cancelled:
            assert stop["actual_end_time"] == end
        kinds.add("cancelled while running" if cancelled else "natural end")
        # START and STOP are followed by a status with the new depth.
        for index, depth_change in ((i_start, 1), (i_stop, -1)):
            status = events[index + 1]
            assert is_attribute_status(status) and object_key(status) == object_key(first)
            assert "scheduled_downtime_depth" in status
            if adaptive(bbdo, version):
                assert status["element"] in (55, 56) and "acknowledgement_type" not in status
            before = [
                e for e in events[:index] if is_attribute_status(e) and object_key(e) == object_key(first)
            ]
            previous_depth = next(
                (e["scheduled_downtime_depth"] for e in reversed(before) if "scheduled_downtime_depth" in e),
                0,
            )
            assert status["scheduled_downtime_depth"] == previous_depth + depth_change
        assert events[i_stop + 2] is delete
    assert kinds == {"cancelled before start", "cancelled while running", "natural end"}


def test_a_host_downtime_for_services_too_gives_one_downtime_per_service() -> None:
    _, events = busy_run(3, "24.10")
    added = [e for e in events if is_downtime(e) and not e["started"] and e["deletion_time"] == NULL]
    groups: dict[tuple[int, int, int], list[Event]] = {}
    for event in added:
        groups.setdefault((event["host_id"], event["entry_time"], event["instance_id"]), []).append(event)
    with_services = [g for g in groups.values() if g[0]["type"] == 2 and len(g) > 1]
    assert with_services
    for group in with_services:
        ids = [e["id"] for e in group]
        assert ids == list(range(ids[0], ids[0] + len(ids)))  # engine-local ids, one after the other
        assert {e["type"] for e in group[1:]} == {1}
        assert len({(e["start_time"], e["end_time"], e["author"]) for e in group}) == 1
