"""Engine's soft/hard logic, flap detection, and what generated streams show of them."""

from __future__ import annotations

import pytest

from centreon_canopsis.standins.broker.checks import (
    CRITICAL,
    HARD,
    OK,
    SOFT,
    WARNING,
    apply_result,
    next_check_delay,
)
from centreon_canopsis.standins.broker.topology import SERVICE_KIND, Poller, Service
from tests.simulate.conftest import SHAPES, busy_run, is_status, object_key


def service(max_check_attempts: int = 3) -> Service:
    return Service(
        kind=SERVICE_KIND,
        poller=Poller(1, "Central", "par", 100),
        check_command="check",
        max_check_attempts=max_check_attempts,
        check_interval=5,
        retry_interval=1,
    )


def fields(s: Service) -> tuple[int, int, int, int, int, int]:
    return (
        s.state,
        s.state_type,
        s.check_attempt,
        s.last_hard_state,
        s.last_hard_state_change,
        s.last_state_change,
    )


def test_a_problem_is_soft_until_the_last_attempt_then_hard() -> None:
    s = service(3)
    apply_result(s, OK, 100)
    assert fields(s) == (OK, HARD, 1, OK, 100, 100)  # first check: both change times set
    assert next_check_delay(s) == 300
    apply_result(s, CRITICAL, 400)
    assert fields(s) == (CRITICAL, SOFT, 1, OK, 100, 400)
    assert next_check_delay(s) == 60  # retry interval while SOFT
    apply_result(s, CRITICAL, 460)
    assert fields(s) == (CRITICAL, SOFT, 2, OK, 100, 400)
    outcome = apply_result(s, CRITICAL, 520)
    assert outcome.hard_changed
    assert fields(s) == (CRITICAL, HARD, 3, CRITICAL, 520, 400)
    assert next_check_delay(s) == 300
    assert s.last_time == [100, 0, 520, 0]


def test_repeated_checks_and_severity_changes_while_hard() -> None:
    s = service(2)
    for t in (100, 160):
        apply_result(s, WARNING, t)
    assert fields(s) == (WARNING, HARD, 2, WARNING, 160, 100)
    outcome = apply_result(s, WARNING, 460)
    assert not outcome.hard_changed and not outcome.state_changed
    assert fields(s) == (WARNING, HARD, 2, WARNING, 160, 100)
    outcome = apply_result(s, CRITICAL, 760)  # worse while HARD: a new hard change
    assert outcome.hard_changed
    assert fields(s) == (CRITICAL, HARD, 2, CRITICAL, 760, 760)
    outcome = apply_result(s, OK, 1060)  # hard recovery
    assert outcome.hard_changed
    assert fields(s) == (OK, HARD, 1, OK, 1060, 1060)
    apply_result(s, OK, 1360)
    assert fields(s) == (OK, HARD, 1, OK, 1060, 1060)
    assert s.last_check == 1360


def test_a_soft_recovery_keeps_the_last_hard_state_change() -> None:
    s = service(3)
    apply_result(s, OK, 100)
    apply_result(s, WARNING, 400)
    apply_result(s, CRITICAL, 460)  # still SOFT, attempt 2, new state
    assert fields(s) == (CRITICAL, SOFT, 2, OK, 100, 460)
    outcome = apply_result(s, OK, 520)
    assert not outcome.hard_changed and outcome.state_changed
    assert fields(s) == (OK, HARD, 1, OK, 100, 520)


def test_one_attempt_means_hard_at_once_and_a_first_problem_starts_soft() -> None:
    s = service(1)
    apply_result(s, OK, 100)
    apply_result(s, CRITICAL, 400)
    assert fields(s) == (CRITICAL, HARD, 1, CRITICAL, 400, 400)
    first = service(3)
    outcome = apply_result(first, CRITICAL, 50)
    assert outcome.hard_changed  # the first result initialises last_hard_state_change
    assert fields(first) == (CRITICAL, SOFT, 1, OK, 50, 50)


def test_flapping_starts_with_frequent_changes_and_stops_once_they_age_out() -> None:
    s = service(3)
    apply_result(s, OK, 0)
    t = 0
    flapping_at = None
    for i in range(10):
        t += 60
        apply_result(s, CRITICAL if i % 2 == 0 else OK, t)
        if s.flapping and flapping_at is None:
            flapping_at = i
    # Each change weighs 0.75 to 1.25 of 5 %: the 20 % threshold needs 4 to 5 recent changes.
    assert flapping_at in (3, 4)
    assert s.percent_state_change > 20.0
    stopped_at = None
    for i in range(30):
        t += 300
        apply_result(s, OK, t)
        if not s.flapping and stopped_at is None:
            stopped_at = i
    assert stopped_at is not None and 10 <= stopped_at <= 20
    assert s.percent_state_change == 0.0


@pytest.mark.parametrize(("bbdo", "version"), SHAPES[::3])
def test_streams_follow_the_soft_hard_rules(bbdo: int, version: str) -> None:
    _, events = busy_run(bbdo, version)
    limits = {
        object_key(e): e["max_check_attempts"]
        for e in events
        if e["category"] == 1 and e["element"] in (12, 23, 27, 30)
    }
    last: dict[tuple[int, int], dict] = {}
    hard_problems = repeats = soft_recoveries = 0
    for event in events:
        if not is_status(event) or not event["checked"]:
            continue
        key = object_key(event)
        before = last.get(key)
        last[key] = event
        if before is None or event["last_check"] == before["last_check"]:
            continue
        lhsc = event.get("last_hard_state_change", 0)
        if event["state"] != OK and event["state_type"] == HARD:
            assert event["check_attempt"] == limits[key]
            if before["state_type"] == HARD and before["state"] == event["state"]:
                assert lhsc == before.get("last_hard_state_change", 0)
                repeats += 1
            else:
                assert lhsc == event["last_check"]
                hard_problems += 1
        elif event["state"] != OK:
            assert event["state_type"] == SOFT and event["check_attempt"] < limits[key]
            assert lhsc == before.get("last_hard_state_change", 0)
        elif before["state"] != OK and before["state_type"] == SOFT:
            assert lhsc == before.get("last_hard_state_change", 0)
            soft_recoveries += 1
        elif before["state"] == OK:
            assert lhsc == before.get("last_hard_state_change", 0)
    assert min(hard_problems, repeats, soft_recoveries) > 0
