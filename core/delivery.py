"""Sender threads: one per outbox lane, each sending its lane's oldest items in order.

A lane is sent when more than ``max_buffer_size`` items wait or its oldest item is
``max_all_queues_age`` seconds old (with the default 0, at once: items that arrive while a
request is in flight go together in the next one). A transient failure keeps the items at the
head of their lane and waits with exponential backoff and full jitter, capped, honouring
``Retry-After``; other lanes go on.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable

from centreon_canopsis.core.context import Context
from centreon_canopsis.core.model import Outcome, Result
from centreon_canopsis.core.outbox import Outbox

log = logging.getLogger(__name__)

IDLE_POLL = 1.0  # seconds between checks of an idle lane (commits wake senders at once anyway)


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
            wait = max(wait, retry_after)  # the server knows better than our backoff
        return wait


class LaneSender(threading.Thread):
    def __init__(self, delivery: Delivery, lane: str) -> None:
        super().__init__(name=f"sender-{lane}", daemon=True)
        self.delivery = delivery
        self.lane = lane
        self.busy = False

    def run(self) -> None:
        delivery = self.delivery
        outbox = delivery.outbox
        connection = outbox.store.connect()
        version = outbox.version
        try:
            while not delivery.stopping.is_set():
                wait = self._next_wait(connection)
                if wait > 0:
                    version = outbox.wait_for_change(version, min(wait, IDLE_POLL))
                    continue
                taken = outbox.take(connection, self.lane, delivery.batch_limit)
                if not taken or not taken[1]:
                    continue
                self.busy = True
                try:
                    delivery.send(connection, self.lane, *taken)
                finally:
                    self.busy = False
        except Exception:  # the sender must never die silently: the outbox would only grow
            log.exception("sender of lane %s stopped on an unexpected error", self.lane)
            delivery.failed_lanes.add(self.lane)
        finally:
            connection.close()

    def _next_wait(self, connection) -> float:
        """Seconds until this lane should send (0: now)."""
        delivery = self.delivery
        head = delivery.outbox.head(connection, self.lane)
        connection.commit()
        if head is None:
            return IDLE_POLL
        enqueued_at, next_attempt_at = head
        now = time.time()
        if next_attempt_at > now:
            return next_attempt_at - now
        if delivery.outbox.depth(self.lane) > delivery.max_buffer_size or delivery.draining.is_set():
            return 0
        return max(0.0, enqueued_at + delivery.max_age - now)


class Delivery:
    """Starts a sender per lane and applies what they learn to the outbox and the metrics."""

    def __init__(self, context: Context, outbox: Outbox) -> None:
        config = context.config
        self.context = context
        self.outbox = outbox
        self.max_buffer_size = int(config.max_buffer_size)
        self.max_age = float(config.max_all_queues_age)
        self.batch_limit: int | None = None
        delivery = config.delivery
        self.policy = RetryPolicy(float(delivery["retry_initial_delay"]), float(delivery["retry_max_delay"]))
        self.stopping = threading.Event()
        #: Set by ``replay``: send what waits without lingering.
        self.draining = threading.Event()
        self.failed_lanes: set[str] = set()
        self._senders: dict[str, LaneSender] = {}
        self._lock = threading.Lock()
        self._send = context.plugins.hook.connector_send
        metrics = context.metrics
        metrics.describe("outbox_items", "gauge", "Payloads waiting in the outbox, per lane.")
        metrics.gauge_function(
            "outbox_items", lambda: [((("lane", lane),), outbox.depth(lane)) for lane in outbox.lanes()]
        )

    def start(self) -> None:
        self.ensure_senders()

    def ensure_senders(self) -> None:
        """Starts a sender for every lane that has none (lanes appear with new routes)."""
        with self._lock:
            for lane in self.outbox.lanes():
                if lane not in self._senders and not self.stopping.is_set():
                    sender = self._senders[lane] = LaneSender(self, lane)
                    sender.start()

    def send(self, connection, lane: str, route, items) -> None:
        context = self.context
        started = time.monotonic()
        try:
            results = self._send(route=route, items=items, context=context)
            if results is None:
                results = [
                    Result(Outcome.FAILED, reason=f"no_sender: no plugin sends route {route.name!r}")
                ] * len(items)
            elif len(results) != len(items):
                raise RuntimeError(f"answered {len(results)} results for {len(items)} items")
        except Exception as error:  # a sender plugin's bug: keep the items, try again later
            plugin = context.plugins.owner_of(error) or "unknown plugin"
            reason = f"plugin {plugin} raised in connector_send: {type(error).__name__}: {error}"
            log.error("%s (route %s, %d items)", reason, route.name, len(items))
            results = [Result(Outcome.RETRY, reason=reason)] * len(items)
        elapsed = time.monotonic() - started
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
            retry_at = time.time() + wait
            log.warning(
                "route %s: %d of %d items will be retried in %.1fs (attempt %d): %s",
                route.name,
                len(retried),
                len(items),
                wait,
                attempts + 1,
                retried[0][1].reason,
            )
        for item, result in zip(items, results, strict=True):
            if result.outcome is Outcome.FAILED:
                log.error(
                    "route %s: item %s dead-lettered: %s", route.name, item.key or item.id, result.reason
                )
        counts = self.outbox.settle(connection, lane, items, results, retry_at)
        metrics = context.metrics
        metrics.observe("send_duration_seconds", elapsed, route=route.name)
        for outcome, count in counts.items():
            if count:
                metrics.inc("deliveries_total", count, route=route.name, outcome=outcome.value)
        for result in results:
            if result.status is not None:
                metrics.inc("canopsis_responses_total", 1, route=route.name, status=str(result.status))

    def drain(self, timeout: float | None = None) -> bool:
        """Waits until the outbox is empty; False if ``timeout`` passed first."""
        self.draining.set()
        self.outbox.wake()
        deadline = None if timeout is None else time.monotonic() + timeout
        version = self.outbox.version
        while self.outbox.depth() > 0:
            if self.failed_lanes:
                return False
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            self.ensure_senders()
            version = self.outbox.wait_for_change(version, min(0.05, remaining) if remaining else 0.05)
        return True

    def stop(self, timeout: float) -> bool:
        """Stops the senders; a request in flight may finish within ``timeout``. True if all stopped."""
        self.stopping.set()
        self.outbox.wake()
        deadline = time.monotonic() + timeout
        for sender in list(self._senders.values()):
            sender.join(max(0.0, deadline - time.monotonic()))
        return not any(sender.is_alive() for sender in self._senders.values())
