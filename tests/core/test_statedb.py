"""The state database (issue 10, items 5, 6, 9, 15): damage gives a clear message and exit 3, and
``statedb check|repair`` is the way out; ``status`` reads one snapshot; a read-only state
directory gets a message, not a traceback; files are created for the connector's user only."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import subprocess
from pathlib import Path

import orjson
import pytest

from centreon_canopsis.core.cli import main
from centreon_canopsis.core.cli.exitcodes import FAILED, OK, UNAVAILABLE
from centreon_canopsis.core.cli.status import collect
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.base import Batch
from centreon_canopsis.core.store import DB_NAME, Store
from tests.delivery.helpers import configuration, seqs, statuses, write_config
from tests.support.config import make_config
from tests.support.recorder import Recorder

COUNT = 2000


def fill(tmp_path: Path, count: int = COUNT) -> Path:
    """A state directory whose outbox holds ``count`` payloads (Canopsis never answered)."""
    config = make_config(
        tmp_path / "state",
        1,
        hard_only=0,
        enable_service_status_dedup=0,
        delivery={"retry_initial_delay": 60},
    )
    pipeline = Pipeline(config)
    pipeline.process_batch(Batch([*configuration(), *statuses(count)], origin="test"))
    pipeline.close(1)
    checkpoint(tmp_path / "state" / DB_NAME)
    return tmp_path / "state"


def checkpoint(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def config_file(tmp_path: Path, port: int = 1, **settings) -> str:
    events = tmp_path / "events.jsonl"
    events.touch()
    return str(write_config(tmp_path, port, events, source={"type": "jsonl", "follow": False}, **settings))


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def smash_page_holding(path: Path, needle: bytes) -> None:
    data = path.read_bytes()
    at = data.find(needle)
    assert at > 0, "the row is in the main file"
    page = 4096
    with open(path, "r+b") as handle:
        handle.seek(at // page * page)
        handle.write(b"\x07" * page)


def test_a_file_that_is_not_a_database(tmp_path, capsys):
    state = fill(tmp_path)
    with open(state / DB_NAME, "r+b") as handle:
        handle.write(b"this is no SQLite header")
    config = config_file(tmp_path)
    for command in (["run"], ["status"], ["deadletters", "list"], ["replay", "--timeout", "1"]):
        extra = [str(tmp_path / "events.jsonl")] if command[0] == "replay" else []
        code, _, err = cli(capsys, *command, "-c", config, *extra)
        assert code == UNAVAILABLE, command
        assert "is damaged (file is not a database)" in err and "statedb repair" in err, err
        assert "Traceback" not in err
    code, out, _ = cli(capsys, "statedb", "check", "-c", config)
    assert code == FAILED and "DAMAGED" in out and "statedb repair" in out
    code, out, _ = cli(capsys, "statedb", "repair", "-c", config)
    assert code == OK and "moved to" in out and "nothing (the file was unreadable)" in out
    assert list(state.glob("connector.damaged-*.db")), "the damaged file is kept aside"
    assert cli(capsys, "statedb", "check", "-c", config)[0] == OK
    assert cli(capsys, "run", "-c", config)[0] == OK


def test_a_malformed_outbox_is_salvaged_and_delivered(tmp_path, capsys):
    state = fill(tmp_path)
    smash_page_holding(state / DB_NAME, b"seq=0001000")
    config = config_file(tmp_path)
    code, out, _ = cli(capsys, "statedb", "check", "-c", config, "--json")
    assert code == FAILED and orjson.loads(out)["ok"] is False
    code, out, _ = cli(capsys, "statedb", "repair", "-c", config, "--json")
    report = orjson.loads(out)
    assert code == OK and report["moved_to"]
    kept = report["salvaged"]["outbox"]
    assert COUNT - 50 < kept < COUNT, "one page of payloads is lost, the rest kept"
    assert report["salvaged"]["routes"] == 1
    assert report["salvaged"]["cache_objects"] + report["salvaged"]["cache_journal"] > 0
    with Recorder() as recorder:
        code, _, _ = cli(
            capsys, "replay", "-c", config_file(tmp_path, recorder.port), str(tmp_path / "events.jsonl")
        )
        delivered = seqs(recorder.events())
    assert code == OK
    assert len(delivered) == kept == len(set(delivered)), "every salvaged payload delivered once"
    assert delivered == sorted(delivered), "in their order"
    assert 1000 not in delivered


@pytest.mark.parametrize(
    ("insert", "problem", "table"),
    [
        (
            "INSERT INTO cache_objects VALUES ('host', CAST(x'ff31' AS TEXT), x'ff')",
            "cache_objects: host",
            None,
        ),
        (
            "INSERT INTO cache_journal (value) VALUES ('[[\"host\", 7]]')",
            "cache_journal: name cache journal entry",
            "cache_journal",  # the readable entries of the journal are salvaged
        ),
    ],
    ids=["row", "journal entry"],
)
def test_an_undecodable_cache_object(tmp_path, capsys, insert, problem, table):
    state = fill(tmp_path, 10)
    connection = sqlite3.connect(state / DB_NAME)
    assert connection.execute("SELECT COUNT(*) FROM cache_journal").fetchone()[0] > 0, "names not folded yet"
    connection.execute(insert)
    connection.commit()
    connection.close()
    config = config_file(tmp_path)
    code, _, err = cli(capsys, "run", "-c", config)
    assert code == UNAVAILABLE and "is damaged" in err and "Traceback" not in err
    code, out, _ = cli(capsys, "statedb", "check", "-c", config)
    assert code == FAILED and problem in out
    code, out, _ = cli(capsys, "statedb", "repair", "-c", config, "--json")
    assert code == OK
    if table is not None:
        assert orjson.loads(out)["salvaged"][table] >= 1
    repaired = Pipeline(make_config(state, 1))
    try:
        assert repaired.context.cache.hosts, "the readable names are kept"
        assert repaired.outbox.depth() == 10
    finally:
        repaired.close(1)


def test_repair_refuses_while_the_connector_runs(tmp_path, capsys):
    state = fill(tmp_path, 10)
    holder = Store(state)
    try:
        code, _, err = cli(capsys, "statedb", "repair", "-c", config_file(tmp_path), "--force")
    finally:
        holder.close()
    assert code == UNAVAILABLE and "stop it first" in err


def test_a_healthy_database_is_left_alone(tmp_path, capsys):
    fill(tmp_path, 10)
    config = config_file(tmp_path)
    code, out, _ = cli(capsys, "statedb", "repair", "-c", config)
    assert code == OK and "nothing to do" in out


# -- status reads one snapshot (item 6) ---------------------------------------------------------


class DeletesTheHeadMeanwhile:
    """A connection on which the daemon delivers the head of the lane between two queries."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path

    def execute(self, sql: str, *args):
        cursor = self.connection.execute(sql, *args)
        if "GROUP BY lane" in sql:
            rows = cursor.fetchall()
            daemon = sqlite3.connect(self.path)
            daemon.execute("DELETE FROM outbox WHERE id IN (SELECT MIN(id) FROM outbox)")
            daemon.commit()
            daemon.close()
            return Rows(rows)
        return cursor

    def commit(self) -> None:
        self.connection.commit()


