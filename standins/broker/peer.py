"""A stand-in for Centreon Broker on the wire, so tests and demos use the real BBDO path.

:class:`BrokerPeer` plays a Broker output fed with a list of event dicts:

* ``mode="client"``: a ``bbdo_client`` output, it connects to our listener and speaks first;
* ``mode="server"``: a ``bbdo_server`` output with retention, it listens and we connect.

Like Broker's persistent muxer (reference/bbdo.md 2.5) it keeps every event until it is
acknowledged, applies acks to the oldest events first, stops sending when ``max_unacked`` events
are in flight (``event_queue_max_size``), and after a reconnection replays everything not yet
acknowledged, from the oldest (at-least-once). At the end it sends ``pb_stop`` (or the legacy
``stop`` of 22.10), waits up to 5 s for the final ack, and reports what was acknowledged.
"""

from __future__ import annotations

import bisect
import contextlib
import logging
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from centreon_canopsis.core.bbdo.codec import BBDOCodec
from centreon_canopsis.core.bbdo.connection import (
    BBDOConnection,
    HandshakeError,
    PeerClosed,
    peer_label,
    tls_negotiated,
)
from centreon_canopsis.core.bbdo.errors import DecodeError
from centreon_canopsis.core.bbdo.handshake import TLS, Welcome, encode_stop, parse_ack
from centreon_canopsis.core.bbdo.ids import ACKS, is_control

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RawBytes:
    """Bytes sent verbatim among the events (garbage, a hand-made frame, an unknown event).

    ``events`` is how many events the connector should count for them: 1 for one framed event
    (known or not), 0 for bytes that are no event at all.
    """

    data: bytes
    events: int = 1

    def __post_init__(self) -> None:
        if self.events not in (0, 1):
            raise ValueError("RawBytes.events must be 0 or 1")


@dataclass(slots=True)
class PeerReport:
    """What happened, from Broker's point of view."""

    total: int  # events to deliver
    acknowledged: int = 0  # events the connector acknowledged (cumulative, clamped like Broker)
    sent: int = 0  # event transmissions, replays included
    replayed: int = 0  # transmissions of events already sent on an earlier connection
    connections: int = 0  # sessions that completed the handshake
    stop_sent: bool = False
    stop_acknowledged: bool = False  # an ack came back within the stop timeout
    unexpected: int = 0  # non-control events the connector wrote to us (must stay 0)
    welcomes: list[Welcome] = field(default_factory=list)  # what the connector answered
    errors: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.acknowledged == self.total


class _ConnectionLost(Exception):
    pass


