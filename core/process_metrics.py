"""``build_info`` and the ``process_*`` metrics: what runs, and what it costs the machine.

Read when ``/metrics`` is scraped (gauge functions), never on the hot path. CPU comes from
``os.times``; memory, descriptors and start time from ``/proc/self`` (Linux), left out elsewhere.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from centreon_canopsis.core.metrics import Metrics
from centreon_canopsis.core.version import build_info

_PROC = Path("/proc/self")
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_start_time() -> float:
    """The process's start (Unix time): /proc/self/stat's start in ticks after boot, plus boot."""
    try:
        stat = (_PROC / "stat").read_text()
        # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
        fields = stat[stat.rindex(")") + 2 :].split()
        started_ticks = int(fields[19])  # field 22 of proc(5)
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return int(line.split()[1]) + started_ticks / _TICKS
    except (OSError, ValueError, IndexError):
        pass
    return _IMPORTED_AT


_IMPORTED_AT = time.time()


def _resident_bytes() -> list:
    try:
        pages = int((_PROC / "statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return []
    return [((), pages * _PAGE_SIZE)]


def _open_fds() -> list:
    try:
        return [((), len(os.listdir(_PROC / "fd")))]
    except OSError:
        return []


def register_process_metrics(metrics: Metrics) -> None:
    labels = tuple(sorted(build_info().items()))
    started = process_start_time()
    metrics.gauge_function("build_info", lambda: [(labels, 1)])
    metrics.gauge_function(
        "process_cpu_seconds_total", lambda: [((), (lambda t: t.user + t.system)(os.times()))]
    )
    metrics.gauge_function("process_resident_memory_bytes", _resident_bytes)
    metrics.gauge_function("process_open_fds", _open_fds)
    metrics.gauge_function("process_start_time_seconds", lambda: [((), started)])
