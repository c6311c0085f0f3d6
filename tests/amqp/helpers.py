"""Pipelines and sandboxes wired through a real RabbitMQ (see conftest.py)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.base import Batch
from centreon_canopsis.standins.canopsis import Sandbox
from tests.delivery.helpers import wait_until
from tests.support.config import AUTHKEY, make_config

__all__ = ["amqp_pipeline", "amqp_sandbox", "process", "wait_until", "without_user_fields"]

#: Fields the HTTP API adds from the authenticated user; over AMQP there is no user.
USER_FIELDS = ("author", "user_id", "role")


def amqp_sandbox(url: str, exchange: str, queue: str) -> Sandbox:
    """A sandbox that consumes ``exchange`` through ``queue`` (and serves HTTP for pbehaviors)."""
    sandbox = Sandbox(
        authkey=AUTHKEY,
        resolve_delay=0,
        journal_maxlen=1_000_000,
        seed=1,
        amqp_url=url,
        amqp_exchange=exchange,
        amqp_queue=queue,
    ).start()
    assert sandbox.amqp is not None
    assert sandbox.amqp.connected.wait(20), "the sandbox did not connect to RabbitMQ"
    return sandbox


def amqp_pipeline(
    tmp_path: Path,
    sandbox: Sandbox,
    url: str,
    exchange: str,
    amqp: dict[str, Any] | None = None,
    **settings: Any,
) -> Pipeline:
    # coalesce_backlog 0: these tests count every event (catch-up drops superseded checks).
    settings["delivery"] = {"coalesce_backlog": 0, **settings.get("delivery", {})}
    config = make_config(
        tmp_path / "state",
        sandbox.port,
        amqp={"url": url, "exchange": exchange, "confirm_timeout": 10, **(amqp or {})},
        **settings,
    )
    pipeline = Pipeline(config)
    pipeline.start()
    publisher = pipeline.context.plugins.get_plugin("amqp_sender").publisher
    assert publisher is not None and publisher.wait_connected(20), "the connector did not connect to RabbitMQ"
    return pipeline


def process(pipeline: Pipeline, events: Iterable[dict[str, Any]]) -> None:
    pipeline.process_batch(Batch([dict(event) for event in events], origin="test"))


def without_user_fields(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in event.items() if key not in USER_FIELDS} for event in events]
