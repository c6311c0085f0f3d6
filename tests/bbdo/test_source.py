"""The BBDO source against the Broker stand-in, over real sockets on loopback."""

from __future__ import annotations

import base64
import logging
import socket
import ssl
import threading
import time
from pathlib import Path

import orjson
import pytest

from centreon_canopsis.core.bbdo import Reassembler, Welcome, encode_event, frame_event, parse_ack
from centreon_canopsis.core.bbdo.ids import ACKS, VERSION_RESPONSE
from centreon_canopsis.core.logsetup import NOTICE
from centreon_canopsis.core.sources.bbdo import BBDOSource
from centreon_canopsis.standins.broker.peer import BrokerPeer, RawBytes

from .conftest import wait_until
from .samples import all_samples, sample_event
from .test_oracles import GARBAGE_66


def status(i: int, output: str = "OK") -> dict:
    return {"category": 1, "element": 29, "host_id": i, "service_id": 1, "output": output}


def read_acks(sock: socket.socket, reassembler: Reassembler, timeout: float = 0.3) -> list[int]:
    """Ack counts the connector sent within ``timeout``; fails on anything that is not an ack."""
    sock.settimeout(timeout)
    counts = []
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            for raw in reassembler.feed(data):
                assert raw.event_id in ACKS, f"connector wrote {raw.event_id:#x}"
                counts.append(parse_ack(raw.event_id, raw.payload))
    except TimeoutError:
        pass
    return counts


