"""The JSON-lines source: bad lines, resuming, rotation, follow mode."""

from __future__ import annotations

import json
import os
import threading
import time

from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.jsonl import JsonLinesSource
from tests.support import events as ev
from tests.support.config import make_config
from tests.support.recorder import Recorder

NO_FILTERS = {"hard_only": 0, "enable_service_status_dedup": 0}


def lines(*events) -> str:
    return "".join(json.dumps(e) + "\n" for e in events)


def read_all(source, resume=None):
    return [batch for batch in source.batches(resume)]


def test_bad_lines_are_reported_with_their_number_and_skipped(tmp_path, caplog):
    path = tmp_path / "events.jsonl"
    good = ev.v3_service_status()
    path.write_text(
        lines(*ev.v3_configuration())
        + "{not json\n\n"
        + json.dumps([1, 2])
        + "\n"
        + json.dumps({"category": 1})
        + "\n"
        + lines(good)
    )
    with Recorder() as recorder:
        pipeline = Pipeline(make_config(tmp_path / "state", recorder.port, **NO_FILTERS))
        pipeline.start()
        for batch in JsonLinesSource(str(path)).batches(None):
            pipeline.process_batch(batch)
        assert pipeline.drain(5)
        pipeline.close(2)
        assert len(recorder.events()) == 1, "the good line after the bad ones is delivered"
    messages = [r.getMessage() for r in caplog.records if r.levelname == "NOTICE"]  # default level shows it
    assert "events.jsonl:10: not valid JSON" in messages[0]
    assert messages[1] == "events.jsonl:12: not a Broker event: expected a JSON object, got list; skipped"
    assert messages[2] == (
        "events.jsonl:13: not a Broker event: 'element' is missing or not a non-negative integer; skipped"
    )
    metrics = pipeline.context.metrics
    assert metrics.value("events_invalid_total", reason="not_json") == 1
    assert metrics.value("events_invalid_total", reason="not_an_event") == 2


def test_last_line_without_newline_is_read(tmp_path):
    path = tmp_path / "e.jsonl"
    path.write_text(lines(ev.v3_host_status()) + json.dumps(ev.v3_service_status()))
    batches = read_all(JsonLinesSource(str(path)))
    assert sum(len(b.events) for b in batches) == 2


def test_position_lets_a_restart_resume_after_the_last_batch(tmp_path):
    path = tmp_path / "e.jsonl"
    path.write_text(lines(*[ev.v3_service_status(last_check=i) for i in range(5)]))
    source = JsonLinesSource(str(path), batch_lines=2)
    batches = read_all(source)
    assert [len(b.events) for b in batches] == [2, 2, 1]
    resumed = read_all(JsonLinesSource(str(path), batch_lines=2), batches[0].position)
    assert [e["last_check"] for b in resumed for e in b.events] == [2, 3, 4]
    assert [b.labels for b in resumed] == [[3, 4], [5]], "line numbers continue after resuming"


def test_a_replaced_file_is_read_from_the_start(tmp_path, caplog):
    path = tmp_path / "e.jsonl"
    path.write_text(lines(*[ev.v3_service_status(last_check=i) for i in range(3)]))
    position = read_all(JsonLinesSource(str(path)))[-1].position
    replacement = tmp_path / "new.jsonl"
    replacement.write_text(lines(ev.v3_service_status(last_check=99)))
    os.replace(replacement, path)
    resumed = read_all(JsonLinesSource(str(path)), position)
    assert [e["last_check"] for b in resumed for e in b.events] == [99]
    assert "was replaced or truncated" in caplog.text


def test_run_resumes_where_it_stopped(tmp_path):
    path = tmp_path / "e.jsonl"
    path.write_text(lines(*ev.v3_configuration(), ev.v3_service_status(last_check=1)))
    with Recorder() as recorder:
        config = make_config(tmp_path / "state", recorder.port, source={"path": str(path)}, **NO_FILTERS)
        for expected in (1, 2):
            pipeline = Pipeline(config)
            pipeline.run(JsonLinesSource(str(path), follow=False))
            assert pipeline.drain(5)
            pipeline.close(2)
            assert len(recorder.events()) == expected, "nothing is read twice"
            with path.open("a") as handle:
                handle.write(lines(ev.v3_service_status(last_check=2)))


def test_follow_reads_appended_lines_and_rotations(tmp_path):
    path = tmp_path / "e.jsonl"
    path.write_text(lines(ev.v3_service_status(last_check=1)))
    source = JsonLinesSource(str(path), follow=True)
    seen: list[int] = []

    def consume():
        for batch in source.batches(None):
            seen.extend(e["last_check"] for e in batch.events)

    thread = threading.Thread(target=consume)
    thread.start()
    try:
        wait_until(lambda: seen == [1])
        with path.open("a") as handle:
            handle.write(lines(ev.v3_service_status(last_check=2)))
        wait_until(lambda: seen == [1, 2])
        os.rename(path, tmp_path / "e.jsonl.1")  # logrotate
        path.write_text(lines(ev.v3_service_status(last_check=3)))
        wait_until(lambda: seen == [1, 2, 3])
    finally:
        source.close()
        thread.join(5)
    assert not thread.is_alive()


def wait_until(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)
