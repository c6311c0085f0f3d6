"""Outages of RabbitMQ mid-stream: nothing lost, duplicates bounded by what was unconfirmed."""

from __future__ import annotations

import threading
import time

import pytest

from centreon_canopsis.core.health import readiness
from tests.amqp.conftest import rabbitmqctl
from tests.amqp.helpers import amqp_pipeline, amqp_sandbox, process, wait_until
from tests.delivery.helpers import NO_FILTERS, configuration, duplicates, seqs, statuses

COUNT = 20_000
CHUNK = 200


def feed(pipeline, count: int, pause: float = 0.03) -> threading.Thread:
    """Processes the numbered statuses in chunks, in a thread, like a source would."""

    def run() -> None:
        for start in range(0, count, CHUNK):
            process(pipeline, statuses(CHUNK, start))
            time.sleep(pause)

    process(pipeline, configuration())
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def unconfirmed(pipeline) -> int:
    metrics = pipeline.context.metrics
    return int(
        metrics.value("amqp_unconfirmed_total", cause="connection_lost")
        + metrics.value("amqp_unconfirmed_total", cause="timeout")
    )


def run_through(tmp_path, broker, amqp_url, outage) -> None:
    sandbox = amqp_sandbox(amqp_url, broker.exchange, broker.queue_name("fifo"))
    try:
        pipeline = amqp_pipeline(tmp_path, sandbox, amqp_url, broker.exchange, **NO_FILTERS)
        try:
            feeder = feed(pipeline, COUNT)
            wait_until(
                lambda: len(seqs(sandbox.published_events())) > COUNT // 5, 60, "a fifth of the stream"
            )
            assert feeder.is_alive(), "the stream ended before the outage: make it longer"
            outage(pipeline)
            feeder.join(120)
            assert pipeline.drain(120), f"{pipeline.outbox.depth()} payloads still wait"
            lost_in_flight = unconfirmed(pipeline)
        finally:
            pipeline.close(5)
        wait_until(lambda: set(seqs(sandbox.published_events())) >= set(range(COUNT)), 60, "every event")
        received = seqs(sandbox.published_events())
        redelivered = sandbox.amqp.redelivered
    finally:
        sandbox.stop()
    assert set(received) == set(range(COUNT)), "events were lost"
    # Sent twice by the connector: at most what was unconfirmed; applied twice by the consumer:
    # what RabbitMQ redelivered to it (applied, not yet acknowledged when the broker stopped).
    assert duplicates(received) <= lost_in_flight + redelivered, (
        duplicates(received),
        lost_in_flight,
        redelivered,
    )


def test_connections_closed_by_rabbitmq_mid_stream(tmp_path, broker, amqp_url):
    def outage(pipeline):
        rabbitmqctl("close_all_connections", "test: connections closed mid-stream")

    run_through(tmp_path, broker, amqp_url, outage)


def test_rabbitmq_stopped_and_started_mid_stream(tmp_path, broker, amqp_url):
    def outage(pipeline):
        rabbitmqctl("stop_app")
        try:
            time.sleep(2)
            publisher = pipeline.context.plugins.get_plugin("amqp_sender").publisher
            assert not publisher.state.connected
        finally:
            rabbitmqctl("start_app")
            rabbitmqctl("await_startup")

    run_through(tmp_path, broker, amqp_url, outage)


@pytest.fixture
def memory_alarm():
    """Sets RabbitMQ's memory high watermark so low that it blocks publishers; puts it back."""
    state = {"on": False}

    def on() -> None:
        rabbitmqctl("set_vm_memory_high_watermark", "0.0000001")
        state["on"] = True

    def off() -> None:
        rabbitmqctl("set_vm_memory_high_watermark", "0.4")
        state["on"] = False

    yield on, off
    if state["on"]:
        off()


def test_a_blocked_connection_is_backpressure_in_readyz_and_metrics(tmp_path, broker, amqp_url, memory_alarm):
    on, off = memory_alarm
    sandbox = amqp_sandbox(amqp_url, broker.exchange, broker.queue_name("fifo"))
    try:
        # A short confirm_timeout: the batch caught by the alarm gives up waiting, later ones are
        # refused at once while the connection is blocked.
        pipeline = amqp_pipeline(
            tmp_path, sandbox, amqp_url, broker.exchange, amqp={"confirm_timeout": 1}, **NO_FILTERS
        )
        pipeline.started_at = time.time()
        try:
            process(pipeline, configuration())
            process(pipeline, statuses(10))
            assert pipeline.drain(20)
            on()
            publisher = pipeline.context.plugins.get_plugin("amqp_sender").publisher
            # RabbitMQ tells a connection it blocks it when it publishes.
            process(pipeline, statuses(50, 10))
            wait_until(lambda: publisher.state.blocked, 30, "connection.blocked")
            process(pipeline, statuses(40, 60))  # refused at once while blocked: they wait
            wait_until(
                lambda: pipeline.context.metrics.value("payloads_retried_total", route="event") >= 90,
                30,
                "the blocked batches to be retried",
            )
            assert pipeline.context.metrics.value("amqp_blocked") == 1
            state = readiness(pipeline, stall=120)
            assert "blocked by RabbitMQ" in state.checks["amqp"].detail
            assert state.checks["amqp"].ok  # backpressure, not yet a failure
            assert not readiness(pipeline, stall=0, now=time.time() + 1).checks["amqp"].ok
            assert "amqp_blocked 1" in pipeline.context.metrics.render()
            assert pipeline.outbox.depth() > 0
            off()
            wait_until(lambda: not publisher.state.blocked, 30, "connection.unblocked")
            assert pipeline.drain(60)
            assert pipeline.context.metrics.value("amqp_blocked") == 0
        finally:
            pipeline.close(5)
        wait_until(lambda: set(seqs(sandbox.published_events())) >= set(range(100)), 30, "every event")
    finally:
        sandbox.stop()
