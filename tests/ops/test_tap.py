"""``tap``: live payloads and their delivery results, from a running daemon; nothing when nobody taps."""

from __future__ import annotations

import subprocess
import threading
import urllib.error
import urllib.request

import orjson

from centreon_canopsis.core.health import HealthServer
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.base import Batch
from centreon_canopsis.core.tap import Tap
from tests.delivery.helpers import (
    COMMAND,
    Daemon,
    sandbox,
    seqs,
    statuses,
    wait_until,
    write_config,
    write_stream,
)
from tests.support.config import make_config
from tests.support.recorder import Recorder


def append(path, events) -> None:
    with open(path, "ab") as handle:
        for event in events:
            handle.write(orjson.dumps(event) + b"\n")


def tap(config, *options: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*COMMAND, "tap", "-c", str(config), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_tap_shows_payloads_as_queued_and_their_results(tmp_path):
    box = sandbox()
    events = write_stream(tmp_path / "events.jsonl", 5)
    config = write_config(tmp_path, box.port, events)
    with Daemon(config) as daemon:
        wait_until(lambda: len(seqs(box.received_events())) == 5, 30, "the first events")
        watcher = tap(config, "--limit", "6")
        wait_until(lambda: daemon.metric("tap_clients") == 1, 30, "the tap client")
        append(events, statuses(3, start=100))
        out, err = watcher.communicate(timeout=30)
        assert watcher.returncode == 0, err
        records = [orjson.loads(line) for line in out.splitlines()]
        queued = [r for r in records if r["tap"] == "queued"]
        results = [r for r in records if r["tap"] != "queued"]
        assert len(queued) == 3 and len(results) == 3
        received = {e["output"]: e for e in box.received_events() if "seq=00001" in str(e.get("output"))}
        for record in queued:
            assert record["route"] == "event" and record["lane"] == "events"
            assert record["payload"] == received[record["payload"]["output"]], "exactly what Canopsis got"
        assert {r["key"] for r in results} == {r["key"] for r in queued}
        assert all(r["tap"] == "delivered" and r["status"] == 200 and r["attempt"] == 1 for r in results)
        wait_until(lambda: daemon.metric("tap_clients") == 0, 30, "the client gone")
        assert daemon.stop() == 0
    box.stop()


def test_tap_filters_by_route_and_element(tmp_path):
    box = sandbox()
    events = write_stream(tmp_path / "events.jsonl", 2)
    config = write_config(tmp_path, box.port, events)
    with Daemon(config) as daemon:
        wait_until(lambda: len(seqs(box.received_events())) == 2, 30, "the first events")
        only = tap(config, "--element", "svc-03", "--limit", "2")
        nothing = tap(config, "--route", "pbehavior.create", "--limit", "1")
        wait_until(lambda: daemon.metric("tap_clients") == 2, 30, "two tap clients")
        append(events, statuses(20, start=200))  # one status per service: svc-03 once
        out, err = only.communicate(timeout=30)
        assert only.returncode == 0, err
        records = [orjson.loads(line) for line in out.splitlines()]
        assert [r["tap"] for r in records] == ["queued", "delivered"]
        assert records[0]["payload"]["resource"] == "svc-03"
        nothing.terminate()
        out, _ = nothing.communicate(timeout=30)
        assert out == "", "no pbehavior was queued"
        assert daemon.stop() == 0
    box.stop()


def test_nothing_is_observed_while_nobody_taps(tmp_path):
    with Recorder() as recorder:
        pipeline = Pipeline(make_config(tmp_path / "state", recorder.port, hard_only=0))
        server = HealthServer(pipeline, "127.0.0.1", 0, 60.0)
        server.start()
        the_tap = Tap.attach(pipeline, server)
        try:
            pipeline.start()
            assert pipeline.outbox.tap is None and pipeline.delivery.tap is None
            lines: list[bytes] = []
            answer = urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                server.url + "/tap?limit=1", timeout=10
            )
            reader = threading.Thread(target=lambda: lines.extend(answer), daemon=True)
            reader.start()
            wait_until(lambda: pipeline.outbox.tap is not None, 10, "the tap hooked in")
            from tests.support import events as ev

            pipeline.process_batch(Batch([*ev.v3_configuration(), ev.v3_service_status()], origin="t"))
            reader.join(10)
            assert any(b'"tap":"queued"' in line for line in lines)
            wait_until(lambda: pipeline.outbox.tap is None and pipeline.delivery.tap is None, 10, "unhooked")
        finally:
            assert the_tap is not None
            the_tap.close()
            server.close()
            pipeline.close(5)


def test_tap_goes_through_the_endpoint_credentials(tmp_path):
    """With [metrics] auth_token, /tap answers 401 without it; the tap command sends it."""
    box = sandbox()
    events = write_stream(tmp_path / "events.jsonl", 1)
    config = write_config(tmp_path, box.port, events, metrics={"port": 0, "auth_token": "tap-token-123456"})
    with Daemon(config) as daemon:
        url = daemon.url()
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            opener.open(url + "/tap?limit=1", timeout=10)
            raise AssertionError("/tap answered without credentials")
        except urllib.error.HTTPError as answer:
            assert answer.code == 401
        watcher = tap(config, "--limit", "2")
        wait_until(lambda: _clients(url) == 1, 30, "the tap client")
        append(events, statuses(1, start=300))
        out, err = watcher.communicate(timeout=30)
        assert watcher.returncode == 0, err
        assert [orjson.loads(line)["tap"] for line in out.splitlines()] == ["queued", "delivered"]
        assert "tap-token-123456" not in daemon.log()
        assert daemon.stop() == 0
    box.stop()


def _clients(url: str) -> int:
    request = urllib.request.Request(url + "/metrics", headers={"Authorization": "Bearer tap-token-123456"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as answer:
        text = answer.read().decode()
    line = next(row for row in text.splitlines() if row.startswith("centreon_canopsis_tap_clients "))
    return int(float(line.split()[1]))
