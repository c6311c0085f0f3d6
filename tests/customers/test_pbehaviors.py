"""Downtimes of a customer's host become pbehaviors in that customer's Canopsis, with the reason
and type looked up there (its own names), on its own pbehavior lane."""

from __future__ import annotations

from pathlib import Path

from centreon_canopsis.core.config import from_mapping
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.base import Batch
from centreon_canopsis.standins.canopsis import Sandbox
from tests.customers.helpers import configuration
from tests.downtime.helpers import Downtime


def test_pbehaviors_go_to_the_customer_canopsis_with_its_reason(tmp_path: Path) -> None:
    with Sandbox(resolve_delay=0, seed=0) as top, Sandbox(resolve_delay=0, seed=1) as acme:
        settings = acme.connector_settings()
        raw = {
            **top.connector_settings(),
            "state_dir": str(tmp_path / "state"),
            "metrics": {"enabled": False},
            "delivery": {"retry_initial_delay": 0.05, "retry_max_delay": 0.3},
            "customers": [
                {
                    "name": "acme",
                    "pollers": "Central",
                    "canopsis_host": settings["canopsis_host"],
                    "canopsis_port": settings["canopsis_port"],
                    "sending_protocol": "http",
                    "canopsis_downtime_reason_name": "Acme maintenance",
                }
            ],
        }
        pipeline = Pipeline(from_mapping(raw, env={"CANOPSIS_AUTHKEY_ACME": acme.authkey}))
        pipeline.start()
        downtime = Downtime(bbdo=3, service=True)
        try:
            pipeline.process_batch(Batch([*configuration(), downtime.add(), downtime.start()], origin="test"))
            assert pipeline.drain(20)
            assert "acme/pbehaviors" in pipeline.outbox.lanes()
        finally:
            pipeline.close(5)
        (pbehavior,) = acme.pbehaviors()
        assert pbehavior["name"] == downtime.pbehavior_id
        assert pbehavior["reason"]["_id"] == acme.reason_id("Acme maintenance")
        assert pbehavior["type"]["_id"] == acme.type_id("Default maintenance")
        assert top.pbehaviors() == []
        assert [reason["name"] for reason in top.reasons()].count("Acme maintenance") == 0
