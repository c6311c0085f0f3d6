"""``centreon-canopsis simulate``: write a simulated Broker event stream as JSON lines."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from typing import BinaryIO

import orjson

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


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {value}")
    return value


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
        "--hosts", type=_count, default=_DEFAULTS.hosts, metavar="N", help="hosts (default %(default)s)"
    )
    size.add_argument(
        "--services-per-host",
        type=_count,
        default=_DEFAULTS.services_per_host,
        metavar="M",
        help="services on each host (default %(default)s)",
    )
    size.add_argument(
        "--pollers", type=_count, default=_DEFAULTS.pollers, metavar="P", help="pollers (default %(default)s)"
    )
    size.add_argument(
        "--events",
        type=_count,
        default=_DEFAULTS.events,
        metavar="E",
        help="runtime events after the configuration bursts (default %(default)s)",
    )
    size.add_argument(
        "--bas",
        type=_count,
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
        "--start", type=_count, default=None, metavar="EPOCH", help="clock at the first event (default: now)"
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
        type=_count,
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
    broker: SimulatedBroker, sink: BinaryIO, counts: Counter[tuple[int, int]], checker: StreamChecker | None
) -> None:
    dumps = orjson.dumps
    lines: list[bytes] = []
    for event in broker.events():
        counts[(event["category"], event["element"])] += 1
        if checker is not None:
            checker.feed(event)
        lines.append(dumps(event))
        if len(lines) >= _CHUNK:
            lines.append(b"")
            sink.write(b"\n".join(lines))
            lines.clear()
    if lines:
        lines.append(b"")
        sink.write(b"\n".join(lines))
    sink.flush()


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
    counts: Counter[tuple[int, int]] = Counter()
    checker = StreamChecker() if args.check else None
    try:
        if args.output == "-":
            _write(broker, sys.stdout.buffer, counts, checker)
        else:
            with open(args.output, "wb") as sink:
                _write(broker, sink, counts, checker)
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
