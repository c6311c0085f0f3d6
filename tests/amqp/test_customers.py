"""A customer whose events go into its own RabbitMQ ([customers.amqp]) while the others keep the
HTTP API: each customer's destination, AMQP included (tests/amqp/conftest.py gives RabbitMQ)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("centreon_canopsis.plugins.builtin.canopsis.amqp_sender")

from centreon_canopsis.core.config import from_mapping
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.base import Batch
from centreon_canopsis.standins.canopsis import Sandbox
from tests.customers.helpers import central_check, configuration, remote_check


def test_a_customer_delivers_through_its_rabbitmq(tmp_path: Path, amqp_url: str, broker) -> None:
    from tests.amqp.helpers import amqp_sandbox, wait_until

    queue = broker.queue_name("acme")
    acme = amqp_sandbox(amqp_url, broker.exchange, queue)
    top = Sandbox(resolve_delay=0, seed=2).start()
    try:
        raw = {
            **top.connector_settings(),
            "state_dir": str(tmp_path / "state"),
            "canopsis_downtime_send_pbh": 0,
            "metrics": {"enabled": False},
            "customers": [
                {
                    "name": "acme",
                    "pollers": "Central",
                    "canopsis_port": acme.port,
                    "amqp": {"url": amqp_url, "exchange": broker.exchange, "confirm_timeout": 10},
                }
            ],
        }
        config = from_mapping(raw, env={"CANOPSIS_AUTHKEY_ACME": acme.authkey})
        acme_settings = config.customers[0]["settings"]["amqp"]
        assert ":" not in acme_settings["url"].split("//", 1)[1].split("@")[0]  # no password in the URL
        assert str(acme_settings["password"]) == "******"  # taken out of the URL, masked
        pipeline = Pipeline(config)
        pipeline.start()
        scope = pipeline.context.customers.scopes["acme"]
        publisher = scope.context.plugins.get_plugin("amqp_sender").publisher
        assert publisher is not None and publisher.wait_connected(20)
        assert pipeline.context.plugins.get_plugin("amqp_sender").publisher is None  # top level: HTTP
        try:
            pipeline.process_batch(Batch([*configuration(), central_check(), remote_check()], origin="test"))
            assert pipeline.drain(30)
            # Its RabbitMQ connection, labelled by customer; readiness asks it too.
            assert pipeline.context.metrics.series("amqp_connected") == {(("customer", "acme"),): 1}
            assert "amqp (acme)" in pipeline.context.state["readiness"]
        finally:
            pipeline.close(5)
        wait_until(lambda: acme.published_events(), 20, "acme's event through RabbitMQ")
        (through_amqp,) = [e for e in acme.published_events() if e.get("event_type") == "check"]
        assert acme.received_events() == []  # nothing of acme's came through its HTTP API
        (through_http,) = [e for e in top.received_events() if e.get("event_type") == "check"]
        assert through_amqp["component"] == "srv-web-01"
        assert through_http["component"] == "db-remote-01"
        metrics = pipeline.context.metrics
        assert metrics.value("payloads_delivered_total", route="acme/event") == 1
    finally:
        acme.stop()
        top.stop()


def test_the_top_level_rabbitmq_password_stays_home(tmp_path: Path) -> None:
    from centreon_canopsis.core.customers import customer_config

    top = {"url": "amqp://canopsis@rabbit.msp:5672/canopsis", "password": "top-rabbit-pw-1q2w"}
    raw = {
        "canopsis_host": "canopsis.msp",
        "canopsis_authkey": "k",
        "state_dir": str(tmp_path),
        "amqp": top,
        "customers": [
            {"name": "same", "pollers": "A", "amqp": {"exchange": "other.events"}},
            {"name": "elsewhere", "pollers": "B", "amqp": {"url": "amqp://acme@rabbit.acme:5672/canopsis"}},
            {"name": "own", "pollers": "C", "amqp": {"url": "amqp://own@rabbit.own:5672/canopsis"}},
        ],
    }
    config = from_mapping(raw, env={"CANOPSIS_AMQP_PASSWORD_OWN": "own-rabbit-pw-3e4r"})
    passwords = {
        customer["name"]: customer_config(config, customer).amqp["password"].reveal()
        for customer in config.customers
    }
    assert passwords == {"same": "top-rabbit-pw-1q2w", "elsewhere": "", "own": "own-rabbit-pw-3e4r"}
    assert "rabbit-pw" not in str(config.as_dict())
