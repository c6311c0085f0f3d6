"""The builtin AMQP sender: the event route into Canopsis's RabbitMQ, with publisher confirms.

Active when ``[amqp] url`` is set; it answers ``connector_send`` for the ``event`` route only, so
pbehaviors and the look-ups keep the HTTP API (Canopsis has no AMQP path for them). Each item is
normalised as ``POST /api/v4/event`` would (:mod:`.amqp_events`); what Canopsis would refuse is
dead-lettered with the reason, the rest is published, persistent and ``mandatory``, and an item
leaves the outbox only once RabbitMQ confirmed it:

- confirmed: DELIVERED;
- nacked: RETRY (the broker could not take it now: a full queue with ``reject-publish``);
- returned (routed to no queue): RETRY; when only some items of a batch come back, those were
  refused for their routing key: they count as refusals and are dead-lettered after
  ``delivery.failed_event_attempts``; when all come back, nobody listens (engine-fifo's queue is
  missing) and they wait, like any outage;
- not confirmed (connection lost, ``confirm_timeout``, blocked): RETRY, sent again.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import orjson

from centreon_canopsis.core.config import ConfigError
from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.core.logsafe import shown
from centreon_canopsis.core.model import OutboxItem, Outcome, Result, Route
from centreon_canopsis.core.outbox import encoded
from centreon_canopsis.plugins.builtin.canopsis.amqp_events import Refused, RoutingKey, normalise
from centreon_canopsis.plugins.builtin.canopsis.amqp_publisher import (
    CONFIRMED,
    NACKED,
    RETURNED,
    Message,
    Publisher,
    connection_parameters,
)

log = logging.getLogger(__name__)

EVENT_ROUTE = "event"
METRICS = (
    ("amqp_connected", "gauge", "1 while the AMQP connection and its confirm channel are open.", ()),
    ("amqp_blocked", "gauge", "1 while RabbitMQ blocks publishing (memory or disk alarm): backpressure.", ()),
    ("amqp_blocked_total", "counter", "Times RabbitMQ blocked the connection.", ()),
    ("amqp_connections_total", "counter", "AMQP connections opened (reconnections included).", ()),
    ("amqp_published_total", "counter", "Messages published (resends included).", ()),
    (
        "amqp_confirms_total",
        "counter",
        "Broker answers to published messages: confirmed, nacked, returned (unroutable).",
        ("outcome",),
    ),
    (
        "amqp_unconfirmed_total",
        "counter",
        "Messages left unconfirmed, to be sent again: connection lost, or confirm_timeout passed.",
        ("cause",),
    ),
    ("amqp_refused_total", "counter", "Events refused before publishing (Canopsis would refuse them).", ()),
)


class AmqpSender:
    publisher: Publisher | None = None

    @hookimpl
    def connector_configure(self, config, context) -> None:
        settings = config.get("amqp") or {}
        self.enabled = bool(settings.get("url"))
        if not self.enabled:
            return
        try:
            self.routing_key = RoutingKey(settings["routing_key"])
        except ValueError as error:
            raise ConfigError([f"amqp.routing_key: {error}"]) from None
        unreadable = [
            f"amqp.{key} = {settings[key]!r} cannot be read"
            for key in ("ca_file", "cert_file", "key_file")
            if settings.get(key) and not os.access(settings[key], os.R_OK)
        ]
        if settings.get("key_file") and not settings.get("cert_file"):
            unreadable.append("amqp.key_file is set without amqp.cert_file")
        if unreadable:
            raise ConfigError(unreadable)
        self.settings = settings
        self.timeout = float(settings["confirm_timeout"])
        self.failed_event_attempts = int(config.delivery["failed_event_attempts"])
        self.dry_run = bool(config.send_data_test)
        self.stall = float(config.metrics["ready_stall_seconds"])
        self.metrics = metrics = context.metrics
        for name, kind, text, labels in METRICS:
            metrics.describe(name, kind, text, labels)
        context.state.setdefault("readiness", {})["amqp"] = self.readiness

    @hookimpl
    def connector_startup(self, context) -> None:
        if not self.enabled or self.dry_run:
            return
        settings = self.settings
        try:
            parameters = connection_parameters(
                settings["url"],
                settings["password"].reveal(),
                heartbeat=int(settings["heartbeat"]),
                connect_timeout=float(settings["connect_timeout"]),
                ca_file=settings.get("ca_file"),
                cert_file=settings.get("cert_file"),
                key_file=settings.get("key_file"),
                verify=bool(settings["verify_certificate"]),
            )
        except (OSError, ValueError) as error:  # unreadable TLS files: items wait, loudly
            log.error("AMQP: cannot prepare the connection: %s", error)
            return
        self.publisher = Publisher(parameters, settings["exchange"], self._count)
        metrics = self.metrics
        state = self.publisher.state
        metrics.gauge_function("amqp_connected", lambda: [((), int(state.connected))])
        metrics.gauge_function("amqp_blocked", lambda: [((), int(state.blocked))])
        self.publisher.start()

    @hookimpl
    def connector_shutdown(self, context) -> None:
        if self.publisher is not None:
            self.publisher.stop()

    def _count(self, name: str, count: int) -> None:
        inc = self.metrics.inc
        if name in (CONFIRMED, NACKED, RETURNED):
            inc("amqp_confirms_total", count, outcome=name)
        elif name == "published":
            inc("amqp_published_total", count)
        elif name == "connected":
            inc("amqp_connections_total", count)
        elif name == "blocked":
            inc("amqp_blocked_total", count)
        elif name == "unconfirmed_lost":
            inc("amqp_unconfirmed_total", count, cause="connection_lost")
        elif name == "unconfirmed_timeout":
            inc("amqp_unconfirmed_total", count, cause="timeout")

    def readiness(self, now: float, stall: float) -> tuple[bool, str]:
        """For ``/readyz``: blocked is backpressure (reported, a failure only once it lasts)."""
        publisher = self.publisher
        if publisher is None:
            return (True, "send_data_test: nothing is published") if self.dry_run else (False, "not started")
        state = publisher.state
        if state.blocked:
            blocked_for = now - state.blocked_since
            return (
                blocked_for <= stall,
                f"blocked by RabbitMQ for {blocked_for:.0f}s ({state.blocked_reason}): backpressure",
            )
        if state.connected:
            return True, f"connected for {now - state.connected_since:.0f}s"
        down_for = now - state.down_since
        return down_for <= stall, f"not connected for {down_for:.0f}s: {state.last_error or 'connecting'}"

    @hookimpl
    def connector_send(self, route: Route, items: Sequence[OutboxItem], context) -> list[Result] | None:
        if not self.enabled or route.name != EVENT_ROUTE:
            return None
        results: list[Result | None] = [None] * len(items)
        messages: list[Message] = []
        positions: list[int] = []
        for index, item in enumerate(items):
            try:
                event = normalise(_decoded(item))
                key = self.routing_key.render(event)
            except Refused as refusal:
                results[index] = Result(
                    Outcome.FAILED, None, f"refused before publishing (Canopsis would refuse it): {refusal}"
                )
                continue
            messages.append(Message(key, orjson.dumps(event), str(item.id)))
            positions.append(index)
        refused = len(items) - len(messages)
        if refused:
            self.metrics.inc("amqp_refused_total", refused)
        if messages:
            if self.dry_run:
                for message in messages:
                    log.info("send_data_test: AMQP %s %s", shown(message.routing_key), message.body.decode())
                answers = [(CONFIRMED, "send_data_test")] * len(messages)
            elif self.publisher is None:
                answers = [("lost", "AMQP publisher not started (see the errors above)")] * len(messages)
            else:
                answers = self.publisher.publish(messages, self.timeout)
            every_returned = len(messages) > 1 and all(outcome == RETURNED for outcome, _ in answers)
            for index, (outcome, reason) in zip(positions, answers, strict=True):
                results[index] = self._result(items[index], outcome, reason, every_returned)
        return results  # type: ignore[return-value]

    def _result(self, item: OutboxItem, outcome: str, reason: str, every_returned: bool) -> Result:
        if outcome == CONFIRMED:
            return Result.delivered(None, reason)
        if outcome == RETURNED and not every_returned:
            # Routed nowhere while the rest of the batch was: this item's routing key is at fault.
            final = item.rejections + 1 >= self.failed_event_attempts
            return Result(Outcome.FAILED if final else Outcome.RETRY, None, reason, rejected=True)
        return Result(Outcome.RETRY, None, reason)


def _decoded(item: OutboxItem) -> Any:
    """A fresh copy of the item's event, to normalise without touching the item."""
    return orjson.loads(encoded(item))
