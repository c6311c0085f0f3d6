"""Memory budgets: unfinished split events per peer and for all peers, freed when a peer leaves."""

from __future__ import annotations

import logging
import threading

import pytest

from centreon_canopsis.core.bbdo import Reassembler
from centreon_canopsis.core.bbdo.budget import BudgetExceeded, BufferBudget, MiB
from centreon_canopsis.core.bbdo.ids import MAX_PACKET_SIZE
from centreon_canopsis.standins.broker.hostile import open_unfinished_events, split_packets
from centreon_canopsis.standins.broker.peer import BrokerPeer

from .conftest import wait_until

EVENTS = [
    {"category": 1, "element": 29, "host_id": i, "service_id": 1, "output": "OK"} for i in range(1, 201)
]


def test_reassembler_counts_unfinished_events_and_gives_them_back() -> None:
    budget = BufferBudget(10 * MiB)
    r = Reassembler(peer_limit=2 * MiB, budget=budget)
    r.feed(split_packets(10, source_id=1) + split_packets(10, source_id=2))
    assert r.held == budget.held == 20 * MAX_PACKET_SIZE
    with pytest.raises(BudgetExceeded, match="per-peer limit of 2097152"):
        r.feed(split_packets(20, source_id=3))
    r.release()
    assert r.held == 0 and budget.held == 0


def test_a_finished_event_gives_its_bytes_back() -> None:
    budget = BufferBudget(10 * MiB)
    r = Reassembler(peer_limit=2 * MiB, budget=budget)
    from centreon_canopsis.core.bbdo import frame_event

    (event,) = r.feed(frame_event(0x0001001D, b"x" * (3 * MAX_PACKET_SIZE + 5), mapped=False))
    assert len(event.payload) == 3 * MAX_PACKET_SIZE + 5
    assert r.held == 0 and budget.held == 0


def test_the_total_budget_is_shared() -> None:
    budget = BufferBudget(2 * MiB)
    a = Reassembler("a", peer_limit=2 * MiB, budget=budget)
    b = Reassembler("b", peer_limit=2 * MiB, budget=budget)
    a.feed(split_packets(20))
    with pytest.raises(BudgetExceeded, match="total_buffer_limit"):
        b.feed(split_packets(20))
    b.release()
    a.release()
    assert budget.held == 0


def test_a_peer_over_its_budget_is_dropped_and_the_others_go_on(
    make_source, caplog: pytest.LogCaptureFixture
) -> None:
    source, collector = make_source(peer_buffer_limit_mib=2, total_buffer_limit_mib=4, max_event_size_mib=1)
    good = BrokerPeer(EVENTS, port=source.address[1], send_chunk=512).start()
    with caplog.at_level(logging.WARNING):
        attackers = [
            threading.Thread(
                target=open_unfinished_events, args=(source.address,), kwargs={"events": 4, "size": 8 * MiB}
            )
            for _ in range(6)
        ]
        for thread in attackers:
            thread.start()
        for thread in attackers:
            thread.join(30)
    assert good.join(30).complete
    assert [e["host_id"] for e in collector.events] == [e["host_id"] for e in EVENTS]
    wait_until(lambda: source.counters["active_peers"] == 0, what="attackers dropped")
    assert source.counters["budget_drops"] == 6
    assert source.closed_by_reason["over_budget"] == 6
    assert source.budget.held == 0  # freed when they left
    # Six attackers at once: whichever limit a peer reaches first (its own or the total) is named.
    reasons = ("(peer_buffer_limit)", "(total_buffer_limit)")
    assert any("dropping the peer" in r.getMessage() and any(x in r.getMessage() for x in reasons)
               for r in caplog.records)  # fmt: skip
    assert sum("dropping the peer" in r.getMessage() for r in caplog.records) <= 5  # rate-limited


def test_limits_are_checked() -> None:
    from centreon_canopsis.core.bbdo.settings import BBDOSettings

    with pytest.raises(ValueError, match="max_event_size_mib <= peer_buffer_limit_mib"):
        BBDOSettings.from_config({"max_event_size_mib": 64, "peer_buffer_limit_mib": 32})
    settings = BBDOSettings.from_config({"type": "bbdo"})
    assert (settings.max_event_size, settings.peer_buffer_limit, settings.total_buffer_limit) == (
        16 * MiB,
        32 * MiB,
        64 * MiB,
    )


def test_queued_batches_are_limited_in_bytes(make_source) -> None:
    """Large complete events wait in the source's queue: reading pauses past total_buffer_limit."""
    source, collector = make_source(
        peer_buffer_limit_mib=4, total_buffer_limit_mib=4, max_event_size_mib=2, queue_batches=16
    )
    collector.resume.clear()  # the pipeline takes nothing
    big = [{**EVENTS[0], "host_id": i, "output": "x" * (MiB + 1000)} for i in range(12)]
    peer = BrokerPeer(big, port=source.address[1]).start()
    wait_until(lambda: source.counters["events_received"] >= 3, what="some events read")
    peak = 0
    for _ in range(50):
        peak = max(peak, source._queued_bytes)
        threading.Event().wait(0.02)
    assert 0 < peak <= 4 * MiB + 512 * 1024  # one batch may exceed a little, never the whole stream
    collector.resume.set()
    assert peer.join(30).complete
    assert [e["host_id"] for e in collector.events] == list(range(12))
