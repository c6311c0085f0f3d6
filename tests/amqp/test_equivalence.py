"""Every payload kind reaches Canopsis through RabbitMQ as it does through the HTTP API."""

from __future__ import annotations

from tests.amqp.helpers import amqp_pipeline, amqp_sandbox, process, wait_until, without_user_fields
from tests.support import events as ev
from tests.support.config import make_config
from tests.support.pipeline import Pipeline

NO_FILTERS = {"hard_only": 0, "enable_service_status_dedup": 0, "enable_host_status_dedup": 0}


def stream() -> list[dict]:
    """Host and service checks (problem, recovery), an acknowledgement and its removal."""
    return [
        *ev.v3_configuration(),
        ev.v3_host_status(state=1, last_check=1_700_000_100),
        ev.v3_service_status(state=2, last_check=1_700_000_200),
        ev.v3_ack(service=True),
        ev.v3_ack(service=True, deletion_time=1_700_000_400),
        ev.v3_service_status(state=1, last_check=1_700_000_500, output="WARNING - loss 40%"),
        ev.v3_host_status(state=0, last_check=1_700_000_600, output="UP"),
        ev.v3_service_status(state=0, last_check=1_700_000_700, output="OK - loss 0%"),
    ]


def test_every_payload_kind_arrives_as_over_http(tmp_path, broker, amqp_url):
    from centreon_canopsis.standins.canopsis import Sandbox
    from tests.support.config import AUTHKEY

    # Over HTTP.
    with Sandbox(authkey=AUTHKEY, resolve_delay=0, seed=1) as http_sandbox:
        pipeline = Pipeline(make_config(tmp_path / "http", http_sandbox.port, **NO_FILTERS))
        pipeline.start()
        try:
            process(pipeline, stream())
            assert pipeline.drain(10)
        finally:
            pipeline.close(5)
        over_http = http_sandbox.published_events()
        http_alarms = http_sandbox.alarms(opened=None)

    # Over AMQP.
    sandbox = amqp_sandbox(amqp_url, broker.exchange, broker.queue_name("fifo"))
    try:
        pipeline = amqp_pipeline(tmp_path, sandbox, amqp_url, broker.exchange, **NO_FILTERS)
        try:
            process(pipeline, stream())
            assert pipeline.drain(20)
        finally:
            pipeline.close(5)
        wait_until(lambda: len(sandbox.published_events()) >= len(over_http), 20, "the AMQP events")
        over_amqp = sandbox.published_events()
        amqp_alarms = sandbox.alarms(opened=None)
        deliveries = list(sandbox.amqp.deliveries)
    finally:
        sandbox.stop()

    assert len(over_http) == 7
    assert {event["event_type"] for event in over_http} == {"check", "ack", "ackremove"}
    # What the API adds from its authenticated user aside, byte for byte the same events.
    assert without_user_fields(over_amqp) == without_user_fields(over_http)

    # The same alarms (ids are the sandbox's, seeded alike).
    def shape(alarms):
        return sorted(
            (a["entity"]["_id"], a["v"]["state"]["val"], a["v"]["status"]["val"], "ack" in a["v"])
            for a in alarms
        )

    assert shape(amqp_alarms) == shape(http_alarms)
    # As Canopsis documents it: JSON, persistent, the documented routing key.
    assert {d["content_type"] for d in deliveries} == {"application/json"}
    assert {d["delivery_mode"] for d in deliveries} == {2}
    first = over_amqp[0]
    assert deliveries[0]["routing_key"] == (
        f"{first['connector']}.{first['connector_name']}.check.component.{first['component']}"
    )
    assert deliveries[1]["routing_key"].endswith(
        f".check.resource.{over_amqp[1]['component']}.{over_amqp[1]['resource']}"
    )


def test_the_sandbox_api_can_publish_to_rabbitmq_as_canopsis_does(tmp_path, broker, amqp_url):
    """``amqp_publish``: the HTTP path goes API -> RabbitMQ -> engine-fifo, like Canopsis's."""
    from centreon_canopsis.standins.canopsis import Sandbox
    from tests.support.config import AUTHKEY

    sandbox = Sandbox(
        authkey=AUTHKEY,
        resolve_delay=0,
        seed=1,
        amqp_url=amqp_url,
        amqp_exchange=broker.exchange,
        amqp_queue=broker.queue_name("fifo"),
        amqp_publish=True,
    ).start()
    try:
        assert sandbox.amqp.connected.wait(20)
        pipeline = Pipeline(make_config(tmp_path / "http", sandbox.port, **NO_FILTERS))
        pipeline.start()
        try:
            process(pipeline, stream())
            assert pipeline.drain(10)
        finally:
            pipeline.close(5)
        wait_until(
            lambda: sandbox.summary()["counters"].get("amqp_messages", 0) >= 7, 20, "the consumed events"
        )
        deliveries = list(sandbox.amqp.deliveries)
        assert [d["routing_key"] for d in deliveries] == [""] * 7  # as the API publishes
        assert len(sandbox.published_events()) == 7  # journaled once
        assert {a["entity"]["_id"] for a in sandbox.alarms(opened=None)}
    finally:
        sandbox.stop()
