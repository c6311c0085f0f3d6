"""The name cache at scale: a configuration burst of 50k hosts / 500k services, then a cold start.

Usage: ``python benchmarks/cache_scale.py [--hosts 50000] [--services-per-host 10] [--bbdo 3]
[--source bbdo] [--layout reader-child]``

1. The configuration bursts of every poller (hosts, services, groups and their members, custom
   variables, severities, pollers), from the Broker simulator (seed 1).
2. The burst, by ``--source``:

   * ``bbdo`` (the default, the production path): as ``benchmarks/bbdo_pipeline.py`` does, the
     simulated Broker sends the burst over TCP (BBDO, encoded before anything is timed) to
     ``centreon-canopsis run`` in the process layout ``--layout`` (default ``reader-child``: the
     BBDO source in a child process, ``[source] process = "child"``), which acknowledges what it
     committed. Burst events/s is the events over the time to the last acknowledgement; the
     connector's CPU (its child included, and the daemon's own) per event; its peak RSS. The
     connector then stops cleanly, leaving its state for step 3.
   * ``jsonl``: ``centreon-canopsis simulate --events 0`` writes the burst as JSON lines and a
     fresh process runs the connector's pipeline on that file in-process (the JSON-lines source,
     commits as ``run`` does): no TCP, JSON decoding instead of BBDO.
3. Another fresh process opens the state directory as ``run`` does at start-up (``Pipeline``:
   plugins, state database, cache load), with the connector's bytecode compiled first as the
   packages ship it (``--phase compile``): cold start time and RSS once loaded (steady RSS: the
   cache does not grow while nothing is added to the configuration). The burst's clean stop
   left a snapshot of the cache (core/cache.py); the start is measured again without it, as
   after a crash.

Targets printed are issue 11's (cold start <= 1 s, steady RSS <= 250 MB, burst >= 100k events/s).
No pass/fail exit code: this is a measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import CLI, reference_loop, usage

TARGETS = {"cold start": 1.0, "steady rss": 250.0, "burst": 100_000.0}


def _rss_mib() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _config(state_dir: Path) -> Any:
    from centreon_canopsis.core import config as config_module

    raw = {
        "canopsis_host": "127.0.0.1",
        "canopsis_port": 9,
        "sending_protocol": "http",
        "canopsis_authkey": "x",
        "state_dir": str(state_dir),
        "log_level": 1,
        "logfile": str(state_dir.parent / "connector.log"),
    }
    return config_module.from_mapping(raw, env={})


def phase_burst(stream: Path, state_dir: Path) -> dict[str, float]:
    from centreon_canopsis.core import interpreter
    from centreon_canopsis.core.pipeline import Pipeline
    from centreon_canopsis.core.sources.jsonl import JsonLinesSource

    interpreter.tune()  # as run does
    pipeline = Pipeline(_config(state_dir))
    before = _rss_mib()
    cpu = time.process_time()
    started = time.perf_counter()
    pipeline.run(JsonLinesSource(str(stream), follow=False))
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    events = pipeline.context.metrics.value("events_received_total")
    counts = pipeline.context.cache.counts()
    pipeline.close(5)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "cpu": cpu, "events": events, "rss_before": before, "rss_peak": peak,
            "rss_end": _rss_mib(), "hosts": counts["hosts"], "services": counts["services"]}  # fmt: skip


def bbdo_burst(args: argparse.Namespace, work: Path) -> tuple[dict[str, float], Path]:
    """The burst through ``run`` over BBDO (bbdo_pipeline.py's parts); returns its figures and
    the state directory the connector left at its clean stop."""
    import bbdo_pipeline

    size = ["--hosts", str(args.hosts), "--services-per-host", str(args.services_per_host)]
    # The simulator's runtime part: one check after the configuration; no lone events.
    options = bbdo_pipeline.build_parser().parse_args(
        [*size, "--events", "1", "--bbdo", str(args.bbdo), "--layout", args.layout, "--lone", "0"]
    )
    stream = bbdo_pipeline.make_stream(options)
    with bbdo_pipeline.started(work / "burst", options) as (connector, transport, port):
        result = bbdo_pipeline.run_throughput(stream, options, port, connector, transport)
        peak = usage(connector.pid).peak_rss_mib
        metrics = connector.metrics()
        code = connector.stop()
    if code != 0 or result.acknowledged < len(stream.events):
        raise RuntimeError(f"the connector exited {code}, {result.acknowledged:,} events acknowledged")
    burst = {
        "seconds": result.committed_s,
        "cpu": result.cpu_committed["connector"],
        "daemon_cpu": result.cpu_committed["daemon"],
        "events": len(stream.events),
        "rss_peak": peak,
        "rss_end": metrics.get("process_resident_memory_bytes", 0.0) / 2**20,
        "rss_before": 0.0,
    }
    return burst, work / "burst" / "state"


def phase_load(state_dir: Path) -> dict[str, float]:
    before = _rss_mib()
    started, cpu = time.perf_counter(), time.process_time()
    from centreon_canopsis.core.pipeline import Pipeline

    imported = time.perf_counter()
    pipeline = Pipeline(_config(state_dir))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    counts = pipeline.context.cache.counts()
    rss = _rss_mib()
    pipeline.close(5)
    return {"seconds": seconds, "cpu": cpu, "imports": imported - started, "rss_before": before, "rss": rss,
            "hosts": counts["hosts"], "services": counts["services"]}  # fmt: skip


def phase_compile() -> dict[str, float]:
    """The connector's bytecode, compiled as the packages ship it (packaging/stage.sh): a start
    then reads it instead of compiling every module (about 0.13 s here, where the environment may
    say PYTHONDONTWRITEBYTECODE, so that no start ever writes it)."""
    import compileall
    import importlib

    started = time.perf_counter()
    for name in ("core", "plugins", "standins"):
        folder = Path(importlib.import_module(f"centreon_canopsis.{name}").__file__ or "").parent
        compileall.compile_dir(folder, quiet=1)
    return {"seconds": time.perf_counter() - started}


def _drop_snapshot(database: Path) -> bool:
    """Deletes the name cache snapshot a clean stop wrote (as after a crash); False if none."""
    connection = sqlite3.connect(database)
    try:
        with connection:
            return connection.execute("DELETE FROM cache_snapshot").rowcount > 0
    except sqlite3.OperationalError:  # a version without snapshots
        return False
    finally:
        connection.close()


def child(phase: str, *paths: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--phase", phase, *map(str, paths)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=50_000)
    parser.add_argument("--services-per-host", type=int, default=10)
    parser.add_argument("--bbdo", type=int, choices=(2, 3), default=3)
    parser.add_argument("--source", choices=("bbdo", "jsonl"), default="bbdo")
    parser.add_argument(
        "--layout",
        choices=("one-process", "reader-child", "two-processes", "three-processes"),
        default="reader-child",
        help="with --source bbdo: the connector's processes (bbdo_pipeline.py LAYOUTS)",
    )
    parser.add_argument("--phase", choices=("burst", "load", "compile"), help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase == "burst":
        print(json.dumps(phase_burst(*args.paths)))
        return 0
    if args.phase == "load":
        print(json.dumps(phase_load(*args.paths)))
        return 0
    if args.phase == "compile":
        print(json.dumps(phase_compile()))
        return 0

    work = Path(tempfile.mkdtemp(prefix="ccc-cache-scale-"))
    try:
        if args.source == "bbdo":
            burst, state = bbdo_burst(args, work)
        else:
            stream = work / "config.jsonl"
            size = ["--hosts", str(args.hosts), "--services-per-host", str(args.services_per_host)]
            command = [*CLI, "simulate", "--events", "0", *size, "--bbdo", str(args.bbdo), "-o", str(stream)]
            subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
            state = work / "state"
            burst = child("burst", stream, state)
        child("compile")  # as installed: the start reads bytecode
        load = child("load", state)
        snapshot = _drop_snapshot(state / "connector.db")
        rows = child("load", state) if snapshot else None
        db_mib = sum(p.stat().st_size for p in state.glob("connector.db*")) / 2**20
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rate = burst["events"] / burst["seconds"]
    print(f"machine:       {os.cpu_count()} CPUs, reference loop {reference_loop():.2f} s")
    path = (f"BBDO {args.bbdo} over TCP to run, layout {args.layout}" if args.source == "bbdo"
            else f"BBDO {args.bbdo} forms as JSON lines, in-process")  # fmt: skip
    print(f"configuration: {args.hosts:,} hosts, {args.hosts * args.services_per_host:,} services, {path}; "
          f"cache holds {load['hosts']:,.0f} hosts, {load['services']:,.0f} services; "
          f"state database {db_mib:,.0f} MiB")  # fmt: skip
    print(f"burst:         {rate:>10,.0f} events/s (target {TARGETS['burst']:,.0f}: "
          f"{rate / TARGETS['burst']:.2f}x); {burst['events']:,.0f} events in {burst['seconds']:.1f} s, "
          f"{burst['cpu'] / burst['events'] * 1e6:.1f} us CPU/event "
          f"(= {burst['events'] / burst['cpu']:,.0f} events per CPU second)")  # fmt: skip
    if "daemon_cpu" in burst:
        daemon = burst["daemon_cpu"] / burst["events"] * 1e6
        print(f"               of which the daemon process {daemon:.1f} us/event "
              f"(the rest: its child processes); until the last acknowledgement")  # fmt: skip
        print(f"               peak RSS {burst['rss_peak']:,.0f} MiB (child processes included), "
              f"{burst['rss_end']:,.0f} MiB at the end (daemon)")  # fmt: skip
    else:
        print(f"               peak RSS {burst['rss_peak']:,.0f} MiB, {burst['rss_end']:,.0f} MiB at the end "
              f"({burst['rss_before']:,.0f} MiB before reading)")  # fmt: skip
    print(f"cold start:    {load['seconds']:>10.2f} s (target {TARGETS['cold start']:.0f} s: "
          f"{TARGETS['cold start'] / load['seconds']:.2f}x) to open the state and load "
          f"{load['hosts']:,.0f} hosts, {load['services']:,.0f} services "
          f"({load['imports']:.2f} s of it importing the engine); CPU {load['cpu']:.2f} s")  # fmt: skip
    if rows is not None:
        print(f"  without the snapshot (after a crash): {rows['seconds']:.2f} s, CPU {rows['cpu']:.2f} s, "
              f"{rows['rss']:,.0f} MiB once loaded")  # fmt: skip
    print(f"steady RSS:    {load['rss']:>10,.0f} MiB once loaded (target {TARGETS['steady rss']:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
