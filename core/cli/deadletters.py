"""``centreon-canopsis deadletters list|show|retry|purge``: look at and act on the dead letters.

Works beside a running daemon (no lock taken): ``list`` and ``show`` only read; ``retry`` and
``purge`` write in short transactions that SQLite serialises with the daemon's.
"""

from __future__ import annotations

import argparse
import time
from contextlib import closing
from typing import Any

import orjson

from centreon_canopsis.core import deadletters as dl
from centreon_canopsis.core.cli.common import add_config_argument, config_error, error
from centreon_canopsis.core.cli.exitcodes import FAILED, OK, UNAVAILABLE, USAGE
from centreon_canopsis.core.cli.formatting import age, cut, indent, print_json, table
from centreon_canopsis.core.cli.statedb import open_state
from centreon_canopsis.core.config import ConfigError
from centreon_canopsis.core.store import StateDirError

LIST_LIMIT = 100  # rows shown by ``list`` unless --limit says otherwise


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "deadletters",
        help="list, show, retry or purge what could not be delivered",
        description="Dead letters are payloads Canopsis refused for good (stage 'delivery') and "
        "events a plugin failed on (stage 'pipeline') or that were invalid input (stage 'input', "
        "kept as they came), kept with the request, the answer and the reason. Works while the "
        "daemon runs.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="one line per dead letter (oldest first)")
    _common(listing)
    _filters(listing)
    listing.add_argument(
        "--limit", type=int, default=LIST_LIMIT, help=f"most rows shown (default {LIST_LIMIT}; 0: all)"
    )
    listing.set_defaults(func=run_list)

    show = actions.add_parser("show", help="everything about dead letters: body, request, answer")
    _common(show)
    show.add_argument("ids", type=int, nargs="+", metavar="ID")
    show.set_defaults(func=run_show)

    retry = actions.add_parser(
        "retry",
        help="put delivery dead letters back in the outbox, run pipeline ones through the plugins again",
        description="Delivery dead letters go to the end of their lane in the outbox (after what "
        "waits there now: a retried check may land after a newer state of the same entity); "
        "pipeline and input dead letters are processed again with today's plugins and settings "
        "(a kept BBDO event is decoded again first; if it still does not decode it stays, with "
        "the new reason). A dead letter leaves the table in the same transaction as its retry "
        "enters the outbox.",
    )
    _common(retry)
    _filters(retry)
    _all_or_dry(retry)
    retry.set_defaults(func=run_retry)

    purge = actions.add_parser("purge", help="delete dead letters for good")
    _common(purge)
    _filters(purge)
    _all_or_dry(purge)
    purge.set_defaults(func=run_purge)
    parser.set_defaults(func=lambda args: USAGE)


