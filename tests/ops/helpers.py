"""Helpers of the operations tests: a daemon with a BBDO listener, configurations rewritten in place."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

from tests.delivery.helpers import (
    COMMAND,
    NO_FILTERS,
    Daemon,
    toml_value,
    wait_until,
)
from tests.support.config import AUTHKEY

LISTENING = re.compile(r"BBDO source listening on 127\.0\.0\.1:(\d+)")


def write_toml(path: Path, values: dict[str, Any], tables: dict[str, dict[str, Any]]) -> Path:
    lines = [f"{key} = {toml_value(value)}" for key, value in values.items()]
    for name, table in tables.items():
        lines.append(f"\n[{name}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in table.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def settings(tmp_path: Path, canopsis_port: int, **values: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Top-level values and tables of a daemon reading BBDO on a free loopback port."""
    top: dict[str, Any] = {
        "canopsis_host": "127.0.0.1",
        "canopsis_port": canopsis_port,
        "sending_protocol": "http",
        "canopsis_authkey": AUTHKEY,
        "state_dir": str(tmp_path / "state"),
        "logfile": str(tmp_path / "connector.log"),
        "log_level": 2,
        "connection_timeout": 5,
        "canopsis_downtime_send_pbh": 0,
        **NO_FILTERS,
        **values,
    }
    tables: dict[str, Any] = {
        "source": {"type": "bbdo", "mode": "listen", "host": "127.0.0.1", "port": 0},
        "delivery": {"retry_initial_delay": 0.05, "retry_max_delay": 0.3, "shutdown_timeout": 5},
        "metrics": {"port": 0},
    }
    return top, tables


class EnvDaemon(Daemon):
    """The daemon as a child process, with more environment variables (NOTIFY_SOCKET...)."""

    def __init__(self, config: Path, env: dict[str, str] | None = None) -> None:
        super().__init__(config)
        self.extra_env = env or {}

    def start(self) -> EnvDaemon:
        from centreon_canopsis.core.store import METRICS_URL_NAME

        (self.state_dir / METRICS_URL_NAME).unlink(missing_ok=True)
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.extra_env}
        env.pop("CANOPSIS_AUTHKEY", None)
        with open(self.output, "ab") as out:
            self.process = subprocess.Popen(
                [*COMMAND, "run", "-c", str(self.config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=Path(__file__).resolve().parents[2],
            )
        return self

    def bbdo_port(self, timeout: float = 15) -> int:
        def found() -> int | None:
            match = LISTENING.search(self.log())
            return int(match.group(1)) if match else None

        return wait_until(found, timeout, "the BBDO listener")
