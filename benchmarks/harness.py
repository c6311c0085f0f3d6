"""Pieces shared by the process-level benchmarks: the sandbox and the connector in child
processes, CPU and memory of a process (and its children) read from /proc.

Not a test helper: nothing here asserts; the benchmarks print what they measure.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

AUTHKEY = "bench-authkey"
MAIN = "import sys; from centreon_canopsis.core.cli import main; sys.exit(main(sys.argv[1:]))"
CLI = [sys.executable, "-c", MAIN]
TICK = os.sysconf("SC_CLK_TCK")
NAMESPACE = "centreon_canopsis_"  # of every metric name (core/metrics.py)
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def reference_loop() -> float:
    """CPU seconds of a fixed pure-Python loop (5 million additions), printed with each result:
    VMs of the same size differ from day to day (this project's 2-vCPU VM ran ingest_stages.py at
    12-14 us per event one day, 19-24 another), and every figure of a run scales with it."""
    started = time.process_time()
    total = 0
    for number in range(5_000_000):
        total += number
    return time.process_time() - started


def http_get(url: str, timeout: float = 30) -> bytes:
    with _OPENER.open(url, timeout=timeout) as answer:
        return answer.read()


#: What the connector accepts in every benchmark that plays a whole simulated stream.
ALL_ELEMENTS: dict[str, str] = {
    "accepted_categories": "neb,bam",
    "accepted_elements": "host_status,service_status,acknowledgement,downtime,ba_status",
}
#: The default filters off, so that every check becomes a payload (the worst case for delivery).
FILTERS_OFF: dict[str, int] = {
    "hard_only": 0,
    "enable_service_status_dedup": 0,
    "enable_host_status_dedup": 0,
    "acknowledged": 1,
    "in_downtime": 1,
    "flapping": 1,
}


def generate(path: Path, events: int, hosts: int, services: int) -> int:
    """A seeded simulated Broker stream (``centreon-canopsis simulate``) in ``path``; its lines."""
    size = ["--events", str(events), "--hosts", str(hosts), "--services-per-host", str(services)]
    command = [*CLI, "simulate", *size, "--seed", "1", "-o", str(path)]
    subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
    with open(path, "rb") as handle:
        return sum(1 for _ in handle)


def connector_raw(state_dir: Path, port: int, **settings: Any) -> dict[str, Any]:
    """The settings every benchmark's connector shares (HTTP to the sandbox), plus ``settings``."""
    return {
        "canopsis_host": "127.0.0.1",
        "canopsis_port": port,
        "sending_protocol": "http",
        "canopsis_authkey": AUTHKEY,
        "state_dir": str(state_dir),
        "log_level": 1,
        "logfile": str(state_dir.parent / "connector.log"),
        **settings,
    }


class Sandbox:
    """``centreon-canopsis sandbox`` in a child process, as Canopsis on another machine;
    ``extra`` are more of its options (``--canopsis-version``, ``--amqp-url``...)."""

    def __init__(self, *extra: str, stop_timeout: float = 10) -> None:
        command = [*CLI, "sandbox", "--port", "0", "--authkey", AUTHKEY, "--seed", "1", *extra]
        self.stop_timeout = stop_timeout
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        match = re.search(r":(\d+)\s*$", self.process.stdout.readline())
        if not match:
            raise RuntimeError("the sandbox did not start")
        self.port = int(match.group(1))

    @property
    def pid(self) -> int:
        return self.process.pid

    def get(self, path: str) -> Any:
        return orjson.loads(http_get(f"http://127.0.0.1:{self.port}/_sandbox/{path}"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=self.stop_timeout)


@dataclass
class ProcUsage:
    """CPU seconds (user + system) of a process and of its live children, and peak RSS."""

    cpu: float
    peak_rss_mib: float

    def __sub__(self, other: ProcUsage) -> ProcUsage:
        return ProcUsage(self.cpu - other.cpu, self.peak_rss_mib)


def _children(pid: int) -> list[int]:
    found = []
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            found = [int(x) for x in handle.read().split()]
    except OSError:
        pass
    return found


def _cpu_and_hwm(pid: int) -> tuple[float, float]:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
        with open(f"/proc/{pid}/status") as handle:
            hwm = next((int(line.split()[1]) for line in handle if line.startswith("VmHWM:")), 0)
        return cpu, hwm / 1024
    except (OSError, IndexError, ValueError):
        return 0.0, 0.0


def usage(pid: int, children: bool = True) -> ProcUsage:
    """CPU and peak RSS of ``pid``; with ``children``, its live child processes' too (summed)."""
    cpu, hwm = _cpu_and_hwm(pid)
    if children:
        for child in _children(pid):
            child_cpu, child_hwm = _cpu_and_hwm(child)
            cpu += child_cpu
            hwm += child_hwm
    return ProcUsage(cpu, hwm)


def metrics_url(state_dir: Path, timeout: float = 60) -> str:
    """The connector's /metrics address, once it serves it (it writes the file when ready)."""
    path = state_dir / "metrics.url"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.05)
    raise RuntimeError(f"the connector did not start within {timeout:.0f} s")


def scrape(url: str) -> dict[str, float]:
    """The connector's metrics: each series as written (``name{labels}``) and each name summed."""
    totals: dict[str, float] = {}
    for line in http_get(f"{url}/metrics", timeout=10).decode().splitlines():
        if not line or line.startswith("#"):
            continue
        name_labels, _, value = line.rpartition(" ")
        name_labels = name_labels.removeprefix(NAMESPACE)
        name = name_labels.split("{", 1)[0]
        try:
            number = float(value)
        except ValueError:
            continue
        totals[name] = totals.get(name, 0.0) + number
        if name_labels != name:
            totals[name_labels] = number
    return totals


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_toml(path: Path, top: dict[str, Any], tables: dict[str, dict[str, Any]]) -> None:
    lines = [f"{key} = {toml_value(value)}" for key, value in top.items()]
    for name, table in tables.items():
        lines.append(f"\n[{name}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in table.items()]
    path.write_text("\n".join(lines) + "\n")
