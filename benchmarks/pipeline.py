"""Throughput, memory and latency of the whole delivery path, into the Canopsis sandbox.

Usage: ``python benchmarks/pipeline.py [--events 100000] [--every-event] [--lone 20] [--profile DIR]``

1. ``centreon-canopsis simulate`` writes a seeded Broker stream (configuration bursts, then
   ``--events`` runtime events: checks, acknowledgements, downtimes, BA status...) to a file.
2. The Canopsis sandbox runs in its own process (``centreon-canopsis sandbox``), as Canopsis
   would on another machine.
3. This process runs the connector's pipeline exactly as ``run`` does: the JSON-lines source,
   plugins (filters, mappings, downtimes), the SQLite outbox (``synchronous = full``), the
   sender thread and HTTP to the sandbox. It reads the file to its end (input rate: events
   read, processed and committed per second while the sender delivers), then waits until the
   outbox is empty (end-to-end rate).
4. With the connector idle, ``--lone`` single events are handed to the pipeline one at a time,
   the way the BBDO source hands over what Broker just sent; the latency is from that moment to
   the sandbox starting to read the request (the sandbox's own clock, same machine).

Default settings apply (``hard_only``, status dedup...), so many checks are dropped as they
would be in production; ``--every-event`` turns those filters off so that every check becomes a
payload (the worst case for delivery). Peak RSS is this process's: the connector, nothing else
(the stream is generated and served by child processes). No pass/fail: this is a measurement.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import queue
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from centreon_canopsis.core import config as config_module
from centreon_canopsis.core.delivery import LaneSender
from centreon_canopsis.core.logsetup import setup_logging
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.base import Batch
from centreon_canopsis.core.sources.jsonl import JsonLinesSource

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ALL_ELEMENTS, FILTERS_OFF, Sandbox, connector_raw, generate


class QueueSource:
    """Hands each event to the pipeline as soon as it is put, like the BBDO source does."""

    name = "benchmark:lone"

    def __init__(self) -> None:
        self.queue: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def batches(self, resume: str | None) -> Iterator[Batch]:
        while (event := self.queue.get()) is not None:
            yield Batch([event], origin="lone")

    def close(self) -> None:
        self.queue.put(None)


def settings(state_dir: Path, port: int, every_event: bool) -> config_module.Config:
    raw = connector_raw(state_dir, port, **ALL_ELEMENTS)
    if every_event:
        raw |= FILTERS_OFF
    return config_module.from_mapping(raw, env={})


def lone_event(stream: Path) -> dict[str, Any]:
    """A hard service check of the stream, to send again with a changing state."""
    with open(stream, "rb") as handle:
        for line in handle:
            event = orjson.loads(line)
            hard = event.get("element") == 29 and event.get("state_type") == 1
            quiet = not (event.get("flapping") or event.get("acknowledgement_type"))
            if hard and quiet and not event.get("scheduled_downtime_depth"):
                return event
    raise RuntimeError("no hard service check in the stream")


SENDER_CPU: dict[str, float] = {}


def timed_senders() -> None:
    """Records the CPU time each sender thread used (to split the work between threads)."""
    original = LaneSender.run

    def run(self: LaneSender) -> None:
        try:
            original(self)
        finally:
            SENDER_CPU[self.lane] = time.thread_time()

    LaneSender.run = run  # type: ignore[method-assign]


def profiled_senders(directory: Path) -> None:
    """Profiles each sender thread into ``directory/sender-<lane>.prof``."""
    original = LaneSender.run

    def run(self: LaneSender) -> None:
        profile = cProfile.Profile()
        profile.enable()
        try:
            original(self)
        finally:
            profile.disable()
            profile.dump_stats(directory / f"sender-{self.lane}.prof")

    LaneSender.run = run  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="runtime events to simulate")
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--services-per-host", type=int, default=10)
    parser.add_argument("--every-event", action="store_true", help="filters off: every check is sent")
    parser.add_argument("--lone", type=int, default=20, help="lone events for the latency figure")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="write cProfile files there")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (stream, state)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="ccc-bench-"))
    stream = work / "events.jsonl"
    lines = generate(stream, args.events, args.hosts, args.services_per_host)
    sandbox = Sandbox()
    try:
        config = settings(work / "state", sandbox.port, args.every_event)
        setup_logging(config.log_level, config.logfile)
        timed_senders()
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
            profiled_senders(args.profile)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        pipeline = Pipeline(config)
        profile = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        cpu_started = time.thread_time()
        if profile:
            profile.enable()
        pipeline.run(JsonLinesSource(str(stream), follow=False))
        if profile:
            profile.disable()
            profile.dump_stats(args.profile / "pipeline.prof")
        read = time.perf_counter() - started
        pipeline_cpu = time.thread_time() - cpu_started
        drained = pipeline.drain(600)
        total = time.perf_counter() - started
        pipeline.delivery.draining.clear()  # back to normal lingering rules for the lone events
        metrics = pipeline.context.metrics
        queued = metrics.value("events_total", outcome="queued")
        payloads = sum(metrics.series("payloads_delivered_total").values())

        latencies = measure_lone(pipeline, sandbox, lone_event(stream), args.lone)
        pipeline.close()
        rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        state = sandbox.get("state")
    finally:
        sandbox.stop()

    mode = "every check sent (--every-event)" if args.every_event else "default filters"
    print(f"stream:       {lines:,} events ({args.events:,} runtime, the rest configuration), {mode}")
    print(f"              {queued:,.0f} became payloads, {lines - queued:,.0f} fed the cache or were dropped")
    print(f"input:        {lines / read:,.0f} events/s ({read:.2f} s to read, process and commit the file)")
    print(
        f"end to end:   {lines / total:,.0f} events/s, {payloads / total:,.0f} payloads/s delivered "
        f"({total:.2f} s until the outbox was empty{'' if drained else ', NOT DRAINED'})"
    )
    sender_cpu = ", ".join(f"{lane} {cpu:.2f} s" for lane, cpu in sorted(SENDER_CPU.items()))
    print(
        f"CPU:          pipeline thread {pipeline_cpu:.2f} s ({pipeline_cpu / lines * 1e6:.1f} us/event); "
        f"senders {sender_cpu} ({SENDER_CPU.get('events', 0) / max(payloads, 1) * 1e6:.1f} us/payload "
        f"for events)"
    )
    print(f"sandbox:      {state.get('counters', state)}")
    print(f"peak RSS:     {rss_peak:.0f} MiB (before the pipeline: {rss_before:.0f} MiB)")
    if latencies:
        ms = sorted(latency * 1000 for latency in latencies)
        print(
            f"lone event:   median {statistics.median(ms):.1f} ms, max {ms[-1]:.1f} ms over {len(ms)} events "
            f"(handed to the pipeline -> request at the sandbox)"
        )
    if args.keep:
        print(f"work dir:     {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def measure_lone(pipeline: Pipeline, sandbox: Sandbox, template: dict[str, Any], count: int) -> list[float]:
    source = QueueSource()
    runner = threading.Thread(target=pipeline.run, args=(source,), daemon=True)
    runner.start()
    latencies = []
    seen = len(sandbox.get("requests"))
    for index in range(count):
        time.sleep(0.3)  # idle: nothing in flight, the sender waits
        now = int(time.time())
        state = 2 if index % 2 == 0 else 0
        event = dict(template, state=state, last_hard_state=state, last_check=now, last_hard_state_change=now,
                     last_state_change=now, output=f"lone event {index}")  # fmt: skip
        handed = time.time()
        source.queue.put(event)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            requests = sandbox.get("requests")
            if len(requests) > seen:
                latencies.append(requests[seen]["t"] - handed)
                seen = len(requests)
                break
            time.sleep(0.002)
        else:
            print(f"lone event {index} did not reach the sandbox in 5 s", file=sys.stderr)
    source.close()
    runner.join(5)
    return latencies


if __name__ == "__main__":
    os.environ.pop("CANOPSIS_AUTHKEY", None)
    sys.exit(main())
