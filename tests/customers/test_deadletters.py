"""A customer's dead letters are labelled (route ``<customer>/...``, or a reason starting with
``customer <name>:``) and found with ``deadletters list --customer``."""

from __future__ import annotations

import json
from pathlib import Path

from centreon_canopsis.core import config as config_module
from centreon_canopsis.core.cli import main
from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.core.pipeline import Pipeline, build_context
from centreon_canopsis.core.plugin_manager import PluginManager
from centreon_canopsis.core.sources.base import Batch
from centreon_canopsis.standins.canopsis import Sandbox
from tests.customers.helpers import REMOTE_HOST, central_check, configuration, remote_check


class BrokenForBeta:
    """A plugin with a bug that shows only with beta's events."""

    @hookimpl(tryfirst=True)
    def connector_transform(self, event, element, context):
        if context.customer == "beta":
            raise RuntimeError("bug")
        return None


def test_deadletters_of_one_customer(tmp_path: Path, capsys) -> None:
    with Sandbox(resolve_delay=0, seed=0) as sandbox:
        path = tmp_path / "connector.toml"
        path.write_text(
            f"""
canopsis_host = "127.0.0.1"
canopsis_port = {sandbox.port}
sending_protocol = "http"
canopsis_authkey = "{sandbox.authkey}"
state_dir = "{tmp_path / "state"}"
canopsis_downtime_send_pbh = 0

[delivery]
failed_event_attempts = 1
retry_initial_delay = 0.05

[metrics]
enabled = false

[[customers]]
name = "acme"
pollers = "Central"

[[customers]]
name = "beta"
pollers = "Remote"
"""
        )
        sandbox.fail_events({"component": "srv-web-01"})  # acme's check: refused for good
        config = config_module.load(path, env={})
        manager = PluginManager()
        manager.load()
        manager.register(BrokenForBeta(), name="broken_for_beta")
        pipeline = Pipeline(config, build_context(config, manager))
        pipeline.start()
        try:
            pipeline.process_batch(Batch([*configuration(), central_check(), remote_check()], origin="test"))
            assert pipeline.drain(20)
        finally:
            pipeline.close(5)
    for customer, expected in (
        ("acme", [("delivery", "acme/event")]),
        ("beta", [("pipeline", None)]),
    ):
        assert main(["deadletters", "list", "-c", str(path), "--json", "--customer", customer]) == 0
        letters = json.loads(capsys.readouterr().out)["dead_letters"]
        assert [(letter["stage"], letter["route"]) for letter in letters] == expected
    (beta,) = letters
    assert beta["reason"].startswith("customer beta: plugin broken_for_beta raised in connector_transform")
    assert str(REMOTE_HOST) in beta["key"]
