"""``centreon-canopsis demo``: the connector end to end, on loopback, in under a minute."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from centreon_canopsis.core.cli.exitcodes import FAILED, OK, UNAVAILABLE, USAGE
from centreon_canopsis.core.logsetup import setup_logging
from centreon_canopsis.standins.demo import DemoOptions, render, run_demo


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run a simulated Broker through the connector into a local Canopsis stand-in",
        description="Starts the Canopsis sandbox and the connector (BBDO listener, full pipeline, "
        "on-disk outbox), plays a simulated Broker stream over BBDO, and shows the alarms Canopsis "
        "now holds. Nothing leaves this machine. Exit code 0 when every event was acknowledged and "
        "every payload delivered.",
    )
    parser.add_argument(
        "--hosts", type=int, default=20, metavar="N", help="simulated hosts (default %(default)s)"
    )
    parser.add_argument(
        "--services-per-host",
        type=int,
        default=5,
        metavar="M",
        help="services on each host (default %(default)s)",
    )
    parser.add_argument(
        "--pollers",
        type=int,
        default=2,
        metavar="P",
        help="pollers the hosts spread over (default %(default)s)",
    )
    parser.add_argument(
        "--events",
        type=int,
        default=5000,
        metavar="E",
        help="runtime events after the configuration burst (default %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=1, metavar="S", help="random seed: the same seed, the same stream"
    )
    parser.add_argument(
        "--bbdo", type=int, choices=(2, 3), default=3, help="BBDO major version on the wire (default 3)"
    )
    parser.add_argument(
        "--broker-version",
        default="24.10",
        choices=("22.10", "23.04", "23.10", "24.04", "24.10"),
        help="Centreon Broker release whose event forms are simulated (default %(default)s)",
    )
    parser.add_argument(
        "--canopsis-version",
        default="24.04",
        choices=("22.10", "23.04", "23.10", "24.04", "24.10"),
        help="Canopsis release the sandbox answers as (default %(default)s)",
    )
    parser.add_argument(
        "--rows", type=int, default=15, metavar="N", help="alarms to show at the end (default %(default)s)"
    )
    parser.add_argument(
        "--transport",
        choices=("http", "amqp"),
        default="http",
        help="events over the HTTP API (default) or through RabbitMQ (the sandbox consumes it)",
    )
    parser.add_argument(
        "--amqp-url",
        default=os.environ.get("CANOPSIS_AMQP_URL", ""),
        help="RabbitMQ for --transport amqp, amqp://user:password@host/vhost with the exchange "
        "canopsis.events (default: $CANOPSIS_AMQP_URL)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    setup_logging(1)
    logging.getLogger().setLevel(logging.ERROR)  # the demo's output is the report, not the log
    options = DemoOptions(
        hosts=args.hosts,
        services_per_host=args.services_per_host,
        pollers=args.pollers,
        events=args.events,
        seed=args.seed,
        bbdo=args.bbdo,
        broker_version=args.broker_version,
        canopsis_version=args.canopsis_version,
        transport=args.transport,
        amqp_url=args.amqp_url,
    )
    try:
        result = run_demo(options, progress=sys.stderr.isatty())
    except (ValueError, RuntimeError) as error:
        print(f"centreon-canopsis demo: {error}", file=sys.stderr)
        return USAGE if isinstance(error, ValueError) else UNAVAILABLE
    render(result, rows=args.rows)
    return OK if result.ok else FAILED
