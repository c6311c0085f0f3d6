"""A connector daemon with a BBDO listener, a Canopsis sandbox behind it, and ways to measure it.

The daemon runs as a child process (``centreon-canopsis run``) with the default budgets, so what
is measured (its RSS) is what a user gets.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from centreon_canopsis.standins.canopsis import Sandbox
from tests.delivery.helpers import Daemon, sandbox, seqs, wait_until, write_config

#: The bound issue 10 sets: no sequence of peers may push the connector's RSS past 400 MB.
RSS_BOUND = 400 * 1000 * 1000
#: Seconds each fuzz test throws input for (CI default; FUZZ_SECONDS=600 for the long run).
FUZZ_SECONDS = float(os.environ.get("FUZZ_SECONDS", "15"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in bytes."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) * 1024
    return found


@dataclass
class Scene:
    daemon: Daemon
    box: Sandbox
    port: int
    config: Path

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    @property
    def pid(self) -> int:
        assert self.daemon.process is not None
        return self.daemon.process.pid

    def running(self) -> bool:
        assert self.daemon.process is not None
        return self.daemon.process.poll() is None

    def memory(self) -> dict[str, int]:
        return memory(self.pid)

    def delivered(self) -> set[int]:
        return set(seqs(self.box.published_events()))


@contextmanager
def bbdo_scene(tmp_path: Path, **source: Any) -> Iterator[Scene]:
    box = sandbox()
    port = free_port()
    config = write_config(
        tmp_path,
        box.port,
        source={
            "type": "bbdo",
            "path": "-",
            "host": "127.0.0.1",
            "port": port,
            "ack_interval": 0.5,
            **source,
        },
    )
    daemon = Daemon(config).start()
    try:
        daemon.url()
        wait_until(lambda: _listening(port), 20, "the BBDO listener")
        yield Scene(daemon, box, port, config)
    finally:
        daemon.stop(30)
        box.stop()


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def until(seconds: float) -> Iterator[int]:
    """0, 1, 2 ... until ``seconds`` have passed (bounds a fuzz loop in time)."""
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        yield n
        n += 1
