"""The C walk of the usual packets (core/bbdo/_framing.c) and the pure-Python reassembler read a
stream alike: the same events (ids, payloads, offsets), counters, held bytes and buffered bytes
after every read, whatever the stream holds (split events, corruption, garbage, truncation) and
however it is cut into reads."""

from __future__ import annotations

import os
import random
from dataclasses import astuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centreon_canopsis.core.bbdo import Reassembler, frame_event, framing
from centreon_canopsis.core.bbdo.crc import crc16_x25_reference
from centreon_canopsis.core.bbdo.framing import RawEvent
from centreon_canopsis.core.bbdo.ids import MAX_PACKET_SIZE

pytestmark = pytest.mark.skipif(framing._USUAL_PACKETS is None, reason="the C accelerator is not built here")


def test_ci_builds_and_uses_the_accelerator():
    if os.environ.get("CI"):
        assert framing._USUAL_PACKETS is not None
    assert Reassembler()._usual_packets is not None
    assert Reassembler(accelerated=False)._usual_packets is None


def state(r: Reassembler) -> tuple:
    return astuple(r.stats), r.offset, r.buffered, r.pending_events, r.held


def read_alike(stream: bytes, cuts: list[int], **options) -> list[RawEvent]:
    now = [0.0]
    fast = Reassembler(clock=lambda: now[0], **options)
    slow = Reassembler(clock=lambda: now[0], accelerated=False, **options)
    assert fast._usual_packets is not None
    got: list[RawEvent] = []
    start = 0
    for cut in [*sorted(cuts), len(stream)]:
        chunk = stream[start:cut]
        start = max(start, cut)
        now[0] += 1.0
        a, b = fast.feed(chunk), slow.feed(chunk)
        assert a == b
        assert all(type(event) is RawEvent for event in a)
        assert state(fast) == state(slow)
        got += a
    return got


events = st.lists(
    st.tuples(
        st.sampled_from([0x10018, 0x1001D, 0x1001E, 0x20001, 0x7FFFFFFF, 0xFFFFFFFF]),
        st.integers(0, 3),
        st.integers(0, 3),
        st.one_of(st.binary(max_size=300), st.sampled_from([b"", b"x" * (MAX_PACKET_SIZE - 1)])),
        st.booleans(),
    ),
    max_size=12,
)


def build(items) -> bytes:
    return b"".join(
        frame_event(event_id, payload, source_id=source, destination_id=destination, mapped=mapped)
        for event_id, source, destination, payload, mapped in items
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=events, data=st.data())
def test_clean_streams_read_alike_however_cut(items, data):
    stream = build(items)
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=8))
    got = read_alike(stream, cuts)
    assert [(e.event_id, e.source_id, e.destination_id, e.payload) for e in got] == [
        (event_id, source, destination, payload) for event_id, source, destination, payload, _ in items
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=events, data=st.data())
def test_damaged_streams_read_alike(items, data):
    stream = bytearray(build(items))
    for _ in range(data.draw(st.integers(1, 5))):
        action = data.draw(st.sampled_from(["flip", "garbage", "cut"]))
        where = data.draw(st.integers(0, len(stream)))
        if action == "flip" and stream:
            stream[min(where, len(stream) - 1)] ^= data.draw(st.integers(1, 255))
        elif action == "garbage":
            stream[where:where] = data.draw(st.binary(min_size=1, max_size=40))
        else:
            del stream[where : where + data.draw(st.integers(1, 40))]
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=8))
    read_alike(bytes(stream), cuts, max_pending=2, partial_timeout=3.0)


def test_a_long_mixed_stream_with_split_events_and_small_limits():
    rng = random.Random(7)
    parts = []
    for n in range(400):
        size = rng.choice([0, 10, 200, MAX_PACKET_SIZE - 1, MAX_PACKET_SIZE, MAX_PACKET_SIZE + 5, 140_000])
        parts.append(frame_event(0x1001D, bytes([n % 256]) * size, source_id=n % 3, mapped=bool(n % 2)))
        if n % 37 == 0:
            parts.append(rng.randbytes(23))  # garbage between packets
    stream = b"".join(parts)
    cuts = [rng.randrange(len(stream)) for _ in range(300)]
    got = read_alike(stream, cuts, max_event_size=100_000)
    assert len(got) > 300


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=64))
def test_the_checksum_is_x25(data):
    from centreon_canopsis.core.bbdo import _framing

    assert _framing.crc16_x25(data) == crc16_x25_reference(data)
    assert _framing.crc16_x25(b"123456789") == 0x906E


def test_bad_arguments_are_refused():
    from centreon_canopsis.core.bbdo import _framing

    with pytest.raises(TypeError):
        _framing.packets(bytearray(b""), 0, 0, RawEvent)
    with pytest.raises(TypeError):
        _framing.packets(b"", 0, 0, dict)
    with pytest.raises(ValueError):
        _framing.packets(b"abc", 4, 0, RawEvent)
    assert _framing.packets(b"", 0, 0, RawEvent) == ([], 0)
