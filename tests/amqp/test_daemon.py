"""``centreon-canopsis run`` with ``[amqp]``: a stream through RabbitMQ, seen from /metrics and /readyz."""

from __future__ import annotations

import orjson

from tests.amqp.helpers import amqp_sandbox, wait_until
from tests.delivery.helpers import Daemon, seqs, write_config, write_stream


def test_run_delivers_through_rabbitmq_and_reports_it(tmp_path, broker, amqp_url):
    sandbox = amqp_sandbox(amqp_url, broker.exchange, broker.queue_name("fifo"))
    try:
        stream = write_stream(tmp_path / "events.jsonl", 500)
        config = write_config(
            tmp_path, sandbox.port, stream, amqp={"url": amqp_url, "exchange": broker.exchange}
        )
        with Daemon(config) as daemon:
            wait_until(lambda: set(seqs(sandbox.published_events())) >= set(range(500)), 60, "every event")
            wait_until(lambda: daemon.metric("amqp_connected") == 1, 10, "amqp_connected 1")
            # RabbitMQ may hand a message to the consumer before it confirms it to the publisher.
            wait_until(
                lambda: daemon.metric("amqp_confirms_total", outcome="confirmed") >= 500, 30, "the confirms"
            )
            assert daemon.metric("amqp_blocked") == 0
            status, body = daemon.get("/readyz")
            checks = orjson.loads(body)["checks"]
            assert status == 200, checks
            assert checks["amqp"]["ok"] and checks["amqp"]["detail"].startswith("connected for")
            code = daemon.stop()
            assert code == 0, daemon.log()
            log = daemon.log()
        assert "publisher confirms on" in log
        password = amqp_url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
        assert password not in log
        assert sandbox.summary()["counters"].get("events_received", 0) == 0  # nothing over HTTP
    finally:
        sandbox.stop()
