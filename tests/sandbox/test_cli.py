"""``centreon-canopsis sandbox``: serving in the foreground and driving a running sandbox."""

from __future__ import annotations

import os
import re
import signal
import socket
import struct
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from centreon_canopsis.core.cli import main
from centreon_canopsis.core.cli.exitcodes import OK, UNAVAILABLE, USAGE
from centreon_canopsis.standins.canopsis import Sandbox
from centreon_canopsis.standins.cli.sandbox import format_alarms
from tests.sandbox.conftest import Api, action, check

CODE = "import sys; from centreon_canopsis.core.cli import main; sys.exit(main(sys.argv[1:]))"


def spawn(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", CODE, "sandbox", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines = [proc.stdout.readline() for _ in range(3)]
    return proc, lines


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    proc, lines = spawn("--port", "0", "--seed", "1", "--canopsis-version", "23.10.2")
    yield proc, lines
    if proc.poll() is None:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_url_and_generated_authkey_and_stops_cleanly(
    served: tuple[subprocess.Popen[str], list[str]], signum: int
) -> None:
    proc, lines = served
    match = re.fullmatch(
        r"Canopsis sandbox 23\.10\.2 \(community\) listening on (http://127\.0\.0\.1:\d+)\n", lines[0]
    )
    assert match, lines
    url = match.group(1)
    key = re.fullmatch(r"authkey: ([0-9a-f-]{36}) .*\n", lines[1])
    assert key, lines
    response = requests.post(
        url + "/api/v4/event", json=[check("h1")], headers={"x-canopsis-authkey": key.group(1)}
    )
    assert response.status_code == 200
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == OK, err
    assert "stopped" in out


def test_serve_never_echoes_a_given_authkey() -> None:
    proc, lines = spawn("--port", "0", "--authkey", "my-secret-key")
    try:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == OK
    assert "my-secret-key" not in "".join(lines) + out + err


def test_serve_usage_and_unavailable_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "--canopsis-version", "21.10"]) == USAGE
    assert "unsupported Canopsis version" in capsys.readouterr().err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert main(["sandbox", "--port", str(busy.getsockname()[1])]) == UNAVAILABLE
    assert "cannot listen" in capsys.readouterr().err


def test_alarms_table(api: Api, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "alarms", "--url", sandbox.url]) == OK
    assert capsys.readouterr().out == "no alarms\n"
    api.events([check("host-a", "cpu", state=2, output="CPU high"), check("host-bb", state=3, output="DOWN")])
    api.events([action("ack", "host-bb")])
    assert main(["sandbox", "alarms", "--url", sandbox.url]) == OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["COMPONENT", "RESOURCE", "STATE", "STATUS", "ACK", "PBEHAVIOR", "OUTPUT"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert rows["host-a"].split() == ["host-a", "cpu", "2", "major", "1", "ongoing", "CPU", "high"]
    assert "yes" in rows["host-bb"]
    # columns are aligned: every row starts its STATE column at the same offset
    offset = lines[0].index("STATE")
    assert rows["host-a"][offset:].startswith("2 major") and rows["host-bb"][offset:].startswith("3 critical")


def test_format_alarms_with_pbehavior_and_long_output() -> None:
    alarm = {
        "v": {
            "component": "h",
            "state": {"val": 1},
            "status": {"val": 1},
            "output": "x" * 100,
            "pbehavior_info": {"name": "dt", "canonical_type": "maintenance"},
        }
    }
    table = format_alarms([alarm], width=20).splitlines()
    assert "dt (maintenance)" in table[1]
    assert table[1].endswith("x" * 19 + "…")


def test_fault_state_maintenance_advance_reset(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    url = sandbox.url
    args = ["--status", "429", "--header", "Retry-After: 2", "--count", "2", "--path-prefix", "/api/v4/event"]
    assert main(["sandbox", "fault", "--url", url, "add", "fail", *args]) == OK
    fault = sandbox.faults()[0]
    assert (fault["status"], fault["count"], fault["headers"]) == (429, 2, {"Retry-After": "2"})
    assert main(["sandbox", "fault", "--url", url, "add", "fail_events", "--match", "component=h1"]) == OK
    assert sandbox.faults()[1]["match"] == {"component": "h1"}
    assert main(["sandbox", "fault", "--url", url, "add", "fail", "--header", "oops"]) == USAGE
    assert main(["sandbox", "fault", "--url", url, "clear"]) == OK
    assert sandbox.faults() == []
    assert main(["sandbox", "maintenance", "--url", url, "on"]) == OK
    assert sandbox.summary()["maintenance"] is True
    assert main(["sandbox", "maintenance", "--url", url, "off"]) == OK
    assert main(["sandbox", "advance", "--url", url, "90"]) == OK
    assert sandbox.clock.offset == 90
    assert main(["sandbox", "state", "--url", url]) == OK
    assert '"version": "24.04.0"' in capsys.readouterr().out
    assert main(["sandbox", "reset", "--url", url]) == OK
    assert sandbox.clock.offset == 0


def test_client_errors(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "alarms", "--url", "http://127.0.0.1:1"]) == UNAVAILABLE
    assert "cannot reach the sandbox" in capsys.readouterr().err
    assert main(["sandbox", "fault", "--url", sandbox.url, "add", "fail", "--rate", "7"]) == 1
    assert "rate must be between 0 and 1" in capsys.readouterr().err


# -- issue 10 item 14 -------------------------------------------------------------------------


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_a_port_out_of_range_is_a_usage_error(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["sandbox", "--port", port])
    assert caught.value.code == USAGE
    err = capsys.readouterr().err
    assert "argument --port:" in err and "0 to 65535" in err
    assert "Traceback" not in err


def test_url_after_the_fault_action(sandbox: Sandbox) -> None:
    assert main(["sandbox", "fault", "add", "latency", "--seconds", "0.01", "--url", sandbox.url]) == OK
    assert sandbox.faults()[0]["kind"] == "latency"
    assert main(["sandbox", "fault", "list", "--url", sandbox.url]) == OK
    assert main(["sandbox", "fault", "clear", "--url", sandbox.url]) == OK
    assert sandbox.faults() == []


def test_a_reader_that_goes_away_is_not_an_error(api: Api, sandbox: Sandbox) -> None:
    # `sandbox alarms | head -1`: the reader is gone before the table is written.
    api.events([check(f"host-{n}", state=2) for n in range(50)])
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [sys.executable, "-c", CODE, "sandbox", "alarms", "--url", sandbox.url],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write)
    assert done.returncode == OK, done.stderr
    assert "BrokenPipeError" not in done.stderr and "Traceback" not in done.stderr


def test_clients_that_vanish_leave_no_traceback(sandbox: Sandbox, capfd: pytest.CaptureFixture[str]) -> None:
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", sandbox.port)) as client:
            client.sendall(b"GET /api/v4/app-info HTTP/1.1\r\nHost: x\r\n")  # headers never end
            # A reset instead of a clean close: what a killed client looks like to the server.
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    api = Api(sandbox.url)
    assert api.get("/api/v4/app-info").status_code == 200  # still serving
    err = capfd.readouterr().err
    assert "Traceback" not in err and "ConnectionResetError" not in err
