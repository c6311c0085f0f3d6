"""``[source] process = "child"``: the BBDO sessions run in a child process (core/sources/bbdo_child.py).

What must hold as in one process: every event arrives exactly, acknowledgements follow the
daemon's commits only, a port in use is a start error, a child that dies is started again and
Broker's replay loses nothing, and the child never outlives a stop.
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest

from centreon_canopsis.core.bbdo import encode_event, frame_event
from centreon_canopsis.core.bbdo.settings import BBDOSettings
from centreon_canopsis.core.sources.bbdo_child import ChildBBDOSource
from centreon_canopsis.standins.broker.peer import BrokerPeer, RawBytes
from tests.delivery.helpers import alive, child_pids, sandbox
from tests.ops.helpers import EnvDaemon, settings, wait_until, write_toml

from .conftest import Collector
from .samples import all_samples, sample_event


def status(i: int, output: str = "OK") -> dict[str, Any]:
    return {"category": 1, "element": 29, "host_id": i, "service_id": 1, "output": output}


@pytest.fixture
def make_child() -> Iterator[Callable[..., tuple[ChildBBDOSource, Collector]]]:
    made: list[ChildBBDOSource] = []

    def make(**values: Any) -> tuple[ChildBBDOSource, Collector]:
        source = ChildBBDOSource(BBDOSettings(port=0, **values))
        made.append(source)
        source.start()
        return source, Collector(source)  # type: ignore[arg-type]

    yield make
    for source in made:
        source.close()


@pytest.mark.parametrize("version", ["2.0.0", "3.0.0"])
def test_every_event_type_arrives_exactly(make_child, version: str) -> None:
    source, collector = make_child(bbdo_version=version)
    events = all_samples(0) + all_samples(1)
    report = BrokerPeer(events, port=source.address[1], bbdo_version=version).run()
    assert report.complete and report.stop_acknowledged and report.unexpected == 0
    assert collector.events == events  # the same dicts, key order aside, as decoded in one process
    assert [list(event) for event in collector.events] == [
        list(event) for event in _decoded_in_process(events, version)
    ]
    wait_until(lambda: source.counters["events_acked"] == len(events), 5, "the child's counters")
    counters = source.counters
    assert counters["events_received"] == counters["events_decoded"] == len(events)
    assert counters["stops_received"] == 1


def _decoded_in_process(events: list[dict[str, Any]], version: str) -> list[dict[str, Any]]:
    from centreon_canopsis.core.bbdo import Reassembler
    from centreon_canopsis.core.bbdo.codec import BBDOCodec

    codec = BBDOCodec()
    decoded = []
    for event in events:
        (raw,) = Reassembler().feed(codec.encode(event, source_id=1))
        decoded.append(codec.decode(raw.event_id, raw.payload))
    return decoded


def test_rejected_input_keeps_its_offset_and_reason(make_child) -> None:
    source, collector = make_child(ack_events=1)
    truncated = frame_event(0x00010018, encode_event(sample_event("1:24"))[16:60])
    report = BrokerPeer([status(1), RawBytes(truncated), status(2)], port=source.address[1]).run()
    assert report.complete and report.stop_acknowledged
    assert [e["host_id"] for e in collector.events] == [1, 2]
    ((label, reason, raw, code),) = [tuple(entry) for entry in collector.rejected]
    assert label.startswith("offset ") and reason.startswith("undecodable BBDO event")
    # The kept payload crosses the socket pair too (marshal carries bytes).
    assert code == "undecodable" and orjson.loads(raw)["payload_base64"] == base64.b64encode(
        truncated[16:]
    ).decode("ascii")
    batch = next(b for b in collector.batches if b.events)
    assert batch.labels[0].startswith("offset ") and batch.origin.startswith("broker 127.0.0.1:")


def test_acks_only_after_the_daemon_committed(make_child) -> None:
    source, collector = make_child(ack_events=10, ack_interval=0.1, stop_wait=0.3)
    collector.hold = True
    peer = BrokerPeer([status(i) for i in range(1, 101)], port=source.address[1], stop_ack_timeout=10).start()
    collector.wait_for(lambda: len(collector.held) > 0)
    time.sleep(1.0)  # several ack intervals, and Broker's stop
    assert peer.acknowledged == 0
    collector.release()
    report = peer.join(10)
    assert report.complete
    assert [e["host_id"] for e in collector.events] == list(range(1, 101))


def test_a_port_in_use_is_a_start_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        source = ChildBBDOSource(BBDOSettings(port=taken.getsockname()[1]))
        with pytest.raises(OSError, match=r"cannot listen on 127\.0\.0\.1:.*in use"):
            source.start()
        assert source.pid is None


def test_a_killed_child_is_started_again_and_the_replay_loses_nothing(make_child) -> None:
    source, collector = make_child(ack_events=50, ack_interval=0.1)
    collector.hold = True  # nothing committed yet: Broker stops at its window, waiting for acks
    count = 3_000
    peer = BrokerPeer(
        [status(i) for i in range(count)], port=source.address[1], max_unacked=200, reconnect_timeout=30
    ).start()
    collector.wait_for(lambda: sum(len(b.events) for b in collector.held) >= 200, 20)
    wait_until(lambda: source.counters["events_received"] >= 200, 5, "a report of the first child")
    before = source.counters["events_received"]
    first = source.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    collector.release()  # these commits find the child gone: not acknowledged, so sent again
    report = peer.join(60)
    assert report.complete, "Broker reconnected to the new child and every event was acknowledged"
    assert report.connections == 2 and report.replayed >= 200
    assert source.restarts == 1 and source.pid != first
    seen = [event["host_id"] for event in collector.events]
    assert set(seen) == set(range(count)), "nothing lost"
    # Counters never go back: the first child's last report stays in the totals.
    wait_until(lambda: source.counters["events_received"] >= before + count, 5, "counters across children")


def test_close_stops_the_child_even_under_backpressure(make_child) -> None:
    source, collector = make_child()
    collector.resume.clear()  # the pipeline stops asking: the socket pair and the queue fill
    peer = BrokerPeer([status(i, "x" * 500) for i in range(20_000)], port=source.address[1]).start()
    time.sleep(1.5)
    pid = source.pid
    assert pid is not None and alive(pid)
    started = time.monotonic()
    closing = threading.Thread(target=source.close)
    closing.start()
    closing.join(20)
    assert not closing.is_alive() and time.monotonic() - started < 10
    assert not alive(pid)
    collector.resume.set()
    peer.join(10)


def test_run_delivers_the_same_payloads_with_the_reader_in_a_child(tmp_path) -> None:
    """The daemon end to end, BBDO 3 from the simulated Broker: thread and child layouts send
    Canopsis the same events, in the same order."""
    from tests.ops.test_simulate_bbdo import simulate, total_events

    received = {}
    for process in ("thread", "child"):
        box = sandbox()
        work = tmp_path / process
        work.mkdir()
        try:
            top, tables = settings(work, box.port)
            tables["source"]["process"] = process
            config = write_toml(work / "connector.toml", top, tables)
            with EnvDaemon(config) as daemon:
                port = daemon.bbdo_port()
                done = simulate("--bbdo", "3", "--to", f"bbdo://127.0.0.1:{port}")
                assert done.returncode == 0, done.stderr
                expected = total_events("--bbdo", "3")
                assert f"{expected} of {expected} events acknowledged" in done.stderr
                wait_until(lambda d=daemon: d.metric("outbox_items") == 0, 30, "an empty outbox")
                read = daemon.metric
                wait_until(lambda r=read, n=expected: r("bbdo_events_received_total") == n, 10, "counters")
                assert daemon.metric("events_received_total") == expected
                assert daemon.process is not None
                children = child_pids(daemon.process.pid)
                assert bool(children) == (process == "child")
                assert daemon.stop() == 0
            for pid in children:
                wait_until(lambda pid=pid: not alive(pid), 10, "the reader process gone")
            received[process] = box.received_events()
        finally:
            box.stop()

    def timeless(events: list[Any]) -> list[Any]:  # the simulator dates its stream from "now"
        return [
            {k: v for k, v in e.items() if k != "timestamp"} if isinstance(e, dict) else e for e in events
        ]

    assert received["thread"], "the stream sends checks"
    assert timeless(received["child"]) == timeless(received["thread"])


@pytest.mark.parametrize("version", [0, 1])
def test_decoded_events_need_no_entry_check(version: int) -> None:
    """Batch.typed: the pipeline skips core/intake.py for BBDO batches, so what the decoder
    produces must already pass it unchanged (the type id set, ids ints, names str), extreme
    values included."""
    import copy

    from centreon_canopsis.core.bbdo import Reassembler
    from centreon_canopsis.core.bbdo.codec import BBDOCodec
    from centreon_canopsis.core.elements import default_registry
    from centreon_canopsis.core.intake import Intake

    intake, codec = Intake(default_registry()), BBDOCodec()
    for event in all_samples(version):
        for extreme in ({}, {"host_id": 2**64 - 1, "service_id": 2**32 - 1}, {"host_id": 0, "service_id": 0}):
            try:
                changed = {key: value for key, value in extreme.items() if key in event}
                frame = codec.encode({**event, **changed}, source_id=1)
            except Exception:  # a value this event type cannot carry
                continue
            (raw,) = Reassembler().feed(frame)
            decoded = codec.decode(raw.event_id, raw.payload)
            kept = copy.deepcopy(decoded)
            assert intake.admit(decoded) == decoded["_type"] == raw.event_id
            assert decoded == kept


def test_the_reader_process_does_not_outlive_a_killed_daemon(tmp_path) -> None:
    box = sandbox()
    try:
        top, tables = settings(tmp_path, box.port)
        tables["source"]["process"] = "child"
        config = write_toml(tmp_path / "connector.toml", top, tables)
        with EnvDaemon(config) as daemon:
            daemon.bbdo_port()
            assert daemon.process is not None
            pid = daemon.process.pid
            children = wait_until(lambda: child_pids(pid), 10, "the reader process")
            daemon.kill()  # SIGKILL: the reader sees its socket pair close and exits on its own
        for child in children:
            wait_until(lambda child=child: not alive(child), 15, "the reader gone")
    finally:
        box.stop()
