"""``centreon-canopsis simulate``: write a simulated Broker event stream as JSON lines."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from typing import BinaryIO

import orjson
from tqdm import tqdm

from centreon_canopsis.core.cli.common import non_negative_int
from centreon_canopsis.core.cli.exitcodes import FAILED, OK, USAGE
from centreon_canopsis.standins.broker import (
    BROKER_VERSIONS,
    SimulatedBroker,
    SimulationOptions,
    StreamChecker,
)
from centreon_canopsis.standins.broker.fields import SPECS_BY_KEY

_DEFAULTS = SimulationOptions()
_CHUNK = 2000  # lines per write: fewer system calls without holding the stream in memory


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1: {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="write a simulated Centreon Broker event stream (JSON lines)",
        description="Generates a realistic, self-consistent Broker event stream from a seed: each "
        "poller's configuration burst, then check results with soft/hard states, "
        "acknowledgements, downtimes, flapping, BA status and Engine reloads, in the event forms "
        "of the chosen Broker and BBDO versions. The same options give the same bytes. A summary "
        "line (events per element) goes to standard error.",
    )
    size = parser.add_argument_group("size")
    size.add_argument(
        "--hosts",
        type=non_negative_int,
        default=_DEFAULTS.hosts,
        metavar="N",
        help="hosts (default %(default)s)",
    )
    size.add_argument(
        "--services-per-host",
        type=non_negative_int,
        default=_DEFAULTS.services_per_host,
        metavar="M",
        help="services on each host (default %(default)s)",
    )
    size.add_argument(
        "--pollers",
        type=non_negative_int,
        default=_DEFAULTS.pollers,
        metavar="P",
        help="pollers (default %(default)s)",
    )
    size.add_argument(
        "--events",
        type=non_negative_int,
        default=_DEFAULTS.events,
        metavar="E",
        help="runtime events after the configuration bursts (default %(default)s)",
    )
    size.add_argument(
        "--bas",
        type=non_negative_int,
        default=_DEFAULTS.bas,
        metavar="B",
        help="business activities (default %(default)s)",
    )
    shape = parser.add_argument_group("shape")
    shape.add_argument(
        "--seed", type=int, default=_DEFAULTS.seed, metavar="S", help="random seed (default %(default)s)"
    )
    shape.add_argument(
        "--bbdo",
        type=int,
        choices=(2, 3),
        default=_DEFAULTS.bbdo,
        help="BBDO major version (default %(default)s)",
    )
    shape.add_argument(
        "--broker-version",
        choices=BROKER_VERSIONS,
        default=_DEFAULTS.broker_version,
        help="Centreon Broker release whose event forms to use (default %(default)s)",
    )
    shape.add_argument(
        "--start",
        type=non_negative_int,
        default=None,
        metavar="EPOCH",
        help="clock at the first event (default: now)",
    )
    rates = parser.add_argument_group("rates")
    rates.add_argument(
        "--problem-rate",
        type=_rate,
        default=_DEFAULTS.problem_rate,
        metavar="R",
        help="chance per check that a healthy service starts an incident (hosts: a quarter)",
    )
    rates.add_argument(
        "--ack-rate",
        type=_rate,
        default=_DEFAULTS.ack_rate,
        metavar="R",
        help="chance a hard problem gets acknowledged",
    )
    rates.add_argument(
        "--downtime-rate",
        type=_rate,
        default=_DEFAULTS.downtime_rate,
        metavar="R",
        help="chance per check that a downtime gets scheduled on the object",
    )
    rates.add_argument(
        "--flapping-rate",
        type=_rate,
        default=_DEFAULTS.flapping_rate,
        metavar="R",
        help="chance per check that a healthy service starts flapping",
    )
    rates.add_argument(
        "--reload-interval",
        type=non_negative_int,
        default=_DEFAULTS.reload_interval,
        metavar="SECONDS",
        help="simulated seconds between Engine reloads, 0 for none (default %(default)s)",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "-o", "--output", default="-", metavar="FILE", help="where to write, - for standard output"
    )
    output.add_argument(
        "--truth", metavar="FILE", help="also write the ground truth at the end of the stream (JSON)"
    )
    output.add_argument(
        "--check", action="store_true", help="validate the stream while writing it; exit 1 if it has problems"
    )
    output.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show progress on standard error (default: when it is a terminal)",
    )
    wire = parser.add_argument_group(
        "BBDO",
        "With --to, the stream goes over real BBDO to a listener (a connector, or Broker) instead of "
        "being written: the simulated Broker keeps every event until it is acknowledged and sends "
        "again what was not, after a reconnection (retention). Exit 0 once everything is acknowledged.",
    )
    wire.add_argument(
        "--to",
        metavar="bbdo://HOST:PORT",
        help='client mode: connect to HOST:PORT (a connector with [source] mode = "listen"); server '
        "mode: listen there",
    )
    wire.add_argument(
        "--mode",
        choices=("client", "server"),
        default="client",
        help="client: like Broker's bbdo_client output (default); server: like a bbdo_server output "
        'with retention, that the connector connects to ([source] mode = "connect")',
    )
    wire.add_argument(
        "--reconnect-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to keep trying to (re)connect before giving up (default %(default)s)",
    )
    wire.add_argument(
        "--max-unacked",
        type=non_negative_int,
        default=100_000,
        metavar="N",
        help="events in flight before waiting for acknowledgements (Broker's event_queue_max_size)",
    )
    parser.set_defaults(func=run)


def _options(args: argparse.Namespace) -> SimulationOptions:
    return SimulationOptions(
        seed=args.seed,
        hosts=args.hosts,
        services_per_host=args.services_per_host,
        pollers=args.pollers,
        events=args.events,
        bas=args.bas,
        bbdo=args.bbdo,
        broker_version=args.broker_version,
        start=int(time.time()) if args.start is None else args.start,
        problem_rate=args.problem_rate,
        ack_rate=args.ack_rate,
        downtime_rate=args.downtime_rate,
        flapping_rate=args.flapping_rate,
        reload_interval=args.reload_interval,
    )


def _write(
    broker: SimulatedBroker,
    sink: BinaryIO,
    counts: Counter[tuple[int, int]],
    checker: StreamChecker | None,
    show_progress: bool = False,
) -> None:
    dumps = orjson.dumps
    lines: list[bytes] = []
    runtime = broker.options.events
    # The configuration bursts come first and are not counted in --events: the bar counts runtime events.
    progress = tqdm(total=runtime, unit="ev", desc="simulate", disable=not show_progress, file=sys.stderr)
    for event in broker.events():
        counts[(event["category"], event["element"])] += 1
        if checker is not None:
            checker.feed(event)
        lines.append(dumps(event))
        if len(lines) >= _CHUNK:
            lines.append(b"")
            sink.write(b"\n".join(lines))
            lines.clear()
            progress.n = min(runtime, broker.runtime_events)
            progress.refresh()
    if lines:
        lines.append(b"")
        sink.write(b"\n".join(lines))
    sink.flush()
    progress.n = runtime
    progress.close()


def summary(broker: SimulatedBroker, counts: Counter[tuple[int, int]]) -> str:
    options = broker.options
    total = sum(counts.values())
    parts = " ".join(
        f"{SPECS_BY_KEY[key].name}={n}"
        for key, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    )
    return (
        f"simulate: {total} events ({broker.config_events} configuration, {broker.runtime_events} runtime), "
        f"seed={options.seed} bbdo={options.bbdo} broker={options.broker_version}: {parts}"
    )


def run(args: argparse.Namespace) -> int:
    try:
        broker = SimulatedBroker(_options(args))
    except ValueError as problem:
        print(f"centreon-canopsis simulate: {problem}", file=sys.stderr)
        return USAGE
    if args.to:
        from centreon_canopsis.standins.cli.simulate_bbdo import send_over_bbdo

        return send_over_bbdo(args, broker)
    counts: Counter[tuple[int, int]] = Counter()
    checker = StreamChecker() if args.check else None
    show = sys.stderr.isatty() if args.progress is None else args.progress
    try:
        if args.output == "-":
            _write(broker, sys.stdout.buffer, counts, checker, show)
        else:
            with open(args.output, "wb") as sink:
                _write(broker, sink, counts, checker, show)
    except BrokenPipeError:
        # The reader went away (``| head``): not an error worth a traceback. Point stdout at
        # /dev/null so that the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print(summary(broker, counts) + " (output closed early)", file=sys.stderr)
        return OK
    except OSError as problem:
        print(
            f"centreon-canopsis simulate: cannot write {args.output}: {problem.strerror or problem}",
            file=sys.stderr,
        )
        return FAILED
    print(summary(broker, counts), file=sys.stderr)
    if args.truth:
        try:
            with open(args.truth, "wb") as sink:
                sink.write(orjson.dumps(broker.truth().to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
        except OSError as problem:
            print(
                f"centreon-canopsis simulate: cannot write {args.truth}: {problem.strerror or problem}",
                file=sys.stderr,
            )
            return FAILED
    if checker is not None:
        problems = checker.finish()
        for text in problems[:20]:
            print(f"centreon-canopsis simulate: {text}", file=sys.stderr)
        if problems:
            print(f"centreon-canopsis simulate: {len(problems)} problems in the stream", file=sys.stderr)
            return FAILED
    return OK
