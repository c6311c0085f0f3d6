"""The state database: one SQLite file in ``state_dir`` holding the name cache, the outbox, the
dead letters and the sources' read positions.

WAL mode lets the sender read and delete while the pipeline writes. Each thread opens its own
connection with :meth:`Store.connect`. One daemon owns a state directory (a lock file); the
``status`` and ``deadletters`` commands open the database beside it without that lock
(:func:`open_database`): SQLite serialises their few writes with the daemon's, and they bump
``meta.outbox_generation`` so that the daemon recounts its outbox (see ``Outbox.refresh``).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path

from centreon_canopsis.core.cache import Cache
from centreon_canopsis.core.logsafe import shown
from centreon_canopsis.core.permissions import private_files, state_warnings

DB_NAME = "connector.db"
LOCK_NAME = "connector.lock"
#: Written by ``run`` while its metrics endpoint listens, so ``status`` finds a port chosen at random.
METRICS_URL_NAME = "metrics.url"
#: After a checkpoint, the WAL file is truncated to this size (it can grow large during an outage).
JOURNAL_SIZE_LIMIT = 64 << 20
SQLITE_CORRUPT, SQLITE_NOTADB = 11, 26
#: Page cache per connection (KiB): the head of a busy lane stays in memory between take and settle.
CACHE_KIB = 16 << 10

SCHEMA = (
    Cache.SCHEMA,
    Cache.JOURNAL_SCHEMA,
    Cache.SNAPSHOT_SCHEMA,
    """
    CREATE TABLE IF NOT EXISTS outbox (
        id INTEGER PRIMARY KEY,
        lane TEXT NOT NULL,
        route TEXT NOT NULL,
        key TEXT NOT NULL,
        body BLOB NOT NULL,
        enqueued_at REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        last_error TEXT,
        rejections INTEGER NOT NULL DEFAULT 0
    )
    """,
    "CREATE INDEX IF NOT EXISTS outbox_lane ON outbox (lane, id)",
    """
    CREATE TABLE IF NOT EXISTS routes (
        name TEXT PRIMARY KEY,
        spec BLOB NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS dead_letters (
        id INTEGER PRIMARY KEY,
        failed_at REAL NOT NULL,
        stage TEXT NOT NULL,
        route TEXT,
        key TEXT,
        body BLOB NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        status INTEGER,
        reason TEXT NOT NULL,
        response TEXT,
        request TEXT,
        enqueued_at REAL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS source_positions (
        source TEXT PRIMARY KEY,
        position TEXT NOT NULL,
        updated_at REAL NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS meta (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    )
    """,
)

#: Columns added after the first version of a table: (table, column, declaration).
ADDED_COLUMNS = (
    ("outbox", "rejections", "INTEGER NOT NULL DEFAULT 0"),
    ("dead_letters", "request", "TEXT"),
    ("dead_letters", "enqueued_at", "REAL"),
    # Catch-up coalescing (core/coalesce.py): the entity key of the payloads that take part.
    ("outbox", "ckey", "TEXT"),
    ("outbox", "ckind", "INTEGER"),
)
#: Run after the columns above exist. Partial: a payload without ``ckey`` costs no index write.
#: ``dead_letters_stage``: the watcher's count per stage reads this small index, not every row
#: (173 ms against 14 ms for 100 000 dead letters of 2 KiB).
INDEXES = (
    "CREATE INDEX IF NOT EXISTS outbox_coalesce ON outbox (ckey, id) WHERE ckey IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS dead_letters_stage ON dead_letters (stage)",
)

#: ``meta`` rows holding how many dead letters are stored and their size in bytes (bodies and
#: answers), kept by the triggers below in the transaction of every insert and delete, whoever writes
#: (the daemon, its delivery process, ``deadletters retry``/``purge``, ``statedb repair``, a
#: hand-run ``sqlite3``): the bound of ``delivery.max_dead_letters`` reads one row, never a COUNT.
DEAD_COUNT, DEAD_BYTES = "dead_letters", "dead_letter_bytes"
_DEAD_SIZE = "length({0}.body) + coalesce(length({0}.response), 0)"
TRIGGERS = (
    f"""
    CREATE TRIGGER IF NOT EXISTS dead_letters_added AFTER INSERT ON dead_letters BEGIN
        UPDATE meta SET value = value + 1 WHERE name = '{DEAD_COUNT}';
        UPDATE meta SET value = value + {_DEAD_SIZE.format("NEW")} WHERE name = '{DEAD_BYTES}';
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS dead_letters_removed AFTER DELETE ON dead_letters BEGIN
        UPDATE meta SET value = value - 1 WHERE name = '{DEAD_COUNT}';
        UPDATE meta SET value = value - ({_DEAD_SIZE.format("OLD")}) WHERE name = '{DEAD_BYTES}';
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS dead_letters_resized AFTER UPDATE OF body, response ON dead_letters BEGIN
        UPDATE meta SET value = value - ({_DEAD_SIZE.format("OLD")}) + {_DEAD_SIZE.format("NEW")}
            WHERE name = '{DEAD_BYTES}';
    END
    """,
)


class StateDirError(Exception):
    """The state directory cannot be created or written, or another process uses it."""


class StateDatabaseError(StateDirError):
    """The state database is damaged (not a database, malformed, unreadable rows)."""

    def __init__(self, path: str | os.PathLike[str], error: Exception) -> None:
        self.path = str(path)
        self.error = error
        super().__init__(
            f"the state database {self.path} is damaged ({shown(str(error), 200)}); "
            f"check it with `centreon-canopsis statedb check -c CONFIG`, then "
            f"`centreon-canopsis statedb repair -c CONFIG` moves it aside and salvages what it can "
            f"(the outbox and the dead letters) into a new one"
        )


def is_damage(error: BaseException) -> bool:
    """Whether an SQLite error means a damaged file (not a lock, a full disk or a permission)."""
    if isinstance(error, SchemaDamage):
        return True
    if isinstance(error, UnicodeDecodeError | ValueError) and not isinstance(error, sqlite3.Error):
        return True  # a row that does not decode
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB)
    text = str(error)
    return "malformed" in text or "not a database" in text or "decode" in text


class Store:
    """The state database of one daemon; ``lock=False`` for tools that work beside it."""

    def __init__(
        self, state_dir: str | os.PathLike[str], synchronous: str = "full", *, lock: bool = True
    ) -> None:
        self.state_dir = Path(state_dir)
        self.synchronous = synchronous.upper()
        self.path = self.state_dir / DB_NAME
        #: Said once at start (``run`` logs them): files others may read.
        self.warnings = state_warnings(self.state_dir, DB_NAME) if self.path.exists() else []
        with private_files():  # payloads and dead letters: 0700 directory, 0600 files
            try:
                self.state_dir.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StateDirError(
                    f"state_dir {str(self.state_dir)!r} cannot be created: {error.strerror}"
                ) from None
            if not os.access(self.state_dir, os.W_OK):
                raise StateDirError(
                    f"state_dir {str(self.state_dir)!r} is not writable by this user (uid {os.getuid()})"
                )
            self._lock_file = self._lock() if lock else None
            try:
                with self.connect() as connection:
                    connection.execute("PRAGMA journal_mode=WAL")  # persistent: set once per file
                    for statement in SCHEMA:
                        connection.execute(statement)
                    _add_missing_columns(connection)
                    for statement in INDEXES:
                        connection.execute(statement)
                    check_columns(connection)
                    _ensure_dead_letter_totals(connection)
                connection.close()
            except (sqlite3.DatabaseError, UnicodeDecodeError) as error:
                self.close()
                if is_damage(error):
                    raise StateDatabaseError(self.path, error) from None
                raise StateDirError(f"the state database {self.path} cannot be opened: {error}") from None

    def _lock(self):
        """One process per state directory: two senders would deliver the same outbox twice."""
        lock_path = self.state_dir / LOCK_NAME
        handle = open(lock_path, "a+")  # noqa: SIM115 - held for the life of the store
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "unknown"
            handle.close()
            raise StateDirError(
                f"state_dir {str(self.state_dir)!r} is in use by another connector process (pid {owner}); "
                "stop it or use another state_dir"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        return handle

    def close(self) -> None:
        """Releases the state directory."""
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def connect(self) -> sqlite3.Connection:
        """A new connection for the calling thread (autocommit off: callers commit)."""
        connection = sqlite3.connect(
            self.path, timeout=30.0, isolation_level="DEFERRED", check_same_thread=False
        )
        connection.execute(f"PRAGMA synchronous={self.synchronous}")
        connection.execute("PRAGMA busy_timeout=30000")
        connection.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
        connection.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        return connection

    def position(self, connection: sqlite3.Connection, source: str) -> str | None:
        row = connection.execute(
            "SELECT position FROM source_positions WHERE source = ?", (source,)
        ).fetchone()
        return row[0] if row else None


class SchemaDamage(sqlite3.DatabaseError):
    """The tables are not the connector's (a damaged schema): counted as damage."""


def expected_columns() -> dict[str, list[str]]:
    """Each table's columns, as this version creates them."""
    model = sqlite3.connect(":memory:")
    try:
        for statement in SCHEMA:
            model.execute(statement)
        _add_missing_columns(model)
        tables = [row[0] for row in model.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {table: [row[1] for row in model.execute(f"PRAGMA table_info({table})")] for table in tables}
    finally:
        model.close()


def check_columns(connection: sqlite3.Connection) -> None:
    """Raises :class:`SchemaDamage` when a table lacks a column this version reads."""
    for table, columns in expected_columns().items():
        present = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        missing = [column for column in columns if column not in present]
        if missing:
            raise SchemaDamage(
                f"table {table} lacks the columns {', '.join(missing)}: not the connector's schema"
            )


def _add_missing_columns(connection: sqlite3.Connection) -> None:
    for table, column, declaration in ADDED_COLUMNS:
        present = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


def open_database(state_dir: str | os.PathLike[str], *, readonly: bool) -> sqlite3.Connection | None:
    """A connection to the state database without the daemon's lock; None when there is none yet.

    Read-only connections never write, so ``status`` and ``deadletters list`` are safe to run
    beside a busy daemon.
    """
    path = Path(state_dir) / DB_NAME
    if not path.exists():
        return None
    if not readonly:
        connection = Store(state_dir, lock=False).connect()
        connection.execute("PRAGMA busy_timeout=30000")
        return connection
    connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=30.0)
    connection.execute("PRAGMA busy_timeout=30000")
    problem = _probed(connection, path)
    if problem is None:
        return connection
    # A WAL database needs its shared-memory file, which a reader that may not write the directory
    # cannot create. With no daemon and nothing in the WAL, the file alone is the whole truth.
    wal = path.with_name(DB_NAME + "-wal")
    if daemon_pid(state_dir) is None and (not wal.exists() or wal.stat().st_size == 0):
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)
        if _probed(connection, path) is None:
            return connection
    writable = os.access(path.parent, os.W_OK)
    raise StateDirError(
        f"cannot read the state database {path} ({problem})"
        + (
            ""
            if writable
            else f": state_dir {str(path.parent)!r} is not writable by this user (uid {os.getuid()}), "
            "and SQLite must create its shared-memory file there while the connector runs or its "
            "write-ahead log holds data; run this command as the connector's user"
        )
    )


def _probe(connection: sqlite3.Connection) -> None:
    connection.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    connection.commit()


def _probed(connection: sqlite3.Connection, path: Path) -> Exception | None:
    """None when ``connection`` can read the database; else closes it and returns why it cannot.
    Damage is raised (StateDatabaseError): no other way of opening would read it either."""
    try:
        _probe(connection)
        return None
    except (sqlite3.DatabaseError, UnicodeDecodeError) as error:
        connection.close()
        if is_damage(error):
            raise StateDatabaseError(path, error) from None
        return error


def daemon_pid(state_dir: str | os.PathLike[str]) -> int | None:
    """The pid of the daemon holding the state directory's lock, or None; never takes the lock.

    Reads ``/proc/locks`` (the lock's owner, by inode) rather than trusting the pid written in
    the lock file, which stays there after the daemon ends.
    """
    lock_path = Path(state_dir) / LOCK_NAME
    try:
        inode = lock_path.stat().st_ino
        text = lock_path.read_text().strip()
    except OSError:
        return None
    try:
        with open("/proc/locks") as locks:
            for line in locks:
                parts = line.split()
                # "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"
                if len(parts) >= 6 and parts[1] == "FLOCK" and parts[5].rsplit(":", 1)[-1] == str(inode):
                    return int(parts[4])
        return None
    except OSError:
        pass
    try:  # no /proc/locks: fall back on the pid in the file
        pid = int(text)
        os.kill(pid, 0)
        return pid
    except (ValueError, OSError):
        return None


def bump_generation(connection: sqlite3.Connection) -> None:
    """Tells a running daemon that another process changed the outbox (in the caller's transaction)."""
    connection.execute(
        "INSERT INTO meta (name, value) VALUES ('outbox_generation', 1) "
        "ON CONFLICT (name) DO UPDATE SET value = value + 1"
    )


def generation(connection: sqlite3.Connection) -> int:
    row = connection.execute("SELECT value FROM meta WHERE name = 'outbox_generation'").fetchone()
    return row[0] if row else 0


_TRIGGER_NAMES = {"dead_letters_added", "dead_letters_removed", "dead_letters_resized"}


def _ensure_dead_letter_totals(connection: sqlite3.Connection) -> None:
    """Creates the triggers and counts the totals from the table when any is missing (a database
    of an earlier version, or a trigger dropped by hand: writes may have gone uncounted), in one
    transaction: no insert falls between the count and the triggers."""
    triggers = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    rows = {
        row[0]
        for row in connection.execute("SELECT name FROM meta WHERE name IN (?, ?)", (DEAD_COUNT, DEAD_BYTES))
    }
    if rows == {DEAD_COUNT, DEAD_BYTES} and triggers >= _TRIGGER_NAMES:
        return
    connection.commit()
    connection.execute("BEGIN IMMEDIATE")
    try:
        for statement in TRIGGERS:
            connection.execute(statement)
        recount_dead_letters(connection)
        connection.commit()
    except BaseException:
        connection.rollback()
        raise


def recount_dead_letters(connection: sqlite3.Connection) -> None:
    """Sets the totals from the table (a scan), in the caller's transaction."""
    # ``WHERE true``: after a bare ``FROM``, SQLite would parse ``ON CONFLICT`` as a join's ``ON``.
    connection.execute(
        "INSERT INTO meta (name, value) SELECT ?, COUNT(*) FROM dead_letters WHERE true "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (DEAD_COUNT,),
    )
    connection.execute(
        f"INSERT INTO meta (name, value) SELECT ?, coalesce(SUM({_DEAD_SIZE.format('dead_letters')}), 0) "
        "FROM dead_letters WHERE true ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (DEAD_BYTES,),
    )


def dead_letter_totals(connection: sqlite3.Connection) -> tuple[int, int]:
    """How many dead letters are stored, and their size in bytes (bodies and answers)."""
    found = dict(
        connection.execute("SELECT name, value FROM meta WHERE name IN (?, ?)", (DEAD_COUNT, DEAD_BYTES))
    )
    return found.get(DEAD_COUNT, 0), found.get(DEAD_BYTES, 0)
