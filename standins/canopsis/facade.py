"""The :class:`Sandbox` facade: lifecycle, users, faults, clock and inspection for tests."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from centreon_canopsis.standins.canopsis import responses as r
from centreon_canopsis.standins.canopsis.auth import (
    PRODUCER_PERMISSIONS,
    ROOT_PERMISSIONS,
    Authenticator,
    User,
    new_authkey,
)
from centreon_canopsis.standins.canopsis.clock import Clock
from centreon_canopsis.standins.canopsis.faults import Fault
from centreon_canopsis.standins.canopsis.server import SandboxHTTPServer
from centreon_canopsis.standins.canopsis.state import SandboxState
from centreon_canopsis.standins.canopsis.versions import parse_version

if TYPE_CHECKING:
    from centreon_canopsis.standins.canopsis.amqp import AmqpConsumer

log = logging.getLogger("centreon_canopsis.sandbox")


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
        amqp_url: str | None = None,
        amqp_exchange: str = "canopsis.events",
        amqp_queue: str = "canopsis-sandbox",
        amqp_publish: bool = False,
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
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        #: With ``amqp_url``, the sandbox also consumes events from RabbitMQ like engine-fifo.
        self.amqp: AmqpConsumer | None = None
        if amqp_url:
            from centreon_canopsis.standins.canopsis.amqp import AmqpConsumer

            self.amqp = AmqpConsumer(
                self.state, amqp_url, amqp_exchange, amqp_queue, journal_maxlen=journal_maxlen
            )
            if amqp_publish:  # the API publishes what it accepts, like Canopsis's
                from centreon_canopsis.standins.canopsis.amqp import ApiPublisher

                self.state.publish = ApiPublisher(amqp_url, amqp_exchange)

    # --- lifecycle --------------------------------------------------------------------------------
    def start(self) -> Sandbox:
        if self._server is not None:
            return self
        self._server = SandboxHTTPServer((self.host, self._requested_port), self.state)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="canopsis-sandbox",
            daemon=True,
        )
        self._thread.start()
        log.info("Canopsis sandbox %s listening on %s", self.profile.full, self.url)
        if self.amqp is not None:
            self.amqp.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        if self.amqp is not None:
            self.amqp.stop()
        close = getattr(self.state.publish, "close", None)
        if close is not None:
            close()
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

    def connector_settings(self) -> dict[str, object]:
        """The connector parameters that point at this sandbox (host, port, scheme, authkey)."""
        return {
            "canopsis_host": self.host,
            "canopsis_port": self.port,
            "sending_protocol": "http",
            "canopsis_authkey": self.authkey,
        }

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
