"""``centreon-canopsis replay``: push a whole JSON-lines file through the pipeline and report."""

from __future__ import annotations

import argparse
import sys

from centreon_canopsis.core.cli.common import add_config_argument, error
from centreon_canopsis.core.cli.exitcodes import FAILED, OK, UNAVAILABLE
from centreon_canopsis.core.cli.leftover import describe_leftover
from centreon_canopsis.core.cli.progress import drain
from centreon_canopsis.core.cli.run import open_pipeline
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.jsonl import JsonLinesSource


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="process a JSON-lines file of Broker events, deliver everything, report and exit",
        description="Reads the whole file (or - for standard input), waits until every payload is "
        "delivered or dead-lettered, prints the counts per outcome. Exit code 0 when nothing "
        "failed, 1 when some input was invalid or some payload was dead-lettered or not delivered "
        "in time.",
    )
    add_config_argument(parser)
    parser.add_argument("events", metavar="EVENTS.jsonl", help="the file to replay, or - for standard input")
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="give up waiting for delivery after this long (default: delivery.drain_timeout, 60 s)",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: when standard error is a terminal)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    opened = open_pipeline(args.config)
    if isinstance(opened, int):
        return opened
    pipeline = opened[1]
    try:
        source = JsonLinesSource(args.events, follow=False)
        show_progress = sys.stderr.isatty() if args.progress is None else args.progress
        pipeline.start()
        try:
            _read(pipeline, source, show_progress)
        except OSError as problem:
            error(f"cannot read {args.events}: {problem.strerror or problem}")
            return UNAVAILABLE
        timeout = args.timeout if args.timeout is not None else float(opened[0].delivery["drain_timeout"])
        drained = drain(pipeline, timeout, show_progress)  # 100 % read: now the delivery
    finally:
        pipeline.close()
    report = summarize(pipeline)
    print(report.render())
    if not drained:
        print(f"not delivered within {timeout:g}s: {describe_leftover(pipeline)}")
    return OK if drained and report.ok else FAILED


def _read(pipeline: Pipeline, source: JsonLinesSource, show_progress: bool) -> None:
    bar = None
    if show_progress:
        from tqdm import tqdm

        bar = tqdm(total=source.size(), unit="B", unit_scale=True, desc="replay", file=sys.stderr)
    done = 0
    for batch in source.batches(None):
        pipeline.process_batch(batch)  # no position stored: a replay always reads the whole file
        pipeline.wait_for_room()  # a full outbox pauses the replay like it pauses ``run``
        if bar is not None:
            bar.update(source.offset - done)
            done = source.offset
    if bar is not None:
        bar.close()


class Report:
    def __init__(self, rows: list[tuple[str, int]], ok: bool) -> None:
        self.rows = rows
        self.ok = ok

    def render(self) -> str:
        width = max(len(label) for label, _ in self.rows)
        return "\n".join(f"{label:<{width}}  {count}" for label, count in self.rows)


def summarize(pipeline: Pipeline) -> Report:
    metrics = pipeline.context.metrics
    events = {dict(labels)["outcome"]: count for labels, count in metrics.series("events_total").items()}
    dropped = {
        dict(labels)["reason"]: count for labels, count in metrics.series("events_dropped_total").items()
    }
    deliveries = {
        outcome: int(sum(metrics.series(f"payloads_{outcome}_total").values()))
        for outcome in ("delivered", "retried", "dead_lettered")
    }
    invalid = int(sum(metrics.series("events_invalid_total").values()))
    # Dead letters the bound (delivery.max_dead_letters) left out: failures all the same.
    discarded = int(sum(metrics.series("dead_letters_discarded_total").values()))
    read = int(sum(events.values())) + invalid
    rows = [
        ("events read", read),
        ("invalid input", invalid),
        ("queued for Canopsis", int(events.get("queued", 0))),
        ("dropped by filters", int(events.get("dropped", 0))),
    ]
    rows += [(f"  {reason}", int(count)) for reason, count in sorted(dropped.items())]
    rows += [
        ("plugin errors (dead-lettered)", int(events.get("error", 0))),
        ("payloads delivered", deliveries["delivered"]),
        ("delivery retries", deliveries["retried"]),
        ("payloads dead-lettered", deliveries["dead_lettered"]),
    ]
    if discarded:
        rows.append(("dead letters discarded (their bound was reached)", discarded))
    ok = invalid == 0 and not events.get("error") and not deliveries["dead_lettered"] and not discarded
    return Report(rows, ok)
