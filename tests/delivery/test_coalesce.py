"""Catch-up coalescing (core/coalesce.py): in a backlog, a pending check is dropped when a newer
check of the same entity is queued, never across an ack, an ackremove or any other event of
that entity, never on the pbehavior lane; what stays keeps its order. Also the outbox's other
issue 11 changes: a take reads its own lane's batch, settles skip the fsync."""

from __future__ import annotations

import contextlib
import sqlite3
import time

import orjson
import pytest

from centreon_canopsis.core.model import Payload, Route
from centreon_canopsis.core.outbox import Outbox
from centreon_canopsis.core.store import Store

EVENTS = Route("event", "POST", "/api/v4/event", "events", 1000)
PBEHAVIORS = Route("pbehavior.bulk", "POST", "/api/v4/bulk/pbehaviors", "pbehaviors", 1000)


def ev(entity: str, event_type: str, tag: str) -> tuple[Route, Payload]:
    body = {
        "event_type": event_type,
        "component": entity,
        "output": tag,
        "connector": "c",
        "connector_name": "n",
    }
    if event_type == "check":
        body["state"] = 2
    return EVENTS, Payload("event", body, entity)


@pytest.fixture
def outbox(tmp_path):
    box = Outbox(Store(tmp_path / "state"))
    box.coalesce_backlog = 2
    yield box
    box.close()


def backlog(outbox: Outbox, count: int = 3) -> None:
    """Payloads without an entity, so that the lane is in catch-up (they never take part)."""
    outbox.add_many([(EVENTS, Payload("event", {"event_type": "check", "n": n}, "")) for n in range(count)])
    outbox.commit()


def left(outbox: Outbox) -> list[str]:
    rows = outbox._writer.execute("SELECT body FROM outbox WHERE key != '' ORDER BY id").fetchall()
    outbox._writer.commit()
    return [orjson.loads(body).get("output") or orjson.loads(body)["name"] for (body,) in rows]


SEQUENCE = [
    ("E", "check", "c1"),
    ("F", "check", "f1"),
    ("E", "ack", "ack"),
    ("E", "check", "c2"),
    ("F", "check", "f2"),
    ("E", "check", "c3"),
    ("E", "ackremove", "ackremove"),
    ("E", "check", "c4"),
    ("F", "check", "f3"),
    ("E", "check", "c5"),
]
EXPECTED = ["c1", "ack", "c3", "ackremove", "f3", "c5"]


@pytest.mark.parametrize("per_commit", [1, 3, len(SEQUENCE)])
def test_the_rule(outbox, per_commit):
    backlog(outbox)
    for start in range(0, len(SEQUENCE), per_commit):
        outbox.add_many([ev(*step) for step in SEQUENCE[start : start + per_commit]])
        outbox.commit()
    assert left(outbox) == EXPECTED
    assert outbox.coalesced == {"event": len(SEQUENCE) - len(EXPECTED)}
    assert outbox.depth("events") == 3 + len(EXPECTED)
    count = outbox._writer.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    assert count == outbox.depth()


def test_nothing_is_coalesced_without_a_backlog(outbox):
    outbox.coalesce_backlog = 1000
    for step in SEQUENCE:
        outbox.add_many([ev(*step)])
        outbox.commit()
    assert left(outbox) == [tag for _, _, tag in SEQUENCE]
    assert not outbox.coalesced


def test_off_with_zero(outbox):
    outbox.coalesce_backlog = 0
    backlog(outbox, 10)
    for step in SEQUENCE:
        outbox.add_many([ev(*step)])
        outbox.commit()
    assert left(outbox) == [tag for _, _, tag in SEQUENCE]


def test_a_barrier_queued_outside_catch_up_still_protects_the_check_before_it(outbox):
    backlog(outbox)
    outbox.add_many([ev("E", "check", "c1")])
    outbox.commit()  # in catch-up: indexed
    outbox.coalesce_backlog = 1000  # the backlog is gone (say)
    outbox.add_many([ev("E", "ack", "ack")])
    outbox.commit()
    outbox.coalesce_backlog = 2  # a backlog again
    outbox.add_many([ev("E", "check", "c2")])
    outbox.commit()
    assert left(outbox) == ["c1", "ack", "c2"]


