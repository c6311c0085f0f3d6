"""Publishing to RabbitMQ with publisher confirms, many messages in flight, on pika's SelectConnection.

One I/O thread owns the connection (pika objects are not thread-safe); the sender thread hands it
a batch through ``add_callback_threadsafe`` and waits for the batch's confirms. Every message of
the batch is published at once and the broker's acks (``multiple`` ones included) settle them:
one confirm round per batch, never one round trip per message.

- ``Basic.Ack``: delivered, unless a ``Basic.Return`` came first for that message (published
  ``mandatory``, routed to no queue: RabbitMQ returns it, then acks it).
- ``Basic.Nack``: the broker refused it (a queue with ``overflow = reject-publish`` is full, an
  internal error).
- connection or channel lost: every message not confirmed yet is reported lost, to be sent again.
- ``connection.blocked`` (a memory or disk alarm): new batches are refused at once until
  ``connection.unblocked``; that is the backpressure the sender reports.

Public pika API only: ``SelectConnection``, ``Channel.confirm_delivery``, ``add_on_return_callback``,
``add_on_connection_blocked_callback``, ``IOLoop.add_callback_threadsafe``.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import pika
from pika.spec import Basic

from centreon_canopsis.core.logsafe import log_limited

log = logging.getLogger(__name__)
# pika logs a lost connection as several ERROR lines with stack excerpts; this module says it once,
# with what happens next (reconnecting, what is sent again).
logging.getLogger("pika").setLevel(logging.CRITICAL)

RECONNECT_INITIAL, RECONNECT_CAP = 0.5, 15.0

# Outcomes of one message.
CONFIRMED, NACKED, RETURNED, LOST = "confirmed", "nacked", "returned", "lost"


@dataclass
class Message:
    routing_key: str
    body: bytes
    message_id: str


@dataclass
class _Batch:
    messages: Sequence[Message]
    results: list[tuple[str, str] | None] = field(default_factory=list)
    pending: int = 0
    done: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.results = [None] * len(self.messages)
        self.pending = len(self.messages)
        if not self.pending:
            self.done.set()

    def settle(self, index: int, outcome: str, reason: str = "") -> None:
        if self.results[index] is None:
            self.results[index] = (outcome, reason)
            self.pending -= 1
            if self.pending == 0:
                self.done.set()

    def settle_rest(self, outcome: str, reason: str) -> None:
        for index, result in enumerate(self.results):
            if result is None:
                self.settle(index, outcome, reason)


@dataclass
class PublisherState:
    """What readiness and the metrics show (written by the I/O thread, read anywhere)."""

    connected: bool = False
    connected_since: float = 0.0
    blocked: bool = False
    blocked_since: float = 0.0
    blocked_reason: str = ""
    last_error: str = ""
    down_since: float = field(default_factory=time.time)


def connection_parameters(
    url: str,
    password: str,
    *,
    heartbeat: int,
    connect_timeout: float,
    ca_file: str | None = None,
    cert_file: str | None = None,
    key_file: str | None = None,
    verify: bool = True,
) -> pika.URLParameters:
    """pika's parameters for ``url``; the password is set apart, never written in a URL."""
    # The user is set apart too: pika cannot parse a user without a password in a URL.
    parts = urlsplit(url)
    user = unquote(parts.username or "") or "guest"  # RabbitMQ's default, like pika's
    parameters = pika.URLParameters(urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2])))
    if password:
        parameters.credentials = pika.PlainCredentials(user, password)
    elif cert_file:
        parameters.credentials = pika.credentials.ExternalCredentials()
    parameters.heartbeat = heartbeat
    parameters.socket_timeout = connect_timeout
    parameters.stack_timeout = connect_timeout
    parameters.connection_attempts = 1
    parameters.blocked_connection_timeout = None  # a blocked connection is backpressure, not an error
    parameters.client_properties = {"connection_name": "centreon-canopsis-connector"}
    if url.startswith("amqps://"):
        context = ssl.create_default_context(cafile=ca_file)
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if cert_file:
            context.load_cert_chain(cert_file, key_file)
        parameters.ssl_options = pika.SSLOptions(context, server_hostname=parameters.host)
    return parameters


