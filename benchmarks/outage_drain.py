"""Outage drain: Canopsis away while Broker keeps sending, then back; how long until Canopsis holds
Centreon's current state.

Usage: ``python benchmarks/outage_drain.py [--events 3600000] [--hosts 1000]
[--services-per-host 10] [--ack-every 1000] [--coalesce-backlog 10000]``

The default is the case of issue 11: an hour at 1k events/s, 3.6 M events queued during the
outage. ``--events`` measures a smaller (or larger) queue; only the figures printed for the
scale run are claims.

1. ``centreon-canopsis simulate`` gives the configuration of ``--hosts`` x ``--services-per-host``
   services; this script writes ``--events`` hard service checks over them, round robin, every
   check changing the state (so that the status filters drop none: every one is queued), and an
   acknowledgement of a problem every ``--ack-every`` events (these must all arrive, in order).
2. Canopsis is down (nothing listens on its port). The connector's pipeline, in this process
   exactly as ``run`` runs it with a JSON-lines source (SQLite outbox, ``synchronous = full``,
   sender threads with the default backoff), reads the whole stream: that is the outage.
3. The Canopsis sandbox starts on that port (Canopsis is back). The clock runs until the outbox
   is empty; then the sandbox's alarms are compared with the last state of every service, and
   what was queued with what was delivered plus what was coalesced.

Printed: events read, payloads coalesced (``payloads_coalesced_total``), what waited in the
outbox when Canopsis came back, the time from its return to the first delivery (the sender's
backoff) and to an empty outbox (the drain), whether the state matches, CPU and peak RSS
(taken before the benchmark reads the sandbox's alarms: its own verification is not counted).
``--coalesce-backlog 0`` shows the drain without catch-up.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from centreon_canopsis.core import config as config_module
from centreon_canopsis.core.logsetup import setup_logging
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.jsonl import JsonLinesSource

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import AUTHKEY, CLI, connector_raw, http_get

#: Centreon service state -> Canopsis state (lua-connector.md).
SERVICE_STATE = {0: 0, 1: 1, 2: 3, 3: 2}


def configuration(
    path: Path, hosts: int, services: int
) -> tuple[list[bytes], list[tuple[int, int, str]], int]:
    command = [*CLI, "simulate", "--hosts", str(hosts), "--services-per-host", str(services)]
    command += ["--events", "0", "--seed", "1", "--pollers", "1", "--bas", "0", "-o", str(path)]
    subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
    lines = path.read_bytes().splitlines()
    host_names: dict[int, str] = {}
    found: list[tuple[int, int, str]] = []
    poller = 1
    for line in lines:
        event = orjson.loads(line)
        if event.get("category") != 1:
            continue
        if event.get("element") == 30:
            host_names[event["host_id"]] = event["name"]
            poller = event.get("instance_id") or poller
        elif event.get("element") == 27:
            found.append((event["host_id"], event["service_id"], event["description"]))
    services_found = [(h, s, f"{d}/{host_names.get(h, h)}") for h, s, d in found]
    return lines, services_found, poller


def write_stream(path: Path, events: int, hosts: int, services: int, ack_every: int) -> dict[str, Any]:
    config, targets, poller = configuration(path.with_suffix(".conf"), hosts, services)
    now = int(time.time()) - 3600
    last: dict[str, int] = {}
    acks = 0
    with open(path, "wb") as handle:
        for line in config:
            handle.write(line + b"\n")
        for n in range(events):
            host, service, entity = targets[n % len(targets)]
            state = (n // len(targets)) % 3 + (0 if n % 7 else 1)  # changes at every round
            state = min(state, 2)
            when = now + n * 3600 // max(events, 1)
            if ack_every and n % ack_every == ack_every - 1 and state:
                ack = {
                    "_type": 65581, "category": 1, "element": 45, "host_id": host, "service_id": service,
                    "instance_id": poller, "type": 1, "author": "admin", "comment_data": f"ack {n}",
                    "sticky": True, "notify_contacts": True, "entry_time": when, "deletion_time": 0,
                    "persistent_comment": False, "state": state,
                }  # fmt: skip
                handle.write(orjson.dumps(ack) + b"\n")
                acks += 1
            event = {
                "_type": 65565, "category": 1, "element": 29, "host_id": host, "service_id": service,
                "checked": True, "check_type": 0, "state": state, "state_type": 1,
                "last_state_change": when, "last_hard_state": state, "last_hard_state_change": when,
                "last_check": when, "output": f"check {n} state {state}", "long_output": "",
                "perfdata": "", "flapping": False, "acknowledgement_type": 0,
                "scheduled_downtime_depth": 0, "check_attempt": 1,
            }  # fmt: skip
            handle.write(orjson.dumps(event) + b"\n")
            last[entity] = state
    return {"configuration": len(config), "last": last, "acks": acks}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def settings(state_dir: Path, port: int, coalesce_backlog: int) -> config_module.Config:
    raw = connector_raw(
        state_dir,
        port,
        accepted_categories="neb",
        accepted_elements="host_status,service_status,acknowledgement",
        canopsis_downtime_send_pbh=0,
        delivery={"coalesce_backlog": coalesce_backlog, "max_outbox_events": 10_000_000},
    )
    return config_module.from_mapping(raw, env={})


def get(port: int, path: str) -> Any:
    return orjson.loads(http_get(f"http://127.0.0.1:{port}/_sandbox/{path}", timeout=120))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3_600_000, help="checks written during the outage")
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--services-per-host", type=int, default=10)
    parser.add_argument("--ack-every", type=int, default=1000, help="an acknowledgement every N events")
    parser.add_argument("--coalesce-backlog", type=int, default=10_000, help="delivery.coalesce_backlog")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="ccc-drain-"))
    stream = work / "outage.jsonl"
    shape = write_stream(stream, args.events, args.hosts, args.services_per_host, args.ack_every)
    port = free_port()
    config = settings(work / "state", port, args.coalesce_backlog)
    setup_logging(config.log_level, config.logfile)
    pipeline = Pipeline(config)
    pipeline.start()
    started = time.perf_counter()
    cpu = time.process_time()
    pipeline.run(JsonLinesSource(str(stream), follow=False))
    outage = time.perf_counter() - started
    metrics = pipeline.context.metrics
    read = metrics.value("events_received_total")
    coalesced = sum(metrics.series("payloads_coalesced_total").values())
    waiting = pipeline.outbox.depth()

    sandbox = subprocess.Popen(
        [
            *CLI,
            "sandbox",
            "--port",
            str(port),
            "--authkey",
            AUTHKEY,
            "--seed",
            "1",
            "--resolve-delay",
            "3600",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sandbox.stdout is not None
        sandbox.stdout.readline()  # listening: Canopsis is back
        back = time.perf_counter()
        first = None
        while pipeline.outbox.depth() > 0:
            if first is None and sum(metrics.series("payloads_delivered_total").values()) > 0:
                first = time.perf_counter() - back
            time.sleep(0.05)
        drained = time.perf_counter() - back
        first = drained if first is None else first
        cpu = time.process_time() - cpu
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before reading the alarms
        queued = metrics.value("events_total", outcome="queued")
        delivered = sum(metrics.series("payloads_delivered_total").values())
        pipeline.close()
        alarms = get(port, "alarms?opened=true")
        counters = get(port, "state").get("counters", {})
    finally:
        sandbox.terminate()
        sandbox.wait(10)

    expected = {entity: SERVICE_STATE[state] for entity, state in shape["last"].items()}
    held = {alarm["entity"]["_id"]: alarm["v"]["state"]["val"] for alarm in alarms}
    wrong = sum(1 for entity, state in expected.items() if held.get(entity, 0) != state)
    print(
        f"outage:   {args.events:,} checks (+{shape['acks']:,} acks) over {len(expected):,} services read "
        f"in {outage:.1f} s with Canopsis down ({read / outage:,.0f} events/s); {coalesced:,.0f} payloads "
        f"coalesced; {waiting:,} waited in the outbox when Canopsis came back "
        f"(coalesce_backlog {args.coalesce_backlog})"
    )
    print(
        f"return:   first delivery {first:.1f} s after Canopsis came back (the sender's backoff), "
        f"outbox empty after {drained:.1f} s; Canopsis holds the current state of "
        f"{len(expected) - wrong:,}/{len(expected):,} services; {counters.get('events_sent', 0):,} events "
        f"published; queued {queued:,.0f} = delivered {delivered:,.0f} + coalesced {coalesced:,.0f}: "
        f"{'yes' if queued == delivered + coalesced else 'NO'} (acks are never coalesced)"
    )
    print(
        f"process:  CPU {cpu:.1f} s ({cpu / max(read, 1) * 1e6:.1f} us per event read), "
        f"peak RSS {rss:.0f} MiB"
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0 if wrong == 0 else 1


if __name__ == "__main__":
    os.environ.pop("CANOPSIS_AUTHKEY", None)
    sys.exit(main())
