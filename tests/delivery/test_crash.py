"""The daemon killed (SIGKILL) at any moment loses nothing and re-sends at most the batch that
was in flight: the outbox and the source position are committed together, and a batch leaves
the outbox only once Canopsis answered."""

from __future__ import annotations

import random
import time

from tests.delivery.helpers import Daemon, duplicates, sandbox, seqs, wait_until, write_config, write_stream

BATCH = 500


def test_killed_several_times_during_a_replay(tmp_path):
    count = 25_000
    box = sandbox()
    try:
        write_stream(tmp_path / "events.jsonl", count)
        config = write_config(tmp_path, box.port, max_batch_size=BATCH)
        rng = random.Random(7)
        kills = 0
        for round_ in range(1, 4):
            with Daemon(config) as daemon:
                daemon.url()  # started
                goal = round_ * count // 4
                wait_until(lambda goal=goal: len(box.received_events()) >= goal, 30, f"{goal} events")
                time.sleep(rng.uniform(0, 0.2))
                daemon.kill()
                kills += 1
        with Daemon(config) as daemon:
            wait_until(lambda: len(set(seqs(box.received_events()))) == count, 60, "every event")
            wait_until(lambda: daemon.metric("outbox_items") == 0, 10, "an empty outbox")
            assert daemon.stop() == 0
        received = seqs(box.received_events())
        assert sorted(set(received)) == list(range(count)), "nothing lost"
        assert duplicates(received) <= kills * BATCH, "at most the batch in flight, per kill"
        assert "resuming at line" in daemon.log(), "the source resumed where its last commit left it"
    finally:
        box.stop()


def test_a_kill_between_send_and_settle_resends_that_batch_only(tmp_path):
    count = 2_000
    box = sandbox()
    try:
        write_stream(tmp_path / "events.jsonl", count)
        config = write_config(tmp_path, box.port, max_batch_size=BATCH)
        box.add_latency(2.0, count=1, path_prefix="/api/v4/event")  # Canopsis slow on the first request
        with Daemon(config) as daemon:
            daemon.url()
            wait_until(lambda: not box.faults(), 10, "the first request in flight")
            daemon.kill()  # sent, not settled: the sandbox takes it once its latency is over
        wait_until(lambda: len(box.received_events()) == BATCH, 10, "the first batch processed")
        with Daemon(config) as daemon:
            wait_until(lambda: len(set(seqs(box.received_events()))) == count, 30, "every event")
            assert daemon.stop() == 0
        received = seqs(box.received_events())
        assert sorted(set(received)) == list(range(count))
        twice = sorted(seq for seq in set(received) if received.count(seq) > 1)
        assert twice == list(range(BATCH)), "exactly the batch in flight was sent again"
    finally:
        box.stop()


def test_a_clean_restart_sends_nothing_twice(tmp_path):
    count = 5_000
    box = sandbox()
    try:
        write_stream(tmp_path / "events.jsonl", count)
        config = write_config(tmp_path, box.port, max_batch_size=BATCH)
        with Daemon(config) as daemon:
            wait_until(lambda: len(box.received_events()) >= count // 2, 30, "half of the events")
            assert daemon.stop() == 0
        with Daemon(config) as daemon:
            wait_until(lambda: len(set(seqs(box.received_events()))) == count, 30, "every event")
            assert daemon.stop() == 0
        received = seqs(box.received_events())
        assert sorted(received) == list(range(count)), "each event exactly once"
    finally:
        box.stop()
