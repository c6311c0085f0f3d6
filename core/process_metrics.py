"""``build_info`` and the ``process_*`` metrics: what runs, and what it costs the machine.

Read when ``/metrics`` is scraped (gauge functions), never on the hot path. CPU comes from
``os.times``; memory, descriptors, start time and CPU per thread from ``/proc/self`` (Linux),
left out elsewhere.
"""

from __future__ import annotations

import os
import re
import threading
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


def thread_role(name: str) -> str:
    """A thread's name without what varies between threads of one role (a peer's address, a
    counter): the label stays bounded however many peers come and go."""
    name = name.split(" (", 1)[0]  # "Thread-3 (process_request_thread)"
    if name.startswith("bbdo-peer-"):
        return "bbdo-peer"
    if re.fullmatch(r"Thread-\d+", name):
        return "other"
    return name


_finished_lock = threading.Lock()
_finished: dict[str, float] = {}  # role -> CPU seconds of threads that said so as they ended
_finished_ids: set[int] = set()


def thread_finished() -> None:
    """Called by a thread of a role that comes and goes (a Broker peer's) as it ends: its whole
    CPU is then counted, not only what the last read of /metrics saw."""
    current = threading.current_thread()
    with _finished_lock:
        role = thread_role(current.name)
        _finished[role] = _finished.get(role, 0.0) + time.thread_time()
        if current.native_id is not None:
            if len(_finished_ids) > 4096:  # nobody reads /metrics: their last reads do not matter
                _finished_ids.clear()
            _finished_ids.add(current.native_id)


class ThreadCPU:
    """CPU seconds per thread role, from /proc/self/task/<tid>/stat. A thread that ended keeps
    what it had used at the last read (all of it if it called :func:`thread_finished`), so each
    series only grows (a counter)."""

    def __init__(self, tasks: Path = _PROC / "task") -> None:
        self._tasks = tasks
        self._lock = threading.Lock()
        self._live: dict[int, tuple[str, float]] = {}  # native id -> (role, seconds at the last read)
        self._ended: dict[str, float] = {}
        with _finished_lock:
            self._finished_before = dict(_finished)  # threads that ended before this count began

    def _seconds(self, native_id: int) -> float | None:
        try:
            stat = (self._tasks / str(native_id) / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime: fields 14 and 15
        except (OSError, ValueError, IndexError):
            return None

    def read(self) -> list:
        with self._lock:
            now: dict[int, tuple[str, float]] = {}
            for thread in threading.enumerate():
                native = thread.native_id
                seconds = self._seconds(native) if native is not None else None
                if seconds is not None:
                    now[native] = (thread_role(thread.name), seconds)
            with _finished_lock:
                before = self._finished_before
                finished = {role: seconds - before.get(role, 0.0) for role, seconds in _finished.items()}
                done = set(_finished_ids)
                _finished_ids.clear()  # one reader per process
            # A thread that reported its end is counted by `finished` only, even if it has not
            # quite exited yet (or its id went to a new thread, counted from the next read on).
            now = {native: value for native, value in now.items() if native not in done}
            for native, (role, seconds) in self._live.items():
                if native not in now and native not in done:
                    self._ended[role] = self._ended.get(role, 0.0) + seconds
            self._live = now
            totals = dict(self._ended)
            for role, seconds in finished.items():
                totals[role] = totals.get(role, 0.0) + seconds
            for role, seconds in now.values():
                totals[role] = totals.get(role, 0.0) + seconds
        return [((("thread", role),), seconds) for role, seconds in sorted(totals.items())]


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
    if (_PROC / "task").is_dir():
        metrics.gauge_function("thread_cpu_seconds_total", ThreadCPU().read)
