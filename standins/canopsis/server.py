"""HTTP plumbing: stdlib ThreadingHTTPServer, HTTP/1.1 keep-alive, responses written in one go."""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
import time
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from centreon_canopsis.standins.canopsis import responses as r
from centreon_canopsis.standins.canopsis.control import PREFIX as CONTROL_PREFIX
from centreon_canopsis.standins.canopsis.control import ControlApi
from centreon_canopsis.standins.canopsis.journal import redact_query
from centreon_canopsis.standins.canopsis.request import Request
from centreon_canopsis.standins.canopsis.routing import Router
from centreon_canopsis.standins.canopsis.state import SandboxState

log = logging.getLogger("centreon_canopsis.sandbox")

CACHE_CONTROL = b"Cache-Control: public, no-cache\r\n"
_REASONS = {s.value: s.phrase for s in HTTPStatus}


class _DateCache:
    """The Date header, formatted once per second."""

    def __init__(self) -> None:
        self._second = -1
        self._value = b""

    def get(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._value = f"Date: {formatdate(now, usegmt=True)}\r\n".encode()
            self._second = now
        return self._value


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SandboxHTTPServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        srv = self.server
        started = time.perf_counter()
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        parts = urlsplit(self.path)
        path = unquote(parts.path) or "/"
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request(
            method=self.command,
            path=path,
            raw_query=parts.query,
            query=parse_qs(parts.query, keep_blank_values=True) if parts.query else {},
            headers=headers,
            body=body,
            now=srv.state.clock.now(),
        )
        if path.startswith(CONTROL_PREFIX):
            self._write(srv.control.dispatch(req))
            return
        delay, injected = srv.state.faults.decide(req.method, path)
        if delay:
            time.sleep(delay)
            req.now = srv.state.clock.now()
        if injected is not None:
            response = injected
        else:
            try:
                response = srv.router.dispatch(req)
            except Exception:
                log.exception("sandbox handler failed for %s %s", req.method, path)
                response = r.internal_error()
        srv.journal_request(req, response, started)
        if response.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._write(response)

    def _write(self, response: r.Response) -> None:
        status = response.status
        head = [f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\n".encode(), CACHE_CONTROL]
        if response.content_type:
            head.append(f"Content-Type: {response.content_type}\r\n".encode())
        head.append(self.server.dates.get())
        for name, value in response.headers:
            head.append(f"{name}: {value}\r\n".encode())
        if status != 204 and status >= 200:
            head.append(f"Content-Length: {len(response.body)}\r\n".encode())
        if self.close_connection:
            head.append(b"Connection: close\r\n")
        head.append(b"\r\n")
        try:
            if self.command == "HEAD" or status == 204 or not response.body:
                self.wfile.write(b"".join(head))
            elif len(response.body) < 16384:
                self.wfile.write(b"".join([*head, response.body]))
            else:  # large bodies (10^3 events) go out without being copied into one buffer
                header = b"".join(head)
                sent = self.connection.sendmsg([header, response.body])
                if sent < len(header) + len(response.body):  # partial send: finish the rest
                    self.connection.sendall((header + response.body)[sent:])
        except OSError:
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Enough backlog for a burst of parallel clients in tests and benchmarks.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], state: SandboxState) -> None:
        self.state = state
        self.router = Router(state)
        self.control = ControlApi(state)
        self.dates = _DateCache()
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that vanished (killed, reset, timed out) is not the sandbox's error: no
        traceback on standard error, a debug line. Anything else is still logged in full."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            log.debug("client %s went away: %s", client_address, error)
            return
        log.exception("sandbox: unexpected error with client %s", client_address)

    def track(self, conn: socket.socket, alive: bool) -> None:
        with self._conn_lock:
            if alive:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def close_connections(self) -> None:
        with self._conn_lock:
            for conn in list(self._connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            self._connections.clear()

    def journal_request(self, req: Request, response: r.Response, started: float) -> None:
        entry = {
            "t": req.now,
            "method": req.method,
            "path": req.path,
            "query": redact_query(req.raw_query),
            "status": 0 if response.drop else response.status,
            "user": req.user.name if req.user is not None else None,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        }
        with self.state.lock:
            self.state.journal.record_request(entry)
