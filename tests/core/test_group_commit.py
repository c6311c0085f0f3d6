"""Group commit (Pipeline.run): batches that already wait share one commit; none is held back for
another, each is acknowledged after the commit that holds it, in order, and the outbox limit
still bounds what is read."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from centreon_canopsis.core.pipeline import GROUP_EVENTS, Pipeline
from centreon_canopsis.core.sources.base import Batch
from tests.support.config import make_config
from tests.support.events import v3_configuration, v3_service_status


class QueueSource:
    """Batches handed in by the test; ``pending`` says whether one waits, as the BBDO source does."""

    name = "test"

    def __init__(self) -> None:
        self.queue: list[Batch] = []
        self.lock = threading.Condition()
        self.closed = False
        self.acknowledged: list[int] = []

    def put(self, number: int, events: list[dict[str, Any]]) -> None:
        batch = Batch(events, origin="test", on_commit=lambda: self.acknowledged.append(number))
        with self.lock:
            self.queue.append(batch)
            self.lock.notify_all()

    def pending(self) -> bool:
        with self.lock:
            return bool(self.queue)

    def batches(self, resume: str | None) -> Iterator[Batch]:
        while True:
            with self.lock:
                while not self.queue and not self.closed:
                    self.lock.wait(0.05)
                if not self.queue:
                    return
                batch = self.queue.pop(0)
            yield batch

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self.lock.notify_all()


def statuses(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [v3_service_status(last_check=1_700_000_200 + start + i) for i in range(count)]


def commits(pipeline: Pipeline) -> int:
    return pipeline.commits  # type: ignore[attr-defined]


def run(tmp_path, source: QueueSource, **settings: Any) -> tuple[Pipeline, threading.Thread]:
    pipeline = Pipeline(make_config(tmp_path / "state", 1, **settings))
    pipeline.commits = 0  # type: ignore[attr-defined]
    commit = pipeline.outbox.commit

    def counted(*args: Any, **kwargs: Any) -> Any:  # the real commit, counted
        pipeline.commits += 1  # type: ignore[attr-defined]
        return commit(*args, **kwargs)

    pipeline.outbox.commit = counted  # type: ignore[method-assign]
    thread = threading.Thread(target=pipeline.run, args=(source,), daemon=True)
    return pipeline, thread


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_waiting_batches_share_one_commit_and_are_acknowledged_in_order(tmp_path) -> None:
    source = QueueSource()
    source.put(0, v3_configuration())
    for number in range(1, 9):  # eight batches of 500 waiting before the pipeline starts
        source.put(number, statuses(500, start=number * 1000))
    pipeline, thread = run(tmp_path, source)
    try:
        thread.start()
        wait_for(lambda: len(source.acknowledged) == 9)
        assert source.acknowledged == list(range(9)), "each batch acknowledged, in order"
        assert commits(pipeline) <= 2, f"{commits(pipeline)} commits for 9 waiting batches"
        assert pipeline.context.metrics.value("events_received_total") == len(v3_configuration()) + 4000
    finally:
        source.close()
        thread.join(10)
        pipeline.close(5)


def test_a_lone_batch_is_committed_at_once(tmp_path) -> None:
    source = QueueSource()
    pipeline, thread = run(tmp_path, source)
    try:
        thread.start()
        source.put(1, statuses(3))
        wait_for(lambda: source.acknowledged == [1], 2.0)  # no waiting for a second batch
        source.put(2, statuses(3, start=10))
        wait_for(lambda: source.acknowledged == [1, 2], 2.0)
        assert commits(pipeline) == 2
    finally:
        source.close()
        thread.join(10)
        pipeline.close(5)


def test_a_group_stops_at_the_outbox_limit_and_at_its_size(tmp_path) -> None:
    source = QueueSource()
    source.put(0, v3_configuration())
    # Every check a payload (filters off), 10 batches of 1000 waiting: a limit of 2500 payloads
    # takes three batches (the last one overshoots), never all ten.
    for number in range(1, 11):
        source.put(
            number, [v3_service_status(state=number % 3, last_check=1_700_000_000 + i) for i in range(1000)]
        )
    settings = {"enable_service_status_dedup": 0, "hard_only": 0, "delivery": {"max_outbox_events": 2500}}
    pipeline, thread = run(tmp_path, source, **settings)
    try:
        thread.start()
        wait_for(lambda: pipeline.outbox.depth() >= 2500)
        time.sleep(0.3)
        assert 2500 <= pipeline.outbox.depth() < 2500 + 1000, "one source batch of overshoot at most"
        assert len(source.acknowledged) < 11
    finally:
        source.close()
        pipeline.request_stop()
        thread.join(10)
        pipeline.close(5)
    assert GROUP_EVENTS <= 10_000
