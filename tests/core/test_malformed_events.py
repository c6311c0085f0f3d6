"""Malformed events (issue 10, item 1): every stage before the plugins treats a bad event like a
raising plugin: counted with a reason, kept as an ``input`` dead letter, logged (rate-limited),
the position committed, the rest of the stream delivered."""

from __future__ import annotations

import logging

import orjson
import pytest

from centreon_canopsis.core import deadletters
from centreon_canopsis.core.cache import Cache
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.jsonl import RAW_KEEP, JsonLinesSource
from tests.support import events as ev
from tests.support.config import make_config
from tests.support.recorder import Recorder

NO_FILTERS = {"hard_only": 0, "enable_service_status_dedup": 0, "enable_host_status_dedup": 0}
# The reproductions of the issue: ids the name cache could not turn into an int.
BAD_IDS = ["abc", "1.5", [1], {}, "\u0000", 1.5, True, 1e30, "1_5", "\u0661"]


def write(path, *lines: bytes | dict) -> None:
    with open(path, "wb") as handle:
        for line in lines:
            handle.write((orjson.dumps(line) if isinstance(line, dict) else line) + b"\n")


def run_file(tmp_path, path, recorder, **settings):
    config = make_config(tmp_path / "state", recorder.port, **{**NO_FILTERS, **settings})
    pipeline = Pipeline(config)
    source = JsonLinesSource(str(path), follow=False)
    pipeline.run(source)  # raised before the fix, and the position stayed before the bad line
    assert pipeline.drain(10)
    pipeline.close(5)
    return pipeline, source


def letters(pipeline: Pipeline) -> list[deadletters.DeadLetter]:
    connection = pipeline.store.connect()
    try:
        return deadletters.select(connection, deadletters.Filters())
    finally:
        connection.close()


def outputs(recorder: Recorder) -> list[str]:
    return [event.get("output") for event in recorder.events()]


@pytest.mark.parametrize("bad", BAD_IDS, ids=repr)
def test_a_bad_service_id_is_kept_and_the_stream_goes_on(tmp_path, bad):
    path = tmp_path / "bad.jsonl"
    bad_event = {"_type": 65565, "category": 1, "element": 29, "host_id": 15, "service_id": bad, "state": 2}
    write(path, *ev.v3_configuration(), bad_event, ev.v3_service_status(output="after"))
    with Recorder() as recorder:
        pipeline, _ = run_file(tmp_path, path, recorder)
        assert outputs(recorder) == ["after"], "the good event after the bad one is delivered"
    metrics = pipeline.context.metrics
    assert metrics.value("events_invalid_total", reason="bad_field") == 1
    assert metrics.value("dead_letters_total", stage="input") == 1
    [letter] = letters(pipeline)
    assert (
        letter.stage == "input" and "'service_id'" in letter.reason and "not an integer id" in letter.reason
    )
    assert letter.key == f"bad.jsonl:{len(ev.v3_configuration()) + 1}"
    assert orjson.loads(letter.body)["service_id"] == bad, "the event is kept as it came"
    # The position is past the bad line: a restart does not die on it again.
    with Recorder() as again:
        second, _ = run_file(tmp_path, path, again)
        assert again.events() == []
        assert second.context.metrics.value("events_received_total") == 0


def test_a_list_host_id_on_a_bbdo3_host_status(tmp_path):
    path = tmp_path / "bad.jsonl"
    write(path, *ev.v3_configuration(), ev.v3_host_status(host_id=[1]), ev.v3_host_status(output="after"))
    with Recorder() as recorder:
        pipeline, _ = run_file(tmp_path, path, recorder, hard_only=0)
        assert outputs(recorder) == ["after"]
    [letter] = letters(pipeline)
    assert "'host_id' is a JSON array ([1])" in letter.reason


def test_ids_written_as_strings_or_integral_floats_are_taken(tmp_path):
    """BBDO 2 JSON dumps write ids as strings: they are coerced once, at the entry."""
    path = tmp_path / "ok.jsonl"
    write(
        path,
        *ev.v3_configuration(),
        ev.v3_service_status(host_id="15", service_id=47.0, output="coerced"),
    )
    with Recorder() as recorder:
        pipeline, _ = run_file(tmp_path, path, recorder)
        [event] = recorder.events()
    assert event["output"] == "coerced" and event["resource"] == "Ping" and event["component"] == "srv-web-01"
    assert pipeline.context.metrics.series("events_invalid_total") == {}


def test_a_name_that_is_not_a_string_does_not_poison_the_cache(tmp_path):
    path = tmp_path / "bad.jsonl"
    write(
        path,
        *ev.v3_configuration(),
        ev.event(1, 49, enabled=True, hostgroup_id=9, name=["not", "a", "name"]),
        ev.v3_service_status(output="after"),
    )
    with Recorder() as recorder:
        pipeline, _ = run_file(tmp_path, path, recorder)
        assert outputs(recorder) == ["after"]
    assert 9 not in pipeline.context.cache.hostgroups
    [letter] = letters(pipeline)
    assert "'name' is a JSON array" in letter.reason


