"""A BBDO connection: a socket, its reassembler, the welcome exchange and in-band TLS.

Shared by the connector's source (core/sources/bbdo.py) and the Broker emulation
(standins/broker/peer.py), whichever side opens the TCP connection: the side that connects speaks first,
the side that accepts answers (reference/bbdo.md 2.3).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import time
from collections import deque
from collections.abc import Callable

from .diag import LogLimiter
from .errors import BBDOError, DecodeError
from .framing import RawEvent, Reassembler
from .handshake import TLS, Welcome, parse_welcome
from .ids import WELCOMES, type_name

log = logging.getLogger(__name__)

RECV_SIZE = 256 * 1024
#: Broker waits this long for the peer's welcome when read_timeout is unset (bbdo.md 2.3).
DEFAULT_HANDSHAKE_TIMEOUT = 3.0


class PeerClosed(BBDOError):
    """The peer closed the connection."""


class HandshakeError(BBDOError):
    """No valid welcome in time, an unexpected first message, or a failed TLS negotiation."""


def peer_label(address: object) -> str:
    """``host:port`` of a socket address, for log lines."""
    if isinstance(address, tuple) and len(address) >= 2:
        host = address[0]
        return f"[{host}]:{address[1]}" if ":" in str(host) else f"{host}:{address[1]}"
    return str(address)


class BBDOConnection:
    """Reads events from and writes bytes to one peer."""

    def __init__(
        self,
        sock: socket.socket,
        label: str,
        *,
        reassembler: Reassembler | None = None,
        warn: LogLimiter | None = None,
    ) -> None:
        self.sock = sock
        self.label = label
        self.warn = warn or LogLimiter(log)
        self.reassembler = reassembler or Reassembler(label, warn=self.warn)
        self.backlog: deque[RawEvent] = deque()  # events read but not handed out yet
        self.bytes_received = 0
        self.tls = False

    @property
    def offset(self) -> int:
        """Stream offset of the next byte to parse."""
        return self.reassembler.offset

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def recv(self, size: int = RECV_SIZE) -> list[RawEvent]:
        """One read from the socket, and the events it completes (possibly none).

        Raises PeerClosed at end of stream, TimeoutError / OSError as the socket does.
        """
        data = self.sock.recv(size)
        if not data:
            raise PeerClosed(f"{self.label}: connection closed by peer at offset {self.reassembler.offset}")
        self.bytes_received += len(data)
        return self.reassembler.feed(data)

    def recv_ready(self) -> list[RawEvent]:
        """One read after select() said the socket is readable, without blocking.

        With TLS, readable may only mean TLS records without application data (TLS 1.3 session
        tickets, for instance): a blocking read would then wait for data that is not coming.
        """
        timeout = self.sock.gettimeout()
        self.sock.settimeout(0.0)
        try:
            return self.recv()
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return []
        finally:
            self.sock.settimeout(timeout)

    def pending_tls_bytes(self) -> bool:
        """Decrypted bytes already inside the TLS layer (invisible to select())."""
        return self.tls and isinstance(self.sock, ssl.SSLSocket) and self.sock.pending() > 0

    def read_event(self, deadline: float) -> RawEvent:
        """The next complete event, waiting until ``deadline`` (time.monotonic)."""
        while not self.backlog:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            self.sock.settimeout(remaining)
            self.backlog.extend(self.recv())
        return self.backlog.popleft()

    def read_welcome(self, timeout: float) -> Welcome:
        """Waits for the peer's welcome; the first complete event must be one."""
        deadline = time.monotonic() + timeout
        try:
            event = self.read_event(deadline)
        except TimeoutError as exc:
            raise HandshakeError(
                f"{self.label}: no BBDO welcome within {timeout:g} s "
                f"({self.reassembler.offset + self.reassembler.buffered} bytes received)"
            ) from exc
        if event.event_id not in WELCOMES or event.payload is None:
            raise HandshakeError(
                f"{self.label}: invalid protocol header: expected a welcome, got {type_name(event.event_id)} "
                f"at offset {event.offset}"
            )
        try:
            return parse_welcome(event.event_id, event.payload)
        except DecodeError as exc:
            raise HandshakeError(f"{self.label}: unreadable welcome at offset {event.offset}: {exc}") from exc

    def accept_handshake(
        self, timeout: float, make_reply: Callable[[Welcome], Welcome]
    ) -> tuple[Welcome, Welcome]:
        """Acceptor side: read the peer's welcome, send ours. Returns (theirs, ours)."""
        theirs = self.read_welcome(timeout)
        ours = make_reply(theirs)
        self.send(ours.encode())
        return theirs, ours

    def connect_handshake(self, ours: Welcome, timeout: float) -> Welcome:
        """Connector side: send our welcome first, then read the peer's."""
        self.send(ours.encode())
        return self.read_welcome(timeout)

    def start_tls(
        self,
        context: ssl.SSLContext,
        *,
        server_side: bool,
        timeout: float,
        server_hostname: str | None = None,
    ) -> None:
        """TLS negotiated in the welcomes starts right after them, on the raw socket."""
        if self.backlog or self.reassembler.buffered:
            raise HandshakeError(f"{self.label}: peer sent BBDO data before the TLS handshake")
        self.sock.settimeout(timeout)
        try:
            self.sock = context.wrap_socket(
                self.sock, server_side=server_side, server_hostname=None if server_side else server_hostname
            )
        except (ssl.SSLError, OSError) as exc:
            raise HandshakeError(f"{self.label}: TLS handshake failed: {exc}") from exc
        self.tls = True

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def tls_negotiated(a: Welcome, b: Welcome) -> bool:
    """Both sides listed the TLS extension."""
    return TLS in a.extensions and TLS in b.extensions
