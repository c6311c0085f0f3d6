"""The state database: one SQLite file in ``state_dir`` holding the name cache, the outbox, the
dead letters and the sources' read positions.

WAL mode lets the sender read and delete while the pipeline writes. Each thread opens its own
connection with :meth:`Store.connect`.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path

from centreon_canopsis.core.cache import Cache

DB_NAME = "connector.db"

SCHEMA = (
    Cache.SCHEMA,
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
        last_error TEXT
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
        response TEXT
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS source_positions (
        source TEXT PRIMARY KEY,
        position TEXT NOT NULL,
        updated_at REAL NOT NULL
    )
    """,
)


class StateDirError(Exception):
    """The state directory cannot be created or written, or another process uses it."""


class Store:
    def __init__(self, state_dir: str | os.PathLike[str], synchronous: str = "full") -> None:
        self.state_dir = Path(state_dir)
        self.synchronous = synchronous.upper()
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StateDirError(
                f"state_dir {str(self.state_dir)!r} cannot be created: {error.strerror}"
            ) from None
        if not os.access(self.state_dir, os.W_OK):
            raise StateDirError(f"state_dir {str(self.state_dir)!r} is not writable")
        self.path = self.state_dir / DB_NAME
        self._lock_file = self._lock()
        with self.connect() as connection:
            for statement in SCHEMA:
                connection.execute(statement)

    def _lock(self):
        """One process per state directory: two senders would deliver the same outbox twice."""
        lock_path = self.state_dir / "connector.lock"
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
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(f"PRAGMA synchronous={self.synchronous}")
        connection.execute("PRAGMA busy_timeout=30000")
        return connection

    def position(self, connection: sqlite3.Connection, source: str) -> str | None:
        row = connection.execute(
            "SELECT position FROM source_positions WHERE source = ?", (source,)
        ).fetchone()
        return row[0] if row else None
