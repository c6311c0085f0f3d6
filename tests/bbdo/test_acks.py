"""Ack accounting: what is handled, when an ack is due."""

from __future__ import annotations

from centreon_canopsis.core.bbdo.acks import AckTracker


def make(ack_events: int = 10, ack_interval: float = 5.0) -> tuple[AckTracker, list[float], list[int]]:
    now = [0.0]
    wakes: list[int] = []
    tracker = AckTracker(ack_events, ack_interval, wake=lambda: wakes.append(1), clock=lambda: now[0])
    return tracker, now, wakes


def test_nothing_is_due_before_a_commit() -> None:
    tracker, now, _ = make()
    tracker.received = 50
    commit = tracker.batch_done_callback(50)
    now[0] = 100.0
    assert tracker.take_due() == 0
    commit()
    assert tracker.take_due() == 50


def test_commits_in_any_order_only_advance_over_a_prefix() -> None:
    tracker, _, _ = make(ack_events=1)
    first = tracker.batch_done_callback(3)
    second = tracker.batch_done_callback(7)
    second()
    assert tracker.committed == 0
    first()
    assert tracker.committed == 7


def test_events_without_a_batch_wait_for_the_batches_before_them() -> None:
    tracker, _, _ = make(ack_events=1)
    commit = tracker.batch_done_callback(4)
    tracker.handled_without_batch(6)  # e.g. two undecodable events after the batch
    assert tracker.committed == 0
    commit()
    assert tracker.committed == 6
    tracker.handled_without_batch(9)  # nothing in flight: handled at once
    assert tracker.committed == 9


def test_due_by_count_wakes_the_session_and_by_interval() -> None:
    tracker, now, wakes = make(ack_events=10, ack_interval=5.0)
    tracker.batch_done_callback(4)()
    assert wakes == [] and tracker.take_due() == 0
    assert tracker.seconds_until_due() == 5.0
    now[0] = 5.0
    assert tracker.take_due() == 4
    tracker.batch_done_callback(20)()
    assert wakes == [1] and tracker.take_due() == 16
    assert tracker.acked == 20 and tracker.seconds_until_due() is None


def test_forced_ack_and_wait_committed() -> None:
    tracker, _, _ = make()
    assert tracker.take_due(force=True) == 0
    commit = tracker.batch_done_callback(2)
    assert not tracker.wait_committed(0.01)
    commit()
    assert tracker.wait_committed(0.01)
    assert tracker.take_due(force=True) == 2
