"""``/tap``: payloads as they are queued and what became of them, live, for ``centreon-canopsis tap``.

A client's ``GET /tap?route=R&element=E&limit=N`` on the daemon's metrics endpoint (loopback by
default, with the same access check as ``/metrics``) receives one JSON object per line:

- ``{"tap": "queued", "route", "lane", "key", "payload"}`` once the payload is committed to the outbox;
- ``{"tap": "delivered" | "retry" | "failed", "route", "key", "status", "reason", "attempt"}``
  after each attempt to send it.

Nothing is observed while nobody taps: the outbox and the senders look at one attribute per batch
(``tap``, None without clients). A slow client cannot slow the daemon: its queue is bounded and
what does not fit is dropped, counted, and announced on its stream.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import orjson

from centreon_canopsis.core.model import OutboxItem, Result, Route

if TYPE_CHECKING:
    from centreon_canopsis.core.health import HealthServer
    from centreon_canopsis.core.pipeline import Pipeline

log = logging.getLogger(__name__)

CLIENT_QUEUE = 10_000  # records a client may lag behind before the rest is dropped
MAX_CLIENTS = 8
KEEPALIVE = 1.0  # seconds between two checks that the client is still there


class TapFilter:
    """Which records a client wants: ``route`` exactly; ``element`` a Canopsis entity: its id
    (the payload's key, ``resource/component``), its component (host) or its resource (service)."""

    def __init__(self, route: str | None = None, element: str | None = None) -> None:
        self.route = route or None
        self.element = element or None

    def wants(self, route: str, key: str, body: Any = None) -> bool:
        if self.route is not None and route != self.route:
            return False
        element = self.element
        if element is None or key == element:
            return True
        if isinstance(body, dict):
            return element in (body.get("component"), body.get("resource"))
        return False


class _Client:
    def __init__(self, wanted: TapFilter) -> None:
        self.filter = wanted
        self.queue: queue.Queue[bytes] = queue.Queue(CLIENT_QUEUE)
        self.dropped = 0
        #: Keys of queued payloads this client saw (results of an element are matched by key).
        self.keys: set[str] = set()


class Tap:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self._clients: list[_Client] = []
        self._lock = threading.Lock()
        metrics = pipeline.context.metrics
        metrics.gauge_function("tap_clients", lambda: [((), len(self._clients))])
        metrics.inc("tap_dropped_total", 0)

    @classmethod
    def attach(cls, pipeline: Pipeline, server: HealthServer | None) -> Tap | None:
        """A tap served on ``server``'s ``/tap`` (None without an endpoint)."""
        if server is None:
            return None
        tap = cls(pipeline)
        server.add_route("/tap", tap.serve)
        return tap

    def close(self) -> None:
        with self._lock:
            self._clients.clear()
            self._observe(False)

    # -- observers (called once per batch, only while someone taps) -------------------------------

    def queued(self, inserts: Sequence[tuple[Any, ...]]) -> None:
        """Payloads just committed: ``(lane, route, key, body, ...)`` as the outbox buffers them."""
        now = time.time()
        for client in list(self._clients):
            wanted = client.filter
            for lane, route, key, body, *_ in inserts:
                decoded = orjson.loads(body) if wanted.element is not None else None
                if not wanted.wants(route, key, decoded):
                    continue
                if wanted.element is not None:
                    client.keys.add(key)
                record = b'{"tap":"queued","time":%s,"route":%s,"lane":%s,"key":%s,"payload":%s}' % (
                    orjson.dumps(now),
                    orjson.dumps(route),
                    orjson.dumps(lane),
                    orjson.dumps(key),
                    body,
                )
                self._put(client, record)

    def results(self, route: Route, items: Sequence[OutboxItem], results: Sequence[Result]) -> None:
        now = time.time()
        for client in list(self._clients):
            wanted = client.filter
            for item, result in zip(items, results, strict=True):
                if wanted.route is not None and route.name != wanted.route:
                    continue
                if wanted.element is not None and item.key not in client.keys:
                    continue
                record = {
                    "tap": result.outcome.value,
                    "time": now,
                    "route": route.name,
                    "key": item.key,
                    "status": result.status,
                    "reason": result.reason,
                    "attempt": item.attempts + 1,
                }
                self._put(client, orjson.dumps(record))

    def _put(self, client: _Client, record: bytes) -> None:
        try:
            client.queue.put_nowait(record)
        except queue.Full:
            client.dropped += 1
            self.pipeline.context.metrics.inc("tap_dropped_total")

    def _observe(self, on: bool) -> None:
        """Hooks the tap in (or out of) the outbox and the senders: one attribute each."""
        pipeline = self.pipeline
        pipeline.outbox.tap = self if on else None
        pipeline.delivery.tap = self if on else None

    # -- the HTTP side -----------------------------------------------------------------------------

    def serve(self, handler: Any) -> None:
        """Streams records to one client until it leaves, its limit is reached or the daemon stops."""
        query = parse_qs(handler.path.partition("?")[2])
        try:
            limit = int(query.get("limit", ["0"])[0])
            if limit < 0:
                raise ValueError
        except ValueError:
            handler._answer(400, b'{"error": "limit: a whole number, 0 or more"}\n', "application/json")
            return
        wanted = TapFilter(query.get("route", [None])[0], query.get("element", [None])[0])
        client = _Client(wanted)
        with self._lock:
            if len(self._clients) >= MAX_CLIENTS:
                handler._answer(503, b'{"error": "too many tap clients"}\n', "application/json")
                return
            self._clients.append(client)
            self._observe(True)
        handler.send_response(200)
        handler.send_header("Content-Type", "application/x-ndjson")
        handler.send_header("Cache-Control", "no-store")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        sent = 0
        reported = 0
        stopping = self.pipeline.delivery.stopping
        try:
            handler.wfile.write(b'{"tap":"started"}\n')
            handler.wfile.flush()
            while not stopping.is_set() and (limit == 0 or sent < limit):
                try:
                    record = client.queue.get(timeout=KEEPALIVE)
                except queue.Empty:
                    handler.wfile.write(b"\n")  # finds a client that left
                    handler.wfile.flush()
                    continue
                if client.dropped > reported:
                    handler.wfile.write(b'{"tap":"dropped","count":%d}\n' % (client.dropped - reported))
                    reported = client.dropped
                handler.wfile.write(record + b"\n")
                handler.wfile.flush()
                sent += 1
        except OSError:
            pass  # the client left
        finally:
            with self._lock:
                if client in self._clients:
                    self._clients.remove(client)
                if not self._clients:
                    self._observe(False)
