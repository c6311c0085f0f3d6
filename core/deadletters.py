"""Dead letters: what could not be delivered, kept with the request, the answer and the reason.

Three stages write them: ``input`` (an event that is not a valid Broker event, or a line that
is not JSON: kept as it came; a BBDO event that does not decode: its payload in an envelope that
a retry decodes again, core/bbdo/kept.py), ``pipeline`` (a plugin raised on an event: the event is kept) and
``delivery`` (Canopsis refused a payload for good, or refused it ``failed_event_attempts``
times: the payload is kept). This module selects them by filters, and retries or purges them,
for ``centreon-canopsis deadletters``. It works on the state database beside a running daemon:
SQLite serialises the writes, and a retry bumps the outbox generation so that the daemon
recounts its outbox within a second (:meth:`~centreon_canopsis.core.outbox.Outbox.refresh`).
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from centreon_canopsis.core.bbdo import kept
from centreon_canopsis.core.config import Config
from centreon_canopsis.core.events import InvalidEvent
from centreon_canopsis.core.intake import INPUT_STAGE, Intake
from centreon_canopsis.core.outbox import PIPELINE_STAGE
from centreon_canopsis.core.store import Store, bump_generation

COLUMNS = (
    "id",
    "failed_at",
    "stage",
    "route",
    "key",
    "body",
    "attempts",
    "status",
    "reason",
    "response",
    "request",
    "enqueued_at",
)
CHUNK = 1000  # dead letters per transaction when retrying
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> float:
    """``"90"``, ``"90s"``, ``"15m"``, ``"2h"``, ``"3d"``, ``"1w"`` -> seconds."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration (examples: 90s, 15m, 2h, 3d)")
    return float(match.group(1)) * _UNITS[match.group(2)]


@dataclass
class Filters:
    """Which dead letters a command is about; empty means all."""

    ids: Sequence[int] = ()
    stage: str | None = None
    route: str | None = None
    #: A case-insensitive substring of the reason.
    reason: str | None = None
    older_than: float | None = None  # seconds
    newer_than: float | None = None  # seconds
    #: A ``[[customers]]`` name: its routes (``<customer>/...``) and its pipeline dead letters.
    customer: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.ids or self.stage or self.route or self.reason or self.customer) and (
            self.older_than is None and self.newer_than is None
        )

    def where(self, now: float | None = None) -> tuple[str, list[Any]]:
        now = time.time() if now is None else now
        clauses: list[str] = []
        params: list[Any] = []
        if self.ids:
            clauses.append(f"id IN ({', '.join('?' * len(self.ids))})")
            params += list(self.ids)
        if self.stage:
            clauses.append("stage = ?")
            params.append(self.stage)
        if self.route:
            clauses.append("route = ?")
            params.append(self.route)
        if self.reason:
            clauses.append("instr(lower(reason), lower(?)) > 0")
            params.append(self.reason)
        if self.customer:
            clauses.append("(substr(route, 1, length(?)) = ? OR substr(reason, 1, length(?)) = ?)")
            route_prefix, reason_prefix = f"{self.customer}/", f"customer {self.customer}: "
            params += [route_prefix, route_prefix, reason_prefix, reason_prefix]
        if self.older_than is not None:
            clauses.append("failed_at <= ?")
            params.append(now - self.older_than)
        if self.newer_than is not None:
            clauses.append("failed_at >= ?")
            params.append(now - self.newer_than)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


