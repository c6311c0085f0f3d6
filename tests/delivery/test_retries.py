"""Retries: what is retried, how long the connector waits, what is permanent."""

from __future__ import annotations

import email.utils
import time

import pytest

from centreon_canopsis.core.delivery import MAX_RETRY_AFTER, RetryPolicy
from centreon_canopsis.plugins.builtin.canopsis.answers import refusal_reason
from tests.delivery.helpers import Daemon, sandbox, seqs, wait_until, write_config, write_stream


def event_posts(box) -> list[dict]:
    return [r for r in box.requests() if r["path"] == "/api/v4/event"]


def test_backoff_is_exponential_with_full_jitter_and_a_cap():
    assert RetryPolicy(0.5, 60, rng=lambda: 1.0).delay(0) == 0.5
    assert RetryPolicy(0.5, 60, rng=lambda: 1.0).delay(3) == 4.0
    assert RetryPolicy(0.5, 60, rng=lambda: 1.0).delay(30) == 60, "capped"
    assert RetryPolicy(0.5, 60, rng=lambda: 0.25).delay(3) == 1.0, "a random share of the ceiling"
    assert RetryPolicy(0.5, 60, rng=lambda: 0.0).delay(5) == 0.0
    assert RetryPolicy(0.5, 60, rng=lambda: 0.0).delay(5, retry_after=7) == 7, "Retry-After wins"
    assert RetryPolicy(0.5, 60, rng=lambda: 1.0).delay(8, retry_after=7) == 60, "unless backoff is longer"
    assert RetryPolicy(0.5, 60, rng=lambda: 0.0).delay(0, retry_after=10**9) == MAX_RETRY_AFTER


@pytest.mark.parametrize("header", ["delta", "date"])
def test_429_with_retry_after_is_honoured(tmp_path, header):
    box = sandbox()
    try:
        until = time.time() + 4
        after = "1" if header == "delta" else email.utils.formatdate(until, usegmt=True)
        box.fail_next(2, status=429, headers={"Retry-After": after}, path_prefix="/api/v4/event")
        write_stream(tmp_path / "events.jsonl", 100)
        # Without Retry-After the backoff would retry within 20 ms.
        fast = {"retry_initial_delay": 0.01, "retry_max_delay": 0.02}
        with Daemon(write_config(tmp_path, box.port, delivery=fast)) as daemon:
            wait_until(lambda: len(box.published_events()) == 100, 20, "the events")
            posts = event_posts(box)
            assert [r["status"] for r in posts] == [429, 429, 200]
            if header == "delta":
                assert posts[1]["t"] - posts[0]["t"] >= 0.95
                assert posts[2]["t"] - posts[1]["t"] >= 0.95
            else:  # not before the date (HTTP dates have a one-second resolution)
                assert posts[1]["t"] >= int(until) - 0.05
            assert daemon.metric("canopsis_responses_total", status="429") == 2
            assert daemon.metric("send_failures_total", cause="429") == 200
            assert daemon.metric("payloads_retried_total") == 200
            assert daemon.metric("payloads_delivered_total") == 100
            assert daemon.stop() == 0
    finally:
        box.stop()


def test_transient_failures_are_retried_in_order(tmp_path):
    box = sandbox()
    try:
        box.fail_next(1, status=503, path_prefix="/api/v4/event")
        box.fail_next(1, status=408, path_prefix="/api/v4/event")
        box.fail_next(1, status=500, path_prefix="/api/v4/event")
        box.drop_connections(1, path_prefix="/api/v4/event")
        write_stream(tmp_path / "events.jsonl", 1_000)
        config = write_config(tmp_path, box.port, max_batch_size=100)
        with Daemon(config) as daemon:
            wait_until(lambda: len(set(seqs(box.published_events()))) == 1_000, 20, "the events")
            published = seqs(box.published_events())
            assert published == list(range(1_000)), "each once, in order"
            assert [r["status"] for r in event_posts(box)][:3] == [503, 408, 500]
            assert daemon.metric("send_failures_total", cause="transport") == 100, "the dropped connection"
            assert daemon.metric("payloads_dead_lettered_total") == 0
            assert daemon.stop() == 0
    finally:
        box.stop()


def test_retry_statuses_is_configurable_and_other_4xx_are_permanent(tmp_path):
    box = sandbox()
    try:
        box.fail_next(1, status=409, path_prefix="/api/v4/event")  # retried: listed below
        box.fail_next(1, status=422, path_prefix="/api/v4/event")  # permanent: dead-lettered
        write_stream(tmp_path / "events.jsonl", 3)
        config = write_config(
            tmp_path,
            box.port,
            max_batch_size=1,
            delivery={"retry_statuses": ["5xx", 408, 429, 409]},
        )
        with Daemon(config) as daemon:
            wait_until(lambda: daemon.metric("payloads_delivered_total") == 2, 20, "two events")
            assert daemon.metric("payloads_dead_lettered_total") == 1
            assert seqs(box.published_events()) == [1, 2], "the first was refused for good, the rest goes on"
            assert daemon.stop() == 0
    finally:
        box.stop()


