"""The BBDO source: the connector as a real BBDO peer of Centreon Broker (reference/bbdo.md).

``mode = "listen"``: Broker's ``bbdo_client`` output (or a legacy ``ipv4`` output with a host)
connects to us; several Brokers may be connected at once, one thread each. ``mode = "connect"``:
we connect to a ``bbdo_server`` output with retention, speak first, and reconnect with a capped
exponential backoff. Either way events are acknowledged to Broker only once the pipeline has
committed them (see core/bbdo/acks.py), so Broker's retention covers everything before that.

Backpressure: decoded batches wait in a bounded queue; when the pipeline stops asking for batches
the queue fills, the session threads stop reading their sockets, TCP windows close and Broker
keeps the rest in its retention queue.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import ssl
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..bbdo.codec import BBDOCodec
from ..bbdo.connection import peer_label
from ..bbdo.diag import BBDOCounters
from ..bbdo.session import PeerSession
from ..bbdo.settings import BBDOSettings
from .base import Batch

log = logging.getLogger(__name__)

_POLL = 0.2  # how often blocked threads look at the closing flag


class BBDOSource:
    """A :class:`~centreon_canopsis.core.sources.base.Source` reading BBDO from Broker."""

    def __init__(self, settings: BBDOSettings, *, name: str = "bbdo") -> None:
        self.name = name
        self.settings = settings
        self.codec = BBDOCodec(settings.broker_version)
        self._queue: queue.Queue[Batch] = queue.Queue(maxsize=max(1, settings.queue_batches))
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
                batch = self._queue.get(timeout=_POLL)
            except queue.Empty:
                if self.on_idle is not None:
                    self.on_idle()
                continue
            yield batch

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
            self._listener = self._bind()
            self._spawn(self._accept_loop, "bbdo-listen")
        else:
            self._spawn(self._connect_loop, "bbdo-connect")

    # -- internals ---------------------------------------------------------------------------------

    def _make_tls_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            ctx.load_cert_chain(self.settings.tls_cert, self.settings.tls_key)  # type: ignore[arg-type]
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(
                f"[source] tls_cert = {self.settings.tls_cert!r}, tls_key = {self.settings.tls_key!r}: "
                f"cannot load the certificate and key: {exc}"
            ) from exc
        return ctx

    def _spawn(self, target: Callable[..., None], name: str, *args: Any) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
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
            if full:
                log.warning(
                    "%s: refusing connection, %d peers already connected", label, self.settings.max_peers
                )
                sock.close()
                continue
            log.info("%s: Broker connected", label)
            session = self._new_session(sock, label, "acceptor")
            self._spawn(self._run_session, f"bbdo-peer-{label}", session)

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
            tls_context=self._tls_context if role == "acceptor" else None,
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

    def _deliver(self, batch: Batch, while_waiting: Callable[[], None]) -> bool:
        """Queues a batch, blocking while the queue is full; False once the source is closing."""
        while not self._closing.is_set():
            try:
                self._queue.put(batch, timeout=_POLL)
                return True
            except queue.Full:
                while_waiting()  # acks of what was committed meanwhile still go out
        return False


__all__ = ["BBDOSettings", "BBDOSource"]
