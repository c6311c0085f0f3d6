"""Property tests: round trips of every event type, and random or mutated bytes at the reassembler."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centreon_canopsis.core.bbdo import BBDOCodec, DecodeError, Reassembler, UnknownEventError, encode_event

from .samples import ALL_KEYS, any_event, events, sample_event

CODEC = BBDOCodec()


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_every_event_type_round_trips(data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(ALL_KEYS))
    event = data.draw(events(key))
    (raw,) = Reassembler().feed(encode_event(event))
    decoded = CODEC.decode(raw.event_id, raw.payload)
    assert decoded == event
    assert list(decoded) == list(event)  # declaration order, like the JSON-lines form


def _decode_all(data: bytes, chunk: int) -> list:
    r = Reassembler(max_event_size=200_000)
    out = []
    for i in range(0, len(data), chunk):
        for raw in r.feed(data[i : i + chunk]):
            if raw.payload is None:
                continue
            try:
                out.append(CODEC.decode(raw.event_id, raw.payload))
            except (DecodeError, UnknownEventError):
                out.append(None)
    return out


@settings(max_examples=200)
@given(st.binary(max_size=4096), st.integers(1, 600))
def test_random_bytes_never_raise(data: bytes, chunk: int) -> None:
    _decode_all(data, chunk)


STREAM = b"".join(encode_event(sample_event(k)) for k in ALL_KEYS)


@settings(max_examples=200)
@given(
    st.lists(st.tuples(st.integers(0, len(STREAM) - 1), st.integers(0, 255)), max_size=20),
    st.lists(st.integers(0, len(STREAM)), max_size=3),
    st.integers(1, 5000),
)
def test_mutated_streams_never_raise(flips: list[tuple[int, int]], cuts: list[int], chunk: int) -> None:
    data = bytearray(STREAM)
    for pos, value in flips:
        data[pos] = value
    for cut in sorted(cuts, reverse=True):
        del data[cut : cut + 7]
    decoded = _decode_all(bytes(data), chunk)
    if not flips and not cuts:
        assert decoded == [sample_event(k) for k in ALL_KEYS]


@settings(max_examples=100)
@given(any_event(), st.binary(min_size=1, max_size=100))
def test_good_event_after_garbage_is_recovered(event: dict, garbage: bytes) -> None:
    # Garbage without a valid header inside is skipped; the event after it decodes.
    r = Reassembler()
    r.feed(garbage)
    raws = r.feed(b"\0" * 16 + encode_event(event))
    decodable = [raw for raw in raws if raw.payload is not None and raw.event_id == event["_type"]]
    if decodable:  # unless the garbage happened to carry a valid header that swallowed bytes
        assert CODEC.decode(decodable[-1].event_id, decodable[-1].payload) == event


@pytest.mark.parametrize("broker_version", ["22.10", "23.10", "24.10"])
@pytest.mark.parametrize("bbdo", [2, 3])
def test_simulated_broker_streams_round_trip(broker_version: str, bbdo: int) -> None:
    """The project's simulated Broker (JSON-lines form) survives BBDO byte for byte, key order included."""
    simulate = pytest.importorskip("centreon_canopsis.standins.broker.broker")
    sim = simulate.SimulatedBroker(bbdo=bbdo, broker_version=broker_version, events=1500)
    events = list(sim.events())
    codec = BBDOCodec(broker_version)
    raws = Reassembler().feed(b"".join(codec.encode(e) for e in events))
    decoded = [codec.decode(raw.event_id, raw.payload) for raw in raws]
    assert decoded == events
    assert [list(d) for d in decoded] == [list(e) for e in events]
