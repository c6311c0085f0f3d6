"""Canopsis down in the middle of a replay, then back: everything arrives, in order per entity,
nothing twice except the one batch that was in flight when it went down."""

from __future__ import annotations

import time

from tests.delivery.helpers import Daemon, duplicates, sandbox, seqs, wait_until, write_config, write_stream

COUNT = 30_000
BATCH = 500


def test_sandbox_down_then_back_delivers_everything(tmp_path):
    first = sandbox()
    port = first.port
    write_stream(tmp_path / "events.jsonl", COUNT)
    config = write_config(tmp_path, port, max_batch_size=BATCH)
    with Daemon(config) as daemon:
        # Down once a part is delivered, while the daemon is still reading and sending.
        wait_until(lambda: len(first.received_events()) >= 5_000, 30, "the first events")
        first.stop()
        down_at = time.monotonic()
        wait_until(lambda: daemon.metric("payloads_retried_total") > 0, 10, "failed attempts")
        assert daemon.metric("send_failures_total", cause="transport") > 0
        time.sleep(max(0.0, 1.0 - (time.monotonic() - down_at)))  # down for a second at least
        second = sandbox(port)
        try:
            wait_until(
                lambda: len(set(seqs(first.received_events() + second.received_events()))) == COUNT,
                60,
                "every event in the sandbox",
            )
            wait_until(lambda: daemon.metric("outbox_items") == 0, 10, "an empty outbox")
            received = seqs(first.received_events()) + seqs(second.received_events())
            assert sorted(set(received)) == list(range(COUNT)), "nothing lost"
            assert duplicates(received) <= BATCH, "only the batch in flight may arrive twice"
            # One entity's events keep their order, even across the outage.
            per_service = {}
            for seq in received:
                per_service.setdefault(seq % 20, []).append(seq)
            for numbers in per_service.values():
                firsts = list(dict.fromkeys(numbers))
                assert firsts == sorted(firsts)
            assert daemon.metric("payloads_delivered_total", route="event") == COUNT
            assert daemon.metric("payloads_dead_lettered_total") == 0
            assert daemon.stop() == 0
        finally:
            second.stop()
