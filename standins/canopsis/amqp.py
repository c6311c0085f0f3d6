"""The sandbox's engine-fifo side of AMQP: it consumes ``canopsis.events`` like Canopsis does.

Canopsis's engine-fifo reads its queue, bound to the ``canopsis.events`` topic exchange with
``#``, decodes each message's JSON with typed fields and drops what it cannot use with a log line
(canopsis-api.md 2.6). Here a durable queue of the sandbox's own is bound the same way, and each
message goes through the same fifo checks and alarm engine as the events the HTTP API publishes;
nothing of the API's normalisation happens (over AMQP it is the producer's job).

Messages are acknowledged once applied (``multiple`` acks, once per batch), so a sandbox that
stops leaves the rest in its queue; the consumer reconnects after a lost connection.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any

import orjson
import pika

from centreon_canopsis.standins.canopsis.state import SandboxState

log = logging.getLogger("centreon_canopsis.sandbox.amqp")

BATCH = 500  # messages applied under one lock and acknowledged at once
#: ``app_id`` of the messages the sandbox's own API publishes (``amqp_publish``).
API_APP_ID = "canopsis-sandbox-api"


class ApiPublisher:
    """The API side of Canopsis (``amqp_publish``): each event the API accepted is published on
    its own, persistent, with an empty routing key and without publisher confirms, as
    ``lib/api/event/api.go`` does; engine-fifo (the consumer) applies it. Called under the
    sandbox's lock, so one connection serves every request."""

    def __init__(self, url: str, exchange: str) -> None:
        self.url = url
        self.exchange = exchange
        self._connection: Any = None
        self._channel: Any = None
        self._properties = pika.BasicProperties(
            content_type="application/json", delivery_mode=2, app_id=API_APP_ID
        )

    def __call__(self, events: list[Any]) -> list[Any]:
        """Publishes ``events``; returns those it could not publish (failed_events)."""
        done = 0
        error: Exception | None = None
        for _attempt in (1, 2):  # Canopsis tries again on a fresh connection
            try:
                if self._channel is None or not self._channel.is_open:
                    self._connection = pika.BlockingConnection(pika.URLParameters(self.url))
                    self._channel = self._connection.channel()
                publish = self._channel.basic_publish
                for event in events[done:]:
                    publish(self.exchange, "", orjson.dumps(event), self._properties)
                    done += 1
                return []
            except Exception as failure:
                self._channel = None
                error = failure
        log.warning("sandbox API: cannot publish to RabbitMQ: %s", type(error).__name__)
        return list(events[done:])

    def close(self) -> None:
        if self._connection is not None and self._connection.is_open:
            self._connection.close()


class AmqpConsumer:
    """Consumes ``exchange`` through ``queue`` (declared durable, bound with ``binding``)."""

    def __init__(
        self,
        state: SandboxState,
        url: str,
        exchange: str = "canopsis.events",
        queue: str = "canopsis-sandbox",
        binding: str = "#",
        prefetch: int = 2000,
        journal_maxlen: int = 10_000,
    ) -> None:
        self.state = state
        self.url = url
        self.exchange = exchange
        self.queue = queue
        self.binding = binding
        self.prefetch = prefetch
        #: Routing key and properties of the last messages, for tests.
        self.deliveries: deque[dict[str, Any]] = deque(maxlen=journal_maxlen)
        self.consumed = 0
        #: Messages RabbitMQ delivered again (applied, not yet acknowledged when the connection
        #: dropped): engine-fifo sees those twice too.
        self.redelivered = 0
        self.connected = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> AmqpConsumer:
        self._thread = threading.Thread(target=self._run, name="sandbox-amqp", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def delete_queue(self) -> None:
        """Removes the sandbox's queue (tests clean up after themselves)."""
        connection = pika.BlockingConnection(pika.URLParameters(self.url))
        try:
            connection.channel().queue_delete(self.queue)
        finally:
            connection.close()

    def _run(self) -> None:
        delay = 0.2
        while not self._stopping.is_set():
            try:
                self._consume()
                delay = 0.2
            except Exception as error:  # lost connection, broker restarting: try again
                self.connected.clear()
                if not self._stopping.is_set():
                    log.warning("sandbox AMQP consumer: %s: %s; reconnecting", type(error).__name__, error)
                self._stopping.wait(delay)
                delay = min(delay * 2, 5.0)

    def _consume(self) -> None:
        parameters = pika.URLParameters(self.url)
        parameters.heartbeat = 30
        connection = pika.BlockingConnection(parameters)
        try:
            channel = connection.channel()
            channel.exchange_declare(self.exchange, "topic", durable=True)
            channel.queue_declare(self.queue, durable=True)
            channel.queue_bind(self.queue, self.exchange, self.binding)
            channel.basic_qos(prefetch_count=self.prefetch)
            self.connected.set()
            log.info("sandbox consumes exchange %r through queue %r", self.exchange, self.queue)
            pending: list[tuple[Any, Any, bytes]] = []
            for method, properties, body in channel.consume(self.queue, inactivity_timeout=0.05):
                if method is not None:
                    pending.append((method, properties, body))
                if pending and (method is None or len(pending) >= BATCH):
                    self._apply(pending)
                    channel.basic_ack(pending[-1][0].delivery_tag, multiple=True)
                    pending = []
                if self._stopping.is_set():
                    break
            channel.cancel()
        finally:
            self.connected.clear()
            if connection.is_open:
                connection.close()

    def _apply(self, messages: list[tuple[Any, Any, bytes]]) -> None:
        events: list[Any] = []
        journaled: set[int] = set()
        for method, properties, body in messages:
            if properties.app_id == API_APP_ID:
                journaled.add(len(events))
            self.deliveries.append(
                {
                    "routing_key": method.routing_key,
                    "content_type": properties.content_type,
                    "delivery_mode": properties.delivery_mode,
                    "message_id": properties.message_id,
                    "redelivered": method.redelivered,
                }
            )
            try:
                events.append(orjson.loads(body))
            except orjson.JSONDecodeError:
                events.append(body.decode("utf-8", "replace"))
        self.state.consume(events, frozenset(journaled))
        self.consumed += len(messages)
        self.redelivered += sum(1 for method, _, _ in messages if method.redelivered)
