"""``simulate --to bbdo://HOST:PORT``: the simulated stream over real BBDO, with retention."""

from __future__ import annotations

import argparse
import sys
import time
from urllib.parse import urlsplit

from tqdm import tqdm

from centreon_canopsis.core.cli.exitcodes import FAILED, OK, USAGE
from centreon_canopsis.standins.broker import SimulatedBroker
from centreon_canopsis.standins.broker.peer import BrokerPeer

PROGRESS_PERIOD = 0.5  # seconds between two progress updates


def parse_target(text: str) -> tuple[str, int]:
    """``bbdo://HOST:PORT`` (IPv6 in brackets) -> (host, port); ValueError with the reason."""
    parts = urlsplit(text)
    if parts.scheme != "bbdo":
        raise ValueError(f"--to {text!r}: expected bbdo://HOST:PORT")
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None or not 0 < port < 65536:
        raise ValueError(f"--to {text!r}: expected bbdo://HOST:PORT with a port from 1 to 65535")
    return parts.hostname, port


def send_over_bbdo(args: argparse.Namespace, broker: SimulatedBroker) -> int:
    try:
        host, port = parse_target(args.to)
    except ValueError as problem:
        print(f"centreon-canopsis simulate: {problem}", file=sys.stderr)
        return USAGE
    events = list(broker.events())
    try:
        peer = BrokerPeer(
            events,
            mode=args.mode,
            host=host,
            port=port,
            bbdo_version=f"{args.bbdo}.0.0",
            broker_version=args.broker_version,
            max_unacked=args.max_unacked,
            reconnect_timeout=args.reconnect_timeout,
            stop_ack_timeout=30.0,
        )
    except OSError as problem:  # server mode: the address cannot be listened on
        print(
            f"centreon-canopsis simulate: cannot listen on {host}:{port}: {problem.strerror}", file=sys.stderr
        )
        return FAILED
    where = f"listening on {host}:{peer.port}" if args.mode == "server" else f"to {host}:{port}"
    print(f"simulate: {len(events)} events over BBDO {args.bbdo} {where}", file=sys.stderr)
    show = sys.stderr.isatty() if args.progress is None else args.progress
    progress = tqdm(total=peer.total, unit="ev", desc="acknowledged", disable=not show, file=sys.stderr)
    peer.start()
    try:
        while True:
            try:
                report = peer.join(PROGRESS_PERIOD)
                break
            except TimeoutError:
                progress.n = peer.acknowledged
                progress.set_postfix(
                    sent=peer.report.sent, connections=peer.report.connections, refresh=False
                )
                progress.refresh()
    except KeyboardInterrupt:
        peer.close()
        report = peer.join(10)
    progress.n = report.acknowledged
    progress.close()
    print(
        f"simulate: {report.acknowledged} of {report.total} events acknowledged, {report.sent} sent "
        f"({report.replayed} sent again after a reconnection), {report.connections} connections",
        file=sys.stderr,
    )
    for problem in report.errors[-5:]:
        print(f"simulate: {problem}", file=sys.stderr)
    time.sleep(0)  # let the last output go before the exit code
    return OK if report.complete else FAILED
