"""Peers that attack a BBDO listener: for the fuzz tests and the memory benchmark.

Each function opens one TCP connection to ``address`` and misbehaves in one way; none of them
waits for acknowledgements. They stop by themselves (bounded sizes and timeouts) and swallow the
connection errors the listener causes by dropping them.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time

from centreon_canopsis.core.bbdo.handshake import Welcome
from centreon_canopsis.core.bbdo.header import pack_header
from centreon_canopsis.core.bbdo.ids import MAX_PACKET_SIZE, make_type

#: neb::pb_service_status (1:29): a type every listener decodes.
SERVICE_STATUS = make_type(1, 29)
_FILLER = bytes(range(256)) * (MAX_PACKET_SIZE // 256 + 1)


def split_packets(count: int, *, event_id: int = SERVICE_STATUS, source_id: int = 0) -> bytes:
    """``count`` full packets (0xFFFF bytes, "more follows") of one event that never ends."""
    packet = pack_header(MAX_PACKET_SIZE, event_id, source_id) + _FILLER[:MAX_PACKET_SIZE]
    return packet * count


def open_unfinished_events(
    address: tuple[str, int],
    *,
    events: int = 4,
    size: int = 60 << 20,
    welcome: Welcome | None = None,
    hold: float = 0.0,
    tls_context: ssl.SSLContext | None = None,
    timeout: float = 10.0,
) -> int:
    """Sends a welcome, then ``events`` split events of ``size`` bytes each, none finished.

    The events are interleaved (one packet of each in turn, distinct source ids), as a peer trying
    to make the listener hold as much as possible would do. Keeps the connection ``hold`` seconds
    after sending, then closes it. Returns the bytes sent before the listener dropped us (if it did).
    """
    welcome = welcome or Welcome.for_version("3.0.0")
    packets = max(1, size // MAX_PACKET_SIZE)
    rounds = b"".join(split_packets(1, source_id=100 + i) for i in range(events))
    sent = 0
    with contextlib.suppress(OSError), socket.create_connection(address, timeout=timeout) as sock:
        sock.sendall(welcome.encode())
        sent += len(welcome.encode())
        chunk = rounds * 16
        done = 0
        while done < packets:
            step = min(16, packets - done)
            data = chunk if step == 16 else rounds * step
            sock.sendall(data)
            sent += len(data)
            done += step
        if hold:
            time.sleep(hold)
    return sent


def silent_peer(address: tuple[str, int], *, hold: float, welcome: bool = False) -> None:
    """Connects (optionally sends a welcome) and says nothing more for ``hold`` seconds."""
    with contextlib.suppress(OSError), socket.create_connection(address, timeout=hold + 5) as sock:
        if welcome:
            sock.sendall(Welcome.for_version("3.0.0").encode())
        sock.settimeout(hold)
        end = time.monotonic() + hold
        while time.monotonic() < end:
            try:
                if not sock.recv(65536):
                    return  # the listener dropped us
            except TimeoutError:
                return


def send_bytes(address: tuple[str, int], data: bytes, *, linger: float = 0.0, timeout: float = 5.0) -> None:
    """Sends ``data`` as is, waits ``linger`` seconds for the listener, closes."""
    with contextlib.suppress(OSError), socket.create_connection(address, timeout=timeout) as sock:
        sock.sendall(data)
        if linger:
            sock.settimeout(linger)
            with contextlib.suppress(OSError):
                sock.recv(65536)