def _common(parser: argparse.ArgumentParser) -> None:
    add_config_argument(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output (JSON)")


def _filters(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("filters (combined with AND)")
    group.add_argument("--id", dest="ids", type=int, action="append", default=[], metavar="ID")
    group.add_argument("--stage", choices=("pipeline", "delivery", "input"))
    group.add_argument("--route", metavar="NAME", help="route name, e.g. event, pbehavior.create")
    group.add_argument("--reason", metavar="TEXT", help="reason contains TEXT (case-insensitive)")
    group.add_argument("--customer", metavar="NAME", help="a [[customers]] name: its dead letters")
    group.add_argument(
        "--older-than", metavar="AGE", type=_duration, help="failed at least AGE ago (15m, 2h, 3d)"
    )
    group.add_argument("--newer-than", metavar="AGE", type=_duration, help="failed at most AGE ago")


def _all_or_dry(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--all", action="store_true", help="needed when no filter is given")
    parser.add_argument("--dry-run", action="store_true", help="say what would be done, do nothing")


def _duration(text: str) -> float:
    try:
        return dl.parse_duration(text)
    except ValueError as problem:
        raise argparse.ArgumentTypeError(str(problem)) from None


def _filters_of(args: argparse.Namespace) -> dl.Filters:
    return dl.Filters(
        ids=args.ids,
        stage=args.stage,
        route=args.route,
        reason=args.reason,
        customer=args.customer,
        older_than=args.older_than,
        newer_than=args.newer_than,
    )


def run_list(args: argparse.Namespace) -> int:
    opened = open_state(args)
    if isinstance(opened, int):
        return opened
    filters = _filters_of(args)
    with closing(opened[1]) as connection:
        letters = dl.select(connection, filters, args.limit or None)
        total = dl.count(connection, filters)
    if args.json:
        print_json({"total": total, "dead_letters": [letter.as_dict(with_body=False) for letter in letters]})
        return OK
    if not letters:
        print("no dead letters" + ("" if filters.empty else " match these filters"))
        return OK
    now = time.time()
    rows = [
        (
            str(letter.id),
            age(now - letter.failed_at),
            letter.stage,
            letter.route or "-",
            str(letter.attempts),
            str(letter.status or "-"),
            cut(letter.key or "-", 40),
            cut(letter.reason, 70),
        )
        for letter in letters
    ]
    table(("ID", "AGE", "STAGE", "ROUTE", "TRIES", "STATUS", "KEY", "REASON"), rows)
    if total > len(letters):
        print(f"... {total - len(letters)} more (use --limit 0 to see all)")
    return OK


def run_show(args: argparse.Namespace) -> int:
    opened = open_state(args)
    if isinstance(opened, int):
        return opened
    with closing(opened[1]) as connection:
        letters = dl.select(connection, dl.Filters(ids=args.ids))
    missing = sorted(set(args.ids) - {letter.id for letter in letters})
    if args.json:
        print_json([letter.as_dict() for letter in letters])
    else:
        for letter in letters:
            _show(letter)
    if missing:
        error(f"no dead letter with id {', '.join(map(str, missing))}")
        return FAILED
    return OK


def _show(letter: dl.DeadLetter) -> None:
    data = letter.as_dict()
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(letter.failed_at))
    print(f"dead letter {letter.id}")
    print(f"  failed at:  {when} ({age(time.time() - letter.failed_at)} ago)")
    print(f"  stage:      {letter.stage}")
    print(f"  route:      {letter.route or '-'}")
    print(f"  request:    {letter.request or '-'}")
    print(f"  key:        {letter.key or '-'}")
    print(f"  attempts:   {letter.attempts}")
    print(f"  status:     {letter.status if letter.status is not None else '-'}")
    print(f"  reason:     {letter.reason}")
    if letter.response:
        print("  answer:")
        print(indent(letter.response))
    print("  body:")
    print(indent(orjson.dumps(data["body"], option=orjson.OPT_INDENT_2).decode()))
    print()


def run_retry(args: argparse.Namespace) -> int:
    return _act(args, "retry")


def run_purge(args: argparse.Namespace) -> int:
    return _act(args, "purge")


def _act(args: argparse.Namespace, action: str) -> int:
    filters = _filters_of(args)
    if filters.empty and not args.all:
        error(f"deadletters {action}: give a filter (see --help) or --all")
        return USAGE
    opened = open_state(args, readonly=args.dry_run or action == "retry")
    if isinstance(opened, int):
        return opened
    config, connection = opened
    try:
        with closing(connection):
            if action == "purge":
                done = dl.count(connection, filters) if args.dry_run else dl.purge(connection, filters)
                result: dict[str, Any] = {"dry_run": args.dry_run, "purged": done}
        if action == "retry":  # with its own connections, and the plugins for pipeline dead letters
            result = {"dry_run": args.dry_run, **dl.retry(config, filters, dry_run=args.dry_run).as_dict()}
    except StateDirError as problem:
        error(str(problem))
        return UNAVAILABLE
    except ConfigError as problem:
        config_error(problem)
        return USAGE
    if args.json:
        print_json(result)
    else:
        _print_result(action, result)
    return FAILED if result.get("skipped") else OK


def _print_result(action: str, result: dict[str, Any]) -> None:
    would = "would be " if result["dry_run"] else ""
    if action == "purge":
        print(f"{result['purged']} dead letters {would}purged")
        return
    print(f"{result['requeued']} delivery dead letters {would}put back in the outbox")
    print(f"{result['reprocessed']} pipeline dead letters {would}processed again", end="")
    if result["dry_run"]:
        print()
    else:
        print(
            f": {result['queued']} queued, {result['dropped']} dropped by filters, "
            f"{result['failed_again']} failed again"
        )
    for line in result["skipped"]:
        print(f"skipped {line}")
