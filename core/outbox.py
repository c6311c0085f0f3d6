"""The outbox: routed payloads on disk until Canopsis has them.

The pipeline thread adds payloads and commits them in groups, together with the name cache
changes and the source's read position, in one SQLite transaction: after a crash, either all of
a batch is in the outbox and the source knows it, or none of it is. Sender threads take the
oldest items of a lane, send them, and settle them in one transaction: delivered items are
deleted, retried ones stay at the head of their lane (so nothing overtakes them), failed ones
move to the dead letters. A crash between a send and its settle leaves the batch in the outbox:
that batch, and only it, is sent again after the restart. Nothing is fsynced per event: one
commit per source batch, one per request.

The depth of each lane is kept in memory (counting rows in SQLite costs a scan); writes and
depth updates happen under one lock so that :meth:`refresh` can recount exactly when another
process (``deadletters retry``) changed the table.

Dead letters are bounded (``delivery.max_dead_letters``, ``max_dead_letters_mib``): a commit or
a settle that has some to write reads the stored totals (one ``meta`` row each, kept by triggers:
core/store.py) under the write lock, keeps what fits and counts the rest as discarded, so that
hostile input or a Canopsis refusing everything cannot fill the disk the outbox needs.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from centreon_canopsis.core.cache import Cache
from centreon_canopsis.core.coalesce import BARRIER, coalesce
from centreon_canopsis.core.coalesce import kind_of as coalesce_kind
from centreon_canopsis.core.logsafe import log_limited
from centreon_canopsis.core.model import OutboxItem, Outcome, Payload, Result, Route
from centreon_canopsis.core.store import Store, dead_letter_totals, generation

log = logging.getLogger(__name__)

PIPELINE_STAGE = "pipeline"
DELIVERY_STAGE = "delivery"
REASON_LIMIT = 500
MAX_TAKE = 10_000  # most rows read by one take (the largest max_batch_size)

_INSERT_DEAD = (
    "INSERT INTO dead_letters (failed_at, stage, route, key, body, attempts, status, reason, response, "
    "request, enqueued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_body_slot = OutboxItem.body  # the dataclass's slot, under the lazy property below
#: Where the stage, the body and the answer are in a row of ``_INSERT_DEAD``.
_STAGE, _BODY, _RESPONSE = 1, 4, 8
#: At most one line a minute per stage and process says that dead letters are discarded: the
#: metric counts each one.
DISCARD_LOG_PERIOD = 60.0


class StoredItem(OutboxItem):
    """An outbox item read from disk: its body is decoded only if someone reads it.

    The builtin event sender joins the stored JSON as it is (:meth:`encoded`), which saves a
    decode and an encode per event on the hot path.
    """

    __slots__ = ("raw",)

    def __init__(
        self, id: int, route: str, key: str, raw: bytes, attempts: int, enqueued_at: float, rejections: int
    ) -> None:
        self.id = id
        self.route = route
        self.key = key
        self.raw: bytes | None = raw
        self.attempts = attempts
        self.enqueued_at = enqueued_at
        self.rejections = rejections

    @property  # type: ignore[override]
    def body(self) -> Any:
        raw = self.raw
        if raw is not None:
            # Once decoded, the dict is what counts: a plugin may have changed it.
            _body_slot.__set__(self, orjson.loads(raw))
            self.raw = None
        return _body_slot.__get__(self, StoredItem)

    @body.setter
    def body(self, value: Any) -> None:
        self.raw = None
        _body_slot.__set__(self, value)


@dataclass(frozen=True, slots=True)
class Discarded:
    """Dead letters a commit or a settle had no room for: how many per stage, and why."""

    counts: dict[str, int]
    why: str


class Settled(dict[Outcome, int]):
    """How many items of a settle had each outcome; ``discarded``: the failed ones the dead
    letters had no room for (they left the outbox all the same), or None."""

    def __init__(self, counts: Mapping[Outcome, int], discarded: Discarded | None) -> None:
        super().__init__(counts)
        self.discarded = discarded

    @property
    def dead_lettered(self) -> int:
        """The failed items kept as dead letters (the first ones: the discarded are the last)."""
        discarded = self.discarded
        return self[Outcome.FAILED] - (sum(discarded.counts.values()) if discarded else 0)


def encoded(item: OutboxItem) -> bytes:
    """The JSON of an item's body, without decoding it when it comes straight from disk."""
    raw = getattr(item, "raw", None)
    return raw if raw is not None else orjson.dumps(item.body)