def describe(error: BaseException) -> str:
    """What went wrong, with the cause pika wraps in its workflow errors (a TLS or login error)."""
    causes = getattr(error, "exceptions", None)
    if causes:  # AMQPConnectionWorkflowFailed: the attempts' own errors
        return describe(causes[-1])
    wrapped = getattr(error, "exception", None)
    if isinstance(wrapped, BaseException):  # AMQPConnectorTransportSetupError: the TLS error
        return describe(wrapped)
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class Publisher:
    """Publishes batches with confirms on a connection it keeps open (reconnecting with backoff)."""

    def __init__(
        self,
        parameters: pika.URLParameters,
        exchange: str,
        on_event: Callable[[str, int], None] | None = None,
    ) -> None:
        self.parameters = parameters
        self.exchange = exchange
        self.state = PublisherState()
        #: Called as ``on_event(name, count)`` for the metrics (I/O thread).
        self._on_event = on_event or (lambda name, count: None)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._connection: pika.SelectConnection | None = None
        self._channel: Any = None
        self._open_batches: dict[int, _Batch] = {}
        # I/O thread only: delivery tag -> (batch, index); tags returned before their ack.
        self._inflight: dict[int, tuple[_Batch, int]] = {}
        self._by_message_id: dict[str, int] = {}
        self._returned: dict[int, str] = {}
        self._next_tag = 0
        self._properties = pika.BasicProperties(content_type="application/json", delivery_mode=2)

    # -- life --------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="amqp-publisher", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        with self._lock:
            connection = self._connection
        if connection is not None:
            with contextlib.suppress(Exception):  # the loop is already gone
                connection.ioloop.add_callback_threadsafe(self._close)
        if self._thread is not None:
            self._thread.join(timeout)
        self._fail_open_batches(LOST, "the connector is stopping")

    def wait_connected(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.state.connected:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    # -- the sender's side -------------------------------------------------------------------

    def publish(self, messages: Sequence[Message], timeout: float) -> list[tuple[str, str]]:
        """Publishes every message and waits for their confirms: ``(outcome, reason)`` each."""
        batch = _Batch(messages)
        if not messages:
            return []
        state = self.state
        with self._lock:
            connection = self._connection
            if not state.connected or connection is None:
                return [(LOST, f"not connected to RabbitMQ: {state.last_error or 'connecting'}")] * len(
                    messages
                )
            if state.blocked:
                return [(LOST, f"RabbitMQ blocks publishing: {state.blocked_reason}")] * len(messages)
            self._open_batches[id(batch)] = batch
        try:
            connection.ioloop.add_callback_threadsafe(lambda: self._publish(batch))
            if not batch.done.wait(timeout):
                with self._lock:
                    batch.settle_rest(LOST, f"not confirmed by RabbitMQ within {timeout:g}s")
                self._on_event("unconfirmed_timeout", 1)
        except Exception as error:  # the loop closed between the check and the call
            with self._lock:
                batch.settle_rest(LOST, f"connection lost: {type(error).__name__}")
        finally:
            with self._lock:
                self._open_batches.pop(id(batch), None)
        return [result or (LOST, "unconfirmed") for result in batch.results]

    # -- the I/O thread ----------------------------------------------------------------------

    def _run(self) -> None:
        delay = RECONNECT_INITIAL
        while not self._stopping.is_set():
            opened_at = time.monotonic()
            try:
                connection = pika.SelectConnection(
                    self.parameters,
                    on_open_callback=self._on_open,
                    on_open_error_callback=self._on_open_error,
                    on_close_callback=self._on_closed,
                )
                with self._lock:
                    self._connection = connection
                connection.ioloop.start()
            except Exception as error:  # a bad TLS file, a resolver error: keep trying, loudly
                self._note_down(f"{type(error).__name__}: {error}")
                log.warning("AMQP connection failed: %s", self.state.last_error)
            with self._lock:
                self._connection = None
            self._fail_inflight(LOST, f"connection lost: {self.state.last_error}")
            if self._stopping.is_set():
                break
            if time.monotonic() - opened_at > 10 * RECONNECT_CAP:
                delay = RECONNECT_INITIAL  # it had been up for a while: a fresh outage
            self._stopping.wait(delay)
            delay = min(delay * 2, RECONNECT_CAP)

    def _note_down(self, reason: str) -> None:
        state = self.state
        if state.connected:
            state.down_since = time.time()
        state.connected = False
        state.blocked = False
        state.last_error = reason

    def _on_open(self, connection: pika.SelectConnection) -> None:
        connection.add_on_connection_blocked_callback(self._on_blocked)
        connection.add_on_connection_unblocked_callback(self._on_unblocked)
        connection.channel(on_open_callback=self._on_channel_open)

    def _on_open_error(self, connection: pika.SelectConnection, error: BaseException) -> None:
        self._note_down(f"cannot connect: {describe(error)}")
        # Once a minute at most while it goes on (a reconnection every few seconds).
        log_limited(
            log, logging.WARNING, f"amqp-connect-{id(self)}", "AMQP: %s; trying again", self.state.last_error
        )
        connection.ioloop.stop()

    def _on_closed(self, connection: pika.SelectConnection, reason: BaseException) -> None:
        was = self.state.connected
        self._note_down(f"connection closed: {describe(reason)}")
        if was and not self._stopping.is_set():
            log.warning("AMQP: %s; reconnecting", self.state.last_error)
        self._channel = None
        connection.ioloop.stop()

    def _on_channel_open(self, channel: Any) -> None:
        channel.add_on_close_callback(self._on_channel_closed)
        channel.add_on_return_callback(self._on_return)
        # Fails (404, closing the channel) at once when the exchange is missing: a clear reason.
        channel.exchange_declare(self.exchange, passive=True, callback=lambda _frame: self._confirm(channel))

    def _confirm(self, channel: Any) -> None:
        channel.confirm_delivery(self._on_confirm, callback=lambda _frame: self._ready(channel))

    def _ready(self, channel: Any) -> None:
        self._channel = channel
        self._next_tag = 0
        self._inflight.clear()
        self._by_message_id.clear()
        self._returned.clear()
        state = self.state
        state.connected = True
        state.connected_since = time.time()
        state.last_error = ""
        self._on_event("connected", 1)
        log.info(
            "AMQP: connected to %s, exchange %r, publisher confirms on", self.parameters.host, self.exchange
        )

    def _on_channel_closed(self, channel: Any, reason: BaseException) -> None:
        if self._channel is channel:
            self._channel = None
        self._fail_inflight(LOST, f"channel closed: {reason}")
        connection = self._connection
        if connection is None or not connection.is_open or self._stopping.is_set():
            return
        self._note_down(f"channel closed by RabbitMQ: {reason}")
        # A missing exchange closes every new channel: once a minute at most while it lasts.
        log_limited(
            log,
            logging.WARNING,
            f"amqp-channel-{id(self)}",
            "AMQP: %s; opening another in 2s",
            self.state.last_error,
        )
        self.state.connected = False
        connection.ioloop.call_later(
            2.0, lambda: connection.is_open and connection.channel(on_open_callback=self._on_channel_open)
        )

    def _on_blocked(self, connection: Any, frame: Any) -> None:
        state = self.state
        state.blocked = True
        state.blocked_since = time.time()
        state.blocked_reason = str(getattr(frame.method, "reason", "") or "resource alarm")
        self._on_event("blocked", 1)
        log.warning("AMQP: RabbitMQ blocks publishing (%s): backpressure", state.blocked_reason)

    def _on_unblocked(self, connection: Any, frame: Any) -> None:
        state = self.state
        if state.blocked:
            log.info("AMQP: RabbitMQ unblocked publishing after %.0fs", time.time() - state.blocked_since)
        state.blocked = False
        state.blocked_reason = ""

    def _close(self) -> None:
        connection = self._connection
        if connection is not None and connection.is_open:
            connection.close()
        elif connection is not None:
            connection.ioloop.stop()

    def _publish(self, batch: _Batch) -> None:
        channel = self._channel
        if channel is None or not channel.is_open:
            with self._lock:
                batch.settle_rest(LOST, f"not connected to RabbitMQ: {self.state.last_error}")
            return
        if batch.done.is_set():  # timed out before its turn
            return
        exchange = self.exchange
        properties = self._properties
        publish = channel.basic_publish
        inflight = self._inflight
        by_id = self._by_message_id
        tag = self._next_tag
        for index, message in enumerate(batch.messages):
            tag += 1
            inflight[tag] = (batch, index)
            by_id[message.message_id] = tag
            properties.message_id = message.message_id
            try:
                publish(exchange, message.routing_key, message.body, properties, mandatory=True)
            except Exception as error:  # the channel closed under us
                self._next_tag = tag
                self._fail_inflight(LOST, f"publish failed: {type(error).__name__}: {error}")
                return
        self._next_tag = tag
        self._on_event("published", len(batch.messages))

    def _on_return(self, channel: Any, method: Any, properties: Any, body: bytes) -> None:
        tag = self._by_message_id.get(properties.message_id or "")
        if tag is not None:
            self._returned[tag] = (
                f"returned by RabbitMQ: {method.reply_code} {method.reply_text} (no queue bound to exchange "
                f"{method.exchange!r} for routing key {method.routing_key!r})"
            )

    def _on_confirm(self, frame: Any) -> None:
        method = frame.method
        ack = isinstance(method, Basic.Ack)
        last = method.delivery_tag
        inflight = self._inflight
        if method.multiple:  # every tag up to ``last``: the dict is in publishing (tag) order
            tags = []
            for tag in inflight:
                if tag > last:
                    break
                tags.append(tag)
        else:
            tags = [last]
        counts = {CONFIRMED: 0, NACKED: 0, RETURNED: 0}
        settled: list[tuple[_Batch, int, str, str]] = []
        for tag in tags:
            entry = inflight.pop(tag, None)
            if entry is None:
                continue
            batch, index = entry
            self._by_message_id.pop(batch.messages[index].message_id, None)
            returned = self._returned.pop(tag, None)
            if not ack:
                outcome, reason = NACKED, "nacked by RabbitMQ (a queue is full with overflow reject-publish?)"
            elif returned is not None:
                outcome, reason = RETURNED, returned
            else:
                outcome, reason = CONFIRMED, ""
            counts[outcome] += 1
            settled.append((batch, index, outcome, reason))
        # Counted before the sender learns of it: whoever saw a payload delivered sees it counted.
        for outcome, count in counts.items():
            if count:
                self._on_event(outcome, count)
        with self._lock:
            for batch, index, outcome, reason in settled:
                batch.settle(index, outcome, reason)

    def _fail_inflight(self, outcome: str, reason: str) -> None:
        with self._lock:
            lost = len(self._inflight)
            for batch, index in self._inflight.values():
                batch.settle(index, outcome, reason)
            self._inflight.clear()
            self._by_message_id.clear()
            self._returned.clear()
            for batch in self._open_batches.values():
                batch.settle_rest(outcome, reason)
        if lost:
            self._on_event("unconfirmed_lost", lost)

    def _fail_open_batches(self, outcome: str, reason: str) -> None:
        with self._lock:
            for batch in self._open_batches.values():
                batch.settle_rest(outcome, reason)
