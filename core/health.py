"""``/metrics``, ``/healthz`` and ``/readyz``: what a running connector tells its supervisor.

- ``/healthz``: 200 while the process answers at all (liveness: restart me if this fails).
- ``/readyz``: 200 when the connector does its job, 503 otherwise, with a JSON body naming each
  check. Not ready when:

  - the pipeline has not started reading yet, or is stopping;
  - a lane's sender thread is not running;
  - a lane is stuck: its oldest payload waits for more than ``metrics.ready_stall_seconds`` and
    nothing was delivered on that lane for as long (a backlog that drains is not stuck);
  - Canopsis is unreachable: every attempt of the last ``ready_stall_seconds`` failed without an
    answer (connection refused, timeout) or with a 5xx;
  - commits to the outbox fail (a full disk, a read-only state directory): from the first failure
    until a commit succeeds again;
  - the connector is misconfigured: the last attempt of a lane was answered 401, 403, 404, 405
    or 407 (a refused authkey or proxy password, a missing right or route) and nothing was
    delivered on that lane since.

  Backpressure is reported in the body, not as a failure of its own (it is the outbox being
  full, which the "stuck" check judges); so are dead letters at their bound (``dead_letters``:
  new ones are discarded, good events still flow: a task for an admin, not a reason to take the
  connector out of service). Canopsis is only known through the requests the senders make: an
  idle connector stays ready. Plugins add checks of their own through
  ``context.state["readiness"]``: ``{name: probe(now, stall) -> (ok, detail)}``.
- ``/metrics``: the Prometheus text format of :mod:`.metrics`.

Every request goes through :meth:`HealthServer.gate` first (credentials when ``[metrics]`` has
``auth_token`` or ``auth_user``; payload-showing paths only on loopback or with credentials):
see :mod:`.endpoint_auth`.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import orjson

from .endpoint_auth import EndpointAuth
from .logsafe import log_limited, shown, shown_error

if TYPE_CHECKING:
    from centreon_canopsis.core.pipeline import Pipeline

log = logging.getLogger(__name__)

PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class Check:
    ok: bool
    detail: str


@dataclass
class Readiness:
    ready: bool
    checks: dict[str, Check] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ready": self.ready,
            "checks": {name: {"ok": c.ok, "detail": c.detail} for name, c in self.checks.items()},
        }


def readiness(pipeline: Pipeline, stall: float, now: float | None = None) -> Readiness:
    """Judges the running pipeline (see the module documentation)."""
    now = time.time() if now is None else now
    checks: dict[str, Check] = {}
    stopping = pipeline.context.stopping.is_set()
    if pipeline.started_at is None:
        checks["started"] = Check(False, "not started yet")
    elif stopping:
        checks["started"] = Check(False, "stopping")
    else:
        checks["started"] = Check(True, f"running for {now - pipeline.started_at:.0f}s")
    delivery = pipeline.delivery
    dead = sorted(lane for lane, alive in delivery.senders_alive().items() if not alive and not stopping)
    checks["senders"] = Check(not dead, f"not running: {', '.join(dead)}" if dead else "running")
    outbox = pipeline.outbox
    stuck, unreachable, waiting, misconfigured = [], [], [], []
    for lane in outbox.lanes():
        depth = outbox.depth(lane)
        state = delivery.lane_states.get(lane)
        oldest = delivery.oldest.get(lane)
        if depth and oldest is not None:
            age = now - oldest
            waiting.append(f"{lane}: {depth} (oldest {age:.0f}s)")
            last = state.last_delivery_at if state else 0.0
            if age > stall and now - last > stall:
                stuck.append(f"{lane}: oldest payload waits for {age:.0f}s, none delivered for {stall:.0f}s")
        if state and state.misconfigured:
            misconfigured.append(f"{lane}: {state.misconfigured}")
        if state and state.failing_since and now - state.failing_since > stall:
            unreachable.append(f"{lane}: no answer for {now - state.failing_since:.0f}s ({state.last_error})")
    checks["outbox"] = Check(not stuck, "; ".join(stuck) or ("; ".join(waiting) or "empty"))
    checks["canopsis"] = Check(not unreachable, "; ".join(unreachable) or "reachable (as far as we know)")
    failing = getattr(pipeline, "commit_failing_since", 0.0)
    checks["outbox_commits"] = Check(
        not failing,
        f"commits to the outbox fail since {now - failing:.0f}s (the source waits): {pipeline.commit_error}"
        if failing
        else "ok",
    )
    # A refused authkey or proxy password waits for an admin, not for time: not ready at once.
    checks["configuration"] = Check(not misconfigured, "; ".join(misconfigured) or "no error seen")
    checks["backpressure"] = Check(
        True, "reading paused: the outbox is full" if pipeline.backpressure else "reading"
    )
    stored, size = getattr(delivery, "dead_letter_totals", (0, 0))
    full = outbox.dead_letters_full(stored, size)
    checks["dead_letters"] = Check(
        True,
        f"full ({full}): new dead letters are discarded; centreon-canopsis deadletters list, then purge"
        if full
        else f"{stored} stored ({size / (1 << 20):.1f} MiB)",
    )
    # Plugins add checks of their own (the AMQP sender: connection, blocked by RabbitMQ).
    for name, probe in dict(pipeline.context.state.get("readiness") or {}).items():
        try:
            ok, detail = probe(now, stall)
        except Exception as error:  # a plugin's bug: its check fails, the others still answer
            reason = shown_error(error, 300)
            log_limited(log, logging.ERROR, f"readiness-probe:{name}", "readiness check %s raised: %s", name,
                        reason)  # fmt: skip
            ok, detail = False, f"the check raised {reason}"
        checks[name] = Check(ok, detail)
    return Readiness(all(check.ok for check in checks.values()), checks)


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class HealthServer:
    """The HTTP endpoint, in a thread of its own; ``port`` is the one actually bound."""

    def __init__(
        self, pipeline: Pipeline, host: str, port: int, stall: float, auth: EndpointAuth | None = None
    ) -> None:
        self.pipeline = pipeline
        self.stall = stall
        self.auth = auth or EndpointAuth()
        #: More GET paths served here (``/tap``), behind the same gate as ``/metrics``.
        self.routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {}
        metrics = pipeline.context.metrics
        metrics.gauge_function("ready", lambda: [((), int(self.readiness().ready))])
        server_self = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            _answering = False  # whether a status line went out for the request in hand

            def do_GET(self) -> None:
                try:
                    self._serve()
                except ConnectionError:  # the client went away: nobody to answer
                    self.close_connection = True
                except Exception as error:  # a bug must answer 500, not close the connection unanswered
                    reason = shown_error(error, 300)
                    log_limited(
                        log, logging.ERROR, "metrics-endpoint", "metrics endpoint: GET %s failed: %s",
                        shown(self.path, 200), reason,
                    )  # fmt: skip
                    if not self._answering:  # nothing sent yet: the client gets a reason
                        body = orjson.dumps({"error": f"internal error: {type(error).__name__}"}) + b"\n"
                        self._answer(500, body, "application/json")
                    else:
                        self.close_connection = True

            def _serve(self) -> None:
                self._answering = False
                path = self.path.split("?", 1)[0]
                if not self.gate(path):
                    return
                if path == "/metrics":
                    self._answer(200, metrics.render().encode(), PROMETHEUS_TYPE)
                elif path == "/healthz":
                    self._answer(200, b'{"alive": true}\n', "application/json")
                elif path == "/readyz":
                    state = server_self.readiness()
                    body = orjson.dumps(state.as_dict(), option=orjson.OPT_INDENT_2) + b"\n"
                    self._answer(200 if state.ready else 503, body, "application/json")
                elif path in server_self.routes:
                    server_self.routes[path](self)
                else:
                    self._answer(404, b'{"error": "Not found"}\n', "application/json")

            def send_response(self, code: int, message: str | None = None) -> None:
                self._answering = True  # from here on a failure can only close the connection
                super().send_response(code, message)

            def gate(self, path: str) -> bool:
                """The one check every endpoint passes first; answers 401/403 itself."""
                denied = server_self.auth.check(path, self.headers.get("Authorization"))
                if denied is None:
                    return True
                status, reason = denied
                extra = (
                    {"WWW-Authenticate": 'Bearer, Basic realm="centreon-canopsis"'} if status == 401 else {}
                )
                body = orjson.dumps({"error": reason}) + b"\n"
                self._answer(status, body, "application/json", extra)
                return False

            def _answer(
                self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("metrics endpoint: " + format, *args)

        server_class = _IPv6Server if ":" in host else ThreadingHTTPServer
        self.server = server_class((host, port), Handler)
        self.server.daemon_threads = True
        self.host = host
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, name="metrics-http", daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def add_route(self, path: str, serve: Callable[[BaseHTTPRequestHandler], None]) -> None:
        """``serve(handler)`` answers GET ``path`` (it may stream: each request has its thread)."""
        self.routes[path] = serve

    def readiness(self) -> Readiness:
        return readiness(self.pipeline, self.stall)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