class Outbox:
    def __init__(self, store: Store, cache: Cache | None = None) -> None:
        self.store = store
        self.cache = cache
        self._writer = store.connect()
        self._inserts: list[tuple[str, str, str, bytes, int | None]] = []
        #: Whether the buffered payloads hold a barrier (see :mod:`.coalesce`).
        self._barriers = False
        #: Catch-up: a lane holding more than this many payloads coalesces superseded checks
        #: (``delivery.coalesce_backlog``; 0: never). Set by the delivery.
        self.coalesce_backlog = 0
        #: Payloads coalesced since start, per route (metric ``payloads_coalesced_total``).
        self.coalesced: Counter[str] = Counter()
        #: Bounds of the dead letters: how many, and their bytes (bodies and answers); 0: none.
        #: Set by the delivery (``delivery.max_dead_letters``, ``max_dead_letters_mib``).
        self.max_dead_letters = 0
        self.max_dead_letter_bytes = 0
        #: Dead letters the last :meth:`commit` had no room for, or None.
        self.discarded: Discarded | None = None
        self._dead: list[tuple[Any, ...]] = []
        self._new_routes: list[Route] = []
        self.routes: dict[str, Route] = {}
        self._depth: dict[str, int] = {}
        #: Guards the depths and the version; notified when items are added or removed.
        self._changed = threading.Condition()
        #: Held across a write and the depth update that follows it (see :meth:`refresh`).
        self._write_lock = threading.Lock()
        self._version = 0
        #: The live tap (core/tap.py) while someone taps, else None: one look per commit.
        self.tap: Any = None
        for name, spec in self._writer.execute("SELECT name, spec FROM routes"):
            self.routes[name] = Route(**orjson.loads(spec))
        #: The largest batch of any route of each lane: what one take of that lane reads at most
        #: (reading the largest batch of any lane to send one pbehavior cost more than the send).
        self._lane_batch: dict[str, int] = {}
        for route in self.routes.values():
            self._note_batch(route)
        self._generation = generation(self._writer)
        self._depth = self._count(self._writer)
        self._writer.commit()

    # -- pipeline side ---------------------------------------------------------------------

    def add(self, route: Route, payload: Payload, now: float | None = None) -> None:
        """Buffers a payload; it is written by the next :meth:`commit` (``now`` is unused:
        items carry the time of their commit)."""
        self.add_many(((route, payload),))

    def add_many(self, routed: Iterable[tuple[Route, Payload]]) -> None:
        """Buffers several payloads, all or none: every body is encoded before any is kept."""
        encoded = [(route, payload, orjson.dumps(payload.body)) for route, payload in routed]
        for route, payload, body in encoded:
            known = self.routes.get(route.name)
            if known is not route and known != route:
                self.routes[route.name] = route
                self._new_routes.append(route)
                self._note_batch(route)
            kind = coalesce_kind(payload.kind, payload.body, payload.key)
            if kind == BARRIER:
                self._barriers = True
            self._inserts.append((route.lane, route.name, payload.key, body, kind))

    def add_dead_letter(
        self, stage: str, body: Any, reason: str, route: str | None = None, key: str | None = None
    ) -> None:
        """Buffers a dead letter from the pipeline (an event a plugin failed on)."""
        now = time.time()
        # default=repr: whatever a plugin choked on must still be kept, even if not JSON; bytes
        # are input kept as it came (a line that is not JSON).
        raw = bytes(body) if isinstance(body, bytes | bytearray) else _dump_anything(body)
        self._dead.append((now, stage, route, key, raw, 0, None, reason, None, None, now))

    @property
    def buffered(self) -> int:
        return len(self._inserts)

    @property
    def dead_buffered(self) -> int:
        return len(self._dead)

    def fold_cache(self, entries: int = 1) -> int:
        """Moves the oldest name cache journal entries into its table, in a transaction of their
        own (core/cache.py :meth:`Cache.fold`); returns the bytes moved (0: nothing to do)."""
        cache = self.cache
        if cache is None or not cache.journal_bytes:
            return 0
        with self._write_lock:
            with self._writer as connection:
                moved = cache.fold(connection, entries)
            cache.mark_folded(moved)  # a failed commit keeps the entries, and their count
        return moved

    def commit(
        self,
        source: str | None = None,
        position: str | None = None,
        also: Callable[[sqlite3.Connection], None] | None = None,
    ) -> dict[str, int]:
        """One transaction: buffered payloads, dead letters, cache changes, read position, and
        whatever ``also`` writes. Returns how many payloads were committed per route.

        On an error (disk full, a lock held too long) nothing is written and the buffers are
        kept, so the caller may try again.
        """
        connection = self._writer
        inserts = self._inserts
        with self._write_lock:
            with connection:
                if self._new_routes:
                    connection.executemany(
                        "INSERT INTO routes (name, spec) VALUES (?, ?) "
                        "ON CONFLICT (name) DO UPDATE SET spec = excluded.spec",
                        [(route.name, orjson.dumps(asdict(route))) for route in self._new_routes],
                    )
                removed: list[tuple[str, str]] = []
                if inserts:
                    catch_up = self._catch_up_lanes()
                    if self._barriers or catch_up:
                        rows, coalesced, removed = coalesce(connection, inserts, catch_up)
                    else:
                        rows, coalesced = [(*row[:4], None, None) for row in inserts], {}
                    inserts = rows
                    # The time is a literal: one value for the whole commit, no per-row parameter.
                    connection.executemany(
                        "INSERT INTO outbox (lane, route, key, body, ckey, ckind, enqueued_at) "
                        f"VALUES (?, ?, ?, ?, ?, ?, {time.time()!r})",
                        inserts,
                    )
                discarded = None
                if self._dead:
                    dead, discarded = self._bounded(connection, self._dead)
                    connection.executemany(_INSERT_DEAD, dead)
                if self.cache is not None:
                    self.cache.save(connection)
                if source is not None and position is not None:
                    connection.execute(
                        "INSERT INTO source_positions (source, position, updated_at) VALUES (?, ?, ?) "
                        "ON CONFLICT (source) DO UPDATE SET position = excluded.position, "
                        "updated_at = excluded.updated_at",
                        (source, position, time.time()),
                    )
                if also is not None:
                    also(connection)
            if self.cache is not None:
                self.cache.mark_saved()
            self.discarded = discarded
            per_route = Counter(row[1] for row in inserts)
            if per_route or removed:
                with self._changed:
                    for name, count in per_route.items():
                        lane = self.routes[name].lane
                        self._depth[lane] = self._depth.get(lane, 0) + count
                    for lane, _ in removed:
                        self._depth[lane] = max(0, self._depth.get(lane, 0) - 1)
                    if inserts:
                        for name, count in coalesced.items():
                            self.coalesced[name] += count
                    self._version += 1
                    self._changed.notify_all()
        self._inserts = []
        self._barriers = False
        self._dead.clear()
        self._new_routes.clear()
        tap = self.tap
        if tap is not None and inserts:  # someone runs `centreon-canopsis tap` (outside the lock)
            tap.queued(inserts)
        return per_route

    def _bounded(
        self, connection: sqlite3.Connection, rows: list[tuple[Any, ...]]
    ) -> tuple[list[tuple[Any, ...]], Discarded | None]:
        """The dead letter rows that fit within the bounds, oldest first, and the others.

        Reads the stored totals under the write lock (taken here if no write of this transaction
        took it yet), so that two processes writing dead letters cannot both take the last place."""
        limit, byte_limit = self.max_dead_letters, self.max_dead_letter_bytes
        if not limit and not byte_limit:
            return rows, None
        if not connection.in_transaction:
            connection.execute("BEGIN IMMEDIATE")
        count, size = dead_letter_totals(connection)
        kept: list[tuple[Any, ...]] = []
        discarded: Counter[str] = Counter()
        why = ""
        for row in rows:
            if (limit and count >= limit) or (byte_limit and size >= byte_limit):
                why = why or self.dead_letters_full(count, size)
                discarded[row[_STAGE]] += 1
                continue
            kept.append(row)
            count += 1
            # As the trigger counts it: bytes of the body, characters of the answer.
            size += len(row[_BODY]) + len(row[_RESPONSE] or "")
        return kept, Discarded(dict(discarded), why) if discarded else None

    def dead_letters_full(self, count: int, size: int) -> str:
        """Why no more dead letters are kept with these totals, or "" when there is room."""
        return dead_letters_full(count, size, self.max_dead_letters, self.max_dead_letter_bytes)

    def _catch_up_lanes(self) -> set[str]:
        limit = self.coalesce_backlog
        if not limit:
            return set()
        with self._changed:
            return {lane for lane, depth in self._depth.items() if depth > limit}

    def position(self, source: str) -> str | None:
        return self.store.position(self._writer, source)

    def wait_for_room(self, limit: int, timeout: float) -> bool:
        """Blocks until the outbox holds fewer than ``limit`` items or ``timeout``; True if it does."""
        with self._changed:
            return self._changed.wait_for(lambda: sum(self._depth.values()) < limit, timeout)

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
        """Blocks until items were added or removed (or ``timeout``); returns the new version."""
        with self._changed:
            if self._version == version:
                self._changed.wait(timeout)
            return self._version

    @property
    def version(self) -> int:
        with self._changed:
            return self._version

    def wake(self) -> None:
        """Wakes waiting senders (on shutdown, or to drain)."""
        with self._changed:
            self._version += 1
            self._changed.notify_all()

    def head(self, connection: sqlite3.Connection, lane: str) -> tuple[float, float] | None:
        """``(enqueued_at, next_attempt_at)`` of the lane's oldest item, or None when empty."""
        row = connection.execute(
            "SELECT enqueued_at, next_attempt_at FROM outbox WHERE lane = ? ORDER BY id LIMIT 1", (lane,)
        ).fetchone()
        connection.commit()
        return row

    def oldest(self, connection: sqlite3.Connection) -> dict[str, float]:
        """``enqueued_at`` of the oldest item of each lane (one index seek per lane)."""
        found = {}
        for lane in self.lanes():
            row = connection.execute(
                "SELECT enqueued_at FROM outbox WHERE lane = ? ORDER BY id LIMIT 1", (lane,)
            ).fetchone()
            if row is not None:
                found[lane] = row[0]
        connection.commit()
        return found

    def _note_batch(self, route: Route) -> None:
        self._lane_batch[route.lane] = max(self._lane_batch.get(route.lane, 1), route.batch)

    def take(
        self, connection: sqlite3.Connection, lane: str, limit: int | None = None
    ) -> tuple[Route, list[OutboxItem]] | None:
        """The oldest items of a lane that share the head's route, up to that route's batch size.

        Reads at most the largest batch of a route of this lane (not of any lane)."""
        size = min(limit or MAX_TAKE, self._lane_batch.get(lane, MAX_TAKE))
        rows = connection.execute(
            "SELECT id, route, key, body, attempts, enqueued_at, rejections FROM outbox "
            "WHERE lane = ? ORDER BY id LIMIT ?",
            (lane, max(1, size)),
        ).fetchall()
        connection.commit()  # end the read transaction so the WAL can be checkpointed
        if not rows:
            return None
        name = rows[0][1]
        route = self.routes.get(name) or self._load_route(connection, name)
        batch = min(route.batch, limit) if limit else route.batch
        items: list[OutboxItem] = []
        for item_id, route_name, key, body, attempts, enqueued_at, rejections in rows[: max(1, batch)]:
            if route_name != name:
                break
            items.append(StoredItem(item_id, route_name, key, body, attempts, enqueued_at, rejections))
        return route, items

    def _load_route(self, connection: sqlite3.Connection, name: str) -> Route:
        row = connection.execute("SELECT spec FROM routes WHERE name = ?", (name,)).fetchone()
        if row is None:
            # Only possible if the database was edited by hand: deliver nowhere, dead-letter.
            return Route(name=name, method="POST", path="", lane="", batch=1)
        route = self.routes[name] = Route(**orjson.loads(row[0]))
        self._note_batch(route)
        return route

    def settle(
        self,
        connection: sqlite3.Connection,
        lane: str,
        items: Sequence[OutboxItem],
        results: Sequence[Result],
        retry_at: float,
        route: Route | None = None,
    ) -> Settled:
        """Applies the results of a send in one transaction; ``retry_at`` is when RETRY items
        may be tried again. Returns how many items had each outcome, and how many failed ones
        were discarded because the dead letters are full."""
        delivered, retried, failed = [], [], []
        now = time.time()
        request = f"{route.method} {route.path}" if route is not None else None
        for item, result in zip(items, results, strict=True):
            outcome = result.outcome
            if outcome is Outcome.DELIVERED:
                delivered.append((item.id,))
            elif outcome is Outcome.RETRY:
                retried.append((int(result.rejected), retry_at, result.reason[:REASON_LIMIT], item.id))
            else:
                failed.append(
                    (
                        now,
                        DELIVERY_STAGE,
                        item.route,
                        item.key,
                        encoded(item),
                        item.attempts + 1,
                        result.status,
                        result.reason or "failed",
                        result.response,
                        request,
                        item.enqueued_at,
                    )
                )
        discarded = None
        with self._write_lock:
            with connection:
                removed = 0
                if delivered and len(delivered) == len(items):
                    # The usual case: the whole head of the lane, a range of the (lane, id) index.
                    removed += connection.execute(
                        "DELETE FROM outbox WHERE lane = ? AND id BETWEEN ? AND ?",
                        (lane, items[0].id, items[-1].id),
                    ).rowcount
                elif delivered:
                    removed += connection.executemany("DELETE FROM outbox WHERE id = ?", delivered).rowcount
                if retried:
                    connection.executemany(
                        "UPDATE outbox SET attempts = attempts + 1, rejections = rejections + ?, "
                        "next_attempt_at = ?, last_error = ? WHERE id = ?",
                        retried,
                    )
                if failed:
                    kept, discarded = self._bounded(connection, failed)
                    connection.executemany(_INSERT_DEAD, kept)
                    # A discarded payload leaves the outbox too: it would block its lane for ever.
                    removed += connection.executemany(
                        "DELETE FROM outbox WHERE id = ?",
                        [(item.id,) for item, result in zip(items, results, strict=True) if _failed(result)],
                    ).rowcount
            if removed:
                with self._changed:
                    self._depth[lane] = max(0, self._depth.get(lane, 0) - removed)
                    self._version += 1
                    self._changed.notify_all()
        return Settled(
            {Outcome.DELIVERED: len(delivered), Outcome.RETRY: len(retried), Outcome.FAILED: len(failed)},
            discarded,
        )

    def refresh(self, connection: sqlite3.Connection) -> bool:
        """Recounts the lanes if another process changed the outbox; True if it did."""
        current = generation(connection)
        connection.commit()
        if current == self._generation:
            return False
        with self._write_lock:
            self._generation = generation(connection)
            counts = self._count(connection)
            connection.commit()
            with self._changed:
                self._depth = counts
                self._version += 1
                self._changed.notify_all()
        return True

    @staticmethod
    def _count(connection: sqlite3.Connection) -> dict[str, int]:
        return dict(connection.execute("SELECT lane, COUNT(*) FROM outbox GROUP BY lane").fetchall())

    def close(self) -> None:
        self._writer.close()


