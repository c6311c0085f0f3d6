"""``centreon-canopsis``: the command line.

Each sub-command lives in its own module and exposes ``register(subparsers)``, which adds its parser
and sets ``func`` (called with the parsed arguments, returns an exit code). Commands are found
through the ``centreon_canopsis.commands`` entry-point group, so the engine's own commands and the
stand-ins' (``sandbox``, ``simulate``, ``demo``, in the stand-ins' cli package) are declared
the same way in pyproject.toml, and the engine never imports the stand-ins.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from centreon_canopsis.core.cli.exitcodes import INTERRUPTED, OK, UNAVAILABLE, USAGE
from centreon_canopsis.core.version import version_line

COMMAND_GROUP = "centreon_canopsis.commands"

# The order ``--help`` lists the known commands in; others (a package may add some) come after.
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
    "tap",
    "top",
    "version",
)


class _Version(argparse.Action):
    """``--version``: the line as ``version`` prints it (argparse's own action wraps it at 80)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(version_line())
        parser.exit()


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of ``only`` when that names one: ``run`` then imports
    neither the stand-ins nor the other commands (a faster start, less memory for the daemon)."""
    parser = argparse.ArgumentParser(
        prog="centreon-canopsis",
        description="Carry Centreon Broker events into Canopsis.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="print the version line and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    found = {ep.name: ep for ep in entry_points(group=COMMAND_GROUP)}
    order = {name: i for i, name in enumerate(COMMANDS)}
    names = [only] if only in found else sorted(found, key=lambda n: (order.get(n, len(order)), n))
    for name in names:
        found[name].load().register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # The command comes first (the only options before it are --help and --version).
    parser = build_parser(argv[0] if argv and not argv[0].startswith("-") else None)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return USAGE
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # here, where a reader that went away can be handled
        return code
    except KeyboardInterrupt:
        return INTERRUPTED
    except (sqlite3.Error, UnicodeDecodeError) as problem:  # a state database that is not what it should be
        # (Python's sqlite3 raises UnicodeDecodeError on SQLite's own message about a schema
        # that is not UTF-8.)
        print(
            f"centreon-canopsis: the state database cannot be used ({problem}); "
            "`centreon-canopsis statedb check -c CONFIG` says what is wrong, `statedb repair` the way out",
            file=sys.stderr,
        )
        return UNAVAILABLE
    except BrokenPipeError:
        # The reader went away (`... | head -1`): what it wanted was printed. Point standard output
        # at /dev/null so that the interpreter's last flush does not fail again on exit.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OK
