"""Downtime storms: host downtimes on all services, thousands at once, end to end into the sandbox.

Usage: ``python benchmarks/downtime_storm.py [--hosts 1000] [--services-per-host 10]
[--checks-per-service 10] [--canopsis-version 24.04.8] [--no-baseline]``

1. ``centreon-canopsis simulate`` gives the configuration burst of ``--hosts`` hosts with
   ``--services-per-host`` services. Then this script writes the storm, BBDO 3 JSON forms:
   every host gets a host downtime *with its services* (as Centreon's "host and services"
   option does: one downtime per object, same window, same comment), so ``hosts x (services+1)``
   downtimes run at once; each has its ADD, START, STOP and DELETE events. Service checks
   (``--checks-per-service`` each, states changing) are interleaved, so that downtime events are
   about a quarter of the runtime stream (printed).
2. The Canopsis sandbox runs in its own process, as the ``--canopsis-version`` given.
3. The connector runs in a child process exactly as ``run`` does with a JSON-lines source
   (plugins, SQLite outbox with ``synchronous = full`` for the pipeline's commits, sender
   threads, HTTP): it reads the file, then waits until the outbox is empty. **JSON lines, not
   BBDO over TCP**: this measures the delivery side (what the storm costs after decoding).
4. The same run again with the behaviour of the landed main before this work (``--baseline``:
   one request per pbehavior call, a GET before every comment, each take reading the largest
   batch of any lane, each settle fsynced), unless ``--no-baseline``; the ratio is printed.

Printed per run: input events/s (read, processed, committed), end-to-end events/s (until the
outbox is empty), the pbehavior sender thread's CPU per pbehavior payload, requests made,
peak RSS of the connector's process. No pass/fail: a measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import CLI, Sandbox, connector_raw
from pipeline import SENDER_CPU, timed_senders

from centreon_canopsis.core import config as config_module

COMMENTS = ("Planned maintenance", "Hardware replacement", "OS patching")


def configuration(path: Path, hosts: int, services: int) -> tuple[list[bytes], dict[int, list[int]], int]:
    """The configuration burst, the services of each host, and the poller of the hosts."""
    command = [*CLI, "simulate", "--hosts", str(hosts), "--services-per-host", str(services)]
    command += ["--events", "0", "--seed", "1", "--pollers", "1", "--bas", "0", "-o", str(path)]
    subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
    lines = path.read_bytes().splitlines()
    by_host: dict[int, list[int]] = {}
    poller = 1
    for line in lines:
        event = orjson.loads(line)
        if event.get("element") == 27 and event.get("category") == 1:
            by_host.setdefault(event["host_id"], []).append(event["service_id"])
        if event.get("element") == 30 and event.get("category") == 1:
            by_host.setdefault(event["host_id"], [])
            poller = event.get("instance_id") or poller
    return lines, by_host, poller


def downtime(dt_id: int, poller: int, host: int, service: int, start: int, end: int, comment: str) -> dict:
    return {
        "_type": 65572, "category": 1, "element": 36, "id": dt_id, "instance_id": poller,
        "host_id": host, "service_id": service, "author": "admin", "comment_data": comment,
        "type": 1 if service else 2, "duration": end - start, "triggered_by": 0, "entry_time": start - 5,
        "actual_start_time": -1, "actual_end_time": -1, "start_time": start, "deletion_time": -1,
        "end_time": end, "started": False, "cancelled": False, "fixed": True,
    }  # fmt: skip


def check(host: int, service: int, state: int, when: int) -> dict:
    return {
        "_type": 65565, "category": 1, "element": 29, "host_id": host, "service_id": service,
        "checked": True, "check_type": 0, "state": state, "state_type": 1, "last_state_change": when,
        "last_hard_state": state, "last_hard_state_change": when, "last_check": when,
        "output": f"state {state} at {when}", "long_output": "", "perfdata": "", "flapping": False,
        "acknowledgement_type": 0, "scheduled_downtime_depth": 0, "check_attempt": 1,
    }  # fmt: skip


def storm(path: Path, hosts: int, services: int, checks: int, seed: int = 1) -> dict[str, int]:
    """Writes the stream; returns its composition."""
    rng = random.Random(seed)
    config, by_host, poller = configuration(path.with_suffix(".conf"), hosts, services)
    now = int(time.time())
    starts, ends, ids = [], [], 0
    for host, host_services in by_host.items():
        comment = rng.choice(COMMENTS)
        start, end = now - 60, now + 3600 + rng.randrange(3600)
        for service in [0, *host_services]:
            ids += 1
            base = downtime(ids, poller, host, service, start, end, comment)
            starts.append(base)
            started = dict(base, actual_start_time=start, started=True)
            starts.append(started)
            stopped = dict(started, actual_end_time=end)
            ends.append(stopped)
            ends.append(dict(stopped, deletion_time=end))
    # The hosts are up (their configuration says "pending"): host downtimes pass the state filter.
    check_events = [
        {
            "_type": 65568,
            "category": 1,
            "element": 32,
            "host_id": host,
            "checked": True,
            "check_type": 0,
            "state": 0,
            "state_type": 1,
            "last_state_change": now - 120,
            "last_hard_state": 0,
            "last_hard_state_change": now - 120,
            "last_check": now - 120,
            "output": "OK",
            "long_output": "",
            "perfdata": "",
            "flapping": False,
            "acknowledgement_type": 0,
            "scheduled_downtime_depth": 0,
            "check_attempt": 1,
        }
        for host in by_host
    ]
    for round_ in range(checks):
        for host, host_services in by_host.items():
            for service in host_services:
                check_events.append(check(host, service, rng.choice((0, 0, 1, 2)), now + round_))
    # Starts, then checks, then ends; the checks interleaved with the downtime events.
    runtime: list[dict] = check_events[: len(by_host)]
    check_events = check_events[len(by_host) :]
    half = len(check_events) // 2
    runtime += _interleave(starts, check_events[:half])
    runtime += _interleave(ends, check_events[half:])
    with open(path, "wb") as handle:
        for line in config:
            handle.write(line + b"\n")
        for event in runtime:
            handle.write(orjson.dumps(event) + b"\n")
    downtime_events = len(starts) + len(ends)
    return {
        "configuration": len(config),
        "runtime": len(runtime),
        "downtime_events": downtime_events,
        "downtimes": ids,
        "checks": len(check_events) + len(by_host),
    }


def _interleave(a: list[dict], b: list[dict]) -> list[dict]:
    if not a or not b:
        return a + b
    out, step = [], len(b) / len(a)
    taken = 0
    for index, item in enumerate(a):
        upto = int((index + 1) * step)
        out += b[taken:upto]
        taken = upto
        out.append(item)
    return out + b[taken:]


def settings(state_dir: Path, port: int, baseline: bool) -> config_module.Config:
    raw = connector_raw(
        state_dir,
        port,
        accepted_categories="neb",
        accepted_elements="host_status,service_status,acknowledgement,downtime",
        canopsis_downtime_bulk=0 if baseline else 1,
    )
    return config_module.from_mapping(raw, env={})


def restore_old_behaviour() -> None:
    """What the landed main did before this work (apart from the bulk setting, in ``settings``)."""
    from centreon_canopsis.core import delivery, outbox
    from centreon_canopsis.plugins.builtin.canopsis import pbehaviors

    delivery.SETTLE_SYNCHRONOUS = "FULL"  # every settle fsynced
    pbehaviors.uncertain = lambda item: True  # a GET before every comment

    class AnyLane(dict):  # every take reads the largest batch of any lane
        def get(self, key, default=None):
            return max(self.values(), default=1)

    original = outbox.Outbox.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self._lane_batch = AnyLane(self._lane_batch)

    outbox.Outbox.__init__ = init


def one_run(stream: Path, port: int, baseline: bool) -> dict[str, Any]:
    from centreon_canopsis.core.logsetup import setup_logging
    from centreon_canopsis.core.pipeline import Pipeline
    from centreon_canopsis.core.sources.jsonl import JsonLinesSource

    if baseline:
        restore_old_behaviour()
    work = Path(tempfile.mkdtemp(prefix="ccc-storm-"))
    config = settings(work / "state", port, baseline)
    setup_logging(config.log_level, config.logfile)
    timed_senders()
    pipeline = Pipeline(config)
    lookups = pipeline.context.state.get("pbehavior_lookups")
    pipeline.start()
    if lookups is not None:
        lookups.wait(30)
    started = time.perf_counter()
    pipeline.run(JsonLinesSource(str(stream), follow=False))
    read = time.perf_counter() - started
    drained = pipeline.drain(3600)
    total = time.perf_counter() - started
    metrics = pipeline.context.metrics
    delivered = metrics.series("payloads_delivered_total")
    pbehavior_payloads = sum(
        v for labels, v in delivered.items() if dict(labels)["route"].startswith("pbehavior")
    )
    dead = sum(metrics.series("payloads_dead_lettered_total").values())
    pipeline.close()
    shutil.rmtree(work, ignore_errors=True)
    return {
        "read": read,
        "total": total,
        "drained": drained,
        "pbehavior_payloads": pbehavior_payloads,
        "dead_letters": dead,
        "pbehavior_cpu": SENDER_CPU.get("pbehaviors", 0.0),
        "events_cpu": SENDER_CPU.get("events", 0.0),
        "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measured(stream: Path, version: str, baseline: bool) -> dict[str, Any]:
    sandbox = Sandbox("--canopsis-version", version)
    try:
        command = [sys.executable, __file__, "--one-run", str(stream), "--port", str(sandbox.port)]
        if baseline:
            command.append("--baseline")
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        result = json.loads(output.strip().splitlines()[-1])
        result["requests"] = sandbox.get("state").get("counters", {}).get("requests", 0)
    finally:
        sandbox.stop()
    return result


def report(name: str, lines: int, result: dict[str, Any]) -> None:
    per_payload = result["pbehavior_cpu"] / max(result["pbehavior_payloads"], 1) * 1e6
    drained = "" if result["drained"] else ", NOT DRAINED"
    print(
        f"{name:9} input {lines / result['read']:>9,.0f} events/s | "
        f"end to end {lines / result['total']:>8,.0f} events/s ({result['total']:.1f} s{drained}) | "
        f"pbehavior sender {per_payload:,.0f} us CPU/payload ({result['pbehavior_payloads']:,} payloads) | "
        f"{result['requests']:,} requests | dead letters {result['dead_letters']} | "
        f"peak RSS {result['rss']:.0f} MiB",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--services-per-host", type=int, default=10)
    parser.add_argument("--checks-per-service", type=int, default=10)
    parser.add_argument("--canopsis-version", default="24.04.8")
    parser.add_argument("--no-baseline", action="store_true", help="skip the run with the old behaviour")
    parser.add_argument("--one-run", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one_run:
        print(json.dumps(one_run(args.one_run, args.port, args.baseline)))
        return 0

    work = Path(tempfile.mkdtemp(prefix="ccc-storm-"))
    stream = work / "storm.jsonl"
    shape = storm(stream, args.hosts, args.services_per_host, args.checks_per_service)
    lines = shape["configuration"] + shape["runtime"]
    share = shape["downtime_events"] / shape["runtime"]
    print(
        f"stream:   {lines:,} events: {shape['configuration']:,} configuration, {shape['runtime']:,} runtime "
        f"of which {shape['downtime_events']:,} downtime events ({share:.0%}) for {shape['downtimes']:,} "
        f"downtimes running at once ({args.hosts:,} host downtimes with their services), "
        f"{shape['checks']:,} checks; Canopsis sandbox {args.canopsis_version}; JSON-lines source"
    )
    new = measured(stream, args.canopsis_version, baseline=False)
    report("now", lines, new)
    if not args.no_baseline:
        old = measured(stream, args.canopsis_version, baseline=True)
        report("baseline", lines, old)
        ratio = old["total"] / new["total"]
        cpu_old = old["pbehavior_cpu"] / max(old["pbehavior_payloads"], 1)
        cpu_new = new["pbehavior_cpu"] / max(new["pbehavior_payloads"], 1)
        print(
            f"ratio:    end to end {ratio:.1f}x the baseline; pbehavior CPU per payload "
            f"{cpu_old / max(cpu_new, 1e-9):.1f}x less"
        )
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.pop("CANOPSIS_AUTHKEY", None)
    sys.exit(main())
