"""Random and mutated bytes thrown at a live listener while a well-behaved Broker keeps streaming."""

from __future__ import annotations

import logging
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centreon_canopsis.core.bbdo import Welcome, encode_event
from centreon_canopsis.standins.broker.peer import BrokerPeer

from .conftest import wait_until
from .samples import ALL_KEYS, sample_event

WELCOMES = [Welcome.for_version(v).encode() for v in ("2.0.0", "3.0.0", "3.0.1")]
STREAM = b"".join(encode_event(sample_event(k)) for k in ALL_KEYS)


@st.composite
def hostile_input(draw: st.DrawFn) -> bytes:
    """No welcome at all, or a welcome followed by random or mutated event bytes."""
    kind = draw(st.sampled_from(["random", "after-welcome", "mutated"]))
    if kind == "random":
        return draw(st.binary(max_size=3000))
    welcome = draw(st.sampled_from(WELCOMES))
    if kind == "after-welcome":
        return welcome + draw(st.binary(max_size=3000))
    data = bytearray(STREAM)
    for _ in range(draw(st.integers(1, 30))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    start = draw(st.integers(0, len(data)))
    return welcome + bytes(data[start:] + data[:start])


def test_listener_survives_hostile_peers(make_source, caplog: pytest.LogCaptureFixture) -> None:
    source, collector = make_source(handshake_timeout=0.2, idle_timeout=0.5)
    events = [{"category": 1, "element": 29, "host_id": i, "service_id": 1} for i in range(1, 3001)]
    good = BrokerPeer(events, port=source.address[1], send_chunk=2048).start()
    calls: list[int] = []

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(hostile_input(), st.booleans())
    def throw(data: bytes, linger: bool) -> None:
        calls.append(len(data))
        with socket.create_connection(source.address, timeout=2) as sock:
            try:
                sock.sendall(data)
                if linger:
                    sock.settimeout(0.05)
                    sock.recv(100)
            except OSError:
                pass  # the listener may drop us first: that is fine

    with caplog.at_level(logging.ERROR):
        throw()
    report = good.join(30)
    assert report.complete
    good_ids = [e["host_id"] for e in collector.events if e["_type"] == 65565 and e["service_id"] == 1]
    assert good_ids == list(range(1, 3001))  # hostile streams may carry valid events of their own
    every_one = len(calls) + 1
    wait_until(
        lambda: source.counters["connections"] == every_one, timeout=10, what="every connection accepted"
    )
    wait_until(lambda: source.counters["active_peers"] == 0, timeout=10, what="hostile peers dropped")
    # Resets and garbage are warnings; an ERROR would be an exception that escaped a session.
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    # and the listener still serves a well-behaved peer
    assert BrokerPeer(events[:10], port=source.address[1]).run().complete
