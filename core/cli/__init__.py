"""``centreon-canopsis``: the command line.

Each sub-command lives in its own module of this package and exposes ``register(subparsers)``, which
adds its parser and sets ``func`` (called with the parsed arguments, returns an exit code). New
commands are added to ``COMMANDS``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from centreon_canopsis.core.cli.exitcodes import INTERRUPTED, USAGE

# Module names under centreon_canopsis.core.cli, in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = (
    "run",
    "replay",
    "validate",
    "plugins",
    "simulate",
    "demo",
    "sandbox",
    "check",
    "status",
    "deadletters",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="centreon-canopsis",
        description="Carry Centreon Broker events into Canopsis.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"centreon_canopsis.core.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return USAGE
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return INTERRUPTED
