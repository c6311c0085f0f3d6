"""Splitting payloads into packets and reassembling streams (bbdo.md 2.1, 2.2)."""

from __future__ import annotations

import pytest

from centreon_canopsis.core.bbdo import Reassembler, frame_event, pack_header, unpack_header
from centreon_canopsis.core.bbdo.ids import MAX_PACKET_SIZE

SS = 0x00010018  # service_status (mapped)
PB_SS = 0x0001001D  # pb_service_status


def packets(data: bytes) -> list[tuple[int, int]]:
    """(size, event_id) of each packet of a framed event."""
    out, pos = [], 0
    while pos < len(data):
        header = unpack_header(data, pos)
        assert header.valid
        out.append((header.size, header.event_id))
        pos += 16 + header.size
    assert pos == len(data)
    return out


@pytest.mark.parametrize("size", [0, 1, 0xFFFE, 0xFFFF, 0xFFFF + 1, 2 * 0xFFFF, 2 * 0xFFFF + 7])
def test_split_sizes_and_terminators(size: int) -> None:
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    mapped = packets(frame_event(SS, payload, mapped=True))
    pb = packets(frame_event(PB_SS, payload, mapped=False))
    full, rest = divmod(size, MAX_PACKET_SIZE)
    assert mapped == [(MAX_PACKET_SIZE, SS)] * full + [(rest, SS)]  # exact multiple: empty terminator
    if size and rest == 0:
        assert pb == [(MAX_PACKET_SIZE, PB_SS)] * full  # protobuf: no terminator (Broker quirk)
    else:
        assert pb == [(MAX_PACKET_SIZE, PB_SS)] * full + [(rest, PB_SS)]
    (event,) = Reassembler().feed(frame_event(SS, payload, mapped=True))
    assert event.payload == payload


def test_byte_by_byte_feeding_and_offsets() -> None:
    stream = frame_event(SS, b"a" * 10) + frame_event(SS, b"b" * 70_000) + frame_event(PB_SS, b"c")
    r = Reassembler()
    events = []
    for i in range(len(stream)):
        events += r.feed(stream[i : i + 1])
    assert [e.payload for e in events] == [b"a" * 10, b"b" * 70_000, b"c"]
    assert [e.offset for e in events] == [0, 26, 26 + 16 + 0xFFFF + 16 + 70_000 - 0xFFFF]
    assert r.buffered == 0 and r.offset == len(stream)


def test_interleaved_split_events_are_keyed_by_id_source_destination() -> None:
    a = frame_event(SS, b"A" * 70_000, source_id=1)
    b = frame_event(SS, b"B" * 70_000, source_id=2)
    a1, a2 = a[: 16 + 0xFFFF], a[16 + 0xFFFF :]
    b1, b2 = b[: 16 + 0xFFFF], b[16 + 0xFFFF :]
    small = frame_event(PB_SS, b"x")
    events = Reassembler().feed(a1 + b1 + small + b2 + a2)
    assert [(e.source_id, e.payload[:1], len(e.payload)) for e in events] == [
        (0, b"x", 1),
        (2, b"B", 70_000),
        (1, b"A", 70_000),
    ]


def test_resync_after_corruption_in_the_middle() -> None:
    good = frame_event(SS, b"first")
    bad = bytearray(frame_event(SS, b"second"))
    bad[0] ^= 0xFF  # checksum broken: the whole packet becomes garbage
    tail = frame_event(SS, b"third")
    r = Reassembler()
    events = r.feed(good + bytes(bad) + tail)
    assert [e.payload for e in events] == [b"first", b"third"]
    assert r.stats.corrupted_bytes == len(bad) and r.stats.resyncs == 1
    assert events[1].offset == len(good) + len(bad)


def test_stale_partial_is_dropped_and_the_next_event_still_decodes() -> None:
    now = [0.0]
    r = Reassembler(partial_timeout=10.0, clock=lambda: now[0])
    pb = frame_event(PB_SS, b"z" * MAX_PACKET_SIZE, mapped=False)  # exact multiple: never terminated
    assert r.feed(pb) == [] and r.pending_events == 1
    now[0] = 11.0
    r.expire()
    assert r.pending_events == 0 and r.stats.partials_dropped == 1
    (event,) = r.feed(frame_event(PB_SS, b"next"))
    assert event.payload == b"next"


def test_a_read_that_only_starts_a_packet_still_expires_stale_partials() -> None:
    # The reassembler returns early while the buffer holds one unfinished packet; stale split
    # events are forgotten there too, as on every read.
    now = [0.0]
    r = Reassembler(partial_timeout=10.0, clock=lambda: now[0])
    assert r.feed(frame_event(PB_SS, b"z" * MAX_PACKET_SIZE, mapped=False)) == []
    now[0] = 11.0
    assert r.feed(frame_event(SS, b"next")[:18]) == []  # 2 of its 4 payload bytes
    assert r.pending_events == 0 and r.stats.partials_dropped == 1


def test_too_many_pending_partials_drops_the_oldest() -> None:
    now = [0.0]
    r = Reassembler(max_pending=2, clock=lambda: now[0])
    for source in (1, 2, 3):
        now[0] += 1
        r.feed(pack_header(MAX_PACKET_SIZE, SS, source) + bytes(MAX_PACKET_SIZE))
    assert r.pending_events == 2 and r.stats.partials_dropped == 1
    (event,) = r.feed(pack_header(1, SS, 3) + b"!")
    assert (event.source_id, len(event.payload)) == (3, MAX_PACKET_SIZE + 1)


def test_oversized_event_is_discarded_but_reported_once() -> None:
    r = Reassembler(max_event_size=100_000)
    events = r.feed(frame_event(SS, b"q" * 200_000) + frame_event(SS, b"ok"))
    assert [(e.payload is None, e.offset) for e in events] == [(True, 0), (False, 200_000 + 4 * 16)]
    assert r.stats.oversized_events == 1


def test_truncated_frame_waits_for_more() -> None:
    frame = frame_event(SS, b"payload")
    r = Reassembler()
    assert r.feed(frame[:-1]) == [] and r.buffered == len(frame) - 1
    assert [e.payload for e in r.feed(frame[-1:])] == [b"payload"]


def test_header_size_limit() -> None:
    with pytest.raises(ValueError):
        pack_header(MAX_PACKET_SIZE + 1, SS)


def test_corrupted_bytes_are_counted_even_without_a_resync() -> None:
    r = Reassembler()
    r.feed(b"\x01" * 100)
    assert r.stats.corrupted_bytes == 100 - 15 and r.stats.resyncs == 0  # 15 bytes may start a header
