"""The production path, end to end: a simulated Centreon Broker sends BBDO over TCP to
``centreon-canopsis run``, which acknowledges what it committed and delivers to the Canopsis
sandbox. Every party is its own process, so each one's CPU is measured apart.

Usage: ``python benchmarks/bbdo_pipeline.py [--events 200000] [--mix realistic] [--bbdo 3]
[--layout one-process] [--transport http] [--canopsis-version 24.04] [--lone 200] [--keep]
[--baseline GIT_REF [--pairs N]]``

1. The stream is generated with the Broker simulator (``standins.broker``; seed 1) and encoded
   into BBDO frames before anything is timed. ``--mix`` shapes it (see MIXES below; the summary
   line prints the count of each event type).
2. The sink runs in its own process (``--transport http``: the Canopsis sandbox, ``centreon-canopsis
   sandbox``). ``TRANSPORTS`` maps each choice to a class; another transport is one more entry.
3. ``centreon-canopsis run`` runs in its own process with a BBDO source in listen mode (Broker's
   ``bbdo_client`` output), the default filters and ``sqlite_synchronous = full``.
4. This process plays Broker (``standins.broker.peer.BrokerPeer``: its persistent muxer, with
   ``event_queue_max_size`` unacknowledged events at most, replays, stop). Acknowledgements come
   only once the connector committed the events to its outbox, so:

   * committed events/s: input events / time from the first byte sent to the last event
     acknowledged (and the connector's CPU until then, per input event);
   * end to end events/s: input events / time until the connector's outbox is empty (every payload
     delivered, read from its /metrics), and payloads delivered per second.

5. ``--lone N`` (after the throughput run, or alone with ``--events 0``): N single hard checks,
   one every 50 ms on an idle connector; latency from the moment Broker writes the event to the
   moment the sandbox receives the request (same machine, same clock). Prints p50, p99, max.

``--baseline REF --pairs N`` alternates N runs of that commit's connector with N of this one, on
the same stream; it prints each pair's ratios, their median, and the full figures of the runs of
median committed rate. This VM's speed drifts by up to 2x between minutes: only ratios within a
pair, and their median over pairs, say whether a change helped.

CPU is user + system time from /proc (the connector's children included in the two-process
layout). Peak RSS is each process's high-water mark. The targets printed are issue 11's; the
ratio is measured / target. No pass/fail exit code: this is a measurement.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import (
    ALL_ELEMENTS,
    AUTHKEY,
    CLI,
    FILTERS_OFF,
    Sandbox,
    metrics_url,
    reference_loop,
    scrape,
    usage,
    write_toml,
)

from centreon_canopsis.core.bbdo.codec import BBDOCodec
from centreon_canopsis.core.bbdo.connection import BBDOConnection
from centreon_canopsis.core.bbdo.handshake import Welcome, encode_stop
from centreon_canopsis.standins.broker import SimulatedBroker, SimulationOptions
from centreon_canopsis.standins.broker.peer import BrokerPeer

#: Stream shapes. ``downtime_rate`` is the simulator's chance per check that a downtime starts;
#: ``filters_off`` turns hard_only, dedup and the acknowledged/downtime/flapping filters off.
MIXES: dict[str, dict[str, Any]] = {
    # Default simulator rates, except downtimes: 10x the default, so that about 4 % of the events are
    # downtimes (start and end), as in a production week with maintenance windows.
    "realistic": {"downtime_rate": 0.02, "filters_off": False},
    # Same stream, every check becomes a payload: the worst case for delivery.
    "every-event": {"downtime_rate": 0.02, "filters_off": True},
    # About a fifth of the events are downtimes, like the Lua connector's benchmark stream.
    "downtime-heavy": {"downtime_rate": 0.12, "filters_off": False},
}
#: layout -> (``[source] process``, ``[delivery] process``): where Broker is read, where senders run.
LAYOUTS = {
    "one-process": ("thread", "thread"),
    "two-processes": ("thread", "child"),
    "reader-child": ("child", "thread"),
    "three-processes": ("child", "child"),
}
TARGETS = {"committed": 60_000.0, "end to end": 50_000.0, "connector cpu": 12.0, "lone p99": 10.0}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HttpTransport:
    """Delivery over HTTP to the Canopsis sandbox (a child process)."""

    name = "http"

    def __init__(self, canopsis_version: str = "24.04") -> None:
        self.sandbox = Sandbox("--canopsis-version", canopsis_version)

    @property
    def pid(self) -> int:
        return self.sandbox.pid

    def settings(self) -> dict[str, Any]:
        """Top-level connector settings that point it at this sink."""
        return {
            "canopsis_host": "127.0.0.1",
            "canopsis_port": self.sandbox.port,
            "sending_protocol": "http",
            "canopsis_authkey": AUTHKEY,
        }

    def tables(self) -> dict[str, dict[str, Any]]:
        return {}

    def last_request_time(self) -> float | None:
        """When the sink received its latest request (its clock), None before any."""
        requests = self.sandbox.get("requests?limit=1")
        return requests[-1]["t"] if requests else None

    def summary(self) -> str:
        return str(self.sandbox.get("state").get("counters"))

    def stop(self) -> None:
        self.sandbox.stop()


#: ``--transport`` choices; a new transport (AMQP) is one more class with the same methods.
TRANSPORTS: dict[str, type] = {"http": HttpTransport}


@dataclass
class Stream:
    events: list[dict[str, Any]]
    counts: Counter[str]
    config_events: int


def make_stream(args: argparse.Namespace) -> Stream:
    mix = MIXES[args.mix]
    options = SimulationOptions(
        seed=1,
        hosts=args.hosts,
        services_per_host=args.services_per_host,
        events=args.events,
        bbdo=args.bbdo,
        downtime_rate=mix["downtime_rate"],
        reload_interval=0,
        start=int(time.time()) - 3600,
    )
    broker = SimulatedBroker(options)
    events = list(broker.events()) if args.events else []
    codec = BBDOCodec()
    counts = Counter(codec.event_type(event).name for event in events)
    return Stream(events, counts, broker.config_events)


def connector_config(work: Path, transport: Any, args: argparse.Namespace, port: int) -> Path:
    top: dict[str, Any] = {
        **transport.settings(),
        "state_dir": str(work / "state"),
        "log_level": 1,
        "logfile": str(work / "connector.log"),
        **ALL_ELEMENTS,
    }
    if MIXES[args.mix]["filters_off"]:
        top |= FILTERS_OFF
    tables = {
        "source": {
            "type": "bbdo",
            "mode": "listen",
            "host": "127.0.0.1",
            "port": port,
            "bbdo_version": "3.0.0" if args.bbdo == 3 else "2.0.0",
        },
        "metrics": {"enabled": True, "host": "127.0.0.1", "port": 0},
        "delivery": {"sqlite_synchronous": "full"},
        **transport.tables(),
    }
    reader, senders = LAYOUTS[args.layout]
    if reader != "thread":
        tables["source"]["process"] = reader
    if senders != "thread":
        tables["delivery"]["process"] = senders
    path = work / "connector.toml"
    write_toml(path, top, tables)
    return path


class Connector:
    """``centreon-canopsis run`` in a child process."""

    def __init__(self, config: Path, state_dir: Path, code: Path | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if k != "CANOPSIS_AUTHKEY"}
        if code is not None:  # another checkout's package first on the path (--baseline)
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), env.get("PYTHONPATH")]))
        self.process = subprocess.Popen([*CLI, "run", "-c", str(config)], env=env)
        self.url = metrics_url(state_dir)

    @property
    def pid(self) -> int:
        return self.process.pid

    def metrics(self) -> dict[str, float]:
        return scrape(self.url)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                return self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


def wait_listening(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.05)
    raise RuntimeError("the connector's BBDO source does not listen")


@dataclass
class Throughput:
    committed_s: float
    drained_s: float | None
    cpu_committed: dict[str, float]
    cpu_drained: dict[str, float]
    payloads: float
    lanes: dict[str, float]  # seconds until each lane was empty
    acknowledged: int
    replayed: int
    threads: dict[str, float]  # CPU seconds per thread role of the daemon's process, until committed


def thread_cpu(metrics: dict[str, float]) -> dict[str, float]:
    """The daemon's ``thread_cpu_seconds_total`` by role (empty where /proc is not there)."""
    prefix = 'thread_cpu_seconds_total{thread="'
    return {series[len(prefix) : -2]: value for series, value in metrics.items() if series.startswith(prefix)}