class Rows(list):
    def fetchall(self) -> list:
        return list(self)


def test_status_reads_one_snapshot(tmp_path):
    state = fill(tmp_path, 10)
    config = make_config(state, 1)
    connection = sqlite3.connect(f"{(state / DB_NAME).as_uri()}?mode=ro", uri=True)
    report = collect(DeletesTheHeadMeanwhile(connection, state / DB_NAME), config)  # a TypeError before
    assert report["outbox"]["items"] == 10
    assert report["outbox"]["lanes"][0]["head_attempts"] >= 0


# -- a read-only state directory (item 9) ---------------------------------------------------------


@contextlib.contextmanager
def read_only_copy(state: Path, where: Path, drop: tuple[str, ...] = ()):
    """A copy of ``state`` (less ``drop``) this process cannot write: a read-only tmpfs as root,
    else chmod."""
    where.mkdir()
    if os.geteuid() == 0:
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "none", str(where)]).returncode:
            pytest.skip("root without mount: no read-only file system to test with")
        try:
            subprocess.run(["cp", "-a", f"{state}/.", str(where)], check=True)
            for name in drop:
                (where / name).unlink()
            subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
            yield where
        finally:
            subprocess.run(["umount", str(where)])
    else:
        subprocess.run(["cp", "-a", f"{state}/.", str(where)], check=True)
        for name in drop:
            (where / name).unlink()
        where.chmod(0o500)
        try:
            yield where
        finally:
            where.chmod(0o700)


