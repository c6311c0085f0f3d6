"""One pipeline: plugins, name cache, dispatcher, outbox and senders, fed by one source.

``build_context`` does everything that can fail on a bad configuration (plugins, their settings,
``connector_configure``) without touching the state directory, so ``validate`` can use it.
:class:`Pipeline` then opens the state database, starts the senders and runs a source: each
batch is processed, committed in one transaction with the source's position, and only then
acknowledged to the source.
"""

from __future__ import annotations

import logging
import operator
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

from centreon_canopsis.core import customer_scopes, validation
from centreon_canopsis.core.cache import Cache
from centreon_canopsis.core.config import Config, ConfigError
from centreon_canopsis.core.context import Context
from centreon_canopsis.core.delivery_child import make_delivery
from centreon_canopsis.core.dispatcher import Dispatcher
from centreon_canopsis.core.elements import default_registry
from centreon_canopsis.core.events import InvalidEvent
from centreon_canopsis.core.intake import INPUT_STAGE, STAGE_ERROR, UNDECODABLE, Intake
from centreon_canopsis.core.logsafe import log_limited, shown
from centreon_canopsis.core.logsetup import NOTICE, notice
from centreon_canopsis.core.metrics import Metrics
from centreon_canopsis.core.outbox import PIPELINE_STAGE, Outbox, report_discarded
from centreon_canopsis.core.plugin_manager import PluginManager
from centreon_canopsis.core.sources.base import Batch, Source
from centreon_canopsis.core.store import StateDatabaseError, Store, is_damage

log = logging.getLogger(__name__)

COMMIT_RETRY, COMMIT_RETRY_CAP = 1.0, 30.0  # seconds between attempts to commit on a failing disk
BACKPRESSURE_LOG_PERIOD = 60.0  # seconds between two "still paused" warnings
#: At most this many events under one commit (group commit): bounds the wait of the first one.
GROUP_EVENTS = 4000
#: The name cache journal (core/cache.py) is folded into its table while the source is idle, in
#: slices of one entry (about 5 ms) for at most this long per idle moment. Past JOURNAL_MAX_BYTES
#: one entry is folded after each commit too: that bounds what a start after a crash replays
#: (about 3 s, as long as reading the rows of 500k services), and lets a whole configuration burst
#: of 50k hosts / 500k services (about 70 MB of journal) commit at full speed.
FOLD_IDLE_SECONDS = 0.05
JOURNAL_MAX_BYTES = 128 << 20


def build_context(
    config: Config,
    plugins: PluginManager | None = None,
    *,
    cache: Cache | None = None,
    metrics: Metrics | None = None,
) -> Context:
    """Loads plugins, checks their settings and configures them. Raises ConfigError with the
    problems of every stage (core/validation.py).

    A reload passes the running pipeline's ``cache`` and ``metrics``: names and counters survive it.
    """
    if plugins is None:
        plugins = PluginManager()
        settings = config.plugins
        plugins.load(disabled=settings.get("disable", ()), extra=settings.get("load", ()))
    errors: list[str] = []
    for stage in validation.PLUGIN_STAGES:
        errors += stage(config, plugins)
    registry = default_registry()
    for declared in plugins.hook.connector_elements():
        for element in declared or ():
            try:
                registry.add(element)
            except ValueError as error:
                errors.append(str(error))
    context = Context(
        config=config,
        registry=registry,
        cache=Cache() if cache is None else cache,
        metrics=Metrics() if metrics is None else metrics,
        plugins=plugins,
    )
    errors += validation.configure_problems(config, context)
    try:  # [[customers]]: a configured scope each, their problems with the top level's
        customer_scopes.build(config, context)
    except ConfigError as error:
        errors += error.errors
    if errors:
        raise ConfigError(errors, config.path)
    for warning in validation.plugin_warnings(config, plugins):
        if warning not in config.warnings:
            config.warnings.append(warning)
    return context


_declared_type = operator.itemgetter("_type")  # the entry check of a typed batch (Batch.typed)


