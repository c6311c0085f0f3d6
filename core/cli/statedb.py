"""Opening the state database for the commands that work beside the daemon (``status``,
``deadletters``): the configuration says where it is; no lock is taken. And ``statedb
check|repair``: the way out of a damaged state database (core/salvage.py)."""

from __future__ import annotations

import argparse
import sqlite3

from centreon_canopsis.core.cli.common import add_config_argument, error, quiet_config
from centreon_canopsis.core.cli.exitcodes import FAILED, OK, UNAVAILABLE, USAGE
from centreon_canopsis.core.cli.formatting import print_json
from centreon_canopsis.core.config import Config
from centreon_canopsis.core.store import StateDirError, open_database


def open_state(args: argparse.Namespace, readonly: bool = True) -> tuple[Config, sqlite3.Connection] | int:
    """The configuration and a connection to its state database, or the exit code to return
    (the problem already printed). The caller closes the connection."""
    config = quiet_config(args.config)
    if config is None:
        return USAGE
    try:
        connection = open_database(config.state_dir, readonly=readonly)
    except StateDirError as problem:
        error(str(problem))
        return UNAVAILABLE
    if connection is None:
        error(f"no state database in {config.state_dir}: nothing has run there yet")
        return UNAVAILABLE
    return config, connection


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "statedb",
        help="check the state database, or repair a damaged one",
        description="check: SQLite's integrity_check (--quick: quick_check) and a read of every row, "
        "without writing (safe while the daemon runs); exit 0 healthy, 1 damaged. repair (the "
        "daemon stopped): moves a damaged connector.db aside (connector.damaged-<time>.db) and "
        "copies what can be read (outbox, dead letters, routes, name cache) into a new one; exit 0 "
        "done or nothing to do, 3 when the daemon runs.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    checking = actions.add_parser("check", help="check the state database (read-only)")
    checking.add_argument(
        "--quick", action="store_true", help="quick_check instead of integrity_check (skips the indexes)"
    )
    repairing = actions.add_parser("repair", help="move a damaged database aside, salvage what it holds")
    repairing.add_argument("--force", action="store_true", help="rebuild even a healthy database")
    for action in (checking, repairing):
        add_config_argument(action)
        action.add_argument("--json", action="store_true", help="machine-readable output (JSON)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from centreon_canopsis.core import salvage

    config = quiet_config(args.config)
    if config is None:
        return USAGE
    if args.action == "check":
        report = salvage.check(config.state_dir, full=not args.quick)
        if args.json:
            print_json(report.as_dict())
        else:
            rows = ", ".join(f"{table} {count}" for table, count in report.rows.items())
            print(f"{report.path}: {'healthy' if report.ok else 'DAMAGED'}" + (f" ({rows})" if rows else ""))
            for problem in report.problems:
                print(f"  {problem}")
            if not report.ok:
                print(f"repair it (the connector stopped): centreon-canopsis statedb repair -c {args.config}")
        return OK if report.ok else FAILED
    try:
        repaired = salvage.repair(config.state_dir, force=args.force)
    except StateDirError as problem:
        error(str(problem))
        return UNAVAILABLE
    if args.json:
        print_json(repaired.as_dict())
    elif repaired.moved_to is None:
        print(f"{repaired.path}: healthy, nothing to do (--force rebuilds it anyway)")
    else:
        print(f"damaged database moved to {repaired.moved_to}")
        for problem in repaired.problems[:10]:
            print(f"  {problem}")
        salvaged = ", ".join(f"{table} {count}" for table, count in repaired.salvaged.items())
        print(f"salvaged into a new database: {salvaged or 'nothing (the file was unreadable)'}")
        print("source positions were not kept: a JSON-lines file is read again from its start")
    return OK
