"""``centreon-canopsis version``: the same line as ``--version``."""

from __future__ import annotations

import argparse

from centreon_canopsis.core.cli.exitcodes import OK
from centreon_canopsis.core.version import version_line


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "version",
        help="print the connector's version (and Python's, pluggy's, protobuf's)",
        description="Prints the version of the connector and of the parts that shape its behaviour.",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(version_line())
    return OK
