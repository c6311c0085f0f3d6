"""``_framing.decode_run`` (C) decodes what PeerSession._handle's Python loop, its reference,
decodes: the same events in the same order with the same labels, the same rejected inputs and
counters, in batches no larger than the limit, whatever mix of usual events, control messages,
unknown types, undecodable and oversized payloads a peer sends, at any batch size."""

from __future__ import annotations

import random
from typing import Any

import pytest

from centreon_canopsis.core.bbdo import frame_event, session
from centreon_canopsis.core.bbdo.codec import BBDOCodec
from centreon_canopsis.core.bbdo.framing import RawEvent
from centreon_canopsis.standins.broker import SimulatedBroker, SimulationOptions
from centreon_canopsis.standins.broker.peer import BrokerPeer, RawBytes

pytestmark = pytest.mark.skipif(session._DECODE_RUN is None, reason="the C decode loop is not built here")

SERVICE_STATUS = 0x0001001D  # pb_service_status (BBDO 3)
MiB = 1 << 20
UNKNOWN = 0x0001_7777


def mixed_stream() -> list[Any]:
    """A simulated stream with, at random places, unknown types, payloads that do not parse and
    events over the size limit."""
    options = SimulationOptions(seed=5, hosts=6, services_per_host=3, events=600, bbdo=3)
    items: list[Any] = list(SimulatedBroker(options).events())
    rng = random.Random(7)
    odd = [
        RawBytes(frame_event(UNKNOWN, b"\x08\x01", mapped=False)),
        RawBytes(frame_event(SERVICE_STATUS, b"\xff\xff\xff", mapped=False)),
    ]
    for _ in range(60):
        items.insert(rng.randrange(len(items)), rng.choice(odd))
    oversized = RawBytes(frame_event(SERVICE_STATUS, b"\x08" * (MiB + 1), mapped=False))
    for _ in range(2):
        items.insert(rng.randrange(len(items)), oversized)
    return items


def run(make_source, items: list[Any], c_loop: bool, monkeypatch, batch: int) -> dict[str, Any]:
    monkeypatch.setattr(session, "_DECODE_RUN", session._DECODE_RUN if c_loop else None)
    source, collector = make_source(max_event_size=MiB, max_batch_events=batch)
    report = BrokerPeer(items, port=source.address[1]).run()
    assert report.complete and report.stop_acknowledged
    collector.wait_for(lambda: source.counters["events_acked"] >= len(items))
    # Not the number of batches: each read ends one, and where TCP cuts the reads is timing.
    counters = {
        key: value
        for key, value in source.counters.items()
        if key.startswith("events_") or key == "control_messages"
    }
    batches = [len(b.events) for b in collector.batches]
    labels = [label for b in collector.batches for label in b.labels]
    rejected = [(label, reason) for label, reason, *_ in collector.rejected]
    return {
        "events": collector.events,
        "rejected": rejected,
        "counters": counters,
        "batches": batches,
        "labels": labels,
    }


@pytest.mark.parametrize("batch", [1, 7, 1000])
def test_the_c_loop_gives_what_the_python_gives(make_source, monkeypatch, batch):
    items = mixed_stream()
    fast = run(make_source, items, True, monkeypatch, batch)
    reference = run(make_source, items, False, monkeypatch, batch)
    assert fast["events"] == reference["events"]
    assert fast["rejected"] == reference["rejected"]
    assert fast["counters"] == reference["counters"]
    assert fast["labels"] == reference["labels"]
    counters = fast["counters"]
    assert counters["events_unknown"] and counters["events_undecodable"] and counters["events_oversized"]
    assert max(fast["batches"]) <= batch


def test_where_the_loop_stops():
    codec = BBDOCodec()
    decoders = codec.decoders
    event = SimulatedBroker(SimulationOptions(seed=1, hosts=1, services_per_host=1, events=5, bbdo=3))
    type_id, payload, _ = codec.encode_payload(
        next(e for e in event.events() if e["_type"] == SERVICE_STATUS)
    )
    good = RawEvent(type_id, 0, 0, payload, 100)

    def stop(raws: list[Any], start: int = 0, room: int = 100) -> tuple[int, int]:
        events: list[Any] = []
        offsets: list[Any] = []
        index = session._DECODE_RUN(raws, start, decoders, events, offsets, room)
        assert len(events) == len(offsets) == index - start if index > start else not events
        return index, len(events)

    assert stop([good, good, good]) == (3, 3)
    assert stop([good, good, good], room=2) == (2, 2)
    assert stop([good, good, good], start=3) == (3, 0)
    assert stop([good, RawEvent(0x0002_0002, 0, 0, b"", 0), good]) == (1, 1)  # a control message
    assert stop([good, RawEvent(type_id, 0, 0, None, 0), good]) == (1, 1)  # oversized
    assert stop([good, RawEvent(UNKNOWN, 0, 0, b"", 0)]) == (1, 1)
    assert stop([good, RawEvent(type_id, 0, 0, b"\xff\xff", 0)]) == (1, 1)  # raises: left to Python
    assert stop([good, (type_id, 0, 0, payload)]) == (1, 1)  # not what the reader makes

    def interrupted(payload: bytes) -> Any:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        session._DECODE_RUN([good], 0, {type_id: interrupted}, [], [], 5)
