"""The BBDO ``[source]`` as configured: exposed listeners refused, limits checked, no noise from
defaults, and ``run`` binding its port before it says it started."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from centreon_canopsis.core.config import ConfigError, from_mapping
from centreon_canopsis.core.sources import build_source

BASE = {"canopsis_host": "canopsis.example", "canopsis_authkey": "k3y-for-tests"}
COMMAND = [sys.executable, "-c", "import sys; from centreon_canopsis.core.cli import main; sys.exit(main())"]


def errors_of(source: dict, base_dir: Path | None = None) -> list[str]:
    try:
        from_mapping({**BASE, "source": {"type": "bbdo", **source}}, env={}, base_dir=base_dir)
    except ConfigError as problem:
        return problem.errors
    return []


def test_an_open_listener_is_refused_unless_explicitly_allowed(tmp_path: Path) -> None:
    (error,) = errors_of({"host": "0.0.0.0"})
    assert "source.host = '0.0.0.0'" in error and "allow_unauthenticated_peers = true" in error
    assert "tls_ca" in error and "allowed_peers" in error
    assert errors_of({"host": "0.0.0.0", "allow_unauthenticated_peers": True}) == []
    assert errors_of({"host": "0.0.0.0", "allowed_peers": ["10.1.2.0/24"]}) == []
    assert errors_of({"host": "127.0.0.1"}) == []
    assert errors_of({"host": "0.0.0.0", "mode": "connect"}) == []
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / name).write_text("x")
    tls = {"host": "0.0.0.0", "tls_ca": "ca.pem", "tls_cert": "cert.pem", "tls_key": "key.pem"}
    assert errors_of(tls, base_dir=tmp_path) == []


def test_security_settings_are_checked_all_at_once(tmp_path: Path) -> None:
    found = errors_of(
        {
            "host": "127.0.0.1",
            "allowed_peers": ["10.1.2.0/33"],
            "tls_ca": "missing.pem",
            "tls_peer_names": ["central"],
            "max_event_size_mib": 64,
        },
        base_dir=tmp_path,
    )
    text = "\n".join(found)
    assert "'10.1.2.0/33'" in text
    assert "source.tls_ca = " in text and "missing.pem' cannot be read" in text
    assert "tls_ca needs tls_cert and tls_key in listen mode" in text
    assert "max_event_size_mib <= peer_buffer_limit_mib <= total_buffer_limit_mib" in text
    assert "source.tls_cert in connect mode needs tls_ca, to verify Broker's certificate" in errors_of(
        {"mode": "connect", "host": "central", "tls_cert": "c", "tls_key": "k"}
    )


def test_no_warning_for_keys_that_only_come_from_defaults(caplog: pytest.LogCaptureFixture) -> None:
    config = from_mapping({**BASE, "source": {"type": "bbdo", "port": 0}}, env={})
    with caplog.at_level(logging.WARNING):
        build_source(config)
    assert not [r.getMessage() for r in caplog.records if "ignoring keys" in r.getMessage()]
    config = from_mapping({**BASE, "source": {"type": "bbdo", "port": 0, "path": "events.jsonl"}}, env={})
    with caplog.at_level(logging.WARNING):
        build_source(config)
    assert any("ignoring keys the BBDO source does not know: path" in r.getMessage() for r in caplog.records)


def write(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "connector.toml"
    path.write_text(
        f'canopsis_host = "127.0.0.1"\ncanopsis_authkey = "k3y"\nstate_dir = "{tmp_path / "state"}"\n'
        f'logfile = "{tmp_path / "connector.log"}"\n\n[source]\ntype = "bbdo"\n{source}\n\n'
        "[metrics]\nenabled = false\n"
    )
    return path


def test_run_binds_before_it_says_started_and_exits_3_on_a_port_in_use(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        config = write(tmp_path, f'host = "127.0.0.1"\nport = {port}')
        done = subprocess.run(
            [*COMMAND, "run", "-c", str(config)], capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 3, done.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "Address already in use" in done.stderr
    assert "Traceback" not in done.stderr
    assert "started" not in (tmp_path / "connector.log").read_text()


def test_run_warns_about_an_open_listener_at_every_start(tmp_path: Path) -> None:
    # 192.0.2.1 (TEST-NET-1) is on no interface here: the bind fails after the warning, no traffic.
    config = write(tmp_path, 'host = "192.0.2.1"\nport = 5670\nallow_unauthenticated_peers = true')
    done = subprocess.run([*COMMAND, "run", "-c", str(config)], capture_output=True, text=True, timeout=60)
    log = (tmp_path / "connector.log").read_text()
    assert "host = '192.0.2.1' listens beyond this machine" in log and "WARNING" in log
    assert done.returncode == 3 and "cannot listen on 192.0.2.1:5670" in done.stderr
