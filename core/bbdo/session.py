"""One BBDO connection seen from the connector: handshake, events -> batches, acks, stop.

Runs in its own thread. All socket I/O happens in that thread (TLS objects are not safe to share);
the pipeline thread only records commits in the :class:`AckTracker` and, when an ack is due,
wakes this thread through a socket pair.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..logsafe import log_limited, shown
from ..logsetup import NOTICE
from ..sources.base import Batch, Rejected
from . import accel, kept
from .acks import AckTracker
from .budget import BudgetExceeded, BufferBudget
from .codec import BBDOCodec
from .connection import BBDOConnection, HandshakeError, PeerClosed
from .diag import BBDOCounters, LogLimiter
from .errors import UnknownEventError
from .framing import RawEvent, Reassembler
from .handshake import COMPRESSION, TLS, Welcome, encode_ack
from .ids import ACKS, CATEGORY_BBDO, STOPS, WELCOMES, type_name
from .peers import name_matches
from .settings import BBDOSettings

log = logging.getLogger("centreon_canopsis.core.sources.bbdo")

#: Longest sleep of the session loop, so that idle and partial-event timeouts are checked.
_TICK = 1.0
#: Bytes reserved in the shared budget for each read made ahead while the queue is full.
RECV_AHEAD = 256 * 1024


def _readable(sock: socket.socket) -> bool:
    sel = selectors.DefaultSelector()
    try:
        sel.register(sock, selectors.EVENT_READ)
        return bool(sel.select(0))
    finally:
        sel.close()


#: ``_framing.decode_run`` when the C accelerator was built and is not switched off.
_DECODE_RUN: Callable[..., int] | None = getattr(accel.load(accel.FRAMING), "decode_run", None)


class OffsetLabels(list):  # type: ignore[type-arg]
    """Stream offsets of a batch's events, read as labels ("offset N") only for an error line:
    no string is made per event."""

    def __getitem__(self, index: Any) -> Any:
        item = super().__getitem__(index)
        return f"offset {item}" if isinstance(index, int) else [f"offset {v}" for v in item]

    def __iter__(self) -> Any:
        return (f"offset {v}" for v in super().__iter__())


class _Oversized(Exception):
    """The event was larger than the limit (its payload was discarded while reading)."""


class SessionClosing(Exception):
    """The source is closing; the session stops without further I/O."""


class StopWhileBlocked(Exception):
    """Broker's stop was read ahead while the session waited for room in the source's queue."""

    def __init__(self, raw: RawEvent) -> None:
        super().__init__("stop")
        self.raw = raw


class PeerRejected(HandshakeError):
    """TLS is required and the peer did not offer it, or its certificate does not carry a wanted name."""


def _warn(key: str, msg: str, *args: object) -> None:
    """A per-peer warning: a few lines a minute per kind, whatever the number of peers."""
    log_limited(log, logging.WARNING, f"bbdo:{key}", msg, *args)


def _info(key: str, msg: str, *args: object) -> None:
    log_limited(log, logging.INFO, f"bbdo:{key}", msg, *args)


def _notice(key: str, msg: str, *args: object) -> None:
    """What an admin must see at the default log level (Broker connected, Broker gone), limited
    like the rest: a peer reconnecting in a loop writes a few lines a minute."""
    log_limited(log, NOTICE, f"bbdo:{key}", msg, *args)


class PeerSession:
    """Serves one peer until it goes away or the source closes."""

    def __init__(
        self,
        sock: socket.socket,
        label: str,
        *,
        role: str,
        settings: BBDOSettings,
        codec: BBDOCodec,
        deliver: Callable[..., bool],
        closing: threading.Event,
        tls_context: ssl.SSLContext | None = None,
        budget: BufferBudget | None = None,
    ) -> None:
        if role not in ("acceptor", "connector"):
            raise ValueError(f"role {role!r}")
        self.label = label
        self.role = role
        self.settings = settings
        self.codec = codec
        #: _handle's loop over the usual events in C (None: the Python alone, the reference)
        self._decode_run = _DECODE_RUN
        self.counters = BBDOCounters()
        self.handshake_ok = False
        self.peer_welcome: Welcome | None = None
        #: Why the session ended (a label of bbdo_connections_closed_total), set by run().
        self.close_reason = ""
        self.connected_at = time.time()
        self.last_event_at = 0.0  # wall clock of the last read that carried data
        self.last_ack_at = 0.0
        self._deliver = deliver
        self._closing = closing
        self._aborted = False
        self._tls_context = tls_context
        self._warn = LogLimiter(log)
        self.conn = BBDOConnection(
            sock,
            label,
            reassembler=Reassembler(
                label,
                max_event_size=settings.max_event_size,
                partial_timeout=settings.partial_timeout,
                warn=self._warn,
                peer_limit=settings.peer_buffer_limit,
                budget=budget,
            ),
            warn=self._warn,
        )
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.tracker = AckTracker(settings.ack_events, settings.ack_interval, wake=self.wake)
        self._flushed = 0  # sequence number covered by the last batch or handled_without_batch
        self._events: list[dict[str, Any]] = []
        self._labels = OffsetLabels()
        # Undecodable and oversized events, reported (and the former kept) by the pipeline.
        self._rejected: list[Rejected | tuple[str, str]] = []
        self._unknown_seen: set[int] = set()
        self._sized = 0  # bytes_received + split_bytes at the last batch: sizes batches for the queue
        self._budget = budget
        self._readahead = 0  # bytes read while blocked, reserved in the shared budget

    # -- called from other threads -------------------------------------------------------------

    def wake(self) -> None:
        with contextlib.suppress(OSError):  # already awake (buffer full) or closed
            self._wake_w.send(b"\0")

    def abort(self) -> None:
        """Stops the session from another thread (source closing)."""
        self._aborted = True
        self.wake()
        with contextlib.suppress(OSError):
            self.conn.sock.shutdown(socket.SHUT_RDWR)

    # -- the session thread ----------------------------------------------------------------------

    def run(self) -> None:
        reason = "error"
        try:
            if self.role == "acceptor":
                self._accept_handshake()
            else:
                self._connect_handshake()
            self.handshake_ok = True
            self.counters.handshakes += 1
            reason = self._serve()
        except SessionClosing:
            reason = "shutdown"
        except StopWhileBlocked as stop:
            reason = "stopped"
            self._stop_now(stop.raw)
        except PeerClosed:
            if self.handshake_ok:
                reason = "stopped" if self.counters.stops_received else "peer_closed"
                _info("closed", "%s: peer closed the connection at offset %d", self.label, self.conn.offset)
            else:
                reason = "handshake_failed"
                self.counters.handshake_failures += 1
                _warn("handshake", "%s: peer closed the connection during the handshake", self.label)
        except PeerRejected as exc:
            reason = "tls_rejected"
            self.counters.handshake_failures += 1
            self.counters.tls_rejections += 1
            _warn("tls-rejected", "%s", exc)
        except HandshakeError as exc:
            reason = "handshake_failed"
            self.counters.handshake_failures += 1
            if isinstance(exc.__cause__, ssl.SSLCertVerificationError | ssl.SSLError):
                reason = "tls_rejected"
                self.counters.tls_rejections += 1
            _warn("handshake", "%s", exc)
        except BudgetExceeded as exc:
            reason = "over_budget"
            self.counters.budget_drops += 1
            _warn("budget", "%s: dropping the peer at offset %d: %s", self.label, self.conn.offset, exc)
        except (OSError, ssl.SSLError) as exc:
            if self._aborted or self._closing.is_set():
                reason = "shutdown"
            elif self.counters.stops_received:
                reason = "stopped"  # a reset after Broker's stop is how some Brokers leave
            else:
                self.counters.peer_errors += 1
                _warn(
                    "connection-error",
                    "%s: connection error at offset %d: %s",
                    self.label,
                    self.conn.offset,
                    shown(str(exc)),
                )
        except Exception:
            self.counters.peer_errors += 1
            log.exception(
                "%s: unexpected error at offset %d, dropping the peer", self.label, self.conn.offset
            )
        finally:
            self.close_reason = reason
            self._finish()

    def _finish(self) -> None:
        r = self.conn.reassembler
        if r.buffered or r.pending_events:
            self.counters.truncated_streams += 1
            _warn(
                "truncated",
                "%s: connection ended in the middle of a packet at offset %d (%d bytes, %d split events "
                "left incomplete)",
                self.label,
                r.offset,
                r.buffered,
                r.pending_events,
            )
        self.counters = self.snapshot()
        r.release()  # the bytes of unfinished events go back to the shared budget at once
        self._release_readahead()
        if self.handshake_ok:
            _notice(
                "session-over",
                "%s: Broker disconnected (%s): %d events received, %d acknowledged",
                self.label,
                self.close_reason,
                self.tracker.received,
                self.tracker.acked,
            )
        self.conn.close()
        self._wake_r.close()
        self._wake_w.close()

    def snapshot(self) -> BBDOCounters:
        """A copy of the counters, with the byte-level ones of the stream filled in."""
        c = replace(self.counters)
        s = self.conn.reassembler.stats
        c.bytes_received = self.conn.bytes_received
        c.corrupted_bytes = s.corrupted_bytes
        c.resyncs = s.resyncs
        c.partials_dropped = s.partials_dropped
        return c

    def _accept_handshake(self) -> None:
        expected = self.settings.version[0]

        def reply(theirs: Welcome) -> Welcome:
            if theirs.major != expected:
                self.counters.version_mismatches += 1
                _warn(
                    "version",
                    "%s: peer speaks BBDO %s but bbdo_version is %s; answering with major %d so that the "
                    "session works (both BBDO 2 and 3 events are decoded), but check the Broker "
                    "configuration",
                    self.label,
                    theirs.version,
                    self.settings.bbdo_version,
                    theirs.major,
                )
            return theirs.reply((TLS,) if self._tls_context is not None else ())

        theirs, ours = self.conn.accept_handshake(self.settings.handshake_timeout, reply)
        self._negotiated(theirs, ours)
        if TLS in theirs.extensions and self._tls_context is not None:
            self.conn.start_tls(self._tls_context, server_side=True, timeout=self.settings.handshake_timeout)
            self._tls_established()
        elif self.settings.verifies_peers:
            raise PeerRejected(
                f"{self.label}: tls_ca is set, so a client certificate is required, but the peer did not "
                "offer TLS (set encryption to yes and a certificate on the Broker output)"
            )
        elif self._tls_context is not None:
            _warn(
                "tls-clear",
                "%s: TLS is configured but the peer did not offer it; continuing in clear",
                self.label,
            )

    def _tls_established(self) -> None:
        sock = self.conn.sock
        assert isinstance(sock, ssl.SSLSocket)
        names = self.settings.tls_peer_names
        if names:
            cert = sock.getpeercert() or {}
            if not name_matches(cert, names):
                raise PeerRejected(
                    f"{self.label}: the peer's certificate (subject {shown(cert.get('subject'))}, "
                    f"names {shown(cert.get('subjectAltName'))}) carries none of tls_peer_names "
                    f"{', '.join(names)}"
                )
        _info("tls", "%s: TLS established (%s)", self.label, sock.version())

    def _connect_handshake(self) -> None:
        extensions = (TLS,) if self._tls_context is not None else ()
        ours = Welcome.for_version(self.settings.bbdo_version, extensions)
        theirs = self.conn.connect_handshake(ours, self.settings.handshake_timeout)
        if theirs.major != ours.major:
            self.counters.version_mismatches += 1
            raise HandshakeError(
                f"{self.label}: Broker speaks BBDO {theirs.version}, we are configured with bbdo_version "
                f"{self.settings.bbdo_version}: the majors must match, Broker drops the connection"
            )
        self._negotiated(theirs, ours)
        if self._tls_context is None:
            return
        if TLS not in theirs.extensions:
            raise PeerRejected(
                f"{self.label}: tls_ca is set but Broker did not offer TLS: set encryption to yes and a "
                "certificate on its bbdo_server output"
            )
        names = self.settings.tls_peer_names
        self.conn.start_tls(
            self._tls_context,
            server_side=False,
            timeout=self.settings.handshake_timeout,
            server_hostname=None if names else self.settings.host,
        )
        self._tls_established()

    def _negotiated(self, theirs: Welcome, ours: Welcome) -> None:
        self.peer_welcome = theirs
        _notice(
            "negotiated",
            "%s: Broker connected: BBDO %s (%s); peer extensions: %s; ours: %s",
            self.label,
            theirs.version,
            "pb_welcome" if theirs.protobuf else "version_response",
            shown(" ".join(theirs.extensions)) or "none",
            " ".join(ours.extensions) or "none",
        )
        if COMPRESSION in theirs.extensions:
            _info(
                "compression",
                "%s: peer offers compression; not negotiated, the stream stays uncompressed",
                self.label,
            )

    def _serve(self) -> str:
        """Serves the peer; returns why it stopped (the peer closing raises PeerClosed)."""
        conn = self.conn
        conn.sock.settimeout(5.0)  # for sends (acks): a peer that stops reading is dropped
        sel = selectors.DefaultSelector()
        sel.register(conn.sock, selectors.EVENT_READ, "peer")
        sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        idle = self.settings.idle_timeout
        last_rx = time.monotonic()
        try:
            if conn.backlog:  # events that came with the welcome
                ahead = list(conn.backlog)
                conn.backlog.clear()  # before handling: reads ahead while blocked land here
                self._handle(ahead)
            while not (self._aborted or self._closing.is_set()):
                due = self.tracker.seconds_until_due()
                timeout = _TICK if due is None else min(due, _TICK)
                if idle:
                    timeout = min(timeout, max(0.0, last_rx + idle - time.monotonic()))
                ready = {"peer"} if conn.pending_tls_bytes() else {k.data for k, _ in sel.select(timeout)}
                if "wake" in ready:
                    self._drain_wake()
                if "peer" in ready:
                    self._handle(conn.recv_ready())
                    last_rx = time.monotonic()
                    self.last_event_at = time.time()
                while conn.backlog:  # read ahead while the queue was full
                    ahead = list(conn.backlog)
                    conn.backlog.clear()
                    self._release_readahead()
                    self._handle(ahead)
                else:
                    conn.reassembler.expire()
                self._send_due_ack()
                if idle and time.monotonic() - last_rx > idle:
                    self.counters.idle_timeouts += 1
                    _warn(
                        "idle",
                        "%s: nothing received for %g s (idle_timeout), dropping the peer",
                        self.label,
                        idle,
                    )
                    return "idle_timeout"
            return "shutdown"
        finally:
            sel.close()

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except OSError:
            pass

    def _handle(self, raw_events: list[RawEvent]) -> None:
        # The hot loop: per event one decode and two appends; counts are added per read. The
        # usual events go through _framing.decode_run (C) when it is built; this loop, the
        # reference, takes the others (control messages, unknown types, errors) and all of them
        # without it. The type's decoder is called directly (BBDOCodec.decode's frame cost more).
        decoders = self.codec.decoders
        limit = self.settings.max_batch_events
        events, offsets = self._events, self._labels
        received = decoded = 0
        index, end = 0, len(raw_events)
        run = self._decode_run if raw_events.__class__ is list else None
        while index < end:
            if len(events) >= limit:  # a full batch goes before the next event
                self._count(received, decoded)
                received = decoded = 0
                self._flush()
                events, offsets = self._events, self._labels
            if run is not None:
                stop = run(raw_events, index, decoders, events, offsets, limit - len(events))
                if stop > index:
                    received += stop - index
                    decoded += stop - index
                    index = stop
                    continue
            raw = raw_events[index]
            index += 1
            event_id = raw.event_id
            if event_id >> 16 == CATEGORY_BBDO:
                self._count(received, decoded)
                received = decoded = 0
                self._control(raw)  # a stop flushes
                events, offsets = self._events, self._labels
                continue
            received += 1
            payload = raw.payload
            try:
                if payload is None:
                    raise _Oversized
                decoder = decoders.get(event_id)
                if decoder is None:
                    raise UnknownEventError(event_id)
                event = decoder(payload)
            except Exception as exc:
                self._undecodable(raw, exc)
                continue
            decoded += 1
            events.append(event)
            offsets.append(raw.offset)
        self._count(received, decoded)
        self._flush()

    def _count(self, received: int, decoded: int) -> None:
        self.tracker.received += received
        counters = self.counters
        counters.events_received += received
        counters.events_decoded += decoded

    def _undecodable(self, raw: RawEvent, exc: Exception) -> None:
        if isinstance(exc, _Oversized):
            self.counters.events_oversized += 1
            self._rejected.append(
                (f"offset {raw.offset}", f"{type_name(raw.event_id)} larger than the limit")
            )
        elif isinstance(exc, UnknownEventError):
            self.counters.events_unknown += 1
            if raw.event_id not in self._unknown_seen:
                self._unknown_seen.add(raw.event_id)
                _info(
                    "unknown-type",
                    "%s: skipping events of type %s (first at offset %d): no decoder; they are counted and "
                    "acknowledged",
                    self.label,
                    type_name(raw.event_id),
                    raw.offset,
                )
        else:  # DecodeError, or a codec bug (which must not drop the peer): counted and kept
            self.counters.events_undecodable += 1
            # Acknowledged like the rest, so Broker never sends it again: its payload is kept
            # (an ``input`` dead letter that ``deadletters retry`` decodes again).
            self._rejected.append(kept.rejected(raw, exc, self.codec))

    def _flush(self, deadline: float | None = None) -> None:
        """Hands the decoded events over as one batch; accounts for events that went into none.

        With a ``deadline`` (a stop), a batch that finds no room by then is left out: it is never
        acknowledged, so Broker sends it again."""
        end = self.tracker.received
        if self._events or self._rejected:
            batch = Batch(
                events=self._events,
                position=None,
                on_commit=self.tracker.batch_done_callback(end),
                origin=f"broker {self.label}",
                labels=self._labels,
                rejected=self._rejected,
                typed=True,  # decoded from the protocol's own types: ids are ints, names str
            )
            self._events, self._labels, self._rejected = [], OffsetLabels(), []
            self.counters.batches += 1
            sized = self.conn.bytes_received + self.conn.reassembler.stats.split_bytes
            size, self._sized = sized - self._sized, sized
            if self._deliver(batch, self._while_blocked, size, deadline) is False:
                raise SessionClosing  # (None: no room before the stop's deadline; Broker resends it)
        elif end > self._flushed:
            self.tracker.handled_without_batch(end)
        self._flushed = end

    def _control(self, raw: RawEvent) -> None:
        self.counters.control_messages += 1
        event_id = raw.event_id
        if event_id in STOPS:
            self._stop(raw)
        elif event_id in ACKS:
            log.debug("%s: ignoring an ack from the peer at offset %d", self.label, raw.offset)
        elif event_id in WELCOMES:
            self._warn.warning(
                "control", "%s: ignoring a second welcome at offset %d", self.label, raw.offset
            )
        else:
            log.debug(
                "%s: ignoring control message %s at offset %d", self.label, type_name(event_id), raw.offset
            )

    def _while_blocked(self) -> None:
        """Called while the source's queue is full: acks still go out, and the peer is read ahead
        (within the budgets) so that a stop behind the waiting events is seen in time."""
        self._send_due_ack()
        conn = self.conn
        room = self.settings.peer_buffer_limit // 2 - self._readahead
        if room <= 0 or not (conn.pending_tls_bytes() or _readable(conn.sock)):
            return
        if self._budget is not None and not self._budget.reserve(RECV_AHEAD):
            return
        self._readahead += RECV_AHEAD
        raws = conn.recv_ready()
        for raw in raws:
            if raw.event_id in STOPS:
                raise StopWhileBlocked(raw)
        conn.backlog.extend(raws)

    def _release_readahead(self) -> None:
        if self._readahead:
            if self._budget is not None:
                self._budget.release(self._readahead)
            self._readahead = 0

    def _stop(self, raw: RawEvent) -> None:
        """Broker is closing: it waits 5 s for one ack and reads nothing more (reference/bbdo.md
        2.4). The batches handed over get until ``stop_wait`` to be committed, then one ack covers
        everything committed."""
        deadline = time.monotonic() + self.settings.stop_wait
        self._flush(deadline)
        if self.tracker.in_flight and not self.tracker.wait_committed(max(0.0, deadline - time.monotonic())):
            _warn(
                "stop-wait",
                "%s: stop received but %d batches are not committed after %g s; Broker keeps them",
                self.label,
                self.tracker.in_flight,
                self.settings.stop_wait,
            )
        self._stop_now(raw)

    def _stop_now(self, raw: RawEvent) -> None:
        self.counters.stops_received += 1
        count = self.tracker.take_due(force=True)
        self._send_ack(count)
        _info(
            "stop",
            "%s: stop received at offset %d: final ack of %d events (%d of %d acknowledged in this session)",
            self.label,
            raw.offset,
            count,
            self.tracker.acked,
            self.tracker.received,
        )

    def _send_due_ack(self) -> None:
        count = self.tracker.take_due()
        if count:
            self._send_ack(count)

    def _send_ack(self, count: int) -> None:
        # Counted first: the tracker has already moved, and a failed send ends the session anyway.
        self.counters.acks_sent += 1
        self.counters.events_acked += count
        self.last_ack_at = time.time()
        self.conn.send(encode_ack(count))
