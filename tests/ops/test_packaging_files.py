"""The files the packages install: the unit, sysusers, tmpfiles, logrotate, the example configuration.

Building and installing the packages themselves is `.ci/run`'s job (packaging/ci-check, as root).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.delivery.helpers import cli

FILES = Path(__file__).resolve().parents[2] / "packaging" / "files"
UNIT = FILES / "centreon-canopsis.service"


def directives(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_the_unit_is_a_hardened_notify_service():
    unit = directives(UNIT.read_text())
    expected = {
        "Type": "notify",
        "NotifyAccess": "main",
        "ExecReload": "/bin/kill -HUP $MAINPID",
        "User": "centreon-canopsis",
        "StateDirectory": "centreon-canopsis",
        "Restart": "on-failure",
        "ProtectSystem": "strict",
        "NoNewPrivileges": "yes",
        "PrivateTmp": "yes",
        "ProtectHome": "yes",
    }
    for key, value in expected.items():
        assert unit.get(key) == [value], key
    assert int(unit["WatchdogSec"][0]) >= 10
    assert unit["ExecStart"] == ["/usr/bin/centreon-canopsis run -c /etc/centreon-canopsis/connector.toml"]


def test_systemd_analyze_verify_accepts_the_unit(tmp_path):
    if shutil.which("systemd-analyze") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("systemd-analyze is missing (packaging/ci-check installs systemd)")
        pytest.skip("systemd-analyze is not installed")
    script = Path(sys.executable).parent / "centreon-canopsis"
    unit = tmp_path / "centreon-canopsis.service"
    unit.write_text(UNIT.read_text().replace("/usr/bin/centreon-canopsis", str(script)))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "centreon-canopsis.service" not in done.stderr, done.stderr  # no warning about it


def test_user_directories_and_log_rotation():
    assert FILES.joinpath("centreon-canopsis.sysusers").read_text().splitlines()[-1].split()[:2] == [
        "u",
        "centreon-canopsis",
    ]
    tmpfiles = FILES.joinpath("centreon-canopsis.tmpfiles").read_text()
    assert "d /var/lib/centreon-canopsis 0700 centreon-canopsis centreon-canopsis" in tmpfiles
    logrotate = FILES.joinpath("centreon-canopsis.logrotate").read_text()
    postrotate = logrotate.split("postrotate", 1)[1].split("endscript", 1)[0]
    assert "systemctl reload centreon-canopsis.service" in postrotate  # ExecReload: SIGHUP


def test_the_example_configuration_is_valid_as_installed(tmp_path):
    for name in ("connector.toml", "authkey"):
        shutil.copy(FILES / name, tmp_path / name)
    done = cli("validate", "-c", str(tmp_path / "connector.toml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "source:   bbdo listen" in done.stdout
    # Every other line is a comment or a setting: an admin reads it top to bottom.
    text = (FILES / "connector.toml").read_text()
    assert "canopsis_authkey =" not in text, "the key lives in its own file"
    assert "# log_format" in text and "# logfile" in text