def test_a_refused_request_is_split_to_spare_the_good_events(tmp_path):
    box = sandbox()
    try:
        # A proxy refusing one big request: the halves go through.
        box.fail_next(1, status=413, path_prefix="/api/v4/event")
        write_stream(tmp_path / "events.jsonl", 400)
        config = write_config(tmp_path, box.port, max_batch_size=400)
        with Daemon(config) as daemon:
            wait_until(lambda: len(box.published_events()) == 400, 20, "the events")
            assert [r["status"] for r in event_posts(box)][:3] == [413, 200, 200]
            assert daemon.metric("payloads_dead_lettered_total") == 0
            assert daemon.stop() == 0
    finally:
        box.stop()


def test_configuration_errors_are_retried_not_dead_lettered(tmp_path):
    box = sandbox()
    try:
        box.fail_next(2, status=401, path_prefix="/api/v4/event")
        box.fail_next(1, status=404, path_prefix="/api/v4/event")
        write_stream(tmp_path / "events.jsonl", 10)
        with Daemon(write_config(tmp_path, box.port)) as daemon:
            wait_until(lambda: len(box.published_events()) == 10, 20, "the events")
            assert daemon.metric("payloads_dead_lettered_total") == 0
            assert "check canopsis_authkey" in daemon.log()
            assert daemon.stop() == 0
    finally:
        box.stop()


@pytest.mark.parametrize("batch", [1, 100])
def test_canopsis_refusing_everything_backs_off_and_dead_letters_nothing_within_the_limit(tmp_path, batch):
    """One failed_events rule whatever the batch size (issue 10, item 4): every refusal counts
    against its payload and the lane backs off; nothing is dead-lettered before the limit."""
    box = sandbox()
    try:
        # RabbitMQ down: the API answers 200 but lists every event in failed_events.
        box.fail_events({"event_type": "check"})
        write_stream(tmp_path / "events.jsonl", 10)
        config = write_config(
            tmp_path, box.port, max_batch_size=batch, delivery={"failed_event_attempts": 1000}
        )
        with Daemon(config) as daemon:
            wait_until(lambda: len(box.failed_events()) >= 12, 20, "refusals")
            box.clear_faults()
            wait_until(lambda: len(set(seqs(box.published_events()))) == 10, 20, "the events")
            assert daemon.metric("payloads_dead_lettered_total") == 0, "within the limit: Canopsis's trouble"
            assert daemon.metric("payloads_retried_total") >= 12
            assert daemon.metric("send_failures_total", route="event", cause="rejected") >= 12
            assert daemon.stop() == 0
    finally:
        box.stop()


@pytest.mark.parametrize("batch", [1, 100])
def test_a_payload_canopsis_never_takes_does_not_hold_up_the_lane(tmp_path, batch):
    box = sandbox()
    try:
        box.fail_events({"output": "CHECK seq=0000000"})  # refused on every attempt
        write_stream(tmp_path / "events.jsonl", 30)
        config = write_config(tmp_path, box.port, max_batch_size=batch, delivery={"failed_event_attempts": 4})
        with Daemon(config) as daemon:
            wait_until(lambda: len(set(seqs(box.published_events()))) == 29, 20, "the other events")
            wait_until(lambda: daemon.metric("payloads_dead_lettered_total") == 1, 20, "the dead letter")
            refused = [e for e in box.failed_events() if e["output"].endswith("=0000000")]
            assert len(refused) == 4, "tried failed_event_attempts times, alone or in a batch"
            assert daemon.stop() == 0
    finally:
        box.stop()


def test_events_the_api_always_refuses_are_recognised():
    good = {"event_type": "check", "connector": "c", "connector_name": "n", "component": "h", "state": 2}
    assert refusal_reason(good) is None
    assert refusal_reason({**good, "state": "2"}) is None, "numeric strings are converted by the API"
    assert refusal_reason({**good, "resource": "cpu", "source_type": "component"}) is None, "rewritten"
    assert refusal_reason({**good, "event_type": 3}) == "event_type is missing or not a string"
    assert refusal_reason({**good, "state": "two"}) == "state is not a number"
    assert refusal_reason({k: v for k, v in good.items() if k != "state"}) == "a check event needs a state"
    assert refusal_reason({**good, "connector_name": ""}) == "connector_name is missing or empty"
    assert refusal_reason({**good, "component": ""}).startswith("a check needs a component")
    assert refusal_reason({**good, "author": 12}) == "author is not a string"
    assert refusal_reason({**good, "resource": 5}) == "resource is not a string"
    ack = {"event_type": "ack", "connector": "c", "connector_name": "n"}
    assert refusal_reason(ack) is None, "only a check needs a component"
    assert refusal_reason({"event_type": "check", "ref_rk": "x/y", "state": 1}) is None
    assert refusal_reason([1]) == "not a JSON object"


@pytest.mark.parametrize("batch", [1, 100])
def test_payloads_refused_together_for_ever_are_dead_lettered_at_the_limit(tmp_path, batch):
    """Before: a request whose events were all refused was retried for ever without counting
    (4 payloads stuck for 10 minutes), while a lone refused event was dead-lettered."""
    box = sandbox()
    try:
        box.fail_events({"event_type": "check"})
        write_stream(tmp_path / "events.jsonl", 4)
        config = write_config(tmp_path, box.port, max_batch_size=batch, delivery={"failed_event_attempts": 3})
        with Daemon(config) as daemon:
            wait_until(lambda: daemon.metric("payloads_dead_lettered_total") == 4, 30, "the dead letters")
            assert len(box.failed_events()) == 12, "each refused 3 times, alone or together"
            assert daemon.stop() == 0
    finally:
        box.stop()
