"""``centreon-canopsis top``: a live view of the running daemon, from its ``/metrics``.

Rates are differences between two scrapes divided by the time between them, so they show what
happens now, not an average since start-up. Canopsis latency is the mean time of the sends made
between two scrapes (``send_duration_seconds``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import shutil
import sys
import termios
import time
import tty
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import TextIO

from centreon_canopsis.core.cli.common import add_config_argument, error, running_daemon
from centreon_canopsis.core.cli.endpoint_client import opener
from centreon_canopsis.core.cli.exitcodes import OK, UNAVAILABLE
from centreon_canopsis.core.cli.status import parse_metrics

PREFIX = "centreon_canopsis_"
Samples = dict[str, list[tuple[dict[str, str], float]]]


def _interval(text: str) -> float:
    value = float(text)
    if not 0.1 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"between 0.1 and 3600 seconds: {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "top",
        help="a live terminal view of the running daemon: rates, drops, outbox, dead letters, peers",
        description="Reads the running daemon's /metrics every interval and shows events in and out "
        "per second, drops by reason, outbox depth and oldest payload per lane, dead letters, "
        "connected Broker peers and Canopsis latency and answers. q or Ctrl-C quits. Exit 3 when no "
        "daemon answers.",
    )
    add_config_argument(parser)
    parser.add_argument(
        "--interval", type=_interval, default=1.0, metavar="SECONDS", help="refresh period (default 1)"
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="print one view (rates over one interval) and exit, for scripts",
    )
    parser.set_defaults(func=run)


def fetch(client: urllib.request.OpenerDirector, url: str) -> Samples:
    with client.open(url + "/metrics", timeout=5) as answer:
        return parse_metrics(answer.read().decode())


class View:
    """Two scrapes -> the lines of one frame."""

    def __init__(self, url: str) -> None:
        self.url = url

    def lines(self, before: Samples, after: Samples, elapsed: float, width: int = 100) -> list[str]:
        def total(samples: Samples, name: str, **wanted: str) -> float:
            return sum(
                value
                for labels, value in samples.get(PREFIX + name, [])
                if all(labels.get(k) == v for k, v in wanted.items())
            )

        def by(samples: Samples, name: str, label: str) -> dict[str, float]:
            found: dict[str, float] = {}
            for labels, value in samples.get(PREFIX + name, []):
                if label in labels:
                    found[labels[label]] = found.get(labels[label], 0.0) + value
            return found

        def rate(name: str, **wanted: str) -> float:
            return max(0.0, total(after, name, **wanted) - total(before, name, **wanted)) / elapsed

        info = next(iter(after.get(PREFIX + "build_info", [])), ({}, 0))[0]
        started = total(after, "process_start_time_seconds") or total(after, "start_time_seconds")
        up = _duration(time.time() - started) if started else "?"
        ready = "ready" if total(after, "ready") else "NOT READY"
        out = [
            f"centreon-canopsis {info.get('version', '?')}  {self.url}  up {up}  {ready}"
            + ("  BACKPRESSURE" if total(after, "backpressure") else ""),
            "",
            f"events     in {rate('events_received_total'):9.1f}/s   queued "
            f"{rate('events_total', outcome='queued'):9.1f}/s   dropped "
            f"{rate('events_total', outcome='dropped'):9.1f}/s   invalid "
            f"{rate('events_invalid_total'):7.1f}/s",
            f"payloads   queued {rate('payloads_queued_total'):9.1f}/s   delivered "
            f"{rate('payloads_delivered_total'):9.1f}/s   retried {rate('payloads_retried_total'):7.1f}/s",
            "",
            "drops by reason (total, per second)",
        ]
        drops_now, drops_then = (
            by(after, "events_dropped_total", "reason"),
            by(before, "events_dropped_total", "reason"),
        )
        for reason, count in sorted(drops_now.items(), key=lambda item: -item[1])[:8]:
            per_second = max(0.0, count - drops_then.get(reason, 0.0)) / elapsed
            out.append(f"  {reason:<28} {count:12.0f} {per_second:9.1f}/s")
        if not drops_now:
            out.append("  none")
        out += [
            "",
            f"outbox ({total(after, 'outbox_items'):.0f} of {total(after, 'outbox_max_items'):.0f} max)",
        ]
        ages = by(after, "outbox_oldest_age_seconds", "lane")
        for lane, depth in sorted(by(after, "outbox_items", "lane").items()):
            out.append(f"  {lane:<20} {depth:10.0f} payloads   oldest {_duration(ages.get(lane, 0.0))}")
        dead = by(after, "dead_letters", "stage")
        out += [
            "",
            "dead letters   "
            + ("   ".join(f"{stage} {count:.0f}" for stage, count in sorted(dead.items())) or "none")
            + f"   (new: {rate('dead_letters_total') * elapsed:.0f})",
        ]
        discarded = by(after, "dead_letters_discarded_total", "stage")
        if any(discarded.values()):  # the table is full ([delivery] max_dead_letters / _mib)
            out.append(
                "  DISCARDED, table full   "
                + "   ".join(f"{stage} {count:.0f}" for stage, count in sorted(discarded.items()) if count)
                + f"   (new: {rate('dead_letters_discarded_total') * elapsed:.0f})"
            )
        out += ["", "Broker peers   " + _peers(after)]
        received_then = {
            labels.get("peer"): value
            for labels, value in before.get(PREFIX + "bbdo_peer_events_received_total", [])
        }
        received = {
            labels.get("peer"): value
            for labels, value in after.get(PREFIX + "bbdo_peer_events_received_total", [])
        }
        ages = {
            labels.get("peer"): value
            for labels, value in after.get(PREFIX + "bbdo_peer_last_event_age_seconds", [])
        }
        for labels, _ in sorted(
            after.get(PREFIX + "bbdo_peer_info", []), key=lambda item: item[0].get("peer", "")
        )[:8]:
            peer = labels.get("peer", "?")
            count = received.get(peer, 0.0)
            per_second = max(0.0, count - received_then.get(peer, count)) / elapsed
            out.append(
                f"  {peer:<24} BBDO {labels.get('bbdo_version', '?'):<6} TLS {labels.get('tls', '?'):<4}"
                f" {count:10.0f} events {per_second:8.1f}/s   last {_duration(ages.get(peer, 0.0))} ago"
            )
        sends = total(after, "send_duration_seconds_count") - total(before, "send_duration_seconds_count")
        spent = total(after, "send_duration_seconds_sum") - total(before, "send_duration_seconds_sum")
        latency = (
            f"{spent / sends * 1000:.1f} ms per request ({sends:.0f} requests)" if sends > 0 else "no request"
        )
        answers = by(after, "canopsis_responses_total", "status")
        answers_then = by(before, "canopsis_responses_total", "status")
        shown = "   ".join(
            f"{status}: {max(0.0, count - answers_then.get(status, 0.0)) / elapsed:.1f}/s"
            for status, count in sorted(answers.items())
        )
        out += ["", f"Canopsis   {latency}", f"  answers   {shown or 'none yet'}"]
        threads_now, threads_then = (
            by(after, "thread_cpu_seconds_total", "thread"),
            by(before, "thread_cpu_seconds_total", "thread"),
        )
        busy = sorted(
            (
                (max(0.0, seconds - threads_then.get(role, 0.0)) / elapsed, role)
                for role, seconds in threads_now.items()
            ),
            reverse=True,
        )
        if busy:  # Linux: where the process's CPU goes (100 % = one core)
            out += [
                "",
                f"CPU {rate('process_cpu_seconds_total') * 100:.0f} %   "
                + "   ".join(f"{role} {share * 100:.0f} %" for share, role in busy[:6] if share >= 0.005),
            ]
        return [line[:width] for line in out]


def _peers(samples: Samples) -> str:
    """Connected Broker peers, from the BBDO source's metrics when it exposes them."""
    for name in ("bbdo_peers_connected", "bbdo_peers", "bbdo_connected_peers"):
        values = samples.get(PREFIX + name)
        if values is not None:
            return f"{sum(value for _, value in values):.0f} connected"
    return "not reported (no BBDO source metrics)"


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"


