"""systemd's notification protocol: a real unix datagram socket stands for systemd."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import pytest

from centreon_canopsis.core.sdnotify import Notifier
from tests.delivery.helpers import sandbox, wait_until
from tests.ops.helpers import EnvDaemon, settings, write_toml


class FakeSystemd:
    """The receiving end of NOTIFY_SOCKET: collects every datagram."""

    def __init__(self, path: Path | None = None) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if path is None:  # the abstract namespace, as systemd uses it
            self.sock.bind(f"\0centreon-canopsis-test-{id(self)}")
            self.address = "@" + self.sock.getsockname()[1:].decode()
        else:
            self.sock.bind(str(path))
            self.address = str(path)
        self.sock.settimeout(0.1)
        self.messages: list[str] = []

    def receive(self) -> list[str]:
        while True:
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except TimeoutError:
                return self.messages

    def fields(self) -> list[str]:
        return [field for message in self.receive() for field in message.split("\n")]

    def close(self) -> None:
        self.sock.close()


def test_outside_systemd_nothing_is_sent():
    notifier = Notifier({})
    assert not notifier.enabled
    assert notifier.ready() is False and notifier.watchdog() is False


@pytest.mark.parametrize("abstract", [True, False])
def test_messages_reach_the_socket(tmp_path, abstract):
    systemd = FakeSystemd(None if abstract else tmp_path / "notify")
    try:
        notifier = Notifier({"NOTIFY_SOCKET": systemd.address, "WATCHDOG_USEC": "2000000"})
        assert notifier.watchdog_interval == 1.0  # half of WatchdogSec
        assert notifier.ready("running")
        assert notifier.watchdog(now=100.0)
        assert not notifier.watchdog(now=100.5), "not due yet"
        assert notifier.watchdog(now=101.0)
        assert systemd.receive() == ["READY=1\nSTATUS=running", "WATCHDOG=1", "WATCHDOG=1"]
    finally:
        systemd.close()


def test_watchdog_of_another_process_is_ignored():
    notifier = Notifier({"NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"})
    assert notifier.watchdog_interval is None


def test_the_daemon_notifies_ready_watchdog_reload_and_stop(tmp_path):
    """READY=1 only once the BBDO source listens; WATCHDOG=1 while idle; SIGHUP: RELOADING=1 then
    READY=1; SIGTERM: STOPPING=1."""
    systemd = FakeSystemd()
    box = sandbox()
    try:
        top, tables = settings(tmp_path, box.port)
        config = write_toml(tmp_path / "connector.toml", top, tables)
        env = {"NOTIFY_SOCKET": systemd.address, "WATCHDOG_USEC": "1000000"}
        with EnvDaemon(config, env) as daemon:
            wait_until(lambda: "READY=1" in systemd.fields(), 30, "READY=1")
            port = daemon.bbdo_port()
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                pass  # it listened before it said it was ready
            wait_until(lambda: systemd.fields().count("WATCHDOG=1") >= 3, 30, "watchdog pings while idle")
            daemon.signal(signal.SIGHUP)
            wait_until(lambda: _reloaded(systemd), 30, "RELOADING=1, then READY=1")
            daemon.signal(signal.SIGTERM)
            assert daemon.wait(30) == 0
            assert "STOPPING=1" in systemd.fields()
    finally:
        box.stop()
        systemd.close()


def _reloaded(systemd: FakeSystemd) -> bool:
    fields = systemd.fields()
    if "RELOADING=1" not in fields:
        return False
    return "READY=1" in fields[fields.index("RELOADING=1") :]


def test_watchdog_stops_when_the_pipeline_loop_is_wedged(tmp_path):
    """The pings come from the pipeline's own loop: a loop stuck in a plugin stops them."""
    systemd = FakeSystemd()
    box = sandbox()
    try:
        top, tables = settings(tmp_path, box.port)
        tables["plugins"] = {"load": ["tests.ops.wedge:Wedge"]}
        config = write_toml(tmp_path / "connector.toml", top, tables)
        env = {"NOTIFY_SOCKET": systemd.address, "WATCHDOG_USEC": "400000"}
        with EnvDaemon(config, env) as daemon:
            wait_until(lambda: systemd.fields().count("WATCHDOG=1") >= 2, 30, "watchdog pings")
            port = daemon.bbdo_port()
            from centreon_canopsis.standins.broker.peer import BrokerPeer
            from tests.support import events as ev

            peer = BrokerPeer([*ev.v3_configuration(), ev.v3_service_status(output="WEDGE")], port=port)
            peer.start()
            wait_until(lambda: (tmp_path / "wedge-entered").exists(), 30, "the plugin to block")
            time.sleep(0.5)
            before = systemd.fields().count("WATCHDOG=1")
            time.sleep(2.0)
            assert systemd.fields().count("WATCHDOG=1") == before, "no ping while the loop is stuck"
            peer.close()
    finally:
        box.stop()
        systemd.close()