class Pipeline:
    """Runs sources through the stages into the outbox; senders deliver from there."""

    def __init__(self, config: Config, context: Context | None = None) -> None:
        self.config = config
        self.context = context or build_context(config)
        self.store = Store(config.state_dir, config.delivery["sqlite_synchronous"])
        try:
            connection = self.store.connect()
            try:
                self.context.cache.load(connection)
            finally:
                connection.close()
            self.outbox = Outbox(self.store, self.context.cache)
        except (sqlite3.DatabaseError, ValueError) as error:  # a damaged file: say so, exit 3
            self.store.close()
            if not is_damage(error):
                raise
            raise StateDatabaseError(self.store.path, error) from None
        self.dispatcher = Dispatcher(self.context, self.outbox)
        self.intake = Intake(self.context.registry)
        self.delivery = make_delivery(self.context, self.outbox)  # threads, or a child process
        self.context.state["outbox"] = self.outbox
        self.max_outbox = int(config.delivery["max_outbox_events"])
        cache = self.context.cache  # the same cache across reloads
        self.context.metrics.gauge_function("cache_journal_bytes", lambda: [((), cache.journal_bytes)])
        #: True while reading is paused because the outbox is full.
        self.backpressure = False
        #: Set once the senders run and the source is being read (readiness).
        self.started_at: float | None = None
        self._started = False
        self._closed = False
        self.invalid = 0
        #: Since when outbox commits fail (0: they do not), and the last error: for /readyz.
        self.commit_failing_since = 0.0
        self.commit_error = ""
        self._invalid_buffered = 0  # input dead letters of the batch being processed
        self._source: Source | None = None
        #: Called from the pipeline's own loop, after each batch and while it waits for input or
        #: room (the systemd watchdog, a pending reload): a wedged loop stops calling it.
        self.on_tick: Callable[[], None] | None = None
        #: Called while a batch waits for a failing disk (the watchdog only: no reload mid-batch).
        self.keepalive: Callable[[], None] | None = None
        self._stop_requested = False
        self._metrics_init()

    def _metrics_init(self) -> None:
        metrics = self.context.metrics
        metrics.set("outbox_max_items", self.max_outbox)
        metrics.set("backpressure", 0)
        # Present from the start, so that rates work from the first scrape.
        metrics.inc("events_received_total", 0)
        for stage in ("pipeline", "delivery", INPUT_STAGE):
            metrics.inc("dead_letters_total", 0, stage=stage)
            metrics.inc("dead_letters_discarded_total", 0, stage=stage)

    def start(self) -> None:
        """Calls ``connector_startup`` and starts the senders."""
        if not self._started:
            self._started = True
            self.context.plugins.hook.connector_startup(context=self.context)
            self.delivery.start()
            self.started_at = time.time()
            self.context.metrics.set("start_time_seconds", self.started_at)

    def process_batch(self, batch: Batch, source_name: str | None = None) -> bool:
        """Processes, commits, then acknowledges one batch. False if it could not be committed
        before a stop (then it is neither committed nor acknowledged: the source sends it again)."""
        self._process(batch)
        return self._commit_group([batch], source_name)

    def _commit_group(self, batches: list[Batch], source_name: str | None) -> bool:
        """Commits the processed ``batches`` in one transaction, then acknowledges each in order."""
        position = next((b.position for b in reversed(batches) if b.position is not None), None)
        if not self._commit(source_name, position):
            return False
        self.dispatcher.flush_counts()
        self.delivery.ensure_senders()
        for batch in batches:
            if batch.on_commit is not None:
                batch.on_commit()
        return True

    def _process(self, batch: Batch) -> None:
        process = self.dispatcher.process
        labels = batch.labels
        metrics = self.context.metrics
        metrics.inc("events_received_total", len(batch.events) + len(batch.rejected))
        for rejected in batch.rejected:
            self._rejected(batch.origin, *rejected)
        admit = _declared_type if batch.typed else self.intake.admit
        for index, event in enumerate(batch.events):
            # Every stage before the plugins treats a malformed event like a raising plugin: the
            # event is counted, kept and skipped; the rest of the stream goes on.
            try:
                process(event, admit(event))
            except InvalidEvent as error:
                self._invalid(batch, index, labels, event, str(error), error.code)
            except Exception as error:  # one event must never stop the stream
                reason = f"a stage before the plugins failed: {type(error).__name__}: {error}"
                log.debug("%s", reason, exc_info=True)
                self._invalid(batch, index, labels, event, reason, STAGE_ERROR)

    def _commit(self, source_name: str | None, position: str | None) -> bool:
        """Commits what the batch produced; a failing disk is retried, never skipped."""
        outbox = self.outbox
        metrics = self.context.metrics
        dead = outbox.dead_buffered
        pause = COMMIT_RETRY
        while True:
            started = time.monotonic()
            try:
                per_route = outbox.commit(source_name, position)
                break
            except sqlite3.Error as error:
                metrics.inc("outbox_commit_errors_total")
                # Readiness says it (a full disk, a read-only file) until a commit succeeds.
                self.commit_error = f"{type(error).__name__}: {error}"
                self.commit_failing_since = self.commit_failing_since or time.time()
                if is_damage(error):  # retrying cannot help: say what to do, exit 3
                    raise StateDatabaseError(self.store.path, error) from None
                if self.context.stopping.is_set():
                    log.error("cannot commit the batch in flight (%s); it will be read again", error)
                    return False
                log.error(
                    "cannot commit to the outbox (%s); trying again in %.0fs, the source waits", error, pause
                )
                self.context.stopping.wait(pause)
                if self.keepalive is not None:  # waiting for the disk is not being wedged
                    self.keepalive()
                pause = min(pause * 2, COMMIT_RETRY_CAP)
        metrics.observe("outbox_commit_duration_seconds", time.monotonic() - started)
        self.commit_failing_since = 0.0
        for route, count in per_route.items():
            metrics.inc("payloads_queued_total", count, route=route)
        invalid, self._invalid_buffered = self._invalid_buffered, 0
        # What the commit kept; what the bound of the dead letters left out is counted apart.
        discarded = outbox.discarded
        dropped = discarded.counts if discarded is not None else {}
        failed = dead - invalid - dropped.get(PIPELINE_STAGE, 0)
        invalid -= dropped.get(INPUT_STAGE, 0)
        if failed:
            metrics.inc("dead_letters_total", failed, stage="pipeline")
            log_limited(
                log,
                logging.ERROR,
                "pipeline-dead-letters",
                "%d events became dead letters (why: centreon-canopsis deadletters list)",
                failed,
            )
        if invalid:
            metrics.inc("dead_letters_total", invalid, stage=INPUT_STAGE)
        report_discarded(metrics, discarded)
        return True

    def _invalid(
        self, batch: Batch, index: int, labels: list[Any], event: Any, reason: str, code: str
    ) -> None:
        where = (
            f"{batch.origin}:{labels[index]}" if index < len(labels) else f"{batch.origin} event {index + 1}"
        )
        self._report_invalid(where, f"not a Broker event: {reason}", code, event, keep=True)

    def _rejected(
        self, origin: str, label: Any, reason: str, raw: bytes | None = None, code: str = UNDECODABLE
    ) -> None:
        """Input a source could not decode: ``Batch.rejected`` entries."""
        self._report_invalid(f"{origin}:{label}", reason, code, raw)

    def _report_invalid(self, where: str, reason: str, code: str, kept: Any, keep: bool = False) -> None:
        """Counts, logs (rate-limited, per reason) and keeps an invalid input as a dead letter."""
        self.invalid += 1
        self.context.metrics.inc("events_invalid_total", reason=code)
        # NOTICE: seen at the default log level, yet not an error of the connector; a few lines a
        # minute per kind whatever the input rate.
        log_limited(log, NOTICE, f"invalid:{code}", "%s: %s; skipped", shown(where), shown(reason, 300))
        if keep or kept is not None:  # a JSON null is kept too; a source's None is "nothing kept"
            self.outbox.add_dead_letter(INPUT_STAGE, kept, f"invalid input: {reason}", key=where)
            self._invalid_buffered += 1

    def run(self, source: Source, should_stop: Callable[[], bool] | None = None) -> None:
        """Reads ``source`` until it ends or is closed, committing batch by batch."""
        self.start()
        self._source = source
        if self.context.stopping.is_set():  # stopped before the source could be closed
            return
        resume = self.outbox.position(source.name)
        waiting = getattr(source, "pending", None)
        if hasattr(source, "on_idle"):
            source.on_idle = lambda: self._idle(waiting)
        self.wait_for_room()
        batches = source.batches(resume)
        # Group commit: batches that already wait are processed too before the one commit (one
        # fsync for several reads, when the input outruns the disk); a lone batch is not held back.
        outbox = self.outbox
        cache = self.context.cache
        for batch in batches:
            group, size = [batch], len(batch.events)
            self._process(batch)
            # Not past the outbox's limit: backpressure overshoots by one source batch at most.
            while (
                waiting is not None
                and size < GROUP_EVENTS
                and outbox.depth() + outbox.buffered < self.max_outbox
                and waiting()
            ):
                more = next(batches, None)
                if more is None:
                    break
                self._process(more)
                group.append(more)
                size += len(more.events)
            if not self._commit_group(group, source.name):
                break
            if cache.journal_bytes > JOURNAL_MAX_BYTES:
                self._fold_cache()
            self.tick()
            self.wait_for_room()
            if self.context.stopping.is_set() or (should_stop is not None and should_stop()):
                break

    @property
    def source(self) -> Source | None:
        """The source :meth:`run` reads (None before)."""
        return self._source

    def wait_for_room(self) -> None:
        """Backpressure: while the outbox is full, do not ask the source for more.

        The source's peer keeps what it has not been told is safe (Broker's retention); nothing
        is dropped. Returns when there is room again or the pipeline stops.
        """
        outbox = self.outbox
        limit = self.max_outbox
        if outbox.depth() < limit:
            return
        context = self.context
        metrics = context.metrics
        self.backpressure = True
        metrics.set("backpressure", 1)
        metrics.inc("backpressure_pauses_total")
        started = last_log = time.monotonic()
        log.warning(
            "the outbox holds %d payloads (delivery.max_outbox_events = %d): reading paused, "
            "the source keeps the rest until Canopsis takes some",
            outbox.depth(),
            limit,
        )
        try:
            while not context.stopping.is_set() and not outbox.wait_for_room(limit, 0.5):
                self.tick()
                if time.monotonic() - last_log >= BACKPRESSURE_LOG_PERIOD:
                    last_log = time.monotonic()
                    log.warning(
                        "reading still paused after %.0fs: %d payloads wait in the outbox",
                        last_log - started,
                        outbox.depth(),
                    )
        finally:
            paused = time.monotonic() - started
            self.backpressure = False
            metrics.set("backpressure", 0)
            metrics.inc("backpressure_seconds_total", paused)
        if not context.stopping.is_set():
            notice(log, "reading resumed after %.1fs of backpressure", paused)

    def _idle(self, waiting: Callable[[], bool] | None) -> None:
        """The source has nothing now: fold the name cache journal a slice at a time until it
        does (a lone event waits one slice at most), then the usual tick."""
        deadline = time.monotonic() + FOLD_IDLE_SECONDS
        while self.context.cache.journal_bytes and time.monotonic() < deadline:
            if (waiting is not None and waiting()) or self.context.stopping.is_set():
                break
            if not self._fold_cache():
                break
        self.tick()

    def _fold_cache(self) -> int:
        """One journal entry into the cache's table; a failing disk only postpones it."""
        try:
            return self.outbox.fold_cache()
        except sqlite3.Error as error:
            if is_damage(error):
                raise StateDatabaseError(self.store.path, error) from None
            log_limited(log, logging.WARNING, "cache-fold", "cannot fold the name cache journal (%s); "
                        "trying again later", error)  # fmt: skip
            return 0

    def tick(self) -> None:
        on_tick = self.on_tick
        if on_tick is not None:
            on_tick()

    def reconfigure(self, context: Context) -> tuple[Context, int]:
        """Swaps in a new configuration's plugins and settings (a reload).

        Returns the old context and the senders' previous generation (see
        :meth:`Delivery.wait_for_sends`): the old plugins are shut down once it has no send in flight.

        Called from the pipeline's loop, between two batches: no event is half processed. The
        outbox, the state database, the name cache, the metrics and the source stay; the senders
        take their next batch with the new plugins (:meth:`Delivery.reconfigure`).
        """
        old = self.context
        context.state["outbox"] = self.outbox
        self.config = context.config
        self.max_outbox = int(context.config.delivery["max_outbox_events"])
        self.context.metrics.set("outbox_max_items", self.max_outbox)
        self.dispatcher = Dispatcher(context, self.outbox)
        self.context = context
        if self._stop_requested:  # a stop asked during the swap is not lost
            context.stopping.set()
        return old, self.delivery.reconfigure(context)

    def request_stop(self) -> None:
        """Asks a running :meth:`run` to stop (safe from a signal handler or another thread)."""
        self._stop_requested = True
        self.context.stopping.set()
        self.outbox.wake()
        source = self._source
        if source is not None:
            threading.Thread(target=source.close, name="source-close", daemon=True).start()

    def drain(self, timeout: float | None = None) -> bool:
        return self.delivery.drain(timeout)

    def _snapshot_cache(self) -> None:
        """The name cache in one blob, for a fast start (core/cache.py); a failure costs only that."""
        try:
            connection = self.store.connect()
            try:
                with connection:
                    self.context.cache.write_snapshot(connection)
            finally:
                connection.close()
        except (sqlite3.Error, OSError, ValueError) as exc:
            log.warning("name cache snapshot not written (%s); the next start reads every object", exc)

    def close(self, timeout: float | None = None) -> bool:
        """Stops the senders (a request in flight may finish within ``timeout``) and the plugins.

        True if every sender stopped in time. A sender still in a request keeps its payloads in
        the outbox (sent again after a restart); the state directory's lock is then left to the
        end of the process, so that no other process takes the outbox over while it runs.
        """
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
        if clean:
            self._snapshot_cache()
            self.store.close()
        notice(
            log,
            "stopped in %.1fs; %d payloads wait in the outbox",
            time.monotonic() - started,
            self.outbox.depth(),
        )
        return clean