def run_throughput(
    stream: Stream, args: argparse.Namespace, port: int, connector: Connector, transport: Any
) -> Throughput:
    peer = BrokerPeer(
        stream.events,
        mode="client",
        port=port,
        bbdo_version="3.0.0" if args.bbdo == 3 else "2.0.0",
        max_unacked=args.max_unacked,
        stop_ack_timeout=600,
    )
    total = peer.total
    pids = {"connector": connector.pid, "sink": transport.pid}
    before = {name: usage(pid) for name, pid in pids.items()}
    daemon_before = usage(connector.pid, children=False)
    threads_before = thread_cpu(connector.metrics())
    self_before = time.process_time()
    started = time.perf_counter()
    peer.start()
    while peer.acknowledged < total:
        if not peer._thread.is_alive():
            break
        time.sleep(0.005)
    committed = time.perf_counter() - started
    at_commit = {name: usage(pid) - before[name] for name, pid in pids.items()}
    at_commit["daemon"] = usage(connector.pid, children=False) - daemon_before
    threads_now = thread_cpu(connector.metrics())
    threads = {role: seconds - threads_before.get(role, 0.0) for role, seconds in threads_now.items()}
    broker_cpu = time.process_time() - self_before
    report = peer.join(60)
    drained: float | None = None
    lanes: dict[str, float] = {}
    deadline = time.monotonic() + args.drain_timeout
    metrics: dict[str, float] = {}
    while time.monotonic() < deadline:
        metrics = connector.metrics()
        now = time.perf_counter() - started
        for series, value in metrics.items():
            if series.startswith("outbox_items{") and value == 0:
                lanes.setdefault(series.split('"')[1], now)
        if metrics.get("outbox_items", 1) == 0 and metrics.get("events_received_total", 0) >= total:
            drained = now
            break
        time.sleep(0.02)
    at_drain = {name: usage(pid) - before[name] for name, pid in pids.items()}
    at_drain["daemon"] = usage(connector.pid, children=False) - daemon_before
    cpu_committed = {name: u.cpu for name, u in at_commit.items()} | {"broker": broker_cpu}
    cpu_drained = {name: u.cpu for name, u in at_drain.items()}
    return Throughput(
        committed,
        drained,
        cpu_committed,
        cpu_drained,
        metrics.get("payloads_delivered_total", 0.0),
        lanes,
        report.acknowledged,
        report.replayed,
        threads,
    )


