"""SIGHUP: a valid configuration is swapped in under load, an invalid one is refused.

A simulated Broker feeds the daemon over BBDO on one connection while Canopsis answers slowly
enough for the outbox to fill (backpressure), so the stream is still flowing when the filter
changes. The new filter drops UNKNOWN service states. Between two batches the filter swaps: every
UNKNOWN event before the swap is delivered, none after it; every other event is delivered exactly
once; Broker never reconnects.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from centreon_canopsis.standins.broker.peer import BrokerPeer
from tests.delivery.helpers import child_pids, configuration, duplicates, sandbox, seqs, wait_until
from tests.ops.helpers import EnvDaemon, settings, write_toml
from tests.support import events as ev

COUNT = 12_000
UNKNOWN = 3


def stream(count: int) -> list[dict]:
    """Numbered service statuses cycling through OK, WARNING, CRITICAL, UNKNOWN."""
    return [
        ev.v3_service_status(
            state=seq % 4,
            last_check=1_700_000_000 + seq,
            output=f"CHECK seq={seq:07d}",
            service_id=ev.SERVICE_ID + seq % 20,
        )
        for seq in range(count)
    ]


def test_sighup_under_load_swaps_a_filter_without_loss_doubles_or_reconnection(tmp_path: Path):
    box = sandbox()
    try:
        # Canopsis takes 0.1 s per request of at most 250 events: at most 2,500 events a second
        # however fast the machine, so the stream lasts seconds; the outbox fills, reading pauses.
        box.add_latency(0.1)
        top, tables = settings(
            tmp_path, box.port, service_status="0,1,2,3", max_buffer_size=100, max_batch_size=250
        )
        tables["delivery"]["max_outbox_events"] = 1000
        config = write_toml(tmp_path / "connector.toml", top, tables)
        with EnvDaemon(config) as daemon:
            port = daemon.bbdo_port()
            peer = BrokerPeer([*configuration(), *stream(COUNT)], port=port, stop_ack_timeout=30).start()
            wait_until(lambda: len(seqs(box.received_events())) > 1000, 60, "the first deliveries")

            top["service_status"] = "0,1,2"  # UNKNOWN dropped from now on
            write_toml(config, top, tables)
            daemon.signal(signal.SIGHUP)
            wait_until(lambda: "reloaded" in daemon.log(), 30, "the reload")
            assert len(seqs(box.received_events())) < COUNT * 3 // 4 - 500, "the stream still flows"

            report = peer.join(120)
            assert report.complete, report
            wait_until(lambda: daemon.metric("outbox_items") == 0, 60, "an empty outbox")
            assert daemon.metric("reloads_total", result="applied") == 1
            assert daemon.process.poll() is None

        received = seqs(box.received_events())
        assert duplicates(received) == 0, "no event doubled"
        delivered = set(received)
        others = {seq for seq in range(COUNT) if seq % 4 != UNKNOWN}
        assert others <= delivered, f"lost: {sorted(others - delivered)[:10]}"
        unknown = [seq for seq in range(COUNT) if seq % 4 == UNKNOWN]
        kept = [seq for seq in unknown if seq in delivered]
        # One swap point: the UNKNOWN events before it were delivered, none after.
        assert kept == unknown[: len(kept)], "the old filter before the swap, the new one after"
        assert 0 < len(kept) < len(unknown), "the swap happened while the stream was flowing"
        assert report.connections == 1, "Broker never reconnected"
        assert daemon.log().count("Broker connected") == 1
    finally:
        box.stop()


def test_sighup_with_an_invalid_configuration_keeps_the_running_one(tmp_path: Path):
    box = sandbox()
    try:
        top, tables = settings(tmp_path, box.port, service_status="0,1,2")
        config = write_toml(tmp_path / "connector.toml", top, tables)
        with EnvDaemon(config) as daemon:
            port = daemon.bbdo_port()
            top["service_status"] = "0,9"  # 9 is no service state
            write_toml(config, top, tables)
            daemon.signal(signal.SIGHUP)
            wait_until(lambda: "reload refused" in daemon.log(), 30, "the refusal")
            assert "service_status" in daemon.log().split("reload refused", 1)[1]
            assert daemon.metric("reloads_total", result="refused") == 1
            # Still running, on the old filter: UNKNOWN dropped, the rest delivered.
            peer = BrokerPeer([*configuration(), *stream(40)], port=port).start()
            assert peer.join(60).complete
            wait_until(lambda: len(seqs(box.received_events())) == 30, 30, "30 events")
            assert sorted(seqs(box.received_events())) == [s for s in range(40) if s % 4 != UNKNOWN]
            assert daemon.stop() == 0
    finally:
        box.stop()


@pytest.mark.parametrize("process", ["thread", "child"])
def test_sighup_reopens_the_log_file(tmp_path: Path, process: str):
    """logrotate moves the file, then sends SIGHUP: the daemon (and its delivery and reader
    processes) write to a new file at the path."""
    box = sandbox()
    try:
        top, tables = settings(tmp_path, box.port)
        tables["delivery"]["process"] = tables["source"]["process"] = process
        config = write_toml(tmp_path / "connector.toml", top, tables)
        log = tmp_path / "connector.log"
        with EnvDaemon(config) as daemon:
            daemon.bbdo_port()
            log.rename(tmp_path / "connector.log.1")
            daemon.signal(signal.SIGHUP)
            # The child processes reopen on their own signal, maybe after the daemon's line:
            # waited for, not raced by the stop below (a CI run stopped first once).
            lines = ["reloaded"]
            if process == "child":
                lines += ["BBDO reader process", "log file reopened"]
            wait_until(
                lambda: log.exists() and all(line in log.read_text() for line in lines), 30, "a new log file"
            )
            assert daemon.process.poll() is None
            assert daemon.stop() == 0
            if process == "child":  # written by the delivery and reader processes: the new file
                text = log.read_text()
                assert "delivery process" in text and "configuration reloaded" in text
                assert "BBDO reader process" in text and "log file reopened" in text
    finally:
        box.stop()


@pytest.mark.parametrize("process", ["thread", "child"])
def test_sighup_swaps_the_canopsis_settings_and_keeps_the_source(tmp_path: Path, process: str):
    """A wrong authkey fixed in the file: after SIGHUP the waiting payloads go through, Broker's
    connection stays, and the [source] change in the same file waits for a restart. With
    ``[delivery] process = "child"`` the delivery process takes the new settings too."""
    box = sandbox()
    try:
        top, tables = settings(tmp_path, box.port, canopsis_authkey="wrong-key-1234")
        tables["delivery"]["process"] = process
        config = write_toml(tmp_path / "connector.toml", top, tables)
        with EnvDaemon(config) as daemon:
            port = daemon.bbdo_port()
            peer = BrokerPeer([*configuration(), *stream(20)], port=port, stop_ack_timeout=30).start()
            wait_until(lambda: daemon.metric("send_failures_total", cause="401") >= 1, 30, "401 answers")
            assert seqs(box.received_events()) == []

            top["canopsis_authkey"] = box.authkey
            tables["source"]["port"] = port + 1  # cannot change while running
            write_toml(config, top, tables)
            daemon.signal(signal.SIGHUP)
            wait_until(lambda: sorted(seqs(box.received_events())) == list(range(20)), 30, "every event")
            assert peer.join(60).complete
            log = daemon.log()
            assert "reloaded" in log and "except [source]: a change there needs a restart" in log
            assert ("delivery process" in log) == (process == "child")
            assert daemon.bbdo_port() == port and peer.report.connections == 1
            assert "wrong-key-1234" not in log and box.authkey not in log
            assert daemon.stop() == 0
    finally:
        box.stop()


def test_sighup_keeps_the_running_delivery_process_layout(tmp_path: Path):
    """``[delivery] process`` decides which processes run: a reload says it needs a restart and
    keeps the running layout, while the rest of the file is swapped in."""
    box = sandbox()
    try:
        top, tables = settings(tmp_path, box.port)
        config = write_toml(tmp_path / "connector.toml", top, tables)
        with EnvDaemon(config) as daemon:
            port = daemon.bbdo_port()
            tables["delivery"]["process"] = "child"
            write_toml(config, top, tables)
            daemon.signal(signal.SIGHUP)
            wait_until(lambda: "reloaded" in daemon.log(), 30, "the reload")
            peer = BrokerPeer([*configuration(), *stream(20)], port=port, stop_ack_timeout=30).start()
            wait_until(lambda: sorted(seqs(box.received_events())) == list(range(20)), 30, "every event")
            assert peer.join(60).complete
            log = daemon.log()
            assert "except [delivery] process: a change there needs a restart" in log
            assert child_pids(daemon.process.pid) == []  # the senders still run as threads
            assert daemon.stop() == 0
    finally:
        box.stop()
