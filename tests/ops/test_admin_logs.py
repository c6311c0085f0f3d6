"""What an admin sees at the default log level (1): Canopsis going away and coming back, refused
credentials, invalid input, dead letters; once per transition, not per request. And JSON logs."""

from __future__ import annotations

import time
from pathlib import Path

import orjson

from tests.delivery.helpers import (
    Daemon,
    sandbox,
    seqs,
    statuses,
    wait_until,
    write_config,
    write_stream,
)


def append(path: Path, events) -> None:
    with open(path, "ab") as handle:
        for event in events:
            handle.write(orjson.dumps(event) + b"\n")


def read_if(tmp_path: Path, text: str) -> str | None:
    """The log once it holds ``text``."""
    log = (tmp_path / "connector.log").read_text()
    return log if text in log else None


def test_canopsis_down_and_back_is_logged_once_each_way(tmp_path):
    box = sandbox()
    port = box.port
    events = write_stream(tmp_path / "events.jsonl", 10)
    config = write_config(tmp_path, port, events, log_level=1)
    with Daemon(config) as daemon:
        wait_until(lambda: len(seqs(box.received_events())) == 10, 30, "the first events")
        box.stop()
        append(events, statuses(10, start=10))
        # Many retries (backoff capped at 0.3 s) while Canopsis is away...
        wait_until(lambda: daemon.metric("payloads_retried_total") >= 10, 30, "retries")
        box = sandbox(port)
        wait_until(lambda: len(seqs(box.received_events())) == 10, 30, "the rest, once Canopsis is back")
        # The sandbox has the events before the connector has read its answer.
        log = wait_until(lambda: read_if(tmp_path, "reachable again"), 30, "the line of the recovery")
        assert log.count("Canopsis unreachable (lane events)") == 1, log
        assert log.count("Canopsis reachable again (lane events)") == 1, log
        assert " ERROR " in log.split("Canopsis unreachable", 1)[0].splitlines()[-1] + " "
        assert "will be retried" not in log, "per-request lines stay below the default level"
        assert daemon.stop() == 0
    box.stop()


def test_refused_credentials_are_logged_once(tmp_path):
    box = sandbox()
    events = write_stream(tmp_path / "events.jsonl", 5)
    config = write_config(tmp_path, box.port, events, log_level=1, canopsis_authkey="not-the-key")
    with Daemon(config) as daemon:
        wait_until(lambda: daemon.metric("payloads_retried_total") >= 5, 30, "refused attempts")
        log = wait_until(lambda: read_if(tmp_path, "refuses our credentials"), 30, "the line of the refusal")
        assert (
            log.count("Canopsis refuses our credentials (HTTP 401, lane events): check canopsis_authkey") == 1
        )
        assert "not-the-key" not in log
        assert daemon.stop() == 0
    box.stop()


def test_invalid_input_is_seen_at_the_default_level_and_rate_limited(tmp_path):
    box = sandbox()
    events = write_stream(tmp_path / "events.jsonl", 3)
    with open(events, "ab") as handle:
        handle.write(b"{not json\n" * 200)
    config = write_config(tmp_path, box.port, events, log_level=1)
    with Daemon(config) as daemon:
        wait_until(lambda: daemon.metric("events_invalid_total") == 200, 30, "200 invalid lines counted")
        time.sleep(0.5)
        log = (tmp_path / "connector.log").read_text()
        lines = [line for line in log.splitlines() if "not valid JSON" in line]
        assert 1 <= len(lines) <= 5, "a few lines, not 200"
        assert " NOTICE " in lines[0], "shown at the default level, not an error of the connector"
        assert daemon.stop() == 0
    box.stop()


def test_json_log_format(tmp_path):
    box = sandbox()
    events = write_stream(tmp_path / "events.jsonl", 3)
    with open(events, "ab") as handle:
        handle.write(b'{"bad\\n line": "\x01"\n')
    config = write_config(tmp_path, box.port, events, log_level=2, log_format="json")
    with Daemon(config) as daemon:
        wait_until(lambda: daemon.metric("events_invalid_total") == 1, 30, "the bad line")
        assert daemon.stop() == 0
    box.stop()
    lines = (tmp_path / "connector.log").read_text().splitlines()
    entries = [orjson.loads(line) for line in lines]  # every line is one JSON object
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    assert any(e["level"] == "NOTICE" and e["message"].startswith("started:") for e in entries)
    assert any(e["level"] == "NOTICE" and "not valid JSON" in e["message"] for e in entries)


def test_dead_letters_are_seen_at_the_default_level_a_few_lines_a_minute(tmp_path):
    box = sandbox()
    box.fail_rate(1.0, status=400, path_prefix="/api/v4/event")  # every request refused for good
    events = write_stream(tmp_path / "events.jsonl", 40)
    config = write_config(tmp_path, box.port, events, log_level=1)
    with Daemon(config) as daemon:
        wait_until(lambda: daemon.metric("payloads_dead_lettered_total") == 40, 60, "40 dead letters")
        log = wait_until(lambda: read_if(tmp_path, "dead-lettered"), 30, "a dead-letter line")
        lines = [line for line in log.splitlines() if "dead-lettered" in line]
        assert 1 <= len(lines) <= 5, f"{len(lines)} lines for 40 dead letters"
        assert " ERROR " in lines[0] and "deadletters list" in lines[0]
        assert daemon.stop() == 0
    box.stop()
