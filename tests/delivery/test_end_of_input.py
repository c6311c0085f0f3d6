"""A finite input that ends: ``run`` delivers what it gave (bounded by delivery.drain_timeout) or
exits 1 naming what is left; ``replay`` gives up after the same default (issue 10 item 12)."""

from __future__ import annotations

import socket
import subprocess

from tests.delivery.helpers import COMMAND, cli, sandbox, write_config, write_stream

COUNT = 30


def closed_port() -> int:
    """A loopback port nothing listens on: Canopsis unreachable."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_run_at_end_of_a_file_delivers_everything_then_exits_0(tmp_path):
    events = write_stream(tmp_path / "events.jsonl", COUNT)
    with sandbox() as canopsis:
        config = write_config(tmp_path, canopsis.port, events, source={"follow": False})
        done = cli("run", "-c", str(config))
        received = len(canopsis.received_events())
    assert done.returncode == 0, (done.stdout, done.stderr, (tmp_path / "connector.log").read_text())
    assert received == COUNT
    assert "everything delivered" in (tmp_path / "connector.log").read_text()


def test_run_at_end_of_a_file_with_canopsis_down_exits_1_naming_what_is_left(tmp_path):
    events = write_stream(tmp_path / "events.jsonl", COUNT)
    config = write_config(
        tmp_path, closed_port(), events, source={"follow": False}, delivery={"drain_timeout": 1}
    )
    done = cli("run", "-c", str(config))
    log = (tmp_path / "connector.log").read_text()
    assert done.returncode == 1, log
    assert f"not delivered within delivery.drain_timeout = 1s: {COUNT} payloads wait in the outbox" in log
    assert "lane events: 30, last error:" in log


def test_run_on_standard_input_at_its_end_exits_1_naming_what_is_left(tmp_path):
    events = write_stream(tmp_path / "events.jsonl", COUNT)
    config = write_config(tmp_path, closed_port(), source={"path": "-", "follow": False})
    config.write_text(config.read_text() + "drain_timeout = 1\n")  # into the last table: [metrics]
    text = (
        config.read_text()
        .replace("drain_timeout = 1\n", "")
        .replace("[delivery]\n", "[delivery]\ndrain_timeout = 1\n")
    )
    config.write_text(text)
    done = subprocess.run(
        [*COMMAND, "run", "-c", str(config)], input=events.read_bytes(), capture_output=True, timeout=60
    )
    log = (tmp_path / "connector.log").read_text()
    assert done.returncode == 1, log
    assert f"{COUNT} payloads wait in the outbox" in log


def test_run_on_empty_standard_input_exits_0(tmp_path):
    config = write_config(tmp_path, closed_port(), source={"path": "-", "follow": False})
    done = subprocess.run([*COMMAND, "run", "-c", str(config)], stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 0


def test_replay_gives_up_after_the_default_time_limit_naming_what_is_left(tmp_path):
    events = write_stream(tmp_path / "events.jsonl", COUNT)
    config = write_config(tmp_path, closed_port(), events, delivery={"drain_timeout": 1})
    done = cli("replay", "-c", str(config), str(events), timeout=45)
    assert done.returncode == 1, done.stderr
    assert (
        f"not delivered within 1s: {COUNT} payloads wait in the outbox (lane events: {COUNT}" in done.stdout
    )