class BrokerPeer:
    """Sends events to the connector over real BBDO and honours its acks."""

    def __init__(
        self,
        events: Iterable[Mapping[str, Any] | RawBytes],
        *,
        mode: str = "client",
        host: str = "127.0.0.1",
        port: int = 0,
        bbdo_version: str = "3.0.0",
        broker_version: str = "24.10",
        legacy_stop: bool | None = None,
        source_id: int = 1,
        poller_id: int = 1,
        max_unacked: int = 100_000,
        retry_interval: float = 0.2,
        reconnect_timeout: float = 10.0,
        stop_ack_timeout: float = 5.0,
        handshake_timeout: float = 3.0,
        tls_context: ssl.SSLContext | None = None,
        send_chunk: int = 64 * 1024,
        one_ack_after_stop: bool = False,
    ) -> None:
        if mode not in ("client", "server"):
            raise ValueError(f"mode {mode!r}: 'client' or 'server'")
        codec = BBDOCodec(broker_version)
        self._frames: list[bytes] = []
        weights: list[int] = []
        for item in events:
            if isinstance(item, RawBytes):
                self._frames.append(item.data)
                weights.append(item.events)
            else:
                self._frames.append(codec.encode(item, source_id=source_id))
                weights.append(1)
        # _cum[i] = events carried by the frames before frame i
        self._cum = [0]
        for w in weights:
            self._cum.append(self._cum[-1] + w)
        self.total = self._cum[-1]
        self.mode = mode
        self.host = host
        self.port = port
        self.bbdo_version = bbdo_version
        # Broker 22.10 sends the legacy stop; 23.04+ sends pb_stop whatever its BBDO version.
        self.legacy_stop = broker_version.startswith("22.") if legacy_stop is None else legacy_stop
        self.poller_id = poller_id
        self.max_unacked = max(1, max_unacked)
        self.retry_interval = retry_interval
        self.reconnect_timeout = reconnect_timeout
        self.stop_ack_timeout = stop_ack_timeout
        self.handshake_timeout = handshake_timeout
        self.tls_context = tls_context
        self.send_chunk = send_chunk
        #: Like Broker (bbdo::stream::_send_event_stop_and_wait_for_ack): after its stop, read one
        #: message for 5 s and close. Off: keep reading acks until everything is acknowledged.
        self.one_ack_after_stop = one_ack_after_stop
        self.report = PeerReport(total=self.total)
        self._acked = 0  # events acknowledged, oldest first
        self._acks_seen = 0  # ack messages received
        self._sent_events = 0  # events sent up to the current position
        self._high_water = 0  # frames ever sent (to count replays)
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._listener: socket.socket | None = None
        self._conn: BBDOConnection | None = None
        if mode == "server":
            self._listener = socket.create_server((host, port), backlog=4)
            self._listener.settimeout(0.2)
            self.port = self._listener.getsockname()[1]

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    @property
    def acknowledged(self) -> int:
        return self._acked

    # -- running -----------------------------------------------------------------------------------

    def start(self) -> BrokerPeer:
        self._thread = threading.Thread(target=self.run, name=f"broker-peer-{self.mode}", daemon=True)
        self._thread.start()
        return self

    def join(self, timeout: float | None = None) -> PeerReport:
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise TimeoutError("the Broker peer is still running")
        return self.report

    def close(self) -> None:
        """Aborts: drops the connection without a stop (like a killed Broker)."""
        self._closing.set()
        conn = self._conn
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)

    def run(self) -> PeerReport:
        """Delivers every event (with replays as needed); returns the report."""
        deadline = time.monotonic() + self.reconnect_timeout
        try:
            while not self._closing.is_set():
                conn = self._open(deadline)
                if conn is None:
                    break
                deadline = time.monotonic() + self.reconnect_timeout
                try:
                    self._session(conn)
                    break
                except _ConnectionLost as exc:
                    log.info(
                        "broker peer: connection lost (%s); %d of %d acknowledged",
                        exc,
                        self._acked,
                        self.total,
                    )
                    if self.report.stop_sent and self._acked == self.total:
                        break
                finally:
                    conn.close()
                    self._conn = None
        finally:
            if self._listener is not None:
                self._listener.close()
            self.report.acknowledged = self._acked
        return self.report

    def _open(self, deadline: float) -> BBDOConnection | None:
        """A connection with a completed handshake, or None when the retry budget is spent."""
        while not self._closing.is_set():
            if time.monotonic() > deadline:
                self.report.errors.append("gave up reconnecting")
                return None
            try:
                sock = self._socket()
            except OSError as exc:
                self._note_error(f"connect: {exc}")
                time.sleep(self.retry_interval)
                continue
            if sock is None:
                continue
            conn = BBDOConnection(sock, f"broker peer {peer_label(sock.getpeername())}")
            self._conn = conn
            try:
                self._handshake(conn)
            except (HandshakeError, PeerClosed, OSError) as exc:
                self._note_error(f"handshake: {exc}")
                conn.close()
                time.sleep(self.retry_interval)
                continue
            self.report.connections += 1
            return conn
        return None

    def _note_error(self, message: str) -> None:
        if not self.report.errors or self.report.errors[-1] != message:
            self.report.errors.append(message)

    def _socket(self) -> socket.socket | None:
        if self._listener is None:
            return socket.create_connection((self.host, self.port), timeout=self.handshake_timeout)
        try:
            sock, _ = self._listener.accept()
        except TimeoutError:
            return None
        return sock

    def _handshake(self, conn: BBDOConnection) -> None:
        extensions = (TLS,) if self.tls_context is not None else ()
        ours = Welcome.for_version(self.bbdo_version, extensions, poller_id=self.poller_id)
        if self.mode == "client":
            theirs = conn.connect_handshake(ours, self.handshake_timeout)
        else:
            # A Broker acceptor answers in the form it received, with its own version.
            theirs, ours = conn.accept_handshake(
                self.handshake_timeout,
                lambda w: Welcome(ours.major, ours.minor, ours.patch, extensions, w.protobuf, self.poller_id),
            )
        self.report.welcomes.append(theirs)
        if theirs.major != ours.major:
            raise HandshakeError(f"peer is using protocol version {theirs.version}, we use {ours.version}")
        if self.tls_context is not None and tls_negotiated(ours, theirs):
            conn.start_tls(
                self.tls_context,
                server_side=self.mode == "server",
                timeout=self.handshake_timeout,
                server_hostname=self.host,
            )

    def _session(self, conn: BBDOConnection) -> None:
        """Sends from the oldest unacknowledged event, then stop; raises _ConnectionLost.

        One thread does everything (TLS sockets must not be shared between threads): it sends a
        chunk, reads whatever acks arrived, and waits for acks when the window is full.
        """
        index = bisect.bisect_left(self._cum, self._acked)
        self._sent_events = self._cum[index]
        conn.sock.settimeout(30.0)
        frames = self._frames
        while index < len(frames):
            self._read_acks(conn, 0.0)
            # Broker's muxer never has more than event_queue_max_size unacknowledged events out.
            room = self.max_unacked - (self._sent_events - self._acked)
            if room <= 0:
                self._read_acks(conn, 0.2)
                continue
            chunk, size, end = [], 0, index
            while end < len(frames) and size < self.send_chunk and self._cum[end] - self._cum[index] < room:
                chunk.append(frames[end])
                size += len(frames[end])
                end += 1
            self._send(conn, b"".join(chunk))
            self._sent_events = self._cum[end]
            cum = self._cum
            self.report.sent += cum[end] - cum[index]
            self.report.replayed += max(0, cum[min(end, self._high_water)] - cum[index])
            self._high_water = max(self._high_water, end)
            index = end
        self._send(conn, encode_stop(protobuf=not self.legacy_stop, poller_id=self.poller_id))
        self.report.stop_sent = True
        # Broker waits 5 s for the ack that answers its stop; we also want every event covered, so
        # wait until everything is acknowledged or the time is up.
        deadline = time.monotonic() + self.stop_ack_timeout
        acks_before = self._acks_seen
        while self._acked < self.total:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break  # what is unacknowledged stays in "retention"
            self._read_acks(conn, min(remaining, 0.2))
            if self.one_ack_after_stop and self._acks_seen > acks_before:
                break
        self.report.stop_acknowledged = self._acks_seen > acks_before

    def _send(self, conn: BBDOConnection, data: bytes) -> None:
        if self._closing.is_set():
            raise _ConnectionLost("peer closed")
        try:
            conn.send(data)
        except OSError as exc:
            raise _ConnectionLost(f"send: {exc}") from exc

    def _read_acks(self, conn: BBDOConnection, timeout: float) -> None:
        """Reads what the connector sent within ``timeout`` seconds and applies its acks."""
        if self._closing.is_set():
            raise _ConnectionLost("peer closed")
        if not conn.pending_tls_bytes():
            readable, _, _ = select.select([conn.sock], [], [], timeout)
            if not readable:
                return
        try:
            raws = conn.recv_ready()
        except (PeerClosed, OSError) as exc:
            raise _ConnectionLost(str(exc)) from exc
        for raw in raws:
            if raw.event_id in ACKS and raw.payload is not None:
                try:
                    count = parse_ack(raw.event_id, raw.payload)
                except DecodeError:
                    continue
                self._acks_seen += 1
                # Acks apply to the oldest events; acking more than is outstanding is clamped.
                self._acked = min(self._acked + count, self._sent_events)
                self.report.acknowledged = self._acked
            elif not is_control(raw.event_id):
                self.report.unexpected += 1
