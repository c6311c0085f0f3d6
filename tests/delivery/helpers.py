"""Helpers of the delivery tests: event streams with ground truth, the daemon as a subprocess,
and the Canopsis sandbox going down and coming back on the same port.

Every status event of a stream carries its sequence number in its output (``seq=0000042``), so
what the sandbox received can be compared with what was written, event by event.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Self

import orjson

from centreon_canopsis.core.store import METRICS_URL_NAME
from centreon_canopsis.standins.canopsis import Sandbox
from tests.support import events as ev
from tests.support.config import AUTHKEY

SEQ = re.compile(r"seq=(\d+)")
#: The command line, without relying on the console script being on PATH.
COMMAND = [sys.executable, "-c", "import sys; from centreon_canopsis.core.cli import main; sys.exit(main())"]
#: Filters off: every status event becomes one payload.
NO_FILTERS = {"hard_only": 0, "enable_service_status_dedup": 0, "enable_host_status_dedup": 0}
HOSTS = 20  # the stream spreads over this many services of the reference host


def statuses(count: int, start: int = 0, hosts: int = HOSTS) -> list[dict[str, Any]]:
    """``count`` service status events, numbered from ``start``, spread over ``hosts`` services."""
    return [
        ev.v3_service_status(
            state=(seq % 3),
            last_check=1_700_000_000 + seq,
            output=f"CHECK seq={seq:07d}",
            service_id=ev.SERVICE_ID + seq % hosts,
        )
        for seq in range(start, start + count)
    ]


def configuration(hosts: int = HOSTS) -> list[dict[str, Any]]:
    """The reference configuration, plus the services the numbered statuses are about."""
    services = [
        ev.event(
            1,
            27,
            host_id=ev.HOST_ID,
            service_id=ev.SERVICE_ID + index,
            description=f"svc-{index:02d}",
            enabled=True,
            severity_id=0,
            type=0,
        )
        for index in range(1, hosts)
    ]
    return [*ev.v3_configuration(), *services]


def write_stream(path: Path, count: int, extra: Iterable[dict[str, Any]] = ()) -> Path:
    """The configuration, then ``count`` numbered statuses, then ``extra``."""
    with open(path, "wb") as handle:
        for event in [*configuration(), *statuses(count), *extra]:
            handle.write(orjson.dumps(event) + b"\n")
    return path


def seqs(events: Iterable[Any]) -> list[int]:
    """Sequence numbers of the received events that carry one, in arrival order."""
    found = []
    for event in events:
        if isinstance(event, dict):
            match = SEQ.search(str(event.get("output", "")))
            if match:
                found.append(int(match.group(1)))
    return found


def duplicates(numbers: Iterable[int]) -> int:
    return sum(count - 1 for count in Counter(numbers).values() if count > 1)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return repr(value)


def daemon_values(tmp_path: Path, port: int, **values: Any) -> dict[str, Any]:
    """The top-level settings of a daemon under test: the sandbox on ``port``, the state and the
    log in ``tmp_path``, short timeouts, filters off; then ``values``."""
    return {
        "canopsis_host": "127.0.0.1",
        "canopsis_port": port,
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


def write_toml(path: Path, values: dict[str, Any], tables: dict[str, dict[str, Any]]) -> Path:
    lines = [f"{key} = {toml_value(value)}" for key, value in values.items()]
    for name, table in tables.items():
        lines.append(f"\n[{name}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in table.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_config(tmp_path: Path, port: int, events: Path | None = None, **settings: Any) -> Path:
    """A TOML configuration for ``run``: JSON-lines source (followed), metrics on a free port,
    short backoffs, filters off. Tables given in ``settings`` are merged."""
    values = daemon_values(tmp_path, port)
    tables: dict[str, dict[str, Any]] = {
        "source": {"type": "jsonl", "path": str(events or tmp_path / "events.jsonl"), "follow": True},
        # coalesce_backlog 0: these tests count every event (catch-up drops superseded checks).
        "delivery": {
            "retry_initial_delay": 0.05,
            "retry_max_delay": 0.3,
            "shutdown_timeout": 5,
            "coalesce_backlog": 0,
        },
        "metrics": {"port": 0},
    }
    for key, value in settings.items():
        if isinstance(value, dict):
            tables.setdefault(key, {}).update(value)
        else:
            values[key] = value
    return write_toml(tmp_path / "connector.toml", values, tables)


def sandbox(port: int = 0) -> Sandbox:
    """A started sandbox that keeps every event it receives (tests count them all)."""
    return Sandbox(port=port, authkey=AUTHKEY, resolve_delay=0, journal_maxlen=1_000_000, seed=1).start()


def child_pids(pid: int) -> list[int]:
    """The processes ``pid`` started (the delivery or reader process of a daemon)."""
    with open(f"/proc/{pid}/task/{pid}/children") as handle:
        return [int(number) for number in handle.read().split()]


def alive(pid: int) -> bool:
    """Runs still: neither gone nor a zombie waiting for its parent."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Daemon:
    """``centreon-canopsis run -c CONFIG`` as a child process; ``env``: more environment
    variables for it (NOTIFY_SOCKET...)."""

    def __init__(self, config: Path, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.extra_env = env or {}
        self.state_dir = config.parent / "state"
        self.process: subprocess.Popen[bytes] | None = None
        self.output = config.parent / "daemon.out"

    def start(self) -> Self:
        # A killed daemon leaves its address behind; wait for the new one's.
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

    def url(self, timeout: float = 15) -> str:
        path = self.state_dir / METRICS_URL_NAME

        def ready() -> str | None:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the daemon exited with {self.process.returncode}:\n{self.log()}")
            try:
                return path.read_text().strip() or None
            except OSError:
                return None

        return wait_until(ready, timeout, "the daemon's metrics endpoint")

    def get(self, path: str) -> tuple[int, bytes]:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        # No retry: a connection closed unanswered is a daemon bug (it once was: core/health.py).
        try:
            with opener.open(self.url() + path, timeout=5) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as answer:
            return answer.code, answer.read()

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """``{(name without prefix, sorted labels): value}`` from ``/metrics``."""
        from centreon_canopsis.core.cli.status import parse_metrics

        status, body = self.get("/metrics")
        assert status == 200
        found = {}
        for name, samples in parse_metrics(body.decode()).items():
            for labels, value in samples:
                found[(name.removeprefix("centreon_canopsis_"), tuple(sorted(labels.items())))] = value
        return found

    def metric(self, name: str, **labels: str) -> float:
        """Sum of the samples of ``name`` whose labels include ``labels``."""
        return sum(
            value
            for (found, have), value in self.metrics().items()
            if found == name and set(labels.items()) <= set(have)
        )

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def kill(self) -> int:
        self.signal(signal.SIGKILL)
        return self.wait(10)

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM and wait; the exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.url()  # started: its signal handlers are in place
        self.signal(signal.SIGTERM)
        return self.wait(timeout)

    def log(self) -> str:
        parts = []
        for path in (self.output, self.config.parent / "connector.log"):
            if path.exists():
                parts.append(path.read_text(errors="replace"))
        return "\n".join(parts)

    def __enter__(self) -> Daemon:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``centreon-canopsis ARGS`` in a child process."""
    return subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=Path(__file__).resolve().parents[2],
    )


def cli_json(*args: str) -> Any:
    """The JSON a command printed; fails with its standard error when it printed none."""
    done = cli(*args)
    try:
        return orjson.loads(done.stdout)
    except orjson.JSONDecodeError:
        raise AssertionError(f"{args} exited {done.returncode}:\n{done.stderr}\n{done.stdout}") from None
