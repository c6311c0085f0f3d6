"""The name cache journal: each commit writes its cache changes as a few journal rows, which are
folded into cache_objects while the source is idle; a start reads rows (or the snapshot) and then
the journal, so nothing committed is lost whichever step a crash interrupts."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from centreon_canopsis.core import pipeline as pipeline_module
from centreon_canopsis.core.cache import JOURNAL_ENTRY_OBJECTS, SERVICE_FIELDS, Cache
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.base import Batch
from centreon_canopsis.core.sources.jsonl import JsonLinesSource
from centreon_canopsis.core.store import DB_NAME, StateDatabaseError
from tests.core.test_cache_compact import database, feed, loaded, rows_not_read
from tests.support import events as ev
from tests.support.config import make_config

SERVICE_DESCRIPTION = SERVICE_FIELDS.index("description") - 2  # host_id, service_id: the key
PING = next(e for e in ev.v3_configuration() if e.get("service_id") == 47 and "description" in e)


def committed(cache: Cache, connection: sqlite3.Connection) -> None:
    cache.save(connection)
    connection.commit()
    cache.mark_saved()


def stored_rows(connection: sqlite3.Connection) -> dict[tuple[str, str], object]:
    rows = connection.execute("SELECT kind, key, value FROM cache_objects").fetchall()
    return {(kind, key): orjson.loads(value) for kind, key, value in rows}


def entries(connection: sqlite3.Connection) -> int:
    return connection.execute("SELECT COUNT(*) FROM cache_journal").fetchone()[0]


def test_a_deletion_travels_through_the_journal_and_the_fold():
    cache = feed(Cache(), *ev.v3_configuration())
    connection = database(cache)
    assert cache.fold(connection, 10) > 0
    connection.commit()
    assert ("service", "15:47") in stored_rows(connection)
    feed(cache, dict(PING, enabled=False))
    committed(cache, connection)
    assert ("service", "15:47") in stored_rows(connection), "not folded yet"
    assert loaded(connection).service(15, 47) is None, "a start sees it gone already"
    cache.fold(connection, 10)
    connection.commit()
    assert ("service", "15:47") not in stored_rows(connection)
    assert loaded(connection).service(15, 47) is None
    assert loaded(connection).host(15)["name"] == "srv-web-01"  # the rest is kept


def test_the_fold_keeps_the_last_change_of_an_object_across_entries():
    cache = feed(Cache(), *ev.v3_configuration())
    connection = database(cache)
    for text in ("Ping v2", "Ping v3"):
        feed(cache, dict(PING, description=text))
        committed(cache, connection)
    assert entries(connection) == 3
    before = cache.journal_bytes
    moved = cache.fold(connection, 3)
    connection.rollback()  # a failed commit: the entries stay, and so does their count
    assert entries(connection) == 3 and cache.journal_bytes == before
    moved = cache.fold(connection, 3)
    connection.commit()
    cache.mark_folded(moved)
    assert entries(connection) == 0 and cache.journal_bytes == 0
    assert stored_rows(connection)["service", "15:47"][SERVICE_DESCRIPTION] == "Ping v3"
    assert loaded(connection).service(15, 47)["description"] == "Ping v3"


def test_a_large_commit_is_split_into_entries_of_bounded_size():
    services = [
        dict(PING, service_id=sid, description=f"s{sid}") for sid in range(1, 2 * JOURNAL_ENTRY_OBJECTS + 2)
    ]
    cache = feed(Cache(), *ev.v3_configuration()[:2], *services)
    connection = database(cache)
    sizes = [
        len(orjson.loads(v)) for (v,) in connection.execute("SELECT value FROM cache_journal ORDER BY id")
    ]
    assert sorted(sizes, reverse=True) == [JOURNAL_ENTRY_OBJECTS, JOURNAL_ENTRY_OBJECTS, 3]
    assert (
        cache.journal_bytes
        == connection.execute("SELECT SUM(LENGTH(value)) FROM cache_journal").fetchone()[0]
    )
    assert cache.fold(connection, 1) > 0
    assert entries(connection) == 2, "one entry per fold step"
    assert loaded(connection).service(15, 2 * JOURNAL_ENTRY_OBJECTS + 1)["description"] == "s2001"
    assert loaded(connection).service(15, 7)["description"] == "s7"


def test_a_snapshot_covers_the_journal_up_to_its_mark(monkeypatch):
    cache = feed(Cache(), *ev.v3_configuration())
    connection = database(cache)
    connection.execute(Cache.SNAPSHOT_SCHEMA)
    assert cache.write_snapshot(connection)
    connection.commit()
    replayed: list[int] = []
    original = Cache._apply

    def counting(self, kind, pairs, decode=None):
        replayed.append(len(pairs))
        return original(self, kind, pairs, decode)

    with monkeypatch.context() as patch:
        rows_not_read(patch)
        patch.setattr(Cache, "_apply", counting)
        again = loaded(connection)
    assert replayed == [], "what the snapshot holds is not replayed"
    assert again.service(15, 47)["description"] == "Ping"
    assert not again.write_snapshot(connection), "current: nothing was replayed"
    feed(again, dict(PING, description="Ping v2"))
    committed(again, connection)
    with monkeypatch.context() as patch:
        rows_not_read(patch)
        patch.setattr(Cache, "_apply", counting)
        third = loaded(connection)
    assert replayed == [1] and third.service(15, 47)["description"] == "Ping v2"
    assert third.write_snapshot(connection), "the snapshot lacked the replayed entry"


@pytest.mark.parametrize(
    "value",
    [
        b"not json",
        b'{"a": 1}',
        b'[["service", "15:47", null]]',
        b'[["severity", 3, null]]',
        b'[["service", "15:47"]]',
    ],
)
def test_a_malformed_entry_is_a_damaged_database_at_start_and_skipped_by_a_fold(value, caplog):
    cache = feed(Cache(), *ev.v3_configuration())
    connection = database(cache)
    connection.execute("INSERT INTO cache_journal (value) VALUES (?)", (value,))
    feed(cache, dict(PING, description="Ping v2"))
    committed(cache, connection)
    with pytest.raises(ValueError, match=r"name cache journal entry 2: not"):
        loaded(connection)
    with caplog.at_level(logging.WARNING):
        assert cache.fold(connection, 10) > 0
    connection.commit()
    assert "name cache journal entry 2: not" in caplog.text
    assert entries(connection) == 0
    assert loaded(connection).service(15, 47)["description"] == "Ping v2", "the entries around it are kept"


def test_a_start_on_a_malformed_entry_says_the_database_is_damaged(tmp_path):
    config = make_config(tmp_path / "state")
    pipeline = Pipeline(config)
    pipeline.process_batch(Batch(ev.v3_configuration()))
    pipeline.close(1)
    connection = sqlite3.connect(tmp_path / "state" / DB_NAME)
    connection.execute("INSERT INTO cache_journal (value) VALUES (x'ff00')")
    connection.commit()
    connection.close()
    with pytest.raises(StateDatabaseError):
        Pipeline(config)


def test_an_idle_source_folds_the_journal_and_a_crash_before_loses_nothing(tmp_path, monkeypatch):
    lines = tmp_path / "events.jsonl"
    lines.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in ev.v3_configuration()))
    config = make_config(tmp_path / "state")
    pipeline = Pipeline(config)
    # Before any idle moment: the names are in the journal only, and a start (after a crash) reads them.
    pipeline.process_batch(Batch(ev.v3_configuration()))
    reader = sqlite3.connect(tmp_path / "state" / DB_NAME)
    assert entries(reader) == 1 and stored_rows(reader) == {}
    assert loaded(reader).service(15, 47)["description"] == "Ping"
    # An idle source: folded within a few idle moments.
    source = JsonLinesSource(str(lines), follow=True)
    runner = threading.Thread(target=pipeline.run, args=(source,), daemon=True)
    runner.start()
    deadline = time.monotonic() + 10
    while entries(reader) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert entries(reader) == 0 and pipeline.context.cache.journal_bytes == 0
        assert stored_rows(reader)["service", "15:47"][SERVICE_DESCRIPTION] == "Ping"
        assert loaded(reader).hostgroup_names(15) == ["Linux", "Europe"]
    finally:
        pipeline.request_stop()
        source.close()
        runner.join(10)
        pipeline.close(1)
        reader.close()


def test_past_its_bound_the_journal_is_folded_while_busy(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline_module, "JOURNAL_MAX_BYTES", 0)
    batches = [[dict(PING, service_id=sid, description=f"s{sid}") for sid in range(b * 10 + 1, b * 10 + 11)]
               for b in range(5)]  # fmt: skip
    folded: list[int] = []

    class Busy:
        """A source that always has more (never idle) then ends."""

        name = "busy"

        def batches(self, resume: str | None = None):
            yield Batch(ev.v3_configuration())
            for events in batches:
                folded.append(pipeline.context.cache.journal_bytes)
                yield Batch(events)

        def close(self) -> None:
            pass

    pipeline = Pipeline(make_config(tmp_path / "state"))
    try:
        pipeline.run(Busy())
        assert folded == [0] * 5, "each commit's entry folded right after it"
        reader = sqlite3.connect(tmp_path / "state" / DB_NAME)
        assert entries(reader) == 0 and len([k for k in stored_rows(reader) if k[0] == "service"]) == 50
        reader.close()
    finally:
        pipeline.close(1)


def test_a_state_from_before_the_journal_loads(tmp_path: Path):
    cache = feed(Cache(), *ev.v3_configuration())
    connection = database(cache)
    cache.fold(connection, 10)
    connection.execute("DROP TABLE cache_journal")
    connection.commit()
    assert loaded(connection).service(15, 47)["description"] == "Ping"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=12,
)
KINDS = st.sampled_from(["host", "service", "host_member", "service_member", "severity", "custom_var", "tag",
                         "instance", "hostgroup", "criticality", "ba", "ba_bv", "nope"])  # fmt: skip
ITEMS = st.lists(
    st.tuples(KINDS, st.integers(-5, 2**40) | st.lists(st.integers(-5, 99), max_size=3) | JSON, JSON)
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(entry=ITEMS | JSON)
@example(entry=[["service", 5, [{"a": 1}]]])  # fields that cannot be shared (not hashable)
@example(entry=[["host_member", 5, [[1], "x"]]])
@example(entry=[["host", 5, "text"]])
def test_any_json_in_the_journal_loads_or_says_damaged_and_never_stops_a_fold(entry):
    """Hostile state: whatever JSON an entry holds, a start either loads or raises ValueError (the
    damaged-database path: exit 3, statedb repair), and a fold skips it."""
    cache = feed(Cache(), *ev.v3_configuration())
    connection = database(cache)
    connection.execute("INSERT INTO cache_journal (value) VALUES (?)", (orjson.dumps(entry),))
    try:
        loaded(connection)
    except ValueError as problem:
        assert "name cache journal entry 2" in str(problem) or str(problem)
    assert cache.fold(connection, 10) > 0
    connection.commit()
    assert loaded(connection).service(15, 47)["description"] == "Ping", "the good entry is kept"


def test_a_stored_value_of_another_shape_is_left_out_with_a_warning(caplog):
    cache = feed(Cache(), *ev.v3_configuration())
    connection = database(cache)
    entry = [
        ["service", (15 << 32) | 48, [{"not": "hashable"}]],
        ["severity", [1, 9], "High"],
        ["instance", 3, "P3"],
    ]
    connection.execute("INSERT INTO cache_journal (value) VALUES (?)", (orjson.dumps(entry),))
    with caplog.at_level(logging.WARNING):
        again = loaded(connection)
    assert again.left_out == 2
    assert "name cache: stored service" in caplog.text and "name cache: stored severity [1, 9]" in caplog.text
    assert again.service(15, 48) is None and again.service(15, 47)["description"] == "Ping"
    assert again.poller_name(3) == "P3", "the rest of the entry is applied"
