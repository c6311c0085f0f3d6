"""``centreon-canopsis simulate`` writes valid JSON lines and a summary."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from centreon_canopsis.core.cli import COMMANDS, main
from centreon_canopsis.core.cli.exitcodes import FAILED, OK, USAGE
from centreon_canopsis.standins.broker import SimulatedBroker, check_stream

ARGS = ["simulate", "--hosts", "5", "--services-per-host", "3", "--events", "800", "--start", "1700000000"]


def test_simulate_is_a_command() -> None:
    assert "simulate" in COMMANDS


def test_writes_json_lines_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, truth_file = tmp_path / "events.jsonl", tmp_path / "truth.json"
    assert main([*ARGS, "--seed", "4", "-o", str(out), "--truth", str(truth_file), "--check"]) == OK
    data = out.read_bytes()
    assert data.endswith(b"\n")
    events = [orjson.loads(line) for line in data.splitlines()]
    assert check_stream(events) == []
    broker = SimulatedBroker(hosts=5, services_per_host=3, events=800, start=1_700_000_000, seed=4)
    assert events == list(broker.events())
    assert orjson.loads(truth_file.read_bytes()) == orjson.loads(orjson.dumps(broker.truth().to_dict()))
    summary = capsys.readouterr().err.strip().splitlines()
    assert len(summary) == 1
    assert summary[0].startswith(f"simulate: {len(events)} events ({broker.config_events} configuration, ")
    status_count = sum(1 for e in events if e["element"] == 29 and e["category"] == 1)
    assert f" pb_service_status={status_count} " in summary[0]
    assert "seed=4 bbdo=3 broker=24.10" in summary[0]


def test_writes_to_standard_output(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main([*ARGS, "--bbdo", "2", "--broker-version", "22.10", "-o", "-"]) == OK
    captured = capsysbinary.readouterr()
    events = [orjson.loads(line) for line in captured.out.splitlines()]
    assert events[0]["element"] == 15 and "header" not in events[0]  # BBDO 2 instance on 22.10
    assert check_stream(events) == []
    assert b" host_status=" in captured.err


def test_default_start_is_now(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    import time

    before = int(time.time())
    assert main(["simulate", "--hosts", "1", "--events", "0"]) == OK
    first = orjson.loads(capsysbinary.readouterr().out.splitlines()[0])
    assert before <= first["start_time"] <= int(time.time())


def test_bad_values(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["simulate", "--hosts", "0"]) == USAGE
    assert "hosts must be at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--ack-rate", "2"])
    assert exc.value.code == USAGE
    with pytest.raises(SystemExit):
        main(["simulate", "--broker-version", "21.10"])
    assert main([*ARGS, "-o", str(tmp_path / "missing" / "x.jsonl")]) == FAILED
    assert "cannot write" in capsys.readouterr().err
