"""Helpers of the operations tests: a daemon with a BBDO listener, configurations rewritten in place."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.delivery.helpers import Daemon, daemon_values, wait_until, write_toml

__all__ = ["EnvDaemon", "settings", "wait_until", "write_toml"]

LISTENING = re.compile(r"BBDO source listening on 127\.0\.0\.1:(\d+)")


def settings(tmp_path: Path, canopsis_port: int, **values: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Top-level values and tables of a daemon reading BBDO on a free loopback port."""
    tables: dict[str, Any] = {
        "source": {"type": "bbdo", "mode": "listen", "host": "127.0.0.1", "port": 0},
        "delivery": {"retry_initial_delay": 0.05, "retry_max_delay": 0.3, "shutdown_timeout": 5},
        "metrics": {"port": 0},
    }
    return daemon_values(tmp_path, canopsis_port, **values), tables


class EnvDaemon(Daemon):
    """The daemon as a child process, reading BBDO."""

    def bbdo_port(self, timeout: float = 15) -> int:
        def found() -> int | None:
            match = LISTENING.search(self.log())
            return int(match.group(1)) if match else None

        return wait_until(found, timeout, "the BBDO listener")
