"""``simulate --to bbdo://HOST:PORT``: the simulated Broker feeds a running connector over BBDO."""

from __future__ import annotations

import socket
import subprocess

import pytest

from tests.delivery.helpers import COMMAND, sandbox, wait_until
from tests.ops.helpers import EnvDaemon, settings, write_toml

SIZE = ["--hosts", "5", "--services-per-host", "4", "--events", "400", "--seed", "7"]


def simulate(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, "simulate", *SIZE, *args], capture_output=True, text=True, timeout=timeout
    )


def total_events(*args: str) -> int:
    """How many events the same options write as JSON lines."""
    return len(simulate(*args).stdout.splitlines())


@pytest.mark.parametrize("bbdo", ["3", "2"])
def test_client_mode_feeds_a_listening_connector(tmp_path, bbdo):
    box = sandbox()
    try:
        top, tables = settings(tmp_path, box.port)
        config = write_toml(tmp_path / "connector.toml", top, tables)
        with EnvDaemon(config) as daemon:
            port = daemon.bbdo_port()
            done = simulate("--bbdo", bbdo, "--to", f"bbdo://127.0.0.1:{port}", "--progress")
            assert done.returncode == 0, done.stderr
            expected = total_events("--bbdo", bbdo)
            assert f"{expected} of {expected} events acknowledged" in done.stderr
            assert "acknowledged: 100%" in done.stderr, "a progress bar on request"
            wait_until(lambda: daemon.metric("events_received_total") >= expected, 30, "every event read")
            assert daemon.metric("events_received_total") == expected
            assert daemon.metric("events_invalid_total") == 0
    finally:
        box.stop()


def test_server_mode_with_retention_feeds_a_connecting_connector(tmp_path):
    with socket.socket() as probe:  # a free port for the simulated bbdo_server output
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = sandbox()
    feeder = subprocess.Popen(
        [*COMMAND, "simulate", *SIZE, "--to", f"bbdo://127.0.0.1:{port}", "--mode", "server"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        top, tables = settings(tmp_path, box.port)
        tables["source"] = {"type": "bbdo", "mode": "connect", "host": "127.0.0.1", "port": port}
        config = write_toml(tmp_path / "connector.toml", top, tables)
        with EnvDaemon(config) as daemon:
            _, err = feeder.communicate(timeout=120)
            assert feeder.returncode == 0, err
            expected = total_events()
            assert f"{expected} of {expected} events acknowledged" in err
            assert daemon.metric("events_received_total") == expected
    finally:
        feeder.kill()
        box.stop()


@pytest.mark.parametrize("target", ["tcp://127.0.0.1:5670", "bbdo://127.0.0.1", "bbdo://127.0.0.1:99999"])
def test_a_bad_target_is_a_usage_error(target):
    done = simulate("--to", target)
    assert done.returncode == 2
    assert "expected bbdo://HOST:PORT" in done.stderr
