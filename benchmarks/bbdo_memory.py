"""Resident memory of a running connector while BBDO peers open split events that never end.

Starts ``centreon-canopsis run`` in a child process (BBDO listener on loopback, Canopsis
unreachable: nothing is delivered, which does not matter here), then attacks it in rounds: each
round opens ``--connections`` connections at once, each sending ``--events`` interleaved split
events of ``--size`` MiB that never finish, and closes them. Prints the daemon's RSS after each
round, its peak (VmHWM), whether it is still running, and its RSS after ``--idle`` seconds.

    python benchmarks/bbdo_memory.py                       # issue 10 item 2: 4 x 4 x 60 MiB, 3 rounds
    python benchmarks/bbdo_memory.py --connections 64 --events 4 --size 16
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from centreon_canopsis.standins.broker.hostile import open_unfinished_events


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in KiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def start_daemon(work: Path, port: int, extra: str = "") -> subprocess.Popen[bytes]:
    config = work / "connector.toml"
    config.write_text(
        f"""canopsis_host = "127.0.0.1"
canopsis_port = {free_port()}
canopsis_authkey = "benchmark-key"
state_dir = "{work / "state"}"
log_level = 2

[source]
type = "bbdo"
mode = "listen"
host = "127.0.0.1"
port = {port}
{extra}

[metrics]
enabled = false
"""
    )
    daemon = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from centreon_canopsis.core.cli import main; sys.exit(main())",
            "run",
            "-c",
            str(config),
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(work / "daemon.log", "wb"),  # noqa: SIM115 - closed with the process
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return daemon
        except OSError:
            if daemon.poll() is not None:
                raise RuntimeError((work / "daemon.log").read_text()) from None
            time.sleep(0.2)
    raise RuntimeError("the daemon did not listen within 30 s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=4, help="connections per round")
    parser.add_argument("--events", type=int, default=4, help="unfinished events per connection")
    parser.add_argument("--size", type=int, default=60, help="MiB per unfinished event")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds to wait after the last round")
    parser.add_argument("--source-extra", default="", help="extra [source] lines (TOML)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        port = free_port()
        daemon = start_daemon(work, port, args.source_extra)
        try:
            time.sleep(1.0)
            print(f"daemon pid {daemon.pid}: RSS at start {status(daemon.pid)['VmRSS'] / 1024:.0f} MiB")
            for round_ in range(1, args.rounds + 1):
                started = time.monotonic()
                threads = [
                    threading.Thread(
                        target=open_unfinished_events,
                        args=(("127.0.0.1", port),),
                        kwargs={"events": args.events, "size": args.size << 20, "hold": 0.5},
                    )
                    for _ in range(args.connections)
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                figures = status(daemon.pid)
                print(
                    f"round {round_}: {args.connections} connections x {args.events} unfinished events x "
                    f"{args.size} MiB in {time.monotonic() - started:.1f} s: "
                    f"RSS {figures['VmRSS'] / 1024:.0f} MiB, "
                    f"peak {figures['VmHWM'] / 1024:.0f} MiB, running: {daemon.poll() is None}"
                )
            time.sleep(args.idle)
            figures = status(daemon.pid)
            print(
                f"after {args.idle:g} s idle: RSS {figures['VmRSS'] / 1024:.0f} MiB, "
                f"peak {figures['VmHWM'] / 1024:.0f} MiB, running: {daemon.poll() is None}"
            )
        finally:
            daemon.terminate()
            daemon.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
