"""Broker's stop: it waits 5 s for one ack and reads nothing more (reference/bbdo.md 2.4), so
what is committed must be acknowledged in that window, even when the pipeline is behind."""

from __future__ import annotations

import threading
import time

from centreon_canopsis.core.sources.bbdo import BBDOSource
from centreon_canopsis.standins.broker.peer import BrokerPeer

from .conftest import wait_until


def statuses(count: int) -> list[dict]:
    return [
        {"category": 1, "element": 29, "host_id": i, "service_id": 1, "output": "OK"} for i in range(count)
    ]


class SlowPipeline:
    """Commits the first ``commit`` batches, then stops asking for batches (a pipeline behind)."""

    def __init__(self, source: BBDOSource, commit: int) -> None:
        self.committed = 0
        self.batches = 0
        self._commit = commit
        self._source = source
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        for batch in self._source.batches(None):
            self.batches += 1
            self.committed += len(batch.events)
            assert batch.on_commit is not None
            batch.on_commit()
            if self.batches >= self._commit:
                time.sleep(3600)  # never asks again


def test_stop_behind_a_full_queue_is_acknowledged_within_brokers_window() -> None:
    source = BBDOSource.from_config(
        {"type": "bbdo", "port": 0, "ack_events": 1_000_000, "ack_interval": 60},
        queue_batches=1,
        max_batch_events=100,
    )
    source.start()
    try:
        slow = SlowPipeline(source, commit=5)
        broker = BrokerPeer(
            statuses(30_000), port=source.address[1], one_ack_after_stop=True, send_chunk=8192
        ).start()
        report = broker.join(30)
        assert report.stop_sent
        assert report.stop_acknowledged, "the ack of the stop came too late: Broker stopped waiting"
        assert slow.committed > 0
        assert report.acknowledged == slow.committed  # everything committed, nothing else
        assert source.counters["stops_received"] == 1
        wait_until(lambda: source.closed_by_reason["stopped"] == 1, what="the session closed as stopped")
    finally:
        source.close()


def test_stop_acknowledges_what_commits_within_the_wait(make_source) -> None:
    source, _collector = make_source(ack_events=1_000_000, ack_interval=60, stop_wait=2.0)
    report = BrokerPeer(statuses(500), port=source.address[1], one_ack_after_stop=True).run()
    assert report.complete and report.stop_acknowledged and report.acknowledged == 500
    assert source.counters["acks_sent"] == 1  # one ack: Broker reads one


def test_events_read_ahead_while_blocked_are_all_handled_in_order(make_source) -> None:
    """Events that arrive with the welcome, then more read ahead while the queue is full: every
    one is handed over once, in order, and the final ack counts them all."""
    import socket

    from centreon_canopsis.core.bbdo import Reassembler, Welcome, encode_event, parse_ack
    from centreon_canopsis.core.bbdo.handshake import encode_stop
    from centreon_canopsis.core.bbdo.ids import ACKS

    source, collector = make_source(
        ack_events=1_000_000, ack_interval=60, queue_batches=1, max_batch_events=100
    )
    collector.resume.clear()  # the pipeline takes one batch and waits
    stream = b"".join(encode_event(event) for event in statuses(20000))
    with socket.create_connection(source.address, timeout=10) as sock:
        sock.sendall(Welcome.for_version("3.0.0").encode() + stream)  # events come with the welcome
        wait_until(lambda: source.counters["batches"] >= 2, what="the queue full")
        time.sleep(1.0)  # several polls while blocked: reads ahead
        collector.resume.set()
        collector.wait_events(20000)
        sock.sendall(encode_stop())
        reassembler, acks = Reassembler(), []
        while not acks:
            acks = [
                parse_ack(r.event_id, r.payload)
                for r in reassembler.feed(sock.recv(4096))
                if r.event_id in ACKS
            ]
    assert [e["host_id"] for e in collector.events] == list(range(20000))
    assert sum(acks) == 20000
