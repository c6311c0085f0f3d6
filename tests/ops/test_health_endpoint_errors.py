"""The metrics endpoint answers even when what it reports fails: a plugin's readiness check that
raises fails that check alone, and any other error answers 500 instead of closing the connection
unanswered (which a probe or a scraper cannot tell from a dead daemon)."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request

import orjson

from centreon_canopsis.core.health import HealthServer
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.base import Batch
from tests.delivery.helpers import configuration
from tests.support.config import make_config
from tests.support.recorder import Recorder


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as answer:
        return answer.code, answer.read()


def raising_probe(now: float, stall: float) -> tuple[bool, str]:
    raise RuntimeError("probe \x1b[31mbroke")


def test_a_raising_readiness_check_fails_alone_and_every_endpoint_answers(tmp_path, caplog):
    with Recorder() as recorder:
        pipeline = Pipeline(make_config(tmp_path / "state", recorder.port))
        server = HealthServer(pipeline, "127.0.0.1", 0, 120.0)
        server.start()
        try:
            pipeline.start()
            assert pipeline.process_batch(Batch(configuration(), origin="test"))
            assert get(server.url + "/readyz")[0] == 200
            pipeline.context.state.setdefault("readiness", {})["buggy"] = raising_probe
            with caplog.at_level(logging.ERROR, "centreon_canopsis.core.health"):
                status, body = get(server.url + "/readyz")
                assert status == 503
                checks = orjson.loads(body)["checks"]
                detail = "the check raised RuntimeError: probe \\x1b[31mbroke"  # escaped: no terminal codes
                assert checks["buggy"] == {"ok": False, "detail": detail}
                assert all(check["ok"] for name, check in checks.items() if name != "buggy"), checks
                status, body = get(server.url + "/metrics")
                assert status == 200 and b"\ncentreon_canopsis_ready 0\n" in body
            lines = {r.getMessage() for r in caplog.records if "readiness check buggy" in r.getMessage()}
            assert lines == {"readiness check buggy raised: RuntimeError: probe \\x1b[31mbroke"}
        finally:
            server.close()
            pipeline.close(5)


def test_an_endpoint_that_fails_answers_500_and_the_next_request_is_served(tmp_path, caplog):
    with Recorder() as recorder:
        pipeline = Pipeline(make_config(tmp_path / "state", recorder.port))
        server = HealthServer(pipeline, "127.0.0.1", 0, 120.0)

        def broken(handler) -> None:
            raise KeyError("lane")

        server.add_route("/broken", broken)
        server.start()
        try:
            with caplog.at_level(logging.ERROR, "centreon_canopsis.core.health"):
                status, body = get(server.url + "/broken")
            assert (status, orjson.loads(body)) == (500, {"error": "internal error: KeyError"})
            assert any(r.getMessage() == "metrics endpoint: GET /broken failed: KeyError: 'lane'"
                       for r in caplog.records), [r.getMessage() for r in caplog.records]  # fmt: skip
            assert get(server.url + "/healthz") == (200, b'{"alive": true}\n')
        finally:
            server.close()
            pipeline.close(5)


def test_a_gauge_that_fails_leaves_only_its_own_series_out(caplog):
    """Gauges read other threads' state when scraped; one that raises (a bug, or a dict another
    thread grows meanwhile) is left out of that scrape, the rest is rendered."""
    from centreon_canopsis.core.metrics import Metrics

    metrics = Metrics()
    metrics.set("backpressure", 1)
    metrics.gauge_function("outbox_items", lambda: [((("lane", "event"),), 7)])

    def broken() -> list:
        raise RuntimeError("dictionary changed size during iteration")

    metrics.gauge_function("sender_up", broken)
    with caplog.at_level(logging.ERROR, "centreon_canopsis.core.metrics"):
        text = metrics.render()
    assert "centreon_canopsis_backpressure 1\n" in text
    assert 'centreon_canopsis_outbox_items{lane="event"} 7\n' in text
    assert "centreon_canopsis_sender_up{" not in text
    assert [r.getMessage() for r in caplog.records] == [
        "metric sender_up left out of this scrape: RuntimeError: dictionary changed size during iteration"
    ]
