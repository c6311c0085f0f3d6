"""Progress of the delivery once reading is over: the outbox drains, the bar shows it."""

from __future__ import annotations

import sys
import time

from centreon_canopsis.core.pipeline import Pipeline

STEP = 0.25  # seconds between two updates of the bar


def drain(pipeline: Pipeline, timeout: float | None, show: bool, desc: str = "delivered") -> bool:
    """``pipeline.drain(timeout)``, with a bar of the payloads settled (delivered or
    dead-lettered) out of those queued, when ``show``."""
    if not show:
        return pipeline.drain(timeout)
    from tqdm import tqdm

    metrics = pipeline.context.metrics

    def total(name: str) -> int:
        return int(sum(metrics.series(name).values()))

    bar = tqdm(total=total("payloads_queued_total"), unit="payload", desc=desc, file=sys.stderr)
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            step = STEP if deadline is None else max(0.0, min(STEP, deadline - time.monotonic()))
            done = pipeline.drain(step)
            bar.total = total("payloads_queued_total")
            bar.n = min(bar.total, total("payloads_delivered_total") + total("payloads_dead_lettered_total"))
            bar.set_postfix(waiting=pipeline.outbox.depth(), refresh=False)
            bar.refresh()
            if done or (deadline is not None and time.monotonic() >= deadline):
                return done
    finally:
        bar.close()
