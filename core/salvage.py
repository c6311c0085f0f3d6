"""Checking a state database, and the way out when it is damaged.

A state database can be damaged by what SQLite cannot protect against: a disk that lies about
its writes, a copy taken while the daemon ran, a file edited or truncated by hand. Then the
connector refuses to start (exit 3) with a message naming ``statedb``:

- :func:`check` runs SQLite's ``integrity_check`` (``quick_check`` without ``full``, which does
  not compare the indexes with the tables) and reads every row of every table the way the
  connector does (texts, JSON values, cache keys);
- :func:`repair` moves the damaged file (and its ``-wal``/``-shm``) aside, creates a new
  database and copies into it what can still be read: the outbox (payloads not delivered yet,
  in their order), the dead letters, the routes and the name cache. Source positions are not
  copied: a JSON-lines file is then read again from its start (duplicates, never a loss), and
  Broker replays what it was not acknowledged.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from centreon_canopsis.core.cache import journal_items
from centreon_canopsis.core.logsafe import shown
from centreon_canopsis.core.store import (
    DB_NAME,
    LOCK_NAME,
    StateDirError,
    Store,
    daemon_pid,
    recount_dead_letters,
)

#: Tables copied by a repair, with their id column (None: no rowid, read in one scan).
#: Dead letters before the outbox: payloads the damage made unsendable join them with new ids.
SALVAGED = (
    ("routes", None),
    ("cache_objects", None),
    ("cache_journal", "id"),
    ("dead_letters", "id"),
    ("outbox", "id"),
)
CHECKED = (*(name for name, _ in SALVAGED), "source_positions", "meta")
CHUNK = 500  # rows per query when reading a damaged table
#: What reading a damaged file raises (Python's sqlite3 fails to decode SQLite's own message about
#: a schema that is not UTF-8).
DB_ERRORS = (sqlite3.DatabaseError, UnicodeDecodeError)
MAX_PROBLEMS = 50


@dataclass
class CheckReport:
    path: str
    problems: list[str] = field(default_factory=list)
    #: Rows that could be read, per table.
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "ok": self.ok, "problems": self.problems, "rows": self.rows}


@dataclass
class RepairReport:
    path: str
    #: Where the damaged files went (None when nothing was done).
    moved_to: str | None = None
    salvaged: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")  # a damaged text must not end the reading


def _open(path: Path, readonly: bool) -> sqlite3.Connection:
    uri = f"{path.as_uri()}?mode=ro" if readonly else path.as_uri()
    connection = sqlite3.connect(uri, uri=True, timeout=30.0)
    connection.text_factory = _text
    return connection


def check(state_dir: str | os.PathLike[str], full: bool = True) -> CheckReport:
    """Checks the state database without writing to it (safe beside a running daemon)."""
    path = Path(state_dir) / DB_NAME
    report = CheckReport(str(path))
    if not path.exists():
        report.problems.append(f"{path} does not exist")
        return report
    try:
        connection = _open(path, readonly=True)
    except DB_ERRORS as error:
        report.problems.append(f"cannot open: {error}")
        return report
    try:
        pragma = "integrity_check" if full else "quick_check"
        try:
            found = [row[0] for row in connection.execute(f"PRAGMA {pragma}({MAX_PROBLEMS})")]
            if found != ["ok"]:
                report.problems += [f"{pragma}: {line}" for line in found]
        except DB_ERRORS as error:
            report.problems.append(f"{pragma}: {error}")
            return report  # not a database at all: nothing more to read
        problem = _startup_problem(path)
        if problem:
            report.problems.append(problem)
        for table in CHECKED:
            id_column = dict(SALVAGED).get(table)
            count = 0
            problem_of = ROW_PROBLEMS.get(table)
            for row in _rows(connection, table, id_column, report.problems):
                count += 1
                if problem_of is not None:
                    problem = problem_of(row)
                    if problem and len(report.problems) < MAX_PROBLEMS:
                        report.problems.append(problem)
            report.rows[table] = count
        connection.commit()
    finally:
        connection.close()
    return report


def _startup_problem(path: Path) -> str | None:
    """What the connector reads when it starts, read the same way (strict UTF-8, its schema)."""
    from centreon_canopsis.core.cache import Cache
    from centreon_canopsis.core.model import Route
    from centreon_canopsis.core.store import check_columns

    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=30.0)
    except sqlite3.Error as error:
        return f"cannot open: {error}"
    try:
        check_columns(connection)
        Cache().load(connection)
        for _, spec in connection.execute("SELECT name, spec FROM routes"):
            Route(**orjson.loads(spec))
        connection.execute("SELECT lane, COUNT(*) FROM outbox GROUP BY lane").fetchall()
        connection.execute("SELECT source, position FROM source_positions").fetchall()
        connection.execute("SELECT name, value FROM meta").fetchall()
        return None
    except (sqlite3.Error, UnicodeDecodeError, ValueError, TypeError) as error:
        return f"the connector cannot start on it: {shown(str(error), 200)}"
    finally:
        connection.close()


def repair(state_dir: str | os.PathLike[str], force: bool = False) -> RepairReport:
    """Moves a damaged database aside and salvages what it can into a new one.

    Raises :class:`StateDirError` when the connector runs (stop it first). A healthy database is
    left alone unless ``force``.
    """
    directory = Path(state_dir)
    path = directory / DB_NAME
    report = RepairReport(str(path))
    lock = _take_lock(directory)
    try:
        checked = check(directory)
        if checked.ok and not force:
            return report
        report.problems = checked.problems
        stamp = time.strftime("%Y%m%dT%H%M%S")
        moved = directory / f"connector.damaged-{stamp}.db"
        for suffix in ("", "-wal", "-shm"):
            source = Path(str(path) + suffix)
            if source.exists():
                os.replace(source, Path(str(moved) + suffix))
        report.moved_to = str(moved)
        store = Store(directory, lock=False)  # the new, empty database (we hold the lock)
        target = store.connect()
        try:
            _salvage(moved, target, report)
        finally:
            target.close()
    finally:
        lock.close()
    return report


def _take_lock(directory: Path) -> Any:
    if not directory.is_dir():
        raise StateDirError(f"state_dir {str(directory)!r} does not exist")
    try:
        handle = open(directory / LOCK_NAME, "a+")  # noqa: SIM115 - returned, closed by the caller
    except OSError as error:
        raise StateDirError(f"state_dir {str(directory)!r}: cannot take its lock: {error.strerror}") from None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        pid = daemon_pid(directory)
        raise StateDirError(
            f"the connector runs on state_dir {str(directory)!r} (pid {pid or 'unknown'}): stop it first"
        ) from None
    return handle


def _salvage(moved: Path, target: sqlite3.Connection, report: RepairReport) -> None:
    try:
        source = _open(moved, readonly=False)
        source.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except DB_ERRORS as error:
        report.problems.append(f"nothing could be read from the damaged file: {error}")
        return
    try:
        for table, id_column in SALVAGED:
            columns = [row[1] for row in target.execute(f"PRAGMA table_info({table})")]
            try:
                present = {row[1] for row in source.execute(f"PRAGMA table_info({table})")}
            except DB_ERRORS as error:
                report.problems.append(f"{table}: {error}")
                continue
            wanted = [column for column in columns if column in present]
            if not wanted:
                continue
            copied = 0
            rows = _rows(source, table, id_column, report.problems, wanted)
            marks = ", ".join("?" * len(wanted))
            insert = f"INSERT OR REPLACE INTO {table} ({', '.join(wanted)}) VALUES ({marks})"
            batch: list[tuple[Any, ...]] = []
            problem_of = ROW_PROBLEMS.get(table)
            for row in rows:
                if problem_of is not None and problem_of(row):
                    continue  # the name comes back with the next configuration event
                if table == "outbox" and _unsendable(target, dict(zip(wanted, row, strict=True)), report):
                    continue  # kept as a dead letter instead
                batch.append(row)
                if len(batch) >= CHUNK:
                    copied += _insert(target, insert, batch, table, report.problems)
                    batch = []
            copied += _insert(target, insert, batch, table, report.problems)
            target.commit()
            report.salvaged[table] = copied
        # The triggers counted each insert, but a replaced duplicate id (INSERT OR REPLACE fires
        # no delete trigger) would count twice: the totals of the bound, from what was copied.
        with target:
            recount_dead_letters(target)
    finally:
        source.close()


def _unsendable(target: sqlite3.Connection, row: dict[str, Any], report: RepairReport) -> bool:
    """A payload whose body the damage turned into something that is not JSON is kept as a dead
    letter (Canopsis would refuse it), not put back in the outbox."""
    body = row.get("body")
    try:
        orjson.loads(body)  # type: ignore[arg-type]
        return False
    except (orjson.JSONDecodeError, TypeError):
        pass
    target.execute(
        "INSERT INTO dead_letters (failed_at, stage, route, key, body, attempts, reason, enqueued_at) "
        "VALUES (?, 'delivery', ?, ?, ?, ?, ?, ?)",
        (
            time.time(),
            row.get("route"),
            row.get("key"),
            body if isinstance(body, bytes) else str(body).encode(),
            row.get("attempts") or 0,
            "damaged in the state database (the body is not JSON any more); set aside by statedb repair",
            row.get("enqueued_at"),
        ),
    )
    report.salvaged["outbox_damaged_to_dead_letters"] = (
        report.salvaged.get("outbox_damaged_to_dead_letters", 0) + 1
    )
    return True


def _insert(
    target: sqlite3.Connection, insert: str, rows: list[tuple[Any, ...]], table: str, problems: list[str]
) -> int:
    """Inserts rows, one by one when the batch fails (a row a damaged schema let through)."""
    try:
        target.executemany(insert, rows)
        return len(rows)
    except sqlite3.Error:
        pass
    done = 0
    for row in rows:
        try:
            target.execute(insert, row)
            done += 1
        except sqlite3.Error as error:
            _note(problems, f"{table}: a row not copied: {error}")
    return done


def _rows(
    connection: sqlite3.Connection,
    table: str,
    id_column: str | None,
    problems: list[str],
    columns: list[str] | None = None,
) -> Iterator[tuple[Any, ...]]:
    """Every readable row of ``table``; a damaged stretch is skipped (and said), not fatal."""
    if columns and id_column is not None and id_column not in columns:
        columns = [id_column, *columns]
    wanted = ", ".join(columns) if columns else "*"
    if id_column is None:
        cursor = None
        try:
            cursor = connection.execute(f"SELECT {wanted} FROM {table}")
            yield from cursor
        except DB_ERRORS as error:
            _note(problems, f"{table}: {error}")
        return
    position = columns.index(id_column) if columns else 0
    try:
        highest = connection.execute(f"SELECT MAX({id_column}) FROM {table}").fetchone()[0] or 0
    except DB_ERRORS as error:
        _note(problems, f"{table}: {error}")
        highest = None
    last = -1
    while True:
        try:
            rows = connection.execute(
                f"SELECT {wanted} FROM {table} WHERE {id_column} > ? ORDER BY {id_column} LIMIT ?",
                (last, CHUNK),
            ).fetchall()
        except DB_ERRORS as error:
            _note(problems, f"{table}: rows after id {last}: {error}")
            if highest is None or last >= highest:
                return
            # Row by row through the damaged stretch: what is readable is kept.
            for row_id in range(last + 1, min(last + CHUNK, highest) + 1):
                try:
                    row = connection.execute(
                        f"SELECT {wanted} FROM {table} WHERE {id_column} = ?", (row_id,)
                    ).fetchone()
                except DB_ERRORS:
                    continue
                if row is not None:
                    yield row
            last += CHUNK
            continue
        if not rows:
            return
        yield from rows
        last = rows[-1][position]


def _note(problems: list[str], problem: str) -> None:
    if len(problems) < MAX_PROBLEMS:
        problems.append(problem)


def _journal_row_problem(row: tuple[Any, ...]) -> str | None:
    try:
        journal_items(row[0], row[1])
    except ValueError as error:
        return f"cache_journal: {shown(str(error), 120)}"
    return None


def _cache_row_problem(row: tuple[Any, ...]) -> str | None:
    kind, key, value = row[0], row[1], row[2]
    try:
        orjson.loads(value)
        for part in str(key).split(":"):
            int(part)
    except (orjson.JSONDecodeError, TypeError, ValueError) as error:
        return f"cache_objects: {shown(kind, 40)} {shown(key, 40)}: unreadable ({shown(str(error), 80)})"
    if "\ufffd" in str(kind) + str(key):
        return f"cache_objects: {shown(kind, 40)} {shown(key, 40)}: not UTF-8"
    return None


#: Rows of these tables that the connector could not read at start are reported, and not salvaged.
ROW_PROBLEMS = {"cache_objects": _cache_row_problem, "cache_journal": _journal_row_problem}
