"""The BBDO source: the connector as a real BBDO peer of Centreon Broker (reference/bbdo.md).

``mode = "listen"``: Broker's ``bbdo_client`` output (or a legacy ``ipv4`` output with a host)
connects to us; several Brokers may be connected at once, one thread each. ``mode = "connect"``:
we connect to a ``bbdo_server`` output with retention, speak first, and reconnect with a capped
exponential backoff. Either way events are acknowledged to Broker only once the pipeline has
committed them (see core/bbdo/acks.py), so Broker's retention covers everything before that.

Backpressure: decoded batches wait in a bounded queue (in batches and in bytes); when the pipeline
stops asking for batches the queue fills, the session threads stop reading their sockets, TCP
windows close and Broker keeps the rest in its retention queue.

Who may connect (listen mode): ``allowed_peers`` closes other addresses before any byte is read;
with ``tls_ca`` a peer must complete TLS with a certificate that CA signed (and, with
``tls_peer_names``, that carries one of those names) before its first event is read. Memory:
see core/bbdo/budget.py.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..bbdo.budget import BufferBudget
from ..bbdo.codec import BBDOCodec
from ..bbdo.connection import peer_label
from ..bbdo.diag import BBDOCounters
from ..bbdo.peers import AllowList, exposure_problem
from ..bbdo.session import PeerSession
from ..bbdo.settings import BBDOSettings
from ..logsafe import log_limited
from ..logsetup import notice
from ..process_metrics import thread_finished
from .base import Batch
from .bbdo_metrics import register_metrics

log = logging.getLogger(__name__)

_POLL = 0.2  # how often blocked threads look at the closing flag


class BBDOSource:
    """A :class:`~centreon_canopsis.core.sources.base.Source` reading BBDO from Broker."""

    def __init__(self, settings: BBDOSettings, *, name: str = "bbdo") -> None:
        self.name = name
        self.settings = settings
        self.codec = BBDOCodec(settings.broker_version)
        self._queue: queue.Queue[tuple[Batch, int]] = queue.Queue(maxsize=max(1, settings.queue_batches))
        self._queued_bytes = 0  # bytes of the batches in the queue (guarded by _room)
        self._room = threading.Condition()
        self.budget = BufferBudget(settings.total_buffer_limit)
        self._allowed = AllowList(settings.allowed_peers)
        #: Connections closed, by reason (see PeerSession.close_reason; not_allowed, too_many_peers).
        self.closed_by_reason: Counter[str] = Counter()
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._started = False
        self._sessions: set[PeerSession] = set()
        self._totals = BBDOCounters()
        self._threads: list[threading.Thread] = []
        self._listener: socket.socket | None = None
        self._tls_context = self._make_tls_context() if settings.tls else None
        self.address: tuple[str, int] | None = None  # bound address in listen mode
        #: Called by the reading thread while no batch waits (the pipeline's loop stays alive).
        self.on_idle: Callable[[], None] | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any], **overrides: Any) -> BBDOSource:
        """A source from the ``[source]`` table (``overrides``: settings not in the file, for tests)."""
        return cls(BBDOSettings.from_config(config, **overrides))

    # -- Source protocol ---------------------------------------------------------------------------

    def batches(self, resume: str | None = None) -> Iterator[Batch]:
        """Batches from every peer, in arrival order per peer, until :meth:`close`.

        ``resume`` is ignored: Broker replays whatever was not acknowledged.
        """
        self.start()
        while not self._closing.is_set():
            try:
                batch, size = self._queue.get(timeout=_POLL)
            except queue.Empty:
                if self.on_idle is not None:
                    self.on_idle()
                continue
            with self._room:
                self._queued_bytes -= size
                self._room.notify_all()
            yield batch

    def pending(self) -> bool:
        """A batch waits in the queue (the pipeline may take it into the same commit)."""
        return not self._queue.empty()

    def close(self) -> None:
        """Stops listening/connecting and drops every peer; unacknowledged events stay with Broker."""
        self._closing.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
        with self._lock:
            sessions = list(self._sessions)
        for session in sessions:
            session.abort()
        current = threading.current_thread()
        for thread in self._threads:
            if thread is not current:
                thread.join(timeout=5.0)

    # -- state for the metrics layer and tests -----------------------------------------------------

    @property
    def counters(self) -> dict[str, int]:
        """Cumulative counters of every peer so far (see :class:`BBDOCounters`)."""
        with self._lock:
            total = BBDOCounters()
            total.add(self._totals)
            for session in self._sessions:
                total.add(session.snapshot())
            total.active_peers = len(self._sessions)
        return total.as_dict()

    def peers(self) -> list[dict[str, Any]]:
        """The connected peers: address, BBDO version, TLS, events, acknowledgements (``status``)."""
        with self._lock:
            sessions = list(self._sessions)
        found = []
        for session in sessions:
            welcome = session.peer_welcome
            tracker = session.tracker
            found.append(
                {
                    "peer": session.label,
                    "bbdo_version": welcome.version if welcome else "",
                    "tls": session.conn.tls,
                    "handshake_done": session.handshake_ok,
                    "connected_at": session.connected_at,
                    "bytes_received": session.conn.bytes_received,
                    "events_received": tracker.received,
                    "events_acked": tracker.acked,
                    "last_event_at": session.last_event_at,
                    "last_ack_at": session.last_ack_at,
                }
            )
        return found

    def register_metrics(self, metrics: Any) -> None:
        """Exposes the counters and the connected peers in ``metrics`` (read when scraped)."""
        register_metrics(self, metrics)

    @property
    def closed(self) -> bool:
        return self._closing.is_set()

    def start(self) -> None:
        """Binds the listener (errors surface here) or starts connecting; idempotent."""
        with self._lock:
            if self._started:
                return
            self._started = True
        if self.settings.mode == "listen":
            problem = exposure_problem({"type": "bbdo", **_as_config(self.settings)})
            if problem:  # validate refuses it unless allow_unauthenticated_peers: said at every start,
                # at the level the default log level shows
                notice(
                    log,
                    "WARNING: %s (allow_unauthenticated_peers = true); see docs/security.md",
                    problem.replace("source.", ""),
                )
            self._listener = self._bind()
            self._spawn(self._accept_loop, "bbdo-listen")
        else:
            self._spawn(self._connect_loop, "bbdo-connect")

    # -- internals ---------------------------------------------------------------------------------

    def _make_tls_context(self) -> ssl.SSLContext:
        """listen: TLS server, client certificates required when ``tls_ca`` is set; connect: TLS
        client verifying Broker's certificate against ``tls_ca`` (and its host name, unless
        ``tls_peer_names`` lists the names to accept), presenting ``tls_cert`` when set."""
        s = self.settings
        server = s.mode == "listen"
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if s.tls_cert:
            try:
                ctx.load_cert_chain(s.tls_cert, s.tls_key)
            except (OSError, ssl.SSLError) as exc:
                raise ValueError(
                    f"[source] tls_cert = {s.tls_cert!r}, tls_key = {s.tls_key!r}: "
                    f"cannot load the certificate and key: {exc}"
                ) from exc
        if s.tls_ca:
            try:
                ctx.load_verify_locations(cafile=s.tls_ca)
            except (OSError, ssl.SSLError) as exc:
                raise ValueError(
                    f"[source] tls_ca = {s.tls_ca!r}: cannot load the CA certificate: {exc}"
                ) from exc
            ctx.verify_mode = ssl.CERT_REQUIRED
            if not server:
                ctx.check_hostname = not s.tls_peer_names
        return ctx

    def _spawn(self, target: Callable[..., None], name: str, *args: Any) -> threading.Thread:
        def run() -> None:
            try:
                target(*args)
            finally:
                thread_finished()  # peers come and go: their CPU is counted whole

        thread = threading.Thread(target=run, name=name, daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()]
        self._threads.append(thread)
        thread.start()
        return thread

    def _bind(self) -> socket.socket:
        host, port = self.settings.host, self.settings.port
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            sock = socket.create_server((host, port), family=family, backlog=16)
        except OSError as exc:
            raise OSError(exc.errno, f"BBDO source cannot listen on {host}:{port}: {exc.strerror}") from exc
        sock.settimeout(_POLL)
        self.address = sock.getsockname()[:2]
        log.info("BBDO source listening on %s", peer_label(self.address))
        return sock

    def _accept_loop(self) -> None:
        listener = self._listener
        assert listener is not None
        while not self._closing.is_set():
            try:
                sock, address = listener.accept()
            except TimeoutError:
                continue
            except OSError as exc:
                if not self._closing.is_set():
                    log.error("BBDO listener failed: %s", exc)
                return
            label = peer_label(address)
            with self._lock:
                self._totals.connections += 1
                full = len(self._sessions) >= self.settings.max_peers
            if not self._allowed.allows(str(address[0])):
                self._refuse(
                    sock, "not_allowed", "%s: connection refused: address not in allowed_peers", label
                )
                continue
            if full:
                self._refuse(
                    sock,
                    "too_many_peers",
                    "%s: connection refused: %d peers already connected",
                    label,
                    self.settings.max_peers,
                )
                continue
            log_limited(log, logging.INFO, "bbdo:connected", "%s: connection accepted", label)
            session = self._new_session(sock, label, "acceptor")
            self._spawn(self._run_session, f"bbdo-peer-{label}", session)

    def _refuse(self, sock: socket.socket, reason: str, msg: str, *args: object) -> None:
        """Closes a connection before reading anything from it; counted and logged (rate-limited)."""
        with contextlib.suppress(OSError):
            sock.close()
        with self._lock:
            self.closed_by_reason[reason] += 1
        log_limited(log, logging.WARNING, f"bbdo:refused:{reason}", msg, *args)

    def _connect_loop(self) -> None:
        s = self.settings
        target = peer_label((s.host, s.port))
        delay = s.reconnect_min_delay
        while not self._closing.is_set():
            try:
                sock = socket.create_connection((s.host, s.port), timeout=s.handshake_timeout)
            except OSError as exc:
                log.warning("cannot connect to Broker at %s: %s; next try in %.1f s", target, exc, delay)
            else:
                with self._lock:
                    self._totals.connections += 1
                label = f"{target} (local {peer_label(sock.getsockname())})"
                log.info("%s: connected to Broker", label)
                session = self._new_session(sock, label, "connector")
                self._run_session(session)
                if session.handshake_ok:
                    delay = s.reconnect_min_delay
                if self._closing.is_set():
                    return
                log.info("%s: reconnecting in %.1f s", target, delay)
            if self._closing.wait(delay):
                return
            delay = min(
                max(delay * 2, s.reconnect_min_delay), max(s.reconnect_max_delay, s.reconnect_min_delay)
            )

    def _new_session(self, sock: socket.socket, label: str, role: str) -> PeerSession:
        session = PeerSession(
            sock,
            label,
            role=role,
            settings=self.settings,
            codec=self.codec,
            deliver=self._deliver,
            closing=self._closing,
            tls_context=self._tls_context,
            budget=self.budget,
        )
        with self._lock:
            self._sessions.add(session)
        return session

    def _run_session(self, session: PeerSession) -> None:
        try:
            session.run()
        finally:
            with self._lock:
                self._sessions.discard(session)
                self._totals.add(session.counters)
                self.closed_by_reason[session.close_reason or "error"] += 1

    def _deliver(
        self,
        batch: Batch,
        while_waiting: Callable[[], None],
        size: int = 0,
        deadline: float | None = None,
    ) -> bool | None:
        """Queues a batch of ``size`` bytes, blocking while the queue is full (in batches, or in
        bytes: ``total_buffer_limit``, though a batch always fits an empty queue).

        True once queued; False once the source is closing; None when ``deadline`` (monotonic)
        passed first. ``while_waiting`` runs every poll while blocked (acks still go out).
        """
        limit = self.settings.total_buffer_limit
        while not self._closing.is_set():
            if deadline is not None and time.monotonic() > deadline:
                return None
            with self._room:
                fits = self._queued_bytes == 0 or self._queued_bytes + size <= limit
                if fits:
                    self._queued_bytes += size
            if fits:
                try:
                    self._queue.put((batch, size), timeout=_POLL)
                    return True
                except queue.Full:
                    with self._room:
                        self._queued_bytes -= size
            else:
                with self._room:
                    self._room.wait(_POLL)
            while_waiting()
        return False


def _as_config(settings: BBDOSettings) -> dict[str, Any]:
    return {
        "mode": settings.mode,
        "host": settings.host,
        "tls_ca": settings.tls_ca,
        "allowed_peers": list(settings.allowed_peers),
    }


__all__ = ["BBDOSettings", "BBDOSource"]
