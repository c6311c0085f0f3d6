"""``[delivery] process = "child"``: the senders run in a child process on the same outbox.

Order per lane and at-least-once must hold as with sender threads; the daemon's /metrics and
outbox depth follow what the child delivers; a killed child is started again and loses nothing.
"""

from __future__ import annotations

import os
import signal
import time

import orjson

from tests.delivery.helpers import (
    Daemon,
    alive,
    child_pids,
    duplicates,
    sandbox,
    seqs,
    statuses,
    wait_until,
    write_config,
    write_stream,
)
from tests.support.config import AUTHKEY

BATCH = 200
CHILD = {"delivery": {"process": "child"}}


def first_seen(numbers: list[int]) -> list[int]:
    seen: set[int] = set()
    return [n for n in numbers if not (n in seen or seen.add(n))]


def test_everything_delivered_in_order_and_counted_by_the_daemon(tmp_path):
    count = 3_000
    box = sandbox()
    try:
        write_stream(tmp_path / "events.jsonl", count)
        config = write_config(tmp_path, box.port, max_batch_size=BATCH, **CHILD)
        with Daemon(config) as daemon:
            daemon.url()
            wait_until(lambda: len(seqs(box.received_events())) >= count, 60, "every event")
            wait_until(lambda: daemon.metric("outbox_items") == 0, 10, "an empty outbox in the daemon")
            wait_until(
                lambda: daemon.metric("payloads_delivered_total", route="event") >= count,
                10,
                "the child's deliveries in the daemon's metrics",
            )
            assert daemon.process is not None
            children = child_pids(daemon.process.pid)
            assert children, "the delivery process runs"
            for pid in children:  # the configuration went through its socket, not its command line
                with open(f"/proc/{pid}/cmdline", "rb") as handle:
                    assert AUTHKEY.encode() not in handle.read()
            # A lone event later on: the child is woken by the commit, no polling delay to wait for.
            with open(tmp_path / "events.jsonl", "ab") as handle:
                handle.write(orjson.dumps(statuses(1, start=count)[0]) + b"\n")
            wait_until(lambda: count in seqs(box.received_events()), 10, "the late event")
            assert daemon.stop() == 0
        received = seqs(box.received_events())
        assert received == list(range(count + 1)), "each once, in order"
    finally:
        box.stop()


def test_a_killed_delivery_process_is_started_again_and_loses_nothing(tmp_path):
    count = 6_000
    box = sandbox()
    try:
        write_stream(tmp_path / "events.jsonl", count)
        config = write_config(tmp_path, box.port, max_batch_size=BATCH, **CHILD)
        box.add_latency(0.05, count=10_000, path_prefix="/api/v4/event")  # slow: a kill lands mid-way
        with Daemon(config) as daemon:
            daemon.url()
            wait_until(lambda: len(box.received_events()) >= count // 4, 60, "a quarter delivered")
            assert daemon.process is not None
            children = wait_until(lambda: child_pids(daemon.process.pid), 10, "the delivery process")
            for pid in children:
                os.kill(pid, signal.SIGKILL)
            wait_until(lambda: len(set(seqs(box.received_events()))) == count, 90, "every event")
            wait_until(lambda: daemon.metric("outbox_items") == 0, 10, "an empty outbox")
            time.sleep(0.2)
            assert daemon.stop() == 0
            assert "the delivery process exited" in daemon.log()
        received = seqs(box.received_events())
        assert sorted(set(received)) == list(range(count)), "nothing lost"
        assert first_seen(received) == list(range(count)), "first deliveries in order"
        assert duplicates(received) <= BATCH, "at most the batch in flight again"
    finally:
        box.stop()


def test_the_delivery_process_stops_with_the_daemon(tmp_path):
    box = sandbox()
    try:
        write_stream(tmp_path / "events.jsonl", 10)
        config = write_config(tmp_path, box.port, **CHILD)
        with Daemon(config) as daemon:
            daemon.url()
            assert daemon.process is not None
            children = wait_until(lambda: child_pids(daemon.process.pid), 10, "the delivery process")
            daemon.kill()  # SIGKILL: the child sees its pipe close and exits on its own
        for pid in children:
            wait_until(lambda pid=pid: not alive(pid), 15, "child gone")
    finally:
        box.stop()


def test_the_delivery_process_logs_in_the_daemons_log_format(tmp_path):
    """``log_format = "json"``: the delivery process's lines are JSON too (it wrote text lines
    into the daemon's JSON log, which a log shipper cannot parse)."""
    box = sandbox()
    box.fail_rate(1.0, status=400, path_prefix="/api/v4/event")  # refused for good: the senders log it
    try:
        write_stream(tmp_path / "events.jsonl", 5)
        config = write_config(tmp_path, box.port, log_format="json", **CHILD)
        with Daemon(config) as daemon:
            daemon.url()
            assert daemon.process is not None
            wait_until(lambda: child_pids(daemon.process.pid), 10, "the delivery process")
            wait_until(lambda: daemon.metric("payloads_dead_lettered_total") >= 5, 30, "the dead letters")
            wait_until(lambda: "dead-lettered" in daemon.log(), 10, "the senders' line")
            assert daemon.stop() == 0
    finally:
        box.stop()
    lines = (tmp_path / "connector.log").read_text().splitlines()
    entries = [orjson.loads(line) for line in lines]  # every line is one JSON object
    # The senders run in the delivery process only: this line is its own.
    assert any(
        e["logger"] == "centreon_canopsis.core.delivery" and "dead-lettered" in e["message"] for e in entries
    )
