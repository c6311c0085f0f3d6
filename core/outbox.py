"""The outbox: routed payloads on disk until Canopsis has them.

The pipeline thread adds payloads and commits them in groups, together with the name cache
changes and the source's read position, in one SQLite transaction: after a crash, either all of
a batch is in the outbox and the source knows it, or none of it is. Sender threads take the
oldest items of a lane, send them, and settle them: delivered items are deleted, retried ones
stay at the head of their lane (so nothing overtakes them), failed ones move to the dead
letters. Nothing is fsynced per event: one commit per source batch.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import orjson

from centreon_canopsis.core.cache import Cache
from centreon_canopsis.core.model import OutboxItem, Outcome, Payload, Result, Route
from centreon_canopsis.core.store import Store

PIPELINE_STAGE = "pipeline"
DELIVERY_STAGE = "delivery"


class Outbox:
    def __init__(self, store: Store, cache: Cache | None = None) -> None:
        self.store = store
        self.cache = cache
        self._writer = store.connect()
        self._inserts: list[tuple[str, str, str, bytes, float]] = []
        self._dead: list[tuple[Any, ...]] = []
        self._new_routes: list[Route] = []
        self.routes: dict[str, Route] = {}
        self._depth: dict[str, int] = {}
        self._changed = threading.Condition()
        self._version = 0
        for name, spec in self._writer.execute("SELECT name, spec FROM routes"):
            self.routes[name] = Route(**orjson.loads(spec))
        for lane, count in self._writer.execute("SELECT lane, COUNT(*) FROM outbox GROUP BY lane"):
            self._depth[lane] = count

    # -- pipeline side ---------------------------------------------------------------------

    def add(self, route: Route, payload: Payload, now: float | None = None) -> None:
        """Buffers a payload; it is written by the next :meth:`commit`."""
        known = self.routes.get(route.name)
        if known is None or known != route:
            self.routes[route.name] = route
            self._new_routes.append(route)
        self._inserts.append(
            (route.lane, route.name, payload.key, orjson.dumps(payload.body), now or time.time())
        )

    def add_dead_letter(
        self, stage: str, body: Any, reason: str, route: str | None = None, key: str | None = None
    ) -> None:
        """Buffers a dead letter from the pipeline (an event a plugin failed on)."""
        self._dead.append((time.time(), stage, route, key, orjson.dumps(body), 0, None, reason, None))

    @property
    def buffered(self) -> int:
        return len(self._inserts)

    def commit(self, source: str | None = None, position: str | None = None) -> None:
        """One transaction: buffered payloads, dead letters, cache changes, read position."""
        connection = self._writer
        with connection:
            if self._new_routes:
                connection.executemany(
                    "INSERT INTO routes (name, spec) VALUES (?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET spec = excluded.spec",
                    [(route.name, orjson.dumps(asdict(route))) for route in self._new_routes],
                )
            if self._inserts:
                connection.executemany(
                    "INSERT INTO outbox (lane, route, key, body, enqueued_at) VALUES (?, ?, ?, ?, ?)",
                    self._inserts,
                )
            if self._dead:
                connection.executemany(
                    "INSERT INTO dead_letters (failed_at, stage, route, key, body, attempts, status, reason, "
                    "response) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    self._dead,
                )
            if self.cache is not None:
                self.cache.save(connection)
            if source is not None and position is not None:
                connection.execute(
                    "INSERT INTO source_positions (source, position, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (source) DO UPDATE SET position = excluded.position, "
                    "updated_at = excluded.updated_at",
                    (source, position, time.time()),
                )
        added: dict[str, int] = {}
        for lane, *_ in self._inserts:
            added[lane] = added.get(lane, 0) + 1
        self._inserts.clear()
        self._dead.clear()
        self._new_routes.clear()
        if added:
            with self._changed:
                for lane, count in added.items():
                    self._depth[lane] = self._depth.get(lane, 0) + count
                self._version += 1
                self._changed.notify_all()

    def position(self, source: str) -> str | None:
        return self.store.position(self._writer, source)

    # -- sender side -----------------------------------------------------------------------

    def lanes(self) -> list[str]:
        with self._changed:
            return sorted(self._depth)

    def depth(self, lane: str | None = None) -> int:
        with self._changed:
            if lane is None:
                return sum(self._depth.values())
            return self._depth.get(lane, 0)

    def wait_for_change(self, version: int, timeout: float | None) -> int:
        """Blocks until a commit added items (or ``timeout``); returns the new version."""
        with self._changed:
            if self._version == version:
                self._changed.wait(timeout)
            return self._version

    @property
    def version(self) -> int:
        with self._changed:
            return self._version

    def wake(self) -> None:
        """Wakes waiting senders (on shutdown)."""
        with self._changed:
            self._version += 1
            self._changed.notify_all()

    def head(self, connection: sqlite3.Connection, lane: str) -> tuple[float, float] | None:
        """``(enqueued_at, next_attempt_at)`` of the lane's oldest item, or None when empty."""
        return connection.execute(
            "SELECT enqueued_at, next_attempt_at FROM outbox WHERE lane = ? ORDER BY id LIMIT 1", (lane,)
        ).fetchone()

    def take(
        self, connection: sqlite3.Connection, lane: str, limit: int | None = None
    ) -> tuple[Route, list[OutboxItem]] | None:
        """The oldest items of a lane that share the head's route, up to the route's batch size."""
        head = connection.execute(
            "SELECT route FROM outbox WHERE lane = ? ORDER BY id LIMIT 1", (lane,)
        ).fetchone()
        if head is None:
            return None
        route = self.routes.get(head[0]) or self._load_route(connection, head[0])
        size = min(route.batch, limit) if limit else route.batch
        rows = connection.execute(
            "SELECT id, route, key, body, attempts, enqueued_at FROM outbox "
            "WHERE lane = ? ORDER BY id LIMIT ?",
            (lane, size),
        ).fetchall()
        connection.commit()  # end the read transaction so the WAL can be checkpointed
        items = []
        for item_id, route_name, key, body, attempts, enqueued_at in rows:
            if route_name != route.name:
                break
            items.append(OutboxItem(item_id, route_name, key, orjson.loads(body), attempts, enqueued_at))
        return route, items

    def _load_route(self, connection: sqlite3.Connection, name: str) -> Route:
        row = connection.execute("SELECT spec FROM routes WHERE name = ?", (name,)).fetchone()
        if row is None:
            # Only possible if the database was edited by hand: deliver nowhere, dead-letter.
            return Route(name=name, method="POST", path="", lane="", batch=1)
        route = self.routes[name] = Route(**orjson.loads(row[0]))
        return route

    def settle(
        self,
        connection: sqlite3.Connection,
        lane: str,
        items: Sequence[OutboxItem],
        results: Sequence[Result],
        retry_at: float,
    ) -> dict[Outcome, int]:
        """Applies the results of a send; ``retry_at`` is when RETRY items may be tried again."""
        delivered, retried, failed = [], [], []
        now = time.time()
        for item, result in zip(items, results, strict=True):
            if result.outcome is Outcome.DELIVERED:
                delivered.append((item.id,))
            elif result.outcome is Outcome.RETRY:
                retried.append((retry_at, result.reason[:500], item.id))
            else:
                failed.append((item, result))
        with connection:
            connection.executemany("DELETE FROM outbox WHERE id = ?", delivered)
            connection.executemany(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?",
                retried,
            )
            if failed:
                connection.executemany(
                    "INSERT INTO dead_letters (failed_at, stage, route, key, body, attempts, status, reason, "
                    "response) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            now,
                            DELIVERY_STAGE,
                            item.route,
                            item.key,
                            orjson.dumps(item.body),
                            item.attempts + 1,
                            result.status,
                            result.reason or "failed",
                            result.response,
                        )
                        for item, result in failed
                    ],
                )
                connection.executemany("DELETE FROM outbox WHERE id = ?", [(item.id,) for item, _ in failed])
        removed = len(delivered) + len(failed)
        if removed:
            with self._changed:
                self._depth[lane] = max(0, self._depth.get(lane, 0) - removed)
        return {Outcome.DELIVERED: len(delivered), Outcome.RETRY: len(retried), Outcome.FAILED: len(failed)}

    def close(self) -> None:
        self._writer.close()
