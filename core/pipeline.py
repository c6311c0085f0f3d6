"""One pipeline: plugins, name cache, dispatcher, outbox and senders, fed by one source.

``build_context`` does everything that can fail on a bad configuration (plugins, their settings,
``connector_configure``) without touching the state directory, so ``validate`` can use it.
:class:`Pipeline` then opens the state database, starts the senders and runs a source: each
batch is processed, committed in one transaction with the source's position, and only then
acknowledged to the source.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import jsonschema

from centreon_canopsis.core.cache import Cache
from centreon_canopsis.core.config import Config, ConfigError
from centreon_canopsis.core.context import Context
from centreon_canopsis.core.delivery import Delivery
from centreon_canopsis.core.dispatcher import Dispatcher
from centreon_canopsis.core.elements import default_registry
from centreon_canopsis.core.events import InvalidEvent, check_event
from centreon_canopsis.core.logsetup import notice
from centreon_canopsis.core.metrics import Metrics
from centreon_canopsis.core.outbox import Outbox
from centreon_canopsis.core.plugin_manager import PluginManager
from centreon_canopsis.core.sources.base import Batch, Source
from centreon_canopsis.core.store import Store

log = logging.getLogger(__name__)


def build_context(config: Config, plugins: PluginManager | None = None) -> Context:
    """Loads plugins, checks their settings and configures them. Raises ConfigError."""
    if plugins is None:
        plugins = PluginManager()
        settings = config.plugins
        plugins.load(disabled=settings.get("disable", ()), extra=settings.get("load", ()))
    errors = plugins.errors()
    registry = default_registry()
    for declared in plugins.hook.connector_elements():
        for element in declared or ():
            try:
                registry.add(element)
            except ValueError as error:
                errors.append(str(error))
    errors += _plugin_settings_errors(config, plugins)
    if errors:
        raise ConfigError(errors, config.path)
    context = Context(config=config, registry=registry, cache=Cache(), metrics=Metrics(), plugins=plugins)
    plugins.hook.connector_configure(config=config, context=context)
    return context


def _plugin_settings_errors(config: Config, plugins: PluginManager) -> list[str]:
    schemas: dict[str, Any] = {}
    for declared in plugins.hook.connector_config_schema():
        schemas.update(declared or {})
    errors = []
    for name, table in config.plugins.items():
        if name in ("disable", "load"):
            continue
        schema = schemas.get(name)
        if schema is None:
            errors.append(f"[plugins.{name}]: no loaded plugin declares settings named {name!r}")
            continue
        for error in jsonschema.Draft202012Validator(schema).iter_errors(table):
            where = ".".join(["plugins", name, *map(str, error.absolute_path)])
            errors.append(f"{where}: {error.message}")
    return errors


class Pipeline:
    """Runs sources through the stages into the outbox; senders deliver from there."""

    def __init__(self, config: Config, context: Context | None = None) -> None:
        self.config = config
        self.context = context or build_context(config)
        self.store = Store(config.state_dir, config.delivery["sqlite_synchronous"])
        connection = self.store.connect()
        try:
            self.context.cache.load(connection)
        finally:
            connection.close()
        self.outbox = Outbox(self.store, self.context.cache)
        self.dispatcher = Dispatcher(self.context, self.outbox)
        self.delivery = Delivery(self.context, self.outbox)
        self.context.state["outbox"] = self.outbox
        self._started = False
        self._closed = False
        self.invalid = 0
        self._source: Source | None = None
        self._metrics_init()

    def _metrics_init(self) -> None:
        metrics = self.context.metrics
        metrics.describe("events_total", "counter", "Events read from the source, by outcome.")
        metrics.describe("events_dropped_total", "counter", "Events dropped on purpose, by reason.")
        metrics.describe("events_invalid_total", "counter", "Input that was not a Broker event.")
        metrics.describe("deliveries_total", "counter", "Outbox items settled, by route and outcome.")
        metrics.describe("canopsis_responses_total", "counter", "Canopsis answers, by route and HTTP status.")
        metrics.describe("send_duration_seconds", "histogram", "Time of one request to Canopsis.")

    def start(self) -> None:
        """Calls ``connector_startup`` and starts the senders."""
        if not self._started:
            self._started = True
            self.context.plugins.hook.connector_startup(context=self.context)
            self.delivery.start()

    def process_batch(self, batch: Batch, source_name: str | None = None) -> None:
        """Processes, commits, then acknowledges one batch."""
        process = self.dispatcher.process
        labels = batch.labels
        for label, reason in batch.rejected:
            self._report_invalid(f"{batch.origin}:{label}", reason)
        for index, event in enumerate(batch.events):
            try:
                type_id = check_event(event)
            except InvalidEvent as error:
                self._invalid(batch, index, labels, str(error))
                continue
            process(event, type_id)
        self.outbox.commit(source_name, batch.position)
        self.dispatcher.flush_counts()
        self.delivery.ensure_senders()
        if batch.on_commit is not None:
            batch.on_commit()

    def _invalid(self, batch: Batch, index: int, labels: list[Any], reason: str) -> None:
        where = (
            f"{batch.origin}:{labels[index]}" if index < len(labels) else f"{batch.origin} event {index + 1}"
        )
        self._report_invalid(where, f"not a Broker event: {reason}")

    def _report_invalid(self, where: str, reason: str) -> None:
        self.invalid += 1
        self.context.metrics.inc("events_invalid_total")
        log.warning("%s: %s; skipped", where, reason)

    def run(self, source: Source, should_stop: Callable[[], bool] | None = None) -> None:
        """Reads ``source`` until it ends or is closed, committing batch by batch."""
        self.start()
        self._source = source
        resume = self.outbox.position(source.name)
        limit = int(self.config.delivery["max_outbox_events"])
        warned = False
        for batch in source.batches(resume):
            self.process_batch(batch, source.name)
            while self.outbox.depth() >= limit and not self.context.stopping.is_set():
                # Backpressure: stop reading; the source's peer keeps the rest (Broker retention).
                if not warned:
                    log.warning("outbox holds %d payloads (max_outbox_events): reading paused", limit)
                    warned = True
                self.outbox.wait_for_change(self.outbox.version, 0.5)
            warned = False
            if should_stop is not None and should_stop():
                break

    def request_stop(self) -> None:
        """Asks a running :meth:`run` to stop (safe from a signal handler or another thread)."""
        self.context.stopping.set()
        source = self._source
        if source is not None:
            threading.Thread(target=source.close, daemon=True).start()

    def drain(self, timeout: float | None = None) -> bool:
        return self.delivery.drain(timeout)

    def close(self, timeout: float | None = None) -> bool:
        """Stops the senders (a request in flight may finish) and the plugins. True if clean."""
        if self._closed:
            return True
        self._closed = True
        self.context.stopping.set()
        if timeout is None:
            timeout = float(self.config.delivery["shutdown_timeout"])
        started = time.monotonic()
        clean = self.delivery.stop(timeout)
        self.context.plugins.hook.connector_shutdown(context=self.context)
        self.outbox.close()
        self.store.close()
        notice(
            log,
            "stopped in %.1fs; %d payloads wait in the outbox",
            time.monotonic() - started,
            self.outbox.depth(),
        )
        return clean