def test_status_and_deadletters_on_a_read_only_state_dir(tmp_path, capsys):
    state = fill(tmp_path, 10)
    with read_only_copy(state, tmp_path / "ro") as copy:
        config = config_file(tmp_path, state_dir=str(copy))
        code, out, err = cli(capsys, "status", "-c", config)
        assert code == OK and "10 payloads waiting" in out, err
        code, out, err = cli(capsys, "deadletters", "list", "-c", config)
        assert code == OK and "Traceback" not in err
        code, _, err = cli(capsys, "deadletters", "purge", "-c", config, "--all")
        assert code == UNAVAILABLE and "not writable" in err


def test_a_read_only_state_dir_with_a_live_write_ahead_log(tmp_path, capsys):
    state = fill(tmp_path, 10)
    writer = sqlite3.connect(state / DB_NAME)
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("DELETE FROM outbox WHERE id IN (SELECT MIN(id) FROM outbox)")
    writer.commit()  # in the WAL, not in the main file
    try:
        with read_only_copy(state, tmp_path / "ro") as copy:
            config = config_file(tmp_path, state_dir=str(copy))
            code, out, err = cli(capsys, "status", "-c", config)
            assert code == OK and "9 payloads waiting" in out, "what the WAL holds is read"
        # Without the shared-memory file SQLite cannot read the WAL: a message, not a wrong figure.
        with read_only_copy(state, tmp_path / "ro-no-shm", drop=(f"{DB_NAME}-shm",)) as copy:
            assert (copy / f"{DB_NAME}-wal").stat().st_size > 0
            config = config_file(tmp_path, state_dir=str(copy))
            code, _, err = cli(capsys, "status", "-c", config)
    finally:
        writer.close()
    assert code == UNAVAILABLE and "not writable by this user" in err and "Traceback" not in err


# -- permissions (item 15) ---------------------------------------------------------------------------


@pytest.fixture
def usual_umask():
    previous = os.umask(0o022)  # what a service usually runs with: files 0644 unless we care
    yield
    os.umask(previous)


@pytest.mark.usefixtures("usual_umask")
def test_the_state_is_private_to_the_connector(tmp_path, capsys):
    authkey = tmp_path / "authkey"
    authkey.write_text("secret-authkey-value\n")
    authkey.chmod(0o644)
    config = config_file(tmp_path)
    text = (
        Path(config).read_text().replace('canopsis_authkey = "', 'canopsis_authkey_file = "authkey"\n# "', 1)
    )
    Path(config).write_text(text)
    store = Store(tmp_path / "state")
    connection = store.connect()
    connection.execute("INSERT INTO meta VALUES ('x', 1)")
    connection.commit()
    try:
        state = tmp_path / "state"
        assert stat.S_IMODE(state.stat().st_mode) == 0o700
        for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", "connector.lock"):
            assert stat.S_IMODE((state / name).stat().st_mode) == 0o600, name
    finally:
        connection.close()
        store.close()
    assert cli(capsys, "run", "-c", config)[0] == OK
    log = (tmp_path / "connector.log").read_text()
    assert "canopsis_authkey_file = 'authkey' is readable by other users" in log
    assert "secret-authkey-value" not in log


def test_an_existing_world_readable_state_is_reported(tmp_path, capsys):
    state = fill(tmp_path, 1)
    state.chmod(0o755)
    (state / DB_NAME).chmod(0o644)
    with Recorder() as recorder:  # run drains what waits before it exits
        assert cli(capsys, "run", "-c", config_file(tmp_path, recorder.port))[0] == OK
    assert "readable by other users: they hold every payload" in (tmp_path / "connector.log").read_text()
