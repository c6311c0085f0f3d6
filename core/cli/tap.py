"""``centreon-canopsis tap``: watch payloads as the running daemon queues and delivers them."""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.parse

import orjson

from centreon_canopsis.core.cli.common import (
    add_config_argument,
    error,
    non_negative_int,
    running_daemon,
)
from centreon_canopsis.core.cli.endpoint_client import opener
from centreon_canopsis.core.cli.exitcodes import OK, UNAVAILABLE

#: The daemon writes an empty line every second when there is nothing to tap: a longer silence
#: means it is gone.
READ_TIMEOUT = 10.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "tap",
        help="watch live payloads as the running daemon queues them, and what became of them",
        description="Connects to the running daemon's metrics endpoint (found in the state "
        "directory) and prints one JSON object per line: each payload once committed to the outbox "
        '("tap": "queued", with the payload), then the result of each attempt to send it '
        '("delivered", "retry" or "failed", with the HTTP status and the reason). Costs the daemon '
        "nothing while nobody taps. Exit 0 at the limit or on Ctrl-C, 3 when no daemon answers.",
    )
    add_config_argument(parser)
    parser.add_argument("--route", metavar="R", help="only this route (event, pbehavior.create, ...)")
    parser.add_argument(
        "--element",
        metavar="E",
        help="only this Canopsis entity: a host name (component), a service name (resource) or an "
        "entity id (resource/component)",
    )
    parser.add_argument(
        "--limit",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="stop after N records (default: no limit)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    found = running_daemon(args.config)
    if isinstance(found, int):
        return found
    config, url = found
    query = {key: value for key, value in (("route", args.route), ("element", args.element)) if value}
    query["limit"] = str(args.limit)
    target = f"{url}/tap?{urllib.parse.urlencode(query)}"
    try:
        answer = opener(config).open(target, timeout=READ_TIMEOUT)
    except urllib.error.HTTPError as problem:
        error(f"{url}/tap answered {problem.code}: {problem.read().decode(errors='replace').strip()}")
        return UNAVAILABLE
    except OSError as problem:
        error(f"no daemon answers on {url} ({getattr(problem, 'reason', problem)}): is it running?")
        return UNAVAILABLE
    out = sys.stdout
    try:
        with answer:
            for line in answer:
                line = line.strip()
                if not line or line == b'{"tap":"started"}':
                    continue
                record = orjson.loads(line)
                if record.get("tap") == "dropped":
                    print(f"tap: {record['count']} records dropped (reading too slowly)", file=sys.stderr)
                    continue
                out.write(line.decode() + "\n")
                out.flush()
    except (KeyboardInterrupt, BrokenPipeError):
        return OK
    except OSError as problem:
        error(f"the daemon stopped answering on {url}: {problem}")
        return UNAVAILABLE
    return OK
