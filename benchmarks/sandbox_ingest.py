"""How fast the Canopsis sandbox ingests events: one keep-alive client, arrays of N events.

Usage: python benchmarks/sandbox_ingest.py [--events 100000] [--batch 1000] [--hosts 1000] [--changes 0.1]

``--changes`` is the fraction of events that carry a new state for their service (each one adds
alarm steps); the rest repeat the previous state, as most real checks do. 1.0 is the worst case.

Prints events/s (end to end: HTTP, JSON, API checks, alarm engine, response), the CPU time spent
per event (the sandbox process alone with ``--external``; client + sandbox otherwise), which is
steadier than wall time on a busy machine, and the peak RSS.
By default the sandbox runs in this process (as in the test-suite; client and server share the
GIL); ``--external`` runs it as ``centreon-canopsis sandbox`` in its own process, as a user's dry
run does, and reports that process's peak RSS. No pass/fail: this is a measurement.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import orjson

from centreon_canopsis.standins.canopsis import Sandbox


def make_batches(total: int, batch: int, hosts: int, changes: float, seed: int = 1) -> list[bytes]:
    """Pre-encoded bodies shaped like Centreon's service_status events (10 services per host)."""
    rng = random.Random(seed)
    states: dict[int, int] = {}
    bodies = []
    now = int(time.time())
    for start in range(0, total, batch):
        events = []
        for i in range(start, min(start + batch, total)):
            service = i % (hosts * 10)
            state = states.get(service, rng.randrange(4))
            if service in states and rng.random() < changes:
                state = (state + rng.randrange(1, 4)) % 4
            states[service] = state
            host = service % hosts
            events.append(
                {
                    "event_type": "check",
                    "connector": "centreon-stream",
                    "connector_name": "Central",
                    "component": f"host-{host}",
                    "resource": f"svc-{service // hosts}",
                    "source_type": "resource",
                    "state": state,
                    "output": f"output {i}",
                    "long_output": "long output",
                    "timestamp": now,
                    "host_id": str(host),
                    "service_id": str(service),
                    "hostgroups": ["g1", "g2"],
                    "servicegroups": [],
                    "notes_url": "",
                    "action_url": "",
                }
            )
        bodies.append(orjson.dumps(events))
    return bodies


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) of a child process from /proc, or of this process."""
    if pid is None:
        return time.process_time()
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def in_process() -> Iterator[tuple[int, int | None]]:
    with Sandbox(authkey="bench", resolve_delay=60, seed=1) as sandbox:
        yield sandbox.port, None


@contextmanager
def external() -> Iterator[tuple[int, int | None]]:
    code = "import sys; from centreon_canopsis.core.cli import main; sys.exit(main(sys.argv[1:]))"
    cmd = [sys.executable, "-c", code, "sandbox", "--port", "0", "--authkey", "bench", "--seed", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        match = re.search(r":(\d+)\s*$", proc.stdout.readline())
        if not match:
            raise RuntimeError("the sandbox did not start")
        yield int(match.group(1)), proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--changes", type=float, default=0.1)
    parser.add_argument("--external", action="store_true", help="run the sandbox in its own process")
    args = parser.parse_args(argv)

    bodies = make_batches(args.events, args.batch, args.hosts, args.changes)
    with (external if args.external else in_process)() as (port, pid):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        headers = {"x-canopsis-authkey": "bench", "Content-Type": "application/json"}
        started = time.perf_counter()
        cpu_started = cpu_seconds(pid)
        sent = 0
        for body in bodies:
            conn.request("POST", "/api/v4/event", body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            if response.status != 200:
                print(f"unexpected {response.status}: {payload[:200]!r}", file=sys.stderr)
                return 1
            sent += len(orjson.loads(payload)["sent_events"])
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(pid) - cpu_started
        conn.request("GET", "/_sandbox/state")
        summary = orjson.loads(conn.getresponse().read())
        conn.close()
    who = resource.RUSAGE_CHILDREN if args.external else resource.RUSAGE_SELF
    peak_mb = resource.getrusage(who).ru_maxrss / 1024
    where = "own process" if args.external else "in process"
    print(f"events: {args.events} in batches of {args.batch}, state changes {args.changes:.0%}; sent: {sent}")
    alarms, opened, entities = summary["alarms"], summary["alarms_open"], summary["entities"]
    print(f"sandbox: {where}; alarms: {alarms} (open {opened}), entities: {entities}")
    print(f"elapsed: {elapsed:.2f} s; rate: {args.events / elapsed:,.0f} events/s")
    whose = "sandbox process" if args.external else "client + sandbox"
    per_event = cpu / args.events * 1e6
    print(f"CPU ({whose}): {per_event:.1f} us/event, i.e. {1e6 / per_event:,.0f} events/s per core")
    print(f"peak RSS ({'sandbox process' if args.external else 'client + sandbox'}): {peak_mb:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