def dead_letters_full(count: int, size: int, limit: int, byte_limit: int) -> str:
    """Why no more dead letters are kept with ``count`` of them holding ``size`` bytes, under
    these bounds (0: none), or "" when there is room."""
    if limit and count >= limit:
        return f"{count} stored, delivery.max_dead_letters = {limit}"
    if byte_limit and size >= byte_limit:
        return f"{size / (1 << 20):.1f} MiB stored, delivery.max_dead_letters_mib = {byte_limit >> 20}"
    return ""


def report_discarded(metrics: Any, discarded: Discarded | None) -> None:
    """Counts dead letters that were not kept (``dead_letters_discarded_total``) and says so, with
    what to do, at most once a minute per stage."""
    if discarded is None:
        return
    for stage, count in sorted(discarded.counts.items()):
        metrics.inc("dead_letters_discarded_total", count, stage=stage)
        log_limited(
            log,
            logging.ERROR,
            f"dead-letters-discarded:{stage}",
            "dead letters full (%s): %d new %s dead letters discarded, only counted in "
            "dead_letters_discarded_total; see what is kept with "
            "`centreon-canopsis deadletters list`, delete what you have seen with "
            "`centreon-canopsis deadletters purge`, or raise that setting",
            discarded.why,
            count,
            stage,
            burst=1,
            period=DISCARD_LOG_PERIOD,
        )


def _dump_anything(body: Any) -> bytes:
    """JSON of whatever must be kept: orjson, else the standard library (integers past 64 bits),
    else its repr. A dead letter must never fail to be written."""
    try:
        return orjson.dumps(body, default=repr)
    except TypeError:
        try:
            return json.dumps(body, default=repr).encode()
        except (TypeError, ValueError):
            return orjson.dumps(repr(body))


def _failed(result: Result) -> bool:
    return result.outcome is Outcome.FAILED
