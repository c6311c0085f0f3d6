"""HTTP plumbing (stdlib ThreadingHTTPServer, HTTP/1.1 keep-alive) and the :class:`Sandbox` facade."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from centreon_canopsis.core.sandbox import responses as r
from centreon_canopsis.core.sandbox.auth import (
    PRODUCER_PERMISSIONS,
    ROOT_PERMISSIONS,
    Authenticator,
    User,
    new_authkey,
)
from centreon_canopsis.core.sandbox.clock import Clock
from centreon_canopsis.core.sandbox.control import PREFIX as CONTROL_PREFIX
from centreon_canopsis.core.sandbox.control import ControlApi
from centreon_canopsis.core.sandbox.faults import Fault
from centreon_canopsis.core.sandbox.journal import redact_query
from centreon_canopsis.core.sandbox.request import Request
from centreon_canopsis.core.sandbox.routing import Router
from centreon_canopsis.core.sandbox.state import SandboxState
from centreon_canopsis.core.sandbox.versions import parse_version

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
    server: _Server

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


class _Server(ThreadingHTTPServer):
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


class Sandbox:
    """A Canopsis API v4 stand-in on a local port, for tests, demos and dry runs.

    Usage::

        with Sandbox(authkey="secret", resolve_delay=0, seed=1) as sandbox:
            api = requests.Session()
            api.post(sandbox.url + "/api/v4/event", json=events, headers={"x-canopsis-authkey": "secret"})
            assert sandbox.alarms()[0]["v"]["state"]["val"] == 2

    The HTTP server runs in a background thread; every method here is thread-safe.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        authkey: str | None = None,
        canopsis_version: str = "24.04",
        edition: str = "community",
        resolve_delay: float = 60.0,
        *,
        cancel_resolve_delay: float = 3600.0,
        username: str = "root",
        password: str = "root",
        users: Iterable[User | Mapping[str, Any]] = (),
        seed: int | None = None,
        journal_maxlen: int = 10_000,
        allow_change_severity_to_info: bool = False,
        allow_double_ack: bool = False,
    ) -> None:
        if edition not in ("community", "pro"):
            raise ValueError("edition must be 'community' or 'pro'")
        if resolve_delay < 0:
            raise ValueError("resolve_delay must be >= 0")
        self.profile = parse_version(canopsis_version)
        self.host = host
        self._requested_port = int(port)
        self.root = User(username, password, authkey or new_authkey(), ROOT_PERMISSIONS, roles=("admin",))
        self.auth = Authenticator([self.root])
        self.clock = Clock()
        self.state = SandboxState(
            self.profile,
            self.auth,
            self.root,
            self.clock,
            seed,
            float(resolve_delay),
            float(cancel_resolve_delay),
            journal_maxlen,
            allow_change_severity_to_info,
            allow_double_ack,
            edition,
        )
        for user in users:
            if isinstance(user, User):
                self.auth.add(user)
            else:
                self.add_user(**dict(user))
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle --------------------------------------------------------------------------------
    def start(self) -> Sandbox:
        if self._server is not None:
            return self
        self._server = _Server((self.host, self._requested_port), self.state)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="canopsis-sandbox",
            daemon=True,
        )
        self._thread.start()
        log.info("Canopsis sandbox %s listening on %s", self.profile.full, self.url)
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        log.info("Canopsis sandbox stopped")

    def serve_forever(self) -> None:
        """Serves in the calling thread until :meth:`stop` is called from elsewhere."""
        self.start()
        assert self._thread is not None
        while self._thread.is_alive():
            self._thread.join(0.2)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self.port}"

    @property
    def authkey(self) -> str:
        """The root user's authkey (given or generated)."""
        return self.root.authkey

    @property
    def version(self) -> str:
        return self.profile.full

    # --- users ----------------------------------------------------------------------------------------
    def add_user(
        self,
        name: str,
        password: str = "",
        authkey: str | None = None,
        permissions: Iterable[str] = PRODUCER_PERMISSIONS,
        roles: Iterable[str] = ("producer",),
        enabled: bool = True,
        display_name: str = "",
    ) -> User:
        """Declares another user, e.g. one lacking a permission to see a 403."""
        user = User(
            name,
            password,
            authkey if authkey is not None else new_authkey(),
            frozenset(permissions),
            tuple(roles),
            display_name,
            enabled,
        )
        return self.auth.add(user)

    # --- faults ------------------------------------------------------------------------------------------
    def fail_next(
        self,
        count: int = 1,
        status: int = 500,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        path_prefix: str | None = None,
        method: str | None = None,
        content_type: str = r.JSON_UTF8,
    ) -> Fault:
        """The next ``count`` matching requests get ``status`` (e.g. 429 + ``Retry-After``)."""
        return self.state.faults.add(
            Fault(
                "fail",
                count=count,
                status=status,
                body=body,
                headers=dict(headers or {}),
                path_prefix=path_prefix,
                method=method,
                content_type=content_type,
            )
        )

    def fail_rate(
        self,
        rate: float,
        status: int = 500,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        path_prefix: str | None = None,
        method: str | None = None,
        count: int | None = None,
        content_type: str = r.JSON_UTF8,
    ) -> Fault:
        """A fraction ``rate`` of matching requests fail (drawn from the seeded generator)."""
        return self.state.faults.add(
            Fault(
                "fail",
                rate=rate,
                count=count,
                status=status,
                body=body,
                headers=dict(headers or {}),
                path_prefix=path_prefix,
                method=method,
                content_type=content_type,
            )
        )

    def drop_connections(
        self, count: int = 1, path_prefix: str | None = None, method: str | None = None
    ) -> Fault:
        """The next ``count`` matching requests are read, then the socket is closed unanswered."""
        return self.state.faults.add(Fault("drop", count=count, path_prefix=path_prefix, method=method))

    def add_latency(
        self,
        seconds: float,
        count: int | None = None,
        path_prefix: str | None = None,
        method: str | None = None,
    ) -> Fault:
        return self.state.faults.add(
            Fault("latency", seconds=float(seconds), count=count, path_prefix=path_prefix, method=method)
        )

    def fail_events(self, match: Mapping[str, Any], count: int | None = None) -> Fault:
        """Events whose fields equal ``match`` (a list value means "one of") go to failed_events."""
        return self.state.faults.add(Fault("fail_events", match=dict(match), count=count))

    def set_maintenance(self, enabled: bool = True) -> None:
        if enabled and not self.profile.maintenance:
            raise ValueError(f"maintenance mode does not exist in Canopsis {self.profile.line} (23.10+)")
        with self.state.lock:
            self.state.maintenance = enabled

    def clear_faults(self) -> None:
        """Removes every fault rule and turns maintenance off."""
        self.state.faults.clear()
        with self.state.lock:
            self.state.maintenance = False

    def faults(self) -> list[dict[str, Any]]:
        return self.state.faults.list()

    # --- time and state ---------------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Moves the sandbox clock forward (resolutions and pbehavior bounds follow)."""
        self.clock.advance(seconds)

    def set_resolve_delay(self, seconds: float) -> None:
        self.state.set_resolve_delay(seconds)

    def reset(self) -> None:
        self.state.reset()

    # --- inspection ----------------------------------------------------------------------------------------
    def alarms(self, opened: bool | None = True) -> list[dict[str, Any]]:
        """Alarms as the API renders them: opened (default), resolved (False) or all (None)."""
        return self.state.alarms(opened)

    def entities(self) -> list[dict[str, Any]]:
        return self.state.entities()

    def pbehaviors(self) -> list[dict[str, Any]]:
        return self.state.pbehavior_list()

    def reasons(self) -> list[dict[str, Any]]:
        return self.state.reasons()

    def types(self) -> list[dict[str, Any]]:
        return self.state.types()

    def comments(self) -> list[dict[str, Any]]:
        return self.state.comments()

    def reason_id(self, name: str) -> str:
        return next(x["_id"] for x in self.reasons() if x["name"] == name)

    def type_id(self, name: str) -> str:
        return next(x["_id"] for x in self.types() if x["name"] == name)

    def received_events(self) -> list[Any]:
        """Events as received (before the API's mutations), in order."""
        return self.state.journal_view("received")

    def published_events(self) -> list[dict[str, Any]]:
        """Events as published (mutated), i.e. what ``sent_events`` listed."""
        return self.state.journal_view("published")

    def failed_events(self) -> list[Any]:
        return self.state.journal_view("failed")

    def dropped_events(self) -> list[dict[str, Any]]:
        """``{"event", "reason"}`` for events accepted with 200 but dropped by the engines."""
        return self.state.journal_view("dropped")

    def requests(self) -> list[dict[str, Any]]:
        """The request journal: method, path, query (credentials masked), status, user."""
        return self.state.journal_view("requests")

    def status_counts(self) -> dict[int, int]:
        with self.state.lock:
            return dict(self.state.journal.status_counts)

    def counters(self) -> dict[str, int]:
        with self.state.lock:
            return dict(self.state.journal.counters)

    def summary(self) -> dict[str, Any]:
        return self.state.summary()