def lone_template(stream: Stream) -> dict[str, Any]:
    """A hard, quiet service check of the stream, sent again with an alternating state."""
    for event in stream.events:
        flags = ("flapping", "acknowledged", "scheduled_downtime_depth")
        quiet = not any(event.get(flag) for flag in flags)
        if event.get("element") in (29, 24) and event.get("state_type") == 1 and quiet:
            return event
    raise RuntimeError("no hard service check in the stream")


def bbdo_version(args: argparse.Namespace) -> str:
    return "3.0.0" if args.bbdo == 3 else "2.0.0"


@contextlib.contextmanager
def started(
    work: Path, args: argparse.Namespace, code: Path | None = None
) -> Iterator[tuple[Connector, Any, int]]:
    """A sink and a connector pointed at it (``code``: another checkout's), stopped on the way out."""
    work.mkdir(parents=True)
    port = free_port()
    transport = TRANSPORTS[args.transport](args.canopsis_version)
    connector: Connector | None = None
    try:
        connector = Connector(connector_config(work, transport, args, port), work / "state", code)
        wait_listening(port)
        yield connector, transport, port
    finally:
        if connector is not None:
            connector.stop()
        transport.stop()


def export_checkout(ref: str, work: Path) -> Path:
    """``git archive REF`` laid out as the installed namespace (centreon_canopsis.core, ...), so
    that putting the returned directory first on PYTHONPATH runs that checkout's connector."""
    root = Path(__file__).resolve().parents[1]
    source = work / "baseline-src"
    source.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(root), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    package = work / "baseline" / "centreon_canopsis"
    package.mkdir(parents=True)
    for folder in ("core", "plugins", "schemas", "standins"):
        (package / folder).symlink_to(source / folder)
    if (source / "setup.py").exists():  # its C accelerators, built as an install would build them
        build = [sys.executable, "setup.py", "-q", "build_ext", "--inplace"]
        subprocess.run(build, cwd=source, check=False, capture_output=True)
    return package.parent