@dataclass
class DeadLetter:
    id: int
    failed_at: float
    stage: str
    route: str | None
    key: str | None
    body: bytes
    attempts: int
    status: int | None
    reason: str
    response: str | None
    request: str | None
    enqueued_at: float | None

    def as_dict(self, with_body: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {name: getattr(self, name) for name in COLUMNS if name != "body" or with_body}
        if with_body:
            try:
                data["body"] = orjson.loads(self.body)
            except orjson.JSONDecodeError:
                data["body"] = self.body.decode("utf-8", errors="replace")
        return data


def select(connection: sqlite3.Connection, filters: Filters, limit: int | None = None) -> list[DeadLetter]:
    where, params = filters.where()
    sql = f"SELECT {', '.join(COLUMNS)} FROM dead_letters{where} ORDER BY id"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [DeadLetter(*row) for row in connection.execute(sql, params)]


def count(connection: sqlite3.Connection, filters: Filters) -> int:
    where, params = filters.where()
    return connection.execute(f"SELECT COUNT(*) FROM dead_letters{where}", params).fetchone()[0]


def purge(connection: sqlite3.Connection, filters: Filters) -> int:
    """Deletes the selected dead letters; returns how many."""
    where, params = filters.where()
    with connection:
        return connection.execute(f"DELETE FROM dead_letters{where}", params).rowcount


@dataclass
class RetryReport:
    requeued: int = 0  # delivery dead letters put back in the outbox
    reprocessed: int = 0  # pipeline dead letters run through the stages again
    queued: int = 0  # ... of which produced payloads
    dropped: int = 0  # ... of which a filter dropped this time
    failed_again: int = 0  # ... of which failed again (a new dead letter replaces the old one)
    skipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def retry(config: Config, filters: Filters, dry_run: bool = False) -> RetryReport:
    """Delivery dead letters go back to the tail of their lane in the outbox; pipeline ones are
    run through the stages again with today's plugins and configuration. Each chunk is one
    transaction: the dead letters leave the table as their retry enters the outbox."""
    report = RetryReport()
    store = Store(config.state_dir, config.delivery["sqlite_synchronous"], lock=False)
    connection = store.connect()
    try:
        letters = select(connection, filters)
        connection.commit()
        # Events (a plugin failed on them, or they were invalid input) go through the stages again.
        again = (PIPELINE_STAGE, INPUT_STAGE)
        delivery = [letter for letter in letters if letter.stage not in again]
        pipeline = [letter for letter in letters if letter.stage in again]
        if dry_run:
            report.requeued, report.reprocessed = len(delivery), len(pipeline)
            return report
        for chunk in _chunks(delivery):
            _requeue(connection, chunk, report)
        if pipeline:
            _reprocess(config, store, pipeline, report)
    finally:
        connection.close()
    return report


class _Redecoder:
    """Decodes kept BBDO events again (core/bbdo/kept.py) with the codec the source would use
    today; built at the first one, so that a retry without any never loads protobuf."""

    def __init__(self, config: Config) -> None:
        self._broker_version = config.source.get("broker_version")
        self._codec: Any = None

    def __call__(self, envelope: dict[str, Any]) -> dict[str, Any]:
        if self._codec is None:
            from centreon_canopsis.core.bbdo.codec import DEFAULT_BROKER_VERSION, BBDOCodec

            self._codec = BBDOCodec(self._broker_version or DEFAULT_BROKER_VERSION)
        return kept.decode_again(envelope, self._codec)


def _chunks(letters: list[DeadLetter]) -> Iterator[list[DeadLetter]]:
    for start in range(0, len(letters), CHUNK):
        yield letters[start : start + CHUNK]


def _requeue(connection: sqlite3.Connection, letters: list[DeadLetter], report: RetryReport) -> None:
    lanes = {
        name: orjson.loads(spec).get("lane", "")
        for name, spec in connection.execute("SELECT name, spec FROM routes")
    }
    rows, ids = [], []
    now = time.time()
    for letter in letters:
        lane = lanes.get(letter.route or "")
        if not lane:
            report.skipped.append(f"{letter.id}: route {letter.route!r} is unknown to this state directory")
            continue
        rows.append((lane, letter.route, letter.key or "", letter.body, now))
        ids.append((letter.id,))
    with connection:
        connection.executemany(
            "INSERT INTO outbox (lane, route, key, body, enqueued_at) VALUES (?, ?, ?, ?, ?)", rows
        )
        connection.executemany("DELETE FROM dead_letters WHERE id = ?", ids)
        bump_generation(connection)
    report.requeued += len(rows)


def _reprocess(config: Config, store: Store, letters: list[DeadLetter], report: RetryReport) -> None:
    from centreon_canopsis.core.dispatcher import DROPPED, ERROR, QUEUED, Dispatcher
    from centreon_canopsis.core.outbox import Outbox
    from centreon_canopsis.core.pipeline import build_context

    context = build_context(config)
    loader = store.connect()
    try:
        context.cache.load(loader)
    finally:
        loader.close()
    outbox = Outbox(store, context.cache)
    dispatcher = Dispatcher(context, outbox)
    admit = Intake(context.registry).admit
    redecode = _Redecoder(config)
    try:
        for chunk in _chunks(letters):
            ids = []
            still: list[tuple[float, str, int]] = []  # BBDO envelopes today's decoder fails on too
            for letter in chunk:
                try:
                    event = orjson.loads(letter.body)
                    if kept.is_envelope(event):
                        event = redecode(event)
                    type_id = admit(event)
                except kept.StillUndecodable as error:
                    # Kept, with today's reason (the pipeline's words for invalid input).
                    still.append((time.time(), f"invalid input: {error}", letter.id))
                    report.reprocessed += 1
                    report.failed_again += 1
                    continue
                except kept.CannotDecodeAgain as error:
                    report.skipped.append(f"{letter.id}: a BBDO event that {error}")
                    continue
                except (orjson.JSONDecodeError, InvalidEvent) as error:
                    report.skipped.append(f"{letter.id}: not a Broker event ({error})")
                    continue
                outcome = dispatcher.process(event, type_id)
                report.reprocessed += 1
                report.queued += outcome == QUEUED
                report.dropped += outcome == DROPPED
                report.failed_again += outcome == ERROR
                ids.append((letter.id,))

            def forget(
                connection: sqlite3.Connection,
                ids: list[tuple[int]] = ids,
                still: list[tuple[float, str, int]] = still,
            ) -> None:
                connection.executemany("DELETE FROM dead_letters WHERE id = ?", ids)
                connection.executemany(
                    "UPDATE dead_letters SET failed_at = ?, reason = ?, attempts = attempts + 1 WHERE id = ?",
                    still,
                )
                bump_generation(connection)

            outbox.commit(also=forget)
    finally:
        outbox.close()
        context.plugins.hook.connector_shutdown(context=context)
