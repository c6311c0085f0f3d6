"""Sender threads: one per outbox lane, each sending its lane's oldest items in order.

A lane is sent when more than ``max_buffer_size`` items wait or its oldest item is
``max_all_queues_age`` seconds old (with the default 0, at once: items that arrive while a
request is in flight go together in the next one). A transient failure keeps the items at the
head of their lane and waits with exponential backoff and full jitter, capped, honouring
``Retry-After``; other lanes go on.

A sender plugin that raises is not allowed to stall a lane: the batch is split in halves until
the items it raises on are alone, and such an item is dead-lettered after
``delivery.failed_event_attempts`` attempts, like an item the receiver refuses. When every item
of a batch makes it raise, the plugin itself is broken: the batch waits and is retried.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from centreon_canopsis.core.context import Context
from centreon_canopsis.core.logsafe import log_limited, shown
from centreon_canopsis.core.model import OutboxItem, Outcome, Result, Route
from centreon_canopsis.core.outbox import Outbox, Settled, report_discarded
from centreon_canopsis.core.reachability import Reachability
from centreon_canopsis.core.store import StateDatabaseError, dead_letter_totals, is_damage

log = logging.getLogger(__name__)

IDLE_POLL = 1.0  # seconds between checks of an idle lane (commits wake senders at once anyway)
WATCH_PERIOD = 1.0  # seconds between looks for outbox changes made by other processes
DEAD_LETTER_COUNT_ROUNDS = 5  # the dead letters are counted every 5 watcher rounds
#: Longest ``Retry-After`` honoured: a date far in the future must not stall a lane for days.
MAX_RETRY_AFTER = 3600.0
#: Pause after an unexpected error in a sender loop (a locked or full disk): doubles up to the cap.
ERROR_PAUSE, ERROR_PAUSE_CAP = 1.0, 30.0
#: Answers that, when retried, mean the connector is misconfigured: the authkey (401), a right
#: (403), a route (404, 405) or the proxy's credentials (407). Readiness reports them at once.
MISCONFIGURATION_STATUSES = frozenset({401, 403, 404, 405, 407})


def _misconfiguration(status: int | None) -> bool:
    """A retried answer that says the connector is pointed or authorised wrongly: a redirect
    (the address moved; HTTP senders do not follow them) or one of MISCONFIGURATION_STATUSES."""
    return status is not None and (status in MISCONFIGURATION_STATUSES or 300 <= status < 400)


#: SQLite ``synchronous`` of the senders' connections (settles): see :meth:`LaneSender.run`.
SETTLE_SYNCHRONOUS = "NORMAL"


class RetryPolicy:
    """Exponential backoff with full jitter: a random wait in [0, min(cap, initial * 2**n)]."""

    def __init__(self, initial: float, cap: float, rng: Callable[[], float] = random.random) -> None:
        self.initial = initial
        self.cap = cap
        self.rng = rng

    def delay(self, attempts: int, retry_after: float | None = None) -> float:
        ceiling = min(self.cap, self.initial * (2 ** min(attempts, 32)))
        wait = self.rng() * ceiling
        if retry_after is not None:
            # The server knows better than our backoff (within reason).
            wait = max(wait, min(retry_after, MAX_RETRY_AFTER))
        return wait


@dataclass
class LaneState:
    """What readiness and ``status`` want to know about a lane (times are ``time.time()``)."""

    last_delivery_at: float = 0.0
    #: Start of the current run of attempts that did not reach the receiver (0: none).
    failing_since: float = 0.0
    last_error: str = ""
    retry_at: float = 0.0
    #: Why the last attempt says the connector is misconfigured (a refused authkey or proxy
    #: password, a missing right or route), until something is delivered again; "" otherwise.
    misconfigured: str = ""


class LaneSender(threading.Thread):
    def __init__(self, delivery: Delivery, lane: str) -> None:
        super().__init__(name=f"sender-{lane}", daemon=True)
        self.delivery = delivery
        self.lane = lane
        self.state = delivery.lane_states.setdefault(lane, LaneState())

    def run(self) -> None:
        delivery = self.delivery
        outbox = delivery.outbox
        connection = outbox.store.connect()
        # A settle lost to a power cut means a batch sent again, which a crash between a send and
        # its settle already means: no fsync per settle. The pipeline's commits, which Broker's
        # acknowledgements depend on, keep ``delivery.sqlite_synchronous`` (docs/delivery.md).
        connection.execute(f"PRAGMA synchronous={SETTLE_SYNCHRONOUS}")
        pause = ERROR_PAUSE
        try:
            head = outbox.head(connection, self.lane)
            if head is not None:  # a retry scheduled before a restart still waits its turn
                self.state.retry_at = head[1]
            while not delivery.stopping.is_set():
                try:
                    self._step(connection)
                    pause = ERROR_PAUSE
                except Exception as error:  # a locked or full disk: log, wait, go on; never die silently
                    if is_damage(error):  # say what to do rather than a traceback every time
                        log.error(
                            "sender of lane %s: %s", self.lane, StateDatabaseError(outbox.store.path, error)
                        )
                    else:
                        log.exception(
                            "sender of lane %s: unexpected error; trying again in %.0fs", self.lane, pause
                        )
                    delivery.context.metrics.inc("sender_errors_total", lane=self.lane)
                    connection.rollback()
                    delivery.stopping.wait(pause)
                    pause = min(pause * 2, ERROR_PAUSE_CAP)
        finally:
            connection.close()

    def _step(self, connection) -> None:
        delivery = self.delivery
        outbox = delivery.outbox
        version = outbox.version
        now = time.time()
        draining = delivery.draining.is_set()
        if self.state.retry_at > now:
            outbox.wait_for_change(version, min(self.state.retry_at - now, IDLE_POLL))
            return
        depth = outbox.depth(self.lane)
        if depth == 0:
            outbox.wait_for_change(version, IDLE_POLL)
            return
        if depth <= delivery.max_buffer_size and not draining:
            head = outbox.head(connection, self.lane)
            due = (head[0] + delivery.max_age) if head else now + IDLE_POLL
            if due > now:
                outbox.wait_for_change(version, min(due - now, IDLE_POLL))
                return
        taken = outbox.take(connection, self.lane, delivery.batch_limit)
        if not taken or not taken[1]:
            outbox.wait_for_change(version, IDLE_POLL)
            return
        with delivery.sending():
            delivery.send(connection, self.lane, *taken)


class Delivery:
    """Starts a sender per lane and applies what they learn to the outbox and the metrics."""

    def __init__(self, context: Context, outbox: Outbox) -> None:
        self.outbox = outbox
        self.batch_limit: int | None = None
        self._configure(context)
        #: Sends in flight, per configuration generation (a reload waits for the old ones).
        self._generation = 0
        self._in_flight: Counter[int] = Counter()
        self._in_flight_changed = threading.Condition()
        self.stopping = threading.Event()
        #: Set by ``replay`` and ``drain``: send what waits without lingering.
        self.draining = threading.Event()
        self.lane_states: dict[str, LaneState] = {}
        #: ``enqueued_at`` of each lane's oldest item, refreshed by the watcher every second.
        self.oldest: dict[str, float] = {}
        #: Dead letters stored now, per stage, refreshed by the watcher.
        self.dead_letters: dict[str, int] = {}
        #: How many dead letters are stored and their bytes (the bounds' measure), refreshed by
        #: the watcher every second (two ``meta`` rows).
        self.dead_letter_totals: tuple[int, int] = (0, 0)
        self._senders: dict[str, LaneSender] = {}
        self._watcher: threading.Thread | None = None
        self._lock = threading.Lock()
        #: Logs Canopsis going away, coming back, refusing the authkey: on the transition.
        self.reachability = Reachability(context.metrics)
        #: The live tap (core/tap.py) while someone taps, else None: one look per batch.
        self.tap: Any = None
        self._register_gauges()

    def _configure(self, context: Context) -> None:
        config = context.config
        delivery = config.delivery
        self.max_buffer_size = int(config.max_buffer_size)
        self.max_age = float(config.max_all_queues_age)
        self.policy = RetryPolicy(float(delivery["retry_initial_delay"]), float(delivery["retry_max_delay"]))
        self.item_attempts = int(delivery["failed_event_attempts"])
        self.outbox.coalesce_backlog = int(delivery.get("coalesce_backlog", 0))
        self.outbox.max_dead_letters = int(delivery.get("max_dead_letters", 0))
        self.outbox.max_dead_letter_bytes = int(delivery.get("max_dead_letters_mib", 0)) << 20
        self.context = context
        self._send = context.plugins.hook.connector_send

    def reconfigure(self, context: Context) -> int:
        """A reload: batches taken from now on are sent by ``context``'s plugins, with its settings.

        Returns the previous generation, for :meth:`wait_for_sends`: its sends in flight finish
        with the plugins that started them (nothing is sent twice, nothing is cut).
        """
        with self._in_flight_changed:
            self._configure(context)
            previous = self._generation
            self._generation += 1
        return previous

    @contextmanager
    def sending(self) -> Iterator[None]:
        with self._in_flight_changed:
            generation = self._generation
            self._in_flight[generation] += 1
        try:
            yield
        finally:
            with self._in_flight_changed:
                self._in_flight[generation] -= 1
                self._in_flight_changed.notify_all()

    def wait_for_sends(self, generation: int, timeout: float) -> bool:
        """Waits until no send of ``generation`` (or before) is in flight; False on timeout."""
        with self._in_flight_changed:
            return self._in_flight_changed.wait_for(
                lambda: not any(n for g, n in self._in_flight.items() if g <= generation), timeout
            )

    def _register_gauges(self) -> None:
        metrics = self.context.metrics
        outbox = self.outbox
        metrics.gauge_function(
            "outbox_items", lambda: [((("lane", lane),), outbox.depth(lane)) for lane in outbox.lanes()]
        )
        metrics.gauge_function("outbox_oldest_age_seconds", self._oldest_ages)
        # Read from the metrics endpoint's thread while other threads add keys: each reads a copy
        # (dict() of a dict is one C call), never the live dict in a Python loop.
        metrics.gauge_function(
            "payloads_coalesced_total",
            lambda: [((("route", route),), n) for route, n in sorted(dict(outbox.coalesced).items())],
        )
        metrics.gauge_function(
            "dead_letters", lambda: [((("stage", stage),), n) for stage, n in dict(self.dead_letters).items()]
        )
        metrics.gauge_function("dead_letters_bytes", lambda: [((), self.dead_letter_totals[1])])
        metrics.gauge_function(
            "sender_up",
            lambda: [((("lane", lane),), int(alive)) for lane, alive in self.senders_alive().items()],
        )
        metrics.gauge_function(
            "last_delivery_timestamp_seconds",
            lambda: [
                ((("lane", lane),), state.last_delivery_at) for lane, state in dict(self.lane_states).items()
            ],
        )

    def _oldest_ages(self):
        now = time.time()
        oldest = dict(self.oldest)
        return [
            ((("lane", lane),), now - oldest[lane] if lane in oldest and self.outbox.depth(lane) else 0.0)
            for lane in self.outbox.lanes()
        ]

    def start(self) -> None:
        self.ensure_senders()
        if self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, name="outbox-watch", daemon=True)
            self._watcher.start()

    def ensure_senders(self) -> None:
        """Starts a sender for every lane that has none (lanes appear with new routes)."""
        with self._lock:
            if self.stopping.is_set():
                return
            for lane in self.outbox.lanes():
                if lane not in self._senders:
                    sender = self._senders[lane] = LaneSender(self, lane)
                    sender.start()

    def senders_alive(self) -> dict[str, bool]:
        # Under the lock: asked from the metrics endpoint's thread while ensure_senders adds lanes
        # (a dict changing size during the loop raised there, and the request got no answer).
        with self._lock:
            return {lane: sender.is_alive() for lane, sender in self._senders.items()}

    def _watch(self) -> None:
        """Notices changes other processes made (``deadletters retry``), tracks the oldest items
        and counts the dead letters, for the metrics and readiness."""
        connection = self.outbox.store.connect()
        rounds = 0
        try:
            while True:
                try:
                    if self.outbox.refresh(connection):
                        log.info("outbox changed by another process: %d payloads wait", self.outbox.depth())
                        self.ensure_senders()
                    self.oldest = self.outbox.oldest(connection)
                    self.dead_letter_totals = dead_letter_totals(connection)
                    connection.commit()
                    if rounds % DEAD_LETTER_COUNT_ROUNDS == 0:
                        self.dead_letters = dict(
                            connection.execute("SELECT stage, COUNT(*) FROM dead_letters GROUP BY stage")
                        )
                        connection.commit()
                    rounds += 1
                except Exception:
                    log.exception("outbox watcher: unexpected error")
                    connection.rollback()
                if self.stopping.wait(WATCH_PERIOD):
                    break
        finally:
            connection.close()

    # -- one batch ---------------------------------------------------------------------------

    def send(self, connection, lane: str, route: Route, items: Sequence[OutboxItem]) -> None:
        state = self.lane_states.setdefault(lane, LaneState())
        started = time.monotonic()
        causes: dict[int, str] = {}
        results = self._isolated(route, items, self._call(route, items, causes), causes)
        elapsed = time.monotonic() - started
        now = time.time()
        retried = [
            (item, result)
            for item, result in zip(items, results, strict=True)
            if result.outcome is Outcome.RETRY
        ]
        retry_at = 0.0
        if retried:
            attempts = max(item.attempts for item, _ in retried)
            hints = [result.retry_after for _, result in retried if result.retry_after is not None]
            wait = self.policy.delay(attempts, max(hints) if hints else None)
            retry_at = now + wait
            log.warning(
                "route %s: %d of %d payloads will be retried in %.1fs (attempt %d): %s",
                route.name,
                len(retried),
                len(items),
                wait,
                attempts + 1,
                shown(retried[0][1].reason, 300),
            )
        counts = self.outbox.settle(connection, lane, items, results, retry_at, route)
        if counts[Outcome.FAILED]:
            self._log_failed(route, items, results, counts)
        tap = self.tap
        if tap is not None:  # someone runs `centreon-canopsis tap`
            tap.results(route, items, results)
        state.retry_at = retry_at
        self._account(route, items, results, causes, counts, state, elapsed, now)

    def _log_failed(
        self, route: Route, items: Sequence[OutboxItem], results: Sequence[Result], counts: Settled
    ) -> None:
        # Failed items are kept in order: those the bound of the dead letters left out are the last.
        kept = counts.dead_lettered
        failed = [(item, r) for item, r in zip(items, results, strict=True) if r.outcome is Outcome.FAILED]
        for index, (item, result) in enumerate(failed):
            log_limited(
                log,
                logging.ERROR,
                f"dead_lettered:{route.name}",
                "route %s: payload %s dead-lettered: %s (see: centreon-canopsis deadletters list)"
                if index < kept
                else "route %s: payload %s refused for good, not kept (the dead letters are full): %s",
                route.name,
                shown(item.key or item.id),
                shown(result.reason, 300),
            )

    def _account(
        self, route, items, results, causes, counts: Settled, state: LaneState, elapsed, now
    ) -> None:
        """Metrics and lane state after a settle (once per batch, not per item)."""
        metrics = self.context.metrics
        name = route.name
        metrics.observe("send_duration_seconds", elapsed, route=name)
        metrics.inc("payloads_sent_total", len(items), route=name)
        delivered = counts[Outcome.DELIVERED]
        if delivered:
            metrics.inc("payloads_delivered_total", delivered, route=name)
            state.last_delivery_at = now
            first = next(
                item
                for item, result in zip(items, results, strict=True)
                if result.outcome is Outcome.DELIVERED
            )
            metrics.observe("delivery_delay_seconds", max(0.0, now - first.enqueued_at), route=name)
        if counts[Outcome.RETRY]:
            metrics.inc("payloads_retried_total", counts[Outcome.RETRY], route=name)
        if counts[Outcome.FAILED]:
            # Only what was kept: the rest is counted (and said) as discarded.
            kept = counts.dead_lettered
            if kept:
                metrics.inc("payloads_dead_lettered_total", kept, route=name)
                metrics.inc("dead_letters_total", kept, stage="delivery")
            report_discarded(metrics, counts.discarded)
        failures: dict[str, int] = {}
        reached = False
        last_error = ""
        for index, result in enumerate(results):
            if result.outcome is Outcome.DELIVERED:
                reached = True
                continue
            cause = causes.get(index) or _cause(result)
            failures[cause] = failures.get(cause, 0) + 1
            if result.status is not None and result.status < 500:
                reached = True  # the receiver answered: it is up, it refused
            last_error = result.reason
        for cause, count in failures.items():
            metrics.inc("send_failures_total", count, route=name, cause=cause)
        if delivered:
            state.misconfigured = ""
        else:
            wrong = next(
                (r for r in results if r.outcome is Outcome.RETRY and _misconfiguration(r.status)),
                None,
            )
            if wrong is not None:
                state.misconfigured = wrong.reason[:300] or f"HTTP {wrong.status}"
        if reached:
            state.failing_since = 0.0
        elif not state.failing_since:
            state.failing_since = now
        if last_error:
            state.last_error = last_error[:300]
        self.reachability.update(route.lane, name, last_error)

    def _call(
        self, route: Route, items: Sequence[OutboxItem], causes: dict[int, str], offset: int = 0
    ) -> list[Result]:
        """Asks the send hook; when it raises, splits the batch to isolate the items it fails on."""
        context = self.context
        try:
            results = self._send(route=route, items=items, context=context)
            if results is None:
                reason = f"no_sender: no plugin sends route {route.name!r}"
                for index in range(len(items)):
                    causes[offset + index] = "no_sender"
                return [Result(Outcome.FAILED, reason=reason)] * len(items)
            if len(results) != len(items):
                raise RuntimeError(f"answered {len(results)} results for {len(items)} items")
            return list(results)
        except Exception as error:  # a sender plugin's bug
            if len(items) > 1:
                middle = len(items) // 2
                return self._call(route, items[:middle], causes, offset) + self._call(
                    route, items[middle:], causes, offset + middle
                )
            plugin = context.plugins.owner_of(error) or "unknown plugin"
            reason = f"plugin {plugin} raised in connector_send: {type(error).__name__}: {error}"
            log.debug("%s (route %s, payload %s)", reason, route.name, items[0].key or items[0].id)
            causes[offset] = "plugin_error"
            outcome = Outcome.FAILED if items[0].rejections + 1 >= self.item_attempts else Outcome.RETRY
            return [Result(outcome, reason=reason, rejected=True)]

    def _isolated(
        self, route: Route, items: Sequence[OutboxItem], results: list[Result], causes
    ) -> list[Result]:
        """Judges the items a plugin raised on: alone, they are suspects; all of them, the plugin is."""
        raised = [index for index, cause in causes.items() if cause == "plugin_error"]
        if not raised:
            return results
        reason = results[raised[0]].reason
        if len(raised) == len(items) > 1:
            log.error(
                "route %s: %s, on all %d payloads; they wait for a retry", route.name, reason, len(items)
            )
            return [Result(Outcome.RETRY, reason=reason)] * len(items)
        log.error("route %s: %s, on %d of %d payloads", route.name, reason, len(raised), len(items))
        return results

    # -- whole outbox ------------------------------------------------------------------------

    def drain(self, timeout: float | None = None) -> bool:
        """Waits until the outbox is empty; False if ``timeout`` passed first."""
        self.draining.set()
        self.outbox.wake()
        deadline = None if timeout is None else time.monotonic() + timeout
        version = self.outbox.version
        while self.outbox.depth() > 0:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            self.ensure_senders()
            version = self.outbox.wait_for_change(version, min(0.05, remaining) if remaining else 0.05)
        # The last settle emptied the outbox; its metrics (dead-lettered, discarded) follow it in
        # the same send: what reads them after a drain (run, replay) must see them.
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        with self._in_flight_changed:
            generation = self._generation
        self.wait_for_sends(generation, 1.0 if remaining is None else min(1.0, remaining))
        return True

    def stop(self, timeout: float) -> bool:
        """Stops the senders; a request in flight may finish within ``timeout``. True if all stopped."""
        self.stopping.set()
        self.outbox.wake()
        deadline = time.monotonic() + timeout
        threads = [*self._senders.values(), *([self._watcher] if self._watcher else [])]
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        busy = [sender.lane for sender in self._senders.values() if sender.is_alive()]
        if busy:
            log.warning(
                "lanes %s: the request in flight did not end within %.1fs; its payloads stay in the outbox "
                "and are sent again after the restart",
                ", ".join(busy),
                timeout,
            )
        return not busy


def _cause(result: Result) -> str:
    if result.rejected or (result.status is not None and 200 <= result.status < 300):
        return "rejected"  # the request went through; the answer refused this payload
    if result.status is None:
        return "transport"
    return str(result.status)
