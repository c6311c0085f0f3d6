"""pytest plugin (entry point ``pytest11``): fixtures for testing connector plugins.

Installed with the connector, it gives any test suite the stand-ins the connector's own tests use:

- ``canopsis_sandbox``: a running Canopsis API v4 stand-in (alarms resolve at once);
  ``make_canopsis_sandbox(**options)`` for another version or options;
- ``simulated_broker``: a factory of seeded Broker event streams (``SimulatedBroker``);
- ``connector``: a factory of pipelines wired to the sandbox, with a temporary state directory,
  extra plugins registered by object, and a ``send(events)`` that waits for delivery.

See docs/plugins.md, "Testing a plugin".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest


class ConnectorHarness:
    """One pipeline wired to a sandbox. ``send`` processes events and waits until delivered."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        self.context = pipeline.context
        pipeline.start()

    def send(self, events: Iterable[dict[str, Any]], timeout: float = 10.0) -> None:
        from centreon_canopsis.core.sources.base import Batch

        self.pipeline.process_batch(Batch([dict(event) for event in events], origin="test"))
        if not self.pipeline.drain(timeout):
            raise AssertionError(
                f"not delivered within {timeout}s: {self.pipeline.outbox.depth()} payloads wait"
            )

    def dropped(self, reason: str) -> int:
        """How many events were dropped for ``reason`` (a parameter name, ``no_transform``...)."""
        return int(self.context.metrics.value("events_dropped_total", reason=reason))

    def dead_letters(self) -> list[dict[str, Any]]:
        from centreon_canopsis.core import deadletters

        connection = self.pipeline.store.connect()
        try:
            letters = deadletters.select(connection, deadletters.Filters())
        finally:
            connection.close()
        return [{"stage": d.stage, "route": d.route, "key": d.key, "reason": d.reason} for d in letters]

    def close(self) -> None:
        self.pipeline.close(5)


@pytest.fixture
def make_canopsis_sandbox() -> Iterator[Any]:
    """A factory: ``make_canopsis_sandbox(canopsis_version="22.10")`` -> a started Sandbox."""
    from centreon_canopsis.standins.canopsis import Sandbox

    started: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("resolve_delay", 0)
        options.setdefault("seed", 0)
        sandbox = Sandbox(**options).start()
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def canopsis_sandbox(make_canopsis_sandbox: Any) -> Any:
    """A running Canopsis stand-in (24.04, alarms resolved as soon as they are OK)."""
    return make_canopsis_sandbox()


@pytest.fixture
def simulated_broker() -> Any:
    """A factory of simulated Broker streams: ``simulated_broker(seed=1, hosts=5).events()``."""
    from centreon_canopsis.standins.broker import SimulatedBroker

    def make(**options: Any) -> Any:
        options.setdefault("start", 1_700_000_000)
        return SimulatedBroker(**options)

    return make


@pytest.fixture
def connector(canopsis_sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A factory of pipelines delivering to ``canopsis_sandbox``.

    ``connector(plugins=[MyPlugin()], accepted_elements="...,comment")``: keyword arguments are
    configuration parameters; ``plugins`` are registered after the installed ones (so they are
    asked first), ``sandbox`` targets another sandbox, ``plugins_table`` is the ``[plugins]``
    table (``{"load": [...], "<name>": {settings}}``).
    """
    from centreon_canopsis.core.config import from_mapping
    from centreon_canopsis.core.pipeline import Pipeline, build_context
    from centreon_canopsis.core.plugin_manager import PluginManager

    harnesses: list[ConnectorHarness] = []

    def make(
        plugins: Iterable[object] = (),
        sandbox: Any = None,
        plugins_table: dict[str, Any] | None = None,
        **settings: Any,
    ) -> ConnectorHarness:
        target = sandbox or canopsis_sandbox
        raw = {
            **target.connector_settings(),
            "state_dir": str(tmp_path_factory.mktemp("connector-state")),
            "delivery": {"retry_initial_delay": 0.05, "retry_max_delay": 0.5},
            "metrics": {"enabled": False},
            **settings,
        }
        if plugins_table is not None:
            raw["plugins"] = plugins_table
        config = from_mapping(raw, env={})
        manager = PluginManager()
        manager.load(disabled=config.plugins.get("disable", ()), extra=config.plugins.get("load", ()))
        for index, plugin in enumerate(plugins):
            manager.register(plugin, name=f"test_plugin_{index}_{type(plugin).__name__}")
        harness = ConnectorHarness(Pipeline(config, build_context(config, manager)))
        harnesses.append(harness)
        return harness

    yield make
    for harness in harnesses:
        harness.close()