def wait_drained(connector: Connector, received: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        metrics = connector.metrics()
        if metrics.get("outbox_items", 1) == 0 and metrics.get("events_received_total", 0) >= received:
            return True
        time.sleep(0.05)
    return False


def run_lone(args: argparse.Namespace, port: int, transport: Any, template: dict[str, Any]) -> list[float]:
    """Lone events on one BBDO connection; returns the latencies in seconds."""
    codec = BBDOCodec()
    version = "3.0.0" if args.bbdo == 3 else "2.0.0"
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    conn = BBDOConnection(sock, "lone peer")
    conn.connect_handshake(Welcome.for_version(version, (), poller_id=1), 5)
    latencies = []
    last = transport.last_request_time()
    try:
        for index in range(args.lone):
            time.sleep(0.05)
            with contextlib.suppress(OSError, BlockingIOError):  # acks: read and ignore
                sock.setblocking(False)
                while sock.recv(65536):
                    pass
            sock.setblocking(True)
            now = int(time.time())
            state = 2 if index % 2 == 0 else 0
            times = {"last_check": now, "last_hard_state_change": now, "last_state_change": now}
            event = dict(template, state=state, last_hard_state=state, output=f"lone event {index}", **times)
            frame = codec.encode(event, source_id=1)
            sent = time.time()
            conn.send(frame)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                seen = transport.last_request_time()
                if seen is not None and seen != last and seen >= sent:
                    latencies.append(seen - sent)
                    last = seen
                    break
                time.sleep(0.0005)
            else:
                print(f"lone event {index} did not reach the sink in 5 s", file=sys.stderr)
        conn.send(encode_stop(protobuf=args.bbdo == 3, poller_id=1))
        time.sleep(0.2)
    finally:
        conn.close()
    return latencies


def rate_line(label: str, value: float, target: float, unit: str = "events/s") -> str:
    return f"{label:<22}{value:>10,.0f} {unit:<9} (target {target:,.0f}: {value / target:.2f}x)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000, help="runtime events after the configuration")
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--services-per-host", type=int, default=10)
    parser.add_argument("--mix", choices=sorted(MIXES), default="realistic")
    parser.add_argument("--bbdo", type=int, choices=(2, 3), default=3)
    parser.add_argument("--layout", choices=sorted(LAYOUTS), default="one-process")
    parser.add_argument("--transport", choices=sorted(TRANSPORTS), default="http")
    parser.add_argument(
        "--canopsis-version",
        default="24.04",
        help="what the sandbox emulates: before 24.04.8 every pbehavior comment is one more request, "
        "from 24.04.8 it is inline in /bulk/connector-pbehaviors (docs/downtimes.md)",
    )
    parser.add_argument("--lone", type=int, default=200, help="lone events for the latency figure (0: none)")
    parser.add_argument("--max-unacked", type=int, default=100_000, help="Broker's event_queue_max_size")
    parser.add_argument("--drain-timeout", type=float, default=600)
    parser.add_argument("--keep", action="store_true", help="keep the work directory (state, log)")
    parser.add_argument(
        "--baseline",
        metavar="GIT_REF",
        help="first run the same stream through that commit's connector (git archive), and print ratios",
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=1,
        help="with --baseline: alternate that many baseline and current runs, print each pair's ratios "
        "and report the runs of median committed rate (this VM's speed drifts between runs)",
    )
    return parser


def median_run(runs: list[Throughput]) -> Throughput:
    """The run of median committed time (the lower middle one of an even count)."""
    return sorted(runs, key=lambda run: run.committed_s)[(len(runs) - 1) // 2]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    stream = make_stream(args)
    total = len(stream.events)
    work = Path(tempfile.mkdtemp(prefix="ccc-bbdo-bench-"))
    result: Throughput | None = None
    latencies: list[float] = []
    rss: dict[str, float] = {}
    code = None
    sink_summary = ""
    baseline: Throughput | None = None
    baselines: list[Throughput] = []
    results: list[Throughput] = []
    checkout = export_checkout(args.baseline, work) if total and args.baseline else None
    for pair in range(max(1, args.pairs) if checkout is not None else 1 if total else 0):
        if checkout is not None:
            with started(work / f"baseline-run-{pair}", args, checkout) as (connector, transport, port):
                baselines.append(run_throughput(stream, args, port, connector, transport))
                rss["baseline"] = max(rss.get("baseline", 0.0), usage(connector.pid).peak_rss_mib)
        with started(work / f"throughput-{pair}", args) as (connector, transport, port):
            results.append(run_throughput(stream, args, port, connector, transport))
            rss["connector"] = max(rss.get("connector", 0.0), usage(connector.pid).peak_rss_mib)
            rss["sink"] = max(rss.get("sink", 0.0), usage(transport.pid).peak_rss_mib)
            sink_summary = transport.summary()
            code = connector.stop()
    if results:
        result = median_run(results)
    if baselines:
        baseline = median_run(baselines)
    if args.lone:
        # A fresh, idle connector that knows the names (a small configuration burst first).
        small = make_stream(argparse.Namespace(**{**vars(args), "events": 2000, "hosts": 50}))
        with started(work / "lone", args) as (connector, transport, port):
            warm = BrokerPeer(small.events, port=port, bbdo_version=bbdo_version(args), stop_ack_timeout=60)
            warm.start().join(120)
            wait_drained(connector, len(small.events), args.drain_timeout)
            latencies = run_lone(args, port, transport, lone_template(small))

    print(f"machine:     {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end, "
          f"reference loop {reference_loop():.2f} s (harness.reference_loop)")  # fmt: skip
    print(
        f"stream:      {total:,} events over BBDO {args.bbdo} ({stream.config_events:,} configuration), "
        f"mix {args.mix}, layout {args.layout}, transport {args.transport} (Canopsis {args.canopsis_version})"
    )
    if total:
        mix = ", ".join(f"{name} {n / total:.1%}" for name, n in stream.counts.most_common(8))
        print(f"             {mix}")
    if result is not None:
        print(rate_line("committed:", total / result.committed_s, TARGETS["committed"]),
              f"{result.committed_s:.2f} s to the last ack")  # fmt: skip
        if result.drained_s is not None:
            print(rate_line("end to end:", total / result.drained_s, TARGETS["end to end"]),
                  f"{result.drained_s:.2f} s until the outbox was empty; "
                  f"{result.payloads / result.drained_s:,.0f} payloads/s delivered")  # fmt: skip
        else:
            print(f"{'end to end:':<22}NOT DRAINED within {args.drain_timeout:.0f} s")
        if "events" in result.lanes:
            print(rate_line("  events lane:", total / result.lanes["events"], TARGETS["end to end"]),
                  f"{result.lanes['events']:.2f} s until the lane of /api/v4/event was empty")  # fmt: skip
        for lane, seconds in sorted(result.lanes.items()):
            if lane != "events":
                print(f"{'  ' + lane + ' lane:':<22}empty after {seconds:.2f} s")
        cpu = result.cpu_committed["connector"] / total * 1e6
        print(f"{'connector CPU:':<22}{cpu:>10.1f} us/event  (target {TARGETS['connector cpu']:.0f}: "
              f"{TARGETS['connector cpu'] / cpu:.2f}x) until committed; "
              f"{result.cpu_drained['connector'] / total * 1e6:.1f} us/event until delivered")  # fmt: skip
        if args.layout != "one-process":
            daemon, child = (
                result.cpu_committed["daemon"],
                result.cpu_committed["connector"] - result.cpu_committed["daemon"],
            )
            print(f"{'  of which:':<22}daemon process {daemon / total * 1e6:.1f} us/event, child processes "
                  f"{child / total * 1e6:.1f} us/event (until committed)")  # fmt: skip
        per_thread = ((seconds / total * 1e6, role) for role, seconds in result.threads.items())
        busy = [f"{role} {us:.1f}" for us, role in sorted(per_thread, reverse=True) if us >= 0.05]
        if busy:
            print(f"{'  by thread:':<22}" + ", ".join(busy)
                  + " us/event in the daemon's process until committed")  # fmt: skip
        print(f"{'other CPU:':<22}sink {result.cpu_drained['sink'] / total * 1e6:.1f} us/event, "
              f"Broker simulator {result.cpu_committed['broker'] / total * 1e6:.1f} us/event")  # fmt: skip
        print(f"{'Broker saw:':<22}{result.acknowledged:,} of {total:,} acknowledged, "
              f"{result.replayed:,} replayed")  # fmt: skip
    if baseline is not None and result is not None:
        cpu_then = baseline.cpu_committed["connector"] / total * 1e6
        cpu_now = result.cpu_committed["connector"] / total * 1e6
        label = f"baseline {args.baseline}:"
        print(f"{label:<22}committed {total / baseline.committed_s:,.0f} events/s, "
              f"connector CPU {cpu_then:.1f} us/event; now {baseline.committed_s / result.committed_s:.2f}x "
              f"the events/s, {cpu_then / cpu_now:.2f}x less CPU per event")  # fmt: skip
        if baseline.drained_s is not None and result.drained_s is not None:  # delivery included
            then, now = (run.cpu_drained["connector"] / total * 1e6 for run in (baseline, result))
            print(f"{'':<22}end to end {total / baseline.drained_s:,.0f} events/s then, "
                  f"{total / result.drained_s:,.0f} now ({baseline.drained_s / result.drained_s:.2f}x); "
                  f"CPU until delivered {then:.1f} us/event then, {now:.1f} now "
                  f"({then / now:.2f}x less)")  # fmt: skip
        if args.layout != "one-process":  # the child processes' share: delivery, with its HTTP client
            then, now = (
                (run.cpu_drained["connector"] - run.cpu_drained["daemon"]) / total * 1e6
                for run in (baseline, result)
            )
            print(f"{'':<22}child processes until delivered: {then:.1f} us/event then, {now:.1f} now "
                  f"({then / now:.2f}x less)")  # fmt: skip
    if len(baselines) > 1:
        committed, cpu = [], []
        for number, (then, now) in enumerate(zip(baselines, results, strict=True), 1):
            committed.append(then.committed_s / now.committed_s)
            cpu.append(then.cpu_committed["connector"] / now.cpu_committed["connector"])
            cpu_then, cpu_now = (run.cpu_committed["connector"] / total * 1e6 for run in (then, now))
            print(f"{f'  pair {number}:':<22}committed {total / then.committed_s:,.0f} then, "
                  f"{total / now.committed_s:,.0f} now ({committed[-1]:.2f}x); connector CPU "
                  f"{cpu_then:.1f} then, {cpu_now:.1f} now ({cpu[-1]:.2f}x less)")  # fmt: skip
        print(f"{'  median of pairs:':<22}{statistics.median(committed):.2f}x the events/s, "
              f"{statistics.median(cpu):.2f}x less CPU per event (above: the median runs)")  # fmt: skip
    if args.lone and not latencies:
        print(f"{'lone event:':<22}no event reached the sink")
    if latencies:
        ms = sorted(x * 1000 for x in latencies)
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        print(f"{'lone event:':<22}p50 {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms "
              f"(target {TARGETS['lone p99']:.0f} ms), max {ms[-1]:.1f} ms, {len(ms)} events")  # fmt: skip
    if "connector" in rss:
        then = f" ({rss['baseline']:.0f} MiB with {args.baseline})" if "baseline" in rss else ""
        print(f"{'peak RSS:':<22}connector {rss['connector']:.0f} MiB{then}, sink {rss['sink']:.0f} MiB")
        print(f"{'sink:':<22}{sink_summary}")
        print(f"{'connector exit:':<22}{code}")
    if args.keep:
        print(f"work dir:    {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