def raw_peer(port: int, version: str = "3.0.0") -> tuple[socket.socket, Reassembler, Welcome]:
    """A hand-driven Broker: connects, sends its welcome, reads the answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=3)
    sock.sendall(Welcome.for_version(version).encode())
    reassembler = Reassembler()
    sock.settimeout(3)
    while True:
        events = reassembler.feed(sock.recv(4096))
        if events:
            from centreon_canopsis.core.bbdo import parse_welcome

            return sock, reassembler, parse_welcome(events[0].event_id, events[0].payload)


@pytest.mark.parametrize("version", ["2.0.0", "3.0.0", "3.0.1"])
def test_every_event_type_arrives_exactly(make_source, version: str) -> None:
    source, collector = make_source(bbdo_version=version)
    events = all_samples(0) + all_samples(1)
    report = BrokerPeer(events, port=source.address[1], bbdo_version=version).run()
    assert report.complete and report.stop_acknowledged and report.unexpected == 0
    assert collector.events == events
    (welcome,) = report.welcomes
    assert (welcome.version, welcome.protobuf, welcome.extensions) == (version, version == "3.0.1", ())
    counters = source.counters
    assert (
        counters["events_received"] == counters["events_decoded"] == counters["events_acked"] == len(events)
    )
    assert counters["stops_received"] == 1 and counters["version_mismatches"] == 0


def test_acks_count_undecodable_unknown_and_split_events_once(make_source) -> None:
    source, collector = make_source(ack_events=1)
    truncated = frame_event(0x00010018, encode_event(sample_event("1:24"))[16:60])
    unknown = frame_event(0x00010063, b"whatever")
    split = {**status(3), "output": "x" * 200_000}
    items = [
        status(1),
        RawBytes(truncated),
        RawBytes(b"\xde\xad\xbe\xef" * 10, events=0),  # garbage: no event, nothing to count
        status(2),
        RawBytes(unknown),
        split,
        RawBytes(truncated),
    ]
    report = BrokerPeer(items, port=source.address[1]).run()
    assert report.total == 6 and report.complete and report.stop_acknowledged
    assert [e["host_id"] for e in collector.events] == [1, 2, 3]
    assert collector.events[2]["output"] == "x" * 200_000
    assert [r.reason.startswith("undecodable") for r in collector.rejected] == [True, True]
    # Acknowledged, so never sent again: the exact payload is kept (core/bbdo/kept.py).
    kept = [orjson.loads(r.raw) for r in collector.rejected]
    assert [base64.b64decode(k["payload_base64"]) for k in kept] == [truncated[16:]] * 2
    assert [(k["bbdo_codec"], k["bbdo_event_id"]) for k in kept] == [("mapped", 0x00010018)] * 2
    counters = source.counters
    assert (counters["events_received"], counters["events_decoded"]) == (6, 3)
    assert (counters["events_undecodable"], counters["events_unknown"]) == (2, 1)
    assert counters["corrupted_bytes"] == 40 and counters["resyncs"] == 1


def test_acks_only_after_commit(make_source) -> None:
    source, collector = make_source(ack_events=10, ack_interval=0.1, stop_wait=0.3)
    collector.hold = True
    peer = BrokerPeer([status(i) for i in range(1, 101)], port=source.address[1], stop_ack_timeout=10).start()
    collector.wait_for(lambda: len(collector.held) > 0 and source.counters["stops_received"] == 1)
    time.sleep(0.5)  # several ack intervals, and the stop's final ack (of 0 events)
    assert peer.acknowledged == 0 and source.counters["events_acked"] == 0
    collector.release()
    report = peer.join(10)
    assert report.complete
    assert [e["host_id"] for e in collector.events] == list(range(1, 101))


def test_legacy_stop_gets_the_final_ack(make_source) -> None:
    source, _collector = make_source(ack_events=1000, ack_interval=60)
    report = BrokerPeer(
        [status(i) for i in range(1, 51)], port=source.address[1], broker_version="22.10"
    ).run()
    assert report.complete and report.stop_acknowledged
    counters = source.counters
    assert counters["acks_sent"] == 1 and counters["events_acked"] == 50 and counters["stops_received"] == 1


def test_raw_peer_sees_nothing_but_acks(make_source) -> None:
    source, collector = make_source(ack_events=3, ack_interval=0.1)
    sock, reassembler, welcome = raw_peer(source.address[1])
    assert welcome.version == "3.0.0" and not welcome.protobuf and welcome.extensions == ()
    sock.sendall(b"".join(encode_event(status(i)) for i in range(7)))
    collector.wait_events(7)
    acks = read_acks(sock, reassembler, 0.5)
    assert sum(acks) == 7
    sock.close()


def test_garbage_before_the_welcome_is_skipped(make_source) -> None:
    source, _collector = make_source()
    sock = socket.create_connection(source.address, timeout=3)
    sock.sendall(GARBAGE_66 + Welcome(3, 0, 1, (), True, 1, "JavaMap").encode(source_id=1))
    reply = Reassembler().feed(sock.recv(4096))
    assert len(reply) == 1 and reply[0].event_id == 0x00020007  # pb_welcome answered with pb_welcome
    sock.close()
    assert source.counters["handshake_failures"] == 0


def test_silent_peer_and_wrong_first_message_are_dropped(make_source) -> None:
    source, _collector = make_source(handshake_timeout=0.3)
    t0 = time.monotonic()
    silent = socket.create_connection(source.address, timeout=3)
    wrong = socket.create_connection(source.address, timeout=3)
    wrong.sendall(encode_event(status(1)))
    assert wrong.recv(100) == b""  # dropped at once, nothing written
    assert silent.recv(100) == b""
    assert 0.3 <= time.monotonic() - t0 < 2.0
    wait_until(lambda: source.counters["handshake_failures"] == 2, what="two handshake failures")
    wait_until(lambda: source.counters["active_peers"] == 0, what="no peer left")


def test_idle_peer_is_dropped(make_source) -> None:
    source, _collector = make_source(idle_timeout=0.3)
    sock, _reassembler, _ = raw_peer(source.address[1])
    sock.settimeout(3)
    assert sock.recv(100) == b""
    wait_until(lambda: source.counters["idle_timeouts"] == 1, what="idle timeout")


def test_major_mismatch_is_logged_and_mirrored(make_source, caplog: pytest.LogCaptureFixture) -> None:
    source, _collector = make_source(bbdo_version="3.0.0")
    with caplog.at_level(logging.WARNING):
        report = BrokerPeer([sample_event("1:24")], port=source.address[1], bbdo_version="2.0.0").run()
    assert report.complete and report.welcomes[0].version == "2.0.0"
    assert source.counters["version_mismatches"] == 1
    assert any("BBDO 2.0.0" in r.message and "bbdo_version is 3.0.0" in r.message for r in caplog.records)


def test_two_peers_at_once_one_sending_garbage(make_source) -> None:
    source, collector = make_source(handshake_timeout=1.0)
    good = BrokerPeer([status(i) for i in range(1, 2001)], port=source.address[1], send_chunk=4096).start()
    bad, _, _ = raw_peer(source.address[1])
    bad.sendall(b"\x00garbage" * 500 + frame_event(0x00010063, b"??") + encode_event(status(9))[:-3])
    bad.close()
    report = good.join(20)
    assert report.complete
    # the bad peer's last event is truncated: it never shows up
    assert [e["host_id"] for e in collector.events] == list(range(1, 2001))
    wait_until(lambda: source.counters["active_peers"] == 0, what="both peers gone")
    counters = source.counters
    assert counters["corrupted_bytes"] >= 4000 and counters["truncated_streams"] == 1
    assert counters["events_unknown"] == 1 and counters["peer_errors"] == 0


def test_backpressure_stops_reading(make_source) -> None:
    source, collector = make_source(queue_batches=2, max_batch_events=50)
    collector.resume.clear()  # the pipeline stops asking for batches
    events = [status(i, "o" * 2000) for i in range(1, 20_001)]
    peer = BrokerPeer(events, port=source.address[1]).start()
    time.sleep(0.5)
    received = source.counters["events_received"]
    time.sleep(0.3)
    assert source.counters["events_received"] == received < len(events)
    collector.resume.set()
    report = peer.join(30)
    assert report.complete and len(collector.events) == len(events)


def test_kill_mid_stream_then_replay_loses_nothing(make_source) -> None:
    first, first_collector = make_source(ack_events=100, ack_interval=0.1, max_batch_events=100)
    port = first.address[1]
    events = [status(i) for i in range(1, 5001)]
    peer = BrokerPeer(events, port=port, retry_interval=0.05, max_unacked=2000).start()
    first_collector.wait_events(1000)
    first_collector.hold = True  # the next batches are read but never committed
    wait_until(lambda: peer.acknowledged >= 1000, what="first acks")
    first.close()  # the "kill": no stop, no final ack
    _second, second_collector = make_source(port=port, ack_events=100, ack_interval=0.1)
    report = peer.join(30)
    assert report.complete and report.connections == 2 and report.replayed > 0
    first_ids = [e["host_id"] for e in first_collector.events]
    second_ids = [e["host_id"] for e in second_collector.events]
    assert first_ids == list(range(1, len(first_ids) + 1))
    # Broker replays from the oldest unacknowledged event, which is at or before what we committed.
    assert second_ids == list(range(second_ids[0], 5001)) and second_ids[0] <= len(first_ids) + 1
    assert set(first_ids) | set(second_ids) == set(range(1, 5001))


def test_connect_mode_speaks_first_and_reconnects(make_source) -> None:
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nobody listens there yet: the source retries with backoff
    source, collector = make_source(
        mode="connect", port=port, bbdo_version="3.0.1", reconnect_max_delay=0.2, reconnect_min_delay=0.05
    )
    time.sleep(0.3)
    events = [status(i) for i in range(1, 301)]
    peer = BrokerPeer(events[:150], mode="server", port=port, bbdo_version="3.0.1")
    report = peer.run()
    assert report.complete and report.welcomes[0].protobuf and report.welcomes[0].version == "3.0.1"
    # Broker restarts: a new server on the same port; the source reconnects by itself.
    report = BrokerPeer(events[150:], mode="server", port=port, bbdo_version="3.0.1").run()
    assert report.complete
    assert [e["host_id"] for e in collector.events] == list(range(1, 301))
    assert source.counters["connections"] >= 2 and source.counters["handshakes"] == 2


def test_connect_mode_major_mismatch_is_refused(make_source, caplog: pytest.LogCaptureFixture) -> None:
    peer = BrokerPeer([status(1)], mode="server", bbdo_version="2.0.0", reconnect_timeout=1.0)
    source, _collector = make_source(
        mode="connect", port=peer.port, bbdo_version="3.0.0", reconnect_min_delay=0.1
    )
    with caplog.at_level(logging.WARNING):
        report = peer.run()
    assert report.acknowledged == 0 and report.connections == 0
    assert source.counters["version_mismatches"] >= 1
    assert any("majors must match" in r.message for r in caplog.records)


def test_tls_negotiated_in_band(make_source, tls_files: tuple[Path, Path]) -> None:
    cert, key = tls_files
    source, collector = make_source(tls_cert=str(cert), tls_key=str(key))
    client = ssl.create_default_context(cafile=str(cert))
    events = [status(i) for i in range(1, 501)]
    report = BrokerPeer(events, port=source.address[1], tls_context=client).run()
    assert report.complete and report.welcomes[0].extensions == ("TLS",)
    assert [e["host_id"] for e in collector.events] == list(range(1, 501))
    # A peer that does not offer TLS still gets served in clear.
    report = BrokerPeer(events[:5], port=source.address[1]).run()
    assert report.complete and report.welcomes[0].extensions == ("TLS",)


def test_no_tls_advertised_without_certificates(make_source) -> None:
    source, collector = make_source()
    sock = socket.create_connection(source.address, timeout=3)
    sock.sendall(Welcome(3, 0, 0, ("TLS", "COMPRESSION")).encode())
    (reply,) = Reassembler().feed(sock.recv(4096))
    assert reply.event_id == VERSION_RESPONSE
    assert reply.payload == b"\x00\x03\x00\x00\x00\x00\x00"  # 3.0.0, empty extension list
    sock.sendall(encode_event(status(5)))  # and the stream stays in clear
    collector.wait_events(1)
    sock.close()


def test_close_stops_everything(make_source) -> None:
    source, _collector = make_source()
    sock, _, _ = raw_peer(source.address[1])
    wait_until(lambda: source.counters["active_peers"] == 1, what="peer registered")
    source.close()
    sock.settimeout(3)
    assert sock.recv(100) == b""
    with pytest.raises(OSError):
        socket.create_connection(source.address, timeout=1)
    assert not any(t.name.startswith("bbdo-") and t.is_alive() for t in threading.enumerate())


def test_from_config_reads_the_source_table() -> None:
    source = BBDOSource.from_config(
        {
            "type": "bbdo",
            "mode": "connect",
            "host": "10.0.0.1",
            "port": 5680,
            "bbdo_version": "3.0.1",
            "path": "-",
        }
    )
    s = source.settings
    assert (s.mode, s.host, s.port, s.bbdo_version, s.ack_events, s.ack_interval) == (
        "connect",
        "10.0.0.1",
        5680,
        "3.0.1",
        1000,
        5.0,
    )
    for bad in (
        {"mode": "both"},
        {"port": 70000},
        {"bbdo_version": "4.0.0"},
        {"tls_cert": "x"},
        {"type": "jsonl"},
    ):
        with pytest.raises(ValueError):
            BBDOSource.from_config(bad)


def test_broker_connecting_and_leaving_show_at_the_default_log_level(make_source, caplog) -> None:
    """Issue 12: an admin at log level 1 (NOTICE and above) sees Broker connect and disconnect."""
    source, _collector = make_source()
    with caplog.at_level(NOTICE, logger="centreon_canopsis"):
        report = BrokerPeer([status(i) for i in range(1, 11)], port=source.address[1]).run()
        assert report.complete
        wait_until(lambda: any("Broker disconnected" in r.getMessage() for r in caplog.records), 5)
    shown = [r.getMessage() for r in caplog.records if r.levelno >= NOTICE]
    connected = [m for m in shown if "Broker connected: BBDO" in m]
    gone = [m for m in shown if "Broker disconnected (stopped): 10 events received, 10 acknowledged" in m]
    assert len(connected) == 1 and len(gone) == 1, shown
