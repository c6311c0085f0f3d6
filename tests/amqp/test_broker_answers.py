"""What RabbitMQ answers besides a confirm: nacks, returned (unroutable) messages, and what is
refused before publishing."""

from __future__ import annotations

import time

from centreon_canopsis.core import deadletters
from tests.amqp.helpers import amqp_pipeline, amqp_sandbox, process, wait_until
from tests.delivery.helpers import NO_FILTERS, configuration, seqs, statuses
from tests.support import events as ev


def dead_letters(pipeline) -> list:
    connection = pipeline.store.connect()
    try:
        return deadletters.select(connection, deadletters.Filters())
    finally:
        connection.close()


def confirms(pipeline, outcome: str) -> float:
    return pipeline.context.metrics.value("amqp_confirms_total", outcome=outcome)


def drained_into(pipeline, sandbox, count: int) -> None:
    """The outbox drains into ``sandbox``, which gets events 0 to ``count`` - 1; then it stops."""
    try:
        assert pipeline.drain(60)
        wait_until(lambda: set(seqs(sandbox.published_events())) >= set(range(count)), 30, "every event")
    finally:
        sandbox.stop()


def test_nacked_messages_wait_and_are_sent_again(tmp_path, broker, amqp_url):
    sandbox = amqp_sandbox(amqp_url, broker.exchange, broker.queue_name("fifo"))
    # A full queue that rejects what would overflow it: RabbitMQ nacks those messages.
    full = broker.declare_queue("full", **{"x-max-length": 1, "x-overflow": "reject-publish"})
    try:
        pipeline = amqp_pipeline(tmp_path, sandbox, amqp_url, broker.exchange, **NO_FILTERS)
        try:
            process(pipeline, configuration())
            process(pipeline, statuses(20))
            wait_until(lambda: confirms(pipeline, "nacked") >= 19, 30, "the nacks")
            assert pipeline.outbox.depth() > 0  # nacked: still in the outbox
            assert dead_letters(pipeline) == []
            broker.cleanup_queue(full)
            assert pipeline.drain(60)
        finally:
            pipeline.close(5)
        assert confirms(pipeline, "confirmed") >= 20
        wait_until(lambda: set(seqs(sandbox.published_events())) >= set(range(20)), 30, "every event")
    finally:
        sandbox.stop()


def test_unroutable_messages_wait_for_a_queue(tmp_path, broker, amqp_url):
    """Nobody bound to the exchange (engine-fifo's queue missing): returned, kept, never dropped."""
    from centreon_canopsis.standins.canopsis import Sandbox
    from tests.support.config import AUTHKEY

    with Sandbox(authkey=AUTHKEY, resolve_delay=0) as http_only:
        pipeline = amqp_pipeline(
            tmp_path,
            http_only,
            amqp_url,
            broker.exchange,
            delivery={"failed_event_attempts": 2},
            **NO_FILTERS,
        )
        try:
            process(pipeline, configuration())
            process(pipeline, statuses(10))
            wait_until(lambda: confirms(pipeline, "returned") >= 30, 30, "three rounds of returns")
            assert pipeline.outbox.depth() == 10
            assert dead_letters(pipeline) == []  # more attempts than failed_event_attempts: kept
            state = pipeline.delivery.lane_states["events"]
            assert "returned by RabbitMQ: 312 NO_ROUTE" in state.last_error
            drained_into(pipeline, amqp_sandbox(amqp_url, broker.exchange, broker.queue_name("fifo")), 10)
        finally:
            pipeline.close(5)


def test_a_message_its_routing_key_sends_nowhere_is_dead_lettered(tmp_path, broker, amqp_url):
    """Only service checks are bound: a host check in the same batch comes back, alone; it is
    refused for its routing key and dead-lettered after ``failed_event_attempts``."""
    queue = broker.queue_name("fifo")
    sandbox = amqp_sandbox(amqp_url, broker.exchange, queue)
    try:
        # The sandbox bound '#'; rebind its queue to service checks only.
        broker.unbind(queue, "#")
        broker.bind(queue, "*.*.check.resource.#")
        pipeline = amqp_pipeline(
            tmp_path, sandbox, amqp_url, broker.exchange, delivery={"failed_event_attempts": 2}, **NO_FILTERS
        )
        try:
            process(pipeline, configuration())
            process(pipeline, [ev.v3_host_status(state=1), *statuses(5)])
            assert pipeline.drain(30)
            letters = dead_letters(pipeline)
        finally:
            pipeline.close(5)
        assert len(letters) == 1
        assert letters[0].reason.startswith("returned by RabbitMQ: 312 NO_ROUTE")
        assert ".check.component." in letters[0].reason
        wait_until(lambda: set(seqs(sandbox.published_events())) >= set(range(5)), 30, "the service checks")
    finally:
        sandbox.stop()


def test_a_routing_key_over_255_bytes_is_refused_with_the_reason(tmp_path, broker, amqp_url):
    sandbox = amqp_sandbox(amqp_url, broker.exchange, broker.queue_name("fifo"))
    try:
        pipeline = amqp_pipeline(
            tmp_path,
            sandbox,
            amqp_url,
            broker.exchange,
            amqp={"routing_key": "{connector}.{output}"},
            **NO_FILTERS,
        )
        try:
            process(pipeline, configuration())
            process(pipeline, [*statuses(2), ev.v3_service_status(output="x" * 300)])
            assert pipeline.drain(30)
            letters = dead_letters(pipeline)
        finally:
            pipeline.close(5)
        assert len(letters) == 1
        assert "routing key of" in letters[0].reason and "AMQP allows 255" in letters[0].reason
        time.sleep(0.2)
        wait_until(lambda: set(seqs(sandbox.published_events())) >= {0, 1}, 30, "the other events")
    finally:
        sandbox.stop()


def test_a_missing_exchange_is_named_and_events_wait_for_it(tmp_path, broker, amqp_url):
    from centreon_canopsis.standins.canopsis import Sandbox
    from tests.support.config import AUTHKEY

    missing = f"{broker.exchange}.late"
    with Sandbox(authkey=AUTHKEY, resolve_delay=0) as http_only:
        config_amqp = {"url": amqp_url, "exchange": missing, "confirm_timeout": 10}
        from centreon_canopsis.core.pipeline import Pipeline
        from tests.support.config import make_config

        pipeline = Pipeline(make_config(tmp_path / "state", http_only.port, amqp=config_amqp, **NO_FILTERS))
        pipeline.start()
        try:
            publisher = pipeline.context.plugins.get_plugin("amqp_sender").publisher
            wait_until(lambda: "NOT_FOUND" in publisher.state.last_error, 20, "the missing exchange")
            assert f"no exchange '{missing}'" in publisher.state.last_error
            process(pipeline, configuration())
            process(pipeline, statuses(5))
            time.sleep(1)
            assert pipeline.outbox.depth() == 5
            assert dead_letters(pipeline) == []
            broker.declare_exchange(missing)
            original, broker.exchange = broker.exchange, missing
            sandbox = amqp_sandbox(amqp_url, missing, broker.queue_name("fifo"))
            broker.exchange = original
            drained_into(pipeline, sandbox, 5)
        finally:
            pipeline.close(5)