def test_pbehavior_calls_are_never_touched(outbox):
    backlog(outbox)
    calls = [
        (PBEHAVIORS, Payload("pbehavior.create", {"_id": "p", "name": "p", "tstart": 1}, "p")),
        (PBEHAVIORS, Payload("pbehavior.delete", {"_id": "p", "name": "p"}, "p")),
        (PBEHAVIORS, Payload("pbehavior.create", {"_id": "p", "name": "p", "tstart": 2}, "p")),
    ]
    outbox.add_many(calls * 3)
    outbox.commit()
    assert outbox.depth("pbehaviors") == 9 and not outbox.coalesced


def test_an_existing_database_gets_the_columns(tmp_path):
    path = tmp_path / "state"
    path.mkdir()
    old = sqlite3.connect(path / "connector.db")
    old.execute(
        "CREATE TABLE outbox (id INTEGER PRIMARY KEY, lane TEXT NOT NULL, route TEXT NOT NULL, "
        "key TEXT NOT NULL, body BLOB NOT NULL, enqueued_at REAL NOT NULL, attempts INTEGER NOT NULL "
        "DEFAULT 0, next_attempt_at REAL NOT NULL DEFAULT 0, last_error TEXT)"
    )
    old.execute(
        "INSERT INTO outbox (lane, route, key, body, enqueued_at) VALUES ('events', 'event', 'E', '{}', 1)"
    )
    old.commit()
    old.close()
    box = Outbox(Store(path))
    box.coalesce_backlog = 0
    box.add_many([ev("E", "check", "c1")])
    box.commit()
    assert box.depth() == 2
    box.close()


def test_a_take_reads_its_own_lanes_batch_only(outbox):
    """Issue 11: sending one pbehavior read 1000 rows (the largest batch of any lane)."""
    single = Route("pbehavior.create", "POST", "/api/v4/pbehaviors", "pbehaviors", 1)
    outbox.add_many([(single, Payload("pbehavior.create", {"n": n}, "p")) for n in range(5)])
    outbox.add_many([ev("E", "check", "c1")])
    outbox.commit()
    connection = outbox.store.connect()
    statements: list[str] = []
    connection.set_trace_callback(statements.append)
    route, items = outbox.take(connection, "pbehaviors")
    connection.close()
    assert route == single and len(items) == 1
    (select,) = [s for s in statements if s.startswith("SELECT")]
    assert select.endswith("LIMIT 1"), select


def test_settles_skip_the_fsync_the_pipelines_commits_keep(tmp_path, monkeypatch):
    """A settle lost to a power cut only means a batch sent again; a pipeline commit lost would
    be events Broker already forgot (docs/delivery.md, Guarantees)."""
    from centreon_canopsis.core.pipeline import Pipeline
    from tests.support.config import make_config

    opened: list[sqlite3.Connection] = []
    connect = Store.connect

    def recording(self):
        connection = connect(self)
        opened.append(connection)
        return connection

    monkeypatch.setattr(Store, "connect", recording)
    pipeline = Pipeline(make_config(tmp_path / "state", 1))
    pipeline.start()
    try:
        pipeline.outbox.add_many([ev("E", "check", "c1")])
        pipeline.outbox.commit()
        pipeline.delivery.ensure_senders()
        time.sleep(0.5)
        levels = set()
        for connection in opened:
            with contextlib.suppress(sqlite3.ProgrammingError):  # closed already
                levels.add(connection.execute("PRAGMA synchronous").fetchone()[0])
        writer = pipeline.outbox._writer.execute("PRAGMA synchronous").fetchone()[0]
    finally:
        pipeline.close(1)
    assert writer == 2, "FULL for the pipeline's commits"
    assert 1 in levels, "NORMAL for a sender's settles"
