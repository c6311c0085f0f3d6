"""SIGHUP: reopen the log file and swap in the configuration file as it is now, if it is valid.

The signal handler only sets a flag. A thread of its own then reads and validates the file and
builds the new plugins (everything that can fail, with no effect on the running pipeline); an
invalid file is logged and the daemon keeps running on the one it has. A valid one is handed to
the pipeline, which swaps it in from its own loop between two batches (:meth:`Pipeline.reconfigure`):
no event is half processed, the outbox and the source stay open, and the senders take their next
batch with the new plugins. The old plugins are shut down once their sends in flight are over.

What a reload cannot change (the source, the state directory, the metrics endpoint) is kept as
it runs, and the log says that these changes need a restart.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from centreon_canopsis.core import config as config_module
from centreon_canopsis.core.config import Config, ConfigError
from centreon_canopsis.core.context import Context
from centreon_canopsis.core.logsafe import reset_limits
from centreon_canopsis.core.logsetup import notice, setup_logging
from centreon_canopsis.core.pipeline import build_context
from centreon_canopsis.core.secrets import REDACTOR

if TYPE_CHECKING:
    from centreon_canopsis.core.delivery import Delivery
    from centreon_canopsis.core.pipeline import Pipeline

log = logging.getLogger(__name__)

#: Settings a running daemon cannot take without a restart (its source, its state, its endpoint).
RESTART_ONLY = ("source", "state_dir", "metrics")
#: Longest wait for the old plugins' sends in flight before they are shut down anyway.
OLD_SENDS_TIMEOUT = 120.0


#: Settings inside a table that need a restart too: which processes the daemon runs.
RESTART_ONLY_IN = (("delivery", "process"),)


def restart_only_changes(old: Config, new: Config) -> list[str]:
    """Names of what changed and needs a restart: ``source``, or ``delivery.process``."""
    changed = [name for name in RESTART_ONLY if old.get(name) != new.get(name)]
    for table, key in RESTART_ONLY_IN:
        if (old.get(table) or {}).get(key) != (new.get(table) or {}).get(key):
            changed.append(f"{table}.{key}")
    return changed


def keep_running_values(old: Config, new: Config, kept: list[str]) -> Config:
    """``new`` with the running values of ``kept`` (from :func:`restart_only_changes`)."""
    changes: dict[str, Any] = {}
    for name in kept:
        table, _, key = name.partition(".")
        if key:
            changes[table] = {
                **(changes.get(table) or new.get(table) or {}),
                key: (old.get(table) or {}).get(key),
            }
        else:
            changes[name] = old.get(name)
    return new.replace(**changes)


def shown_setting(name: str) -> str:
    """``[source]``, ``state_dir``, ``[delivery] process``: as the file writes them."""
    table, _, key = name.partition(".")
    if key:
        return f"[{table}] {key}"
    return name if name == "state_dir" else f"[{name}]"


def start_context(config: Config, running: Context) -> Context:
    """``config``'s plugins, configured and started beside ``running``'s, whose name cache and
    metrics they keep. Raises ConfigError."""
    context = build_context(config, cache=running.cache, metrics=running.metrics)
    context.plugins.hook.connector_startup(context=context)
    return context


def retire(delivery: Delivery, old: Context, generation: int) -> None:
    """The old plugins finish what they have in flight (``generation``'s sends), then stop
    (their threads, sessions)."""
    delivery.wait_for_sends(generation, OLD_SENDS_TIMEOUT)
    old.stopping.set()
    old.plugins.hook.connector_shutdown(context=old)


class Reloader:
    def __init__(
        self,
        pipeline: Pipeline,
        path: str,
        *,
        on_reloading: Callable[[], None] | None = None,
        on_done: Callable[[bool], None] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.path = path
        self.on_reloading = on_reloading
        #: Called with True once a new configuration is swapped in, False when one was refused.
        self.on_done = on_done
        self.reloads = 0
        self.refused = 0
        self._requested = threading.Event()
        self._closing = threading.Event()
        self._prepared: Context | None = None
        self._swapped = threading.Event()
        self._old: Context | None = None
        self._old_generation = 0
        self._thread = threading.Thread(target=self._loop, name="reload", daemon=True)
        for result in ("applied", "refused"):
            pipeline.context.metrics.inc("reloads_total", 0, result=result)

    def start(self) -> None:
        self._thread.start()

    def request(self) -> None:
        """From the SIGHUP handler: nothing but setting a flag."""
        self._requested.set()

    def close(self) -> None:
        self._closing.set()
        self._requested.set()
        self._swapped.set()

    def tick(self) -> None:
        """From the pipeline's loop, between two batches: swaps in a prepared configuration."""
        context = self._prepared
        if context is None:
            return
        self._prepared = None
        self._old, self._old_generation = self.pipeline.reconfigure(context)
        self._swapped.set()

    # -- the reload thread -----------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            self._requested.wait()
            if self._closing.is_set():
                return
            self._requested.clear()
            try:
                self._reload()
            except Exception:  # a reload must never take the daemon down
                log.exception("reload failed; still running on the previous configuration")
                self._done(False)

    def _reload(self) -> None:
        pipeline = self.pipeline
        current = pipeline.config
        if self.on_reloading is not None:
            self.on_reloading()
        notice(log, "SIGHUP: reloading %s", self.path)
        try:
            new = config_module.load(self.path)
        except ConfigError as problem:
            self._reopen_log(current)
            log.error(
                "reload refused, still running on the previous configuration: %s",
                REDACTOR.redact(problem.render()),
            )
            self._done(False)
            return
        kept = restart_only_changes(current, new)
        if kept:
            # The running values stay for these: the new file is otherwise swapped in.
            new = keep_running_values(current, new, kept)
        self._reopen_log(new)
        for warning in new.warnings:
            log.warning("%s", warning)
        running = pipeline.context
        try:
            context = start_context(new, running)
        except ConfigError as problem:
            log.error(
                "reload refused, still running on the previous configuration: %s",
                REDACTOR.redact(problem.render()),
            )
            self._done(False)
            return
        self._swapped.clear()
        self._prepared = context
        # The pipeline's loop calls tick() at least every fraction of a second.
        while not self._swapped.wait(0.5):
            if running.stopping.is_set() or self._closing.is_set():
                self._prepared = None
                context.stopping.set()
                context.plugins.hook.connector_shutdown(context=context)
                return
        old = self._old
        self._old = None
        assert old is not None
        self.reloads += 1
        if kept:
            notice(
                log,
                "reloaded %s, except %s: a change there needs a restart (systemctl restart)",
                self.path,
                ", ".join(shown_setting(name) for name in kept),
            )
        else:
            notice(log, "reloaded %s", self.path)
        self._done(True)
        retire(pipeline.delivery, old, self._old_generation)

    def _done(self, ok: bool) -> None:
        if not ok:
            self.refused += 1
        self.pipeline.context.metrics.inc("reloads_total", result="applied" if ok else "refused")
        if self.on_done is not None:
            self.on_done(ok)

    def _reopen_log(self, config: Config) -> None:
        """The log file is opened again (logrotate moved it), at the level the file gives; by a
        source in another process too (``[source] process = "child"``)."""
        settings = (config.log_level, config.logfile, config.get("log_format", "text"))
        setup_logging(*settings)
        reset_limits()  # a fresh file starts with fresh per-input limits
        reopen = getattr(self.pipeline.source, "reopen_log", None)
        if reopen is not None:
            reopen(*settings)
