"""``centreon-canopsis sandbox``: serve the Canopsis stand-in, or drive a running one.

``centreon-canopsis sandbox [--port 8082 ...]`` serves in the foreground until SIGTERM/SIGINT.
The sub-commands (``alarms``, ``state``, ``fault``, ``maintenance``, ``advance``, ``reset``) talk
to a running sandbox through its sandbox-only control endpoints (``/_sandbox/...``).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import signal
import sys
import threading
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from centreon_canopsis.core.cli.exitcodes import FAILED, OK, UNAVAILABLE, USAGE

DEFAULT_PORT = 8082  # canopsis-api's own port
DEFAULT_URL = f"http://127.0.0.1:{DEFAULT_PORT}"
STATE_LABELS = {0: "ok", 1: "minor", 2: "major", 3: "critical"}
STATUS_LABELS = {0: "off", 1: "ongoing", 2: "stealthy", 3: "flapping", 4: "cancelled", 5: "noevents"}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sandbox",
        help="run a local stand-in of the Canopsis API v4 (tests, demos, dry runs)",
        description="Serve a Canopsis API v4 stand-in in the foreground, or drive a running one.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help="port (default: 8082; 0 picks a free one)"
    )
    parser.add_argument("--authkey", help="authkey of the root user (default: a random one, printed)")
    parser.add_argument(
        "--canopsis-version", default="24.04", help="22.10, 23.04, 23.10, 24.04, 24.10 (or x.y.z)"
    )
    parser.add_argument("--edition", choices=("community", "pro"), default="community")
    parser.add_argument(
        "--resolve-delay",
        type=float,
        default=60.0,
        help="seconds before an OK alarm is resolved (default: 60)",
    )
    parser.add_argument("--seed", type=int, help="seed for ids and display names (reproducible runs)")
    parser.add_argument(
        "--amqp-url",
        help="also consume events from this RabbitMQ (amqp://user:password@host/vhost), like engine-fifo",
    )
    parser.add_argument(
        "--amqp-exchange", default="canopsis.events", help="exchange to bind to (default: canopsis.events)"
    )
    parser.add_argument(
        "--amqp-queue",
        default="canopsis-sandbox",
        help="the sandbox's durable queue (default: canopsis-sandbox)",
    )
    parser.add_argument(
        "--amqp-publish",
        action="store_true",
        help="with --amqp-url: the API publishes the events it accepts to the exchange (as Canopsis's "
        "does, without confirms) and they are applied when consumed",
    )
    parser.set_defaults(func=_serve)

    commands = parser.add_subparsers(dest="sandbox_command", metavar="COMMAND")

    def client(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--url", default=DEFAULT_URL, help=f"sandbox URL (default: {DEFAULT_URL})")
        return sub

    alarms = client("alarms", "show the alarms in progress as a table")
    which = alarms.add_mutually_exclusive_group()
    which.add_argument("--resolved", action="store_true", help="show resolved alarms instead")
    which.add_argument("--all", action="store_true", help="show every alarm")
    alarms.add_argument("--json", action="store_true", help="print the alarms as JSON")
    alarms.set_defaults(func=_alarms)

    client("state", "print the sandbox's counters and settings (JSON)").set_defaults(func=_state)
    client("reset", "forget everything (fresh install, no faults)").set_defaults(func=_reset)

    advance = client("advance", "move the sandbox clock forward")
    advance.add_argument("seconds", type=float)
    advance.set_defaults(func=_advance)

    maintenance = client("maintenance", "turn maintenance mode on or off (Canopsis 23.10+)")
    maintenance.add_argument("mode", choices=("on", "off"))
    maintenance.set_defaults(func=_maintenance)

    fault = client("fault", "inject, list or clear faults")
    fault_commands = fault.add_subparsers(dest="fault_command", metavar="ACTION", required=True)

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = fault_commands.add_parser(name, help=help_text, description=help_text)
        # Also after the action (`fault add latency --url U`); SUPPRESS keeps fault's own --url.
        sub.add_argument("--url", default=argparse.SUPPRESS, help="sandbox URL (also accepted before ACTION)")
        return sub

    add = action("add", "add a fault rule")
    add.add_argument("kind", choices=("fail", "drop", "latency", "fail_events"))
    add.add_argument("--status", type=int, default=500, help="HTTP status of a 'fail' (default: 500)")
    add.add_argument("--body", help="response body of a 'fail' (default: {\"error\": ...})")
    add.add_argument("--header", action="append", default=[], metavar="NAME:VALUE", help="e.g. Retry-After:2")
    add.add_argument(
        "--count", type=int, help="how many requests (default: 1 for fail/drop, unlimited otherwise)"
    )
    add.add_argument("--rate", type=float, help="fraction of matching requests affected (0-1)")
    add.add_argument("--path-prefix", help="only requests whose path starts with this")
    add.add_argument("--method", help="only this HTTP method")
    add.add_argument("--seconds", type=float, default=0.0, help="delay of a 'latency' fault")
    add.add_argument(
        "--match", action="append", default=[], metavar="FIELD=VALUE", help="fail_events: field match"
    )
    add.set_defaults(func=_fault_add)
    action("list", "list the fault rules").set_defaults(func=_fault_list)
    action("clear", "remove every fault (and maintenance)").set_defaults(func=_fault_clear)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number: 0 to 65535 (0 picks a free one)")
    return port


# --- serving -----------------------------------------------------------------------------------------
def _serve(args: argparse.Namespace) -> int:
    from centreon_canopsis.standins.canopsis import Sandbox

    try:
        sandbox = Sandbox(
            host=args.host,
            port=args.port,
            authkey=args.authkey,
            canopsis_version=args.canopsis_version,
            edition=args.edition,
            resolve_delay=args.resolve_delay,
            seed=args.seed,
            amqp_url=args.amqp_url,
            amqp_exchange=args.amqp_exchange,
            amqp_queue=args.amqp_queue,
            amqp_publish=args.amqp_publish,
        )
    except ValueError as err:
        print(f"centreon-canopsis sandbox: {err}", file=sys.stderr)
        return USAGE
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    # Handlers first: a supervisor may signal as soon as it reads the first line.
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        try:
            sandbox.start()
        except OSError as err:
            print(
                f"centreon-canopsis sandbox: cannot listen on {args.host}:{args.port}: {err.strerror}",
                file=sys.stderr,
            )
            return UNAVAILABLE
        # The sandbox owns this process: fewer full GC passes over its large, long-lived state.
        gc.set_threshold(50_000, 20, 100)
        print(f"Canopsis sandbox {sandbox.version} ({args.edition}) listening on {sandbox.url}", flush=True)
        if args.authkey:
            print("authkey: the one given with --authkey (user root)", flush=True)
        else:
            print(f"authkey: {sandbox.authkey} (user root; Basic auth root/root also works)", flush=True)
        if sandbox.amqp is not None:
            where = urlsplit(args.amqp_url)
            print(
                f"consuming exchange {args.amqp_exchange!r} through queue {args.amqp_queue!r} at "
                f"{where.hostname}:{where.port or 5672}{where.path}",
                flush=True,
            )
        print("Control endpoints under /_sandbox/ (sandbox-only). Stop with Ctrl-C or SIGTERM.", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("Canopsis sandbox stopped.", flush=True)
    return OK


# --- control client ---------------------------------------------------------------------------------------
class ControlError(Exception):
    def __init__(self, message: str, code: int = FAILED) -> None:
        super().__init__(message)
        self.code = code


def _call(url: str, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url.rstrip("/") + "/_sandbox/" + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
    except urllib.error.HTTPError as err:
        detail = err.read().decode("utf-8", "replace")
        with contextlib.suppress(ValueError, AttributeError):
            detail = json.loads(detail).get("error", detail)
        raise ControlError(f"sandbox answered {err.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise ControlError(f"cannot reach the sandbox at {url}: {reason}", UNAVAILABLE) from None
    return json.loads(raw) if raw else None


def _client(action: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return action(args)
        except ControlError as err:
            print(f"centreon-canopsis sandbox: {err}", file=sys.stderr)
            return err.code

    return run


def format_alarms(alarms: list[dict[str, Any]], width: int = 60) -> str:
    """The alarms as an aligned text table (component, resource, state, status, ack, pbehavior, output)."""
    header = ("COMPONENT", "RESOURCE", "STATE", "STATUS", "ACK", "PBEHAVIOR", "OUTPUT")
    rows = [header]
    for alarm in alarms:
        v = alarm.get("v", {})
        state = v.get("state", {}).get("val", 0)
        status = v.get("status", {}).get("val", 0)
        pbh = v.get("pbehavior_info") or {}
        output = " ".join(str(v.get("output", "")).split())
        if len(output) > width:
            output = output[: width - 1] + "…"
        rows.append(
            (
                str(v.get("component", "")),
                str(v.get("resource", "")),
                f"{state} {STATE_LABELS.get(state, '')}".strip(),
                f"{status} {STATUS_LABELS.get(status, '')}".strip(),
                "yes" if v.get("ack") else "",
                f"{pbh.get('name', '')} ({pbh.get('canonical_type', '')})" if pbh else "",
                output,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    return "\n".join(lines)


@_client
def _alarms(args: argparse.Namespace) -> int:
    opened = "all" if args.all else ("false" if args.resolved else "true")
    alarms = _call(args.url, "GET", f"alarms?opened={opened}")
    if args.json:
        print(json.dumps(alarms, indent=2))
    elif not alarms:
        print("no alarms")
    else:
        print(format_alarms(alarms))
    return OK


@_client
def _state(args: argparse.Namespace) -> int:
    print(json.dumps(_call(args.url, "GET", "state"), indent=2))
    return OK


@_client
def _reset(args: argparse.Namespace) -> int:
    _call(args.url, "POST", "reset")
    print("sandbox reset")
    return OK


@_client
def _advance(args: argparse.Namespace) -> int:
    result = _call(args.url, "POST", "clock", {"advance": args.seconds})
    print(f"clock offset is now {result['offset']:g} s")
    return OK


@_client
def _maintenance(args: argparse.Namespace) -> int:
    result = _call(args.url, "POST", "maintenance", {"enabled": args.mode == "on"})
    print(f"maintenance {'on' if result['maintenance'] else 'off'}")
    return OK


@_client
def _fault_add(args: argparse.Namespace) -> int:
    spec: dict[str, Any] = {"kind": args.kind}
    if args.kind == "fail":
        spec["status"] = args.status
        if args.body is not None:
            spec["body"] = args.body
    headers = {}
    for item in args.header:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            print(f"centreon-canopsis sandbox: --header wants NAME:VALUE, got {item!r}", file=sys.stderr)
            return USAGE
        headers[name.strip()] = value.strip()
    if headers:
        spec["headers"] = headers
    match = {}
    for item in args.match:
        name, sep, value = item.partition("=")
        if not sep:
            print(f"centreon-canopsis sandbox: --match wants FIELD=VALUE, got {item!r}", file=sys.stderr)
            return USAGE
        match[name] = value
    if match:
        spec["match"] = match
    for key in ("count", "rate", "path_prefix", "method"):
        if getattr(args, key) is not None:
            spec[key] = getattr(args, key)
    if args.kind == "latency":
        spec["seconds"] = args.seconds
    added = _call(args.url, "POST", "faults", spec)
    for fault in added:
        print(f"fault {fault['id']} added: {fault['kind']}")
    return OK


@_client
def _fault_list(args: argparse.Namespace) -> int:
    print(json.dumps(_call(args.url, "GET", "faults"), indent=2))
    return OK


@_client
def _fault_clear(args: argparse.Namespace) -> int:
    _call(args.url, "DELETE", "faults")
    print("faults cleared")
    return OK