@contextlib.contextmanager
def _keys(stream: TextIO) -> Iterator[bool]:
    """Single key presses without echo, when ``stream`` is a terminal."""
    if not stream.isatty():
        yield False
        return
    fd = stream.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield True
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def run(args: argparse.Namespace) -> int:
    found = running_daemon(args.config)
    if isinstance(found, int):
        return found
    config, url = found
    view = View(url)
    client = opener(config)
    try:
        before, then = fetch(client, url), time.monotonic()
    except (OSError, ValueError) as problem:
        error(f"no daemon answers on {url} ({getattr(problem, 'reason', problem)}): is it running?")
        return UNAVAILABLE
    out = sys.stdout
    if args.once:
        time.sleep(args.interval)
        after = fetch(client, url)
        out.write("\n".join(view.lines(before, after, time.monotonic() - then)) + "\n")
        return OK
    try:
        with _keys(sys.stdin) as interactive:
            out.write("\x1b[?1049h\x1b[?25l")  # the terminal's alternate screen, no cursor
            try:
                while True:
                    if _wait_for_quit(args.interval, interactive):
                        return OK
                    try:
                        after = fetch(client, url)
                    except (OSError, ValueError) as problem:
                        frame = [f"{url}: no answer ({getattr(problem, 'reason', problem)}); trying again"]
                    else:
                        now = time.monotonic()
                        size = shutil.get_terminal_size()
                        frame = view.lines(before, after, now - then, size.columns)[: size.lines - 1]
                        before, then = after, now
                    out.write("\x1b[H\x1b[2J" + "\n".join(frame) + "\n\n  q: quit")
                    out.flush()
            finally:
                out.write("\x1b[?25h\x1b[?1049l")
                out.flush()
    except KeyboardInterrupt:
        return OK


def _wait_for_quit(seconds: float, interactive: bool) -> bool:
    if not interactive:
        time.sleep(seconds)
        return False
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select([sys.stdin], [], [], remaining)
        if readable and os.read(sys.stdin.fileno(), 32).lower().startswith(b"q"):
            return True
    return False
