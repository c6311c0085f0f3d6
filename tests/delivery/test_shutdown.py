"""SIGTERM and SIGINT: stop reading, finish or hand back the request in flight within
``delivery.shutdown_timeout``, exit 0; a restart delivers the rest."""

from __future__ import annotations

import signal
import time

import pytest

from tests.delivery.helpers import (
    Daemon,
    duplicates,
    sandbox,
    seqs,
    wait_until,
    write_config,
    write_stream,
)

COUNT = 3_000
BATCH = 500


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_request_slower_than_the_timeout_is_handed_back(tmp_path, signum):
    box = sandbox()
    try:
        write_stream(tmp_path / "events.jsonl", COUNT)
        config = write_config(tmp_path, box.port, max_batch_size=BATCH, delivery={"shutdown_timeout": 0.5})
        box.add_latency(3.0, count=1, path_prefix="/api/v4/event")
        with Daemon(config) as daemon:
            daemon.url()
            wait_until(lambda: not box.faults(), 10, "a request in flight")
            started = time.monotonic()
            daemon.signal(signum)
            assert daemon.wait(10) == 0
            assert time.monotonic() - started < 2.5, "shutdown_timeout bounds the wait"
            assert "stays in the outbox" in daemon.log() or "payloads stay in the outbox" in daemon.log()
        with Daemon(config) as daemon:
            wait_until(lambda: len(set(seqs(box.received_events()))) == COUNT, 30, "every event")
            assert daemon.stop() == 0
        received = seqs(box.received_events())
        assert duplicates(received) <= BATCH, "only the batch handed back may come twice"
    finally:
        box.stop()


def test_a_request_within_the_timeout_finishes_and_nothing_comes_twice(tmp_path):
    box = sandbox()
    try:
        write_stream(tmp_path / "events.jsonl", COUNT)
        config = write_config(tmp_path, box.port, max_batch_size=BATCH, delivery={"shutdown_timeout": 5})
        box.add_latency(1.0, count=1, path_prefix="/api/v4/event")
        with Daemon(config) as daemon:
            daemon.url()
            wait_until(lambda: not box.faults(), 10, "a request in flight")
            assert daemon.stop() == 0
            assert len(box.received_events()) == BATCH, "the request in flight finished, no other began"
        with Daemon(config) as daemon:
            wait_until(lambda: len(set(seqs(box.received_events()))) == COUNT, 30, "every event")
            assert daemon.stop() == 0
        assert sorted(seqs(box.received_events())) == list(range(COUNT)), "each exactly once"
    finally:
        box.stop()


def test_backpressure_pauses_reading_and_never_drops(tmp_path):
    box = sandbox()
    limit = 1_000
    count = 10_000
    try:
        box.fail_rate(1.0, status=503, path_prefix="/api/v4/event")  # Canopsis in maintenance
        write_stream(tmp_path / "events.jsonl", count)
        config = write_config(
            tmp_path,
            box.port,
            delivery={"max_outbox_events": limit},
            metrics={"ready_stall_seconds": 1},
        )
        with Daemon(config) as daemon:
            wait_until(lambda: daemon.metric("backpressure") == 1, 15, "backpressure")
            time.sleep(0.5)
            depth = daemon.metric("outbox_items")
            assert limit <= depth < limit + 2_000, "one source batch of overshoot at most"
            read = daemon.metric("events_received_total")
            time.sleep(0.5)
            assert daemon.metric("events_received_total") == read, "reading is paused"
            assert read < count
            assert daemon.metric("backpressure_pauses_total") == 1
            assert "reading paused" in daemon.log()
            # Not ready: the outbox is stuck and Canopsis answers only 503.
            wait_until(lambda: daemon.get("/readyz")[0] == 503, 10, "/readyz 503")
            body = daemon.get("/readyz")[1]
            assert b'"backpressure"' in body and b"reading paused" in body
            assert daemon.get("/healthz")[0] == 200, "alive all the same"
            box.clear_faults()
            wait_until(lambda: len(set(seqs(box.published_events()))) == count, 30, "every event")
            wait_until(lambda: daemon.metric("outbox_items") == 0, 10, "an empty outbox")
            assert daemon.metric("backpressure") == 0
            assert daemon.metric("backpressure_seconds_total") > 0.5
            assert "reading resumed" in daemon.log()
            wait_until(lambda: daemon.get("/readyz")[0] == 200, 10, "ready again")
            assert daemon.stop() == 0
        assert sorted(set(seqs(box.published_events()))) == list(range(count))
    finally:
        box.stop()