def test_a_stage_before_the_plugins_that_raises_is_contained(tmp_path, monkeypatch):
    """Whatever the entry check misses: an exception in the cache is one bad event, not a stop."""

    def broken(self, objects, services):
        def handle(event):
            if event.get("output") == "explode":
                raise RuntimeError("cache bug")

        return handle

    monkeypatch.setattr(Cache, "_status_handler", broken)  # what status events go through
    path = tmp_path / "e.jsonl"
    write(path, *ev.v3_configuration(), ev.v3_service_status(output="explode"), ev.v3_service_status())
    with Recorder() as recorder:
        pipeline, _ = run_file(tmp_path, path, recorder)
        assert outputs(recorder) == ["CRITICAL - loss 100%"]
    assert pipeline.context.metrics.value("events_invalid_total", reason="stage_error") == 1
    [letter] = letters(pipeline)
    assert "RuntimeError: cache bug" in letter.reason


def test_lines_that_are_not_json_are_kept_as_they_came(tmp_path):
    path = tmp_path / "e.jsonl"
    write(path, *ev.v3_configuration(), b"\xff\xfe not utf-8", b'{"deep": ' * 2000, ev.v3_service_status())
    with Recorder() as recorder:
        pipeline, _ = run_file(tmp_path, path, recorder)
        assert len(recorder.events()) == 1
    assert pipeline.context.metrics.value("events_invalid_total", reason="not_json") == 2
    bodies = [letter.body for letter in letters(pipeline)]
    assert bodies[0] == b"\xff\xfe not utf-8"
    assert bodies[1].startswith(b'{"deep": {"deep"')


def test_a_giant_line_is_skipped_without_holding_it(tmp_path):
    path = tmp_path / "e.jsonl"
    giant = b'{"output": "' + b"x" * (3 << 20) + b'"}'
    write(path, ev.v3_service_status(output="before"), giant, ev.v3_service_status(output="after"))
    source = JsonLinesSource(str(path), max_line=1 << 20)
    batches = list(source.batches(None))
    assert [e["output"] for b in batches for e in b.events] == ["before", "after"]
    [rejected] = [r for b in batches for r in b.rejected]
    assert rejected.code == "line_too_long" and rejected.label == 2
    assert len(rejected.raw) == RAW_KEEP and f"line of {len(giant)} bytes" in rejected.reason
    assert batches[-1].position.endswith(f":{path.stat().st_size}:3"), "the position counts every byte"


def test_a_giant_unfinished_last_line(tmp_path):
    path = tmp_path / "e.jsonl"
    path.write_bytes(orjson.dumps(ev.v3_service_status()) + b"\n" + b"[" * (2 << 20))
    batches = list(JsonLinesSource(str(path), max_line=1 << 20).batches(None))
    assert sum(len(b.events) for b in batches) == 1
    assert [r.code for b in batches for r in b.rejected] == ["line_too_long"]


def test_invalid_input_is_logged_rate_limited_and_escaped(tmp_path, caplog):
    path = tmp_path / "e.jsonl"
    forged = "x\n2026-01-01 ERROR centreon_canopsis: forged"
    bad = [{"category": 1, "element": 29, "host_id": 15, "service_id": forged}] * 50
    write(path, *ev.v3_configuration(), *bad, ev.v3_service_status())
    caplog.set_level(logging.WARNING)
    with Recorder() as recorder:
        pipeline, _ = run_file(tmp_path, path, recorder)
        assert len(recorder.events()) == 1
    warnings = [r.getMessage() for r in caplog.records if "not an integer id" in r.getMessage()]
    assert 1 <= len(warnings) <= 5, "rate-limited"
    assert all("\n" not in message for message in warnings), "a newline in input cannot forge a line"
    assert pipeline.context.metrics.value("events_invalid_total", reason="bad_field") == 50
    assert len(letters(pipeline)) == 50


def test_a_plugin_raising_on_every_event_is_logged_rate_limited(connector, caplog):
    from centreon_canopsis.core.hookspecs import hookimpl

    class Raising:
        @hookimpl
        def connector_transform(self, event, element, context):
            if element.kind == "service_status":
                raise ValueError("boom\n2026-01-01 ERROR forged")

    harness = connector(plugins=[Raising()], hard_only=0, enable_service_status_dedup=0)
    caplog.set_level(logging.ERROR)
    harness.send([*ev.v3_configuration(), *(ev.v3_service_status(last_check=i) for i in range(40))])
    errors = [r.getMessage() for r in caplog.records if "raised in connector_transform" in r.getMessage()]
    assert 1 <= len(errors) <= 5, "one line per bad event would flood the log"
    assert all("\n" not in message and "boom\\n2026" in message for message in errors)
    assert len([d for d in harness.dead_letters() if d["stage"] == "pipeline"]) == 40, "each one kept"
