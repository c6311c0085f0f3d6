"""max_buffer_size and max_all_queues_age: when events wait and when they go (lua-connector.md 5)."""

from __future__ import annotations

import time

from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.base import Batch
from tests.support import events as ev
from tests.support.config import make_config
from tests.support.recorder import Recorder

NO_FILTERS = {"hard_only": 0, "enable_service_status_dedup": 0}


def statuses(count: int, start: int = 0) -> list[dict]:
    return [ev.v3_service_status(last_check=1_700_000_000 + start + i) for i in range(count)]


def test_three_waits_for_a_fourth(tmp_path):
    with Recorder() as recorder:
        config = make_config(tmp_path, recorder.port, max_buffer_size=3, max_all_queues_age=60, **NO_FILTERS)
        pipeline = Pipeline(config)
        pipeline.start()
        try:
            pipeline.process_batch(Batch(ev.v3_configuration() + statuses(3)))
            time.sleep(0.3)
            assert recorder.requests == [], "3 events wait while max_buffer_size is 3"
            pipeline.process_batch(Batch(statuses(1, start=10)))
            recorder.wait_for(1)
            assert len(recorder.requests[0].json()) == 4, "the 4th event sends all four together"
        finally:
            pipeline.close(5)


def test_max_all_queues_age_sends_what_waits(tmp_path):
    with Recorder() as recorder:
        config = make_config(
            tmp_path, recorder.port, max_buffer_size=100, max_all_queues_age=0.5, **NO_FILTERS
        )
        pipeline = Pipeline(config)
        pipeline.start()
        try:
            pipeline.process_batch(Batch(ev.v3_configuration() + statuses(2)))
            time.sleep(0.1)
            assert recorder.requests == [], "younger than max_all_queues_age: still waiting"
            recorder.wait_for(1, timeout=5)
            assert len(recorder.requests[0].json()) == 2
        finally:
            pipeline.close(5)


def test_default_sends_a_lone_event_at_once(tmp_path):
    with Recorder() as recorder:
        pipeline = Pipeline(make_config(tmp_path, recorder.port, **NO_FILTERS))
        pipeline.start()
        try:
            pipeline.process_batch(Batch(ev.v3_configuration() + statuses(1)))
            recorder.wait_for(1, timeout=2)  # max_all_queues_age is 5 s: this did not linger
        finally:
            pipeline.close(5)


def test_max_batch_size_caps_a_request(tmp_path):
    with Recorder() as recorder:
        config = make_config(tmp_path, recorder.port, max_batch_size=10, max_buffer_size=24, **NO_FILTERS)
        pipeline = Pipeline(config)
        pipeline.start()
        try:
            pipeline.process_batch(Batch(ev.v3_configuration() + statuses(25)))
            recorder.wait_for(3)
            assert [len(r.json()) for r in recorder.requests] == [10, 10, 5]
            sent = [e["timestamp"] for r in recorder.requests for e in r.json()]
            assert sent == sorted(sent), "order is kept across requests"
        finally:
            pipeline.close(5)
