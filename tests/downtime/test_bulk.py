"""``canopsis_downtime_bulk = 1``: creates and deletes through ``/api/v4/bulk/pbehaviors``, the
207 answer read item by item."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from centreon_canopsis.core.model import OutboxItem, Outcome, Route
from centreon_canopsis.plugins.builtin.canopsis import pbehaviors
from centreon_canopsis.plugins.builtin.canopsis.answers import RetryStatuses
from centreon_canopsis.plugins.builtin.canopsis.client import CanopsisClient
from centreon_canopsis.plugins.builtin.canopsis.lookups import LookupSettings, PbehaviorLookups
from tests.downtime.helpers import (
    COMMENT,
    REASON,
    TYPE,
    Connector,
    Downtime,
    by_id,
    configuration,
    downtime_config,
    sandbox,
)

BULK = "/api/v4/bulk/pbehaviors"


def bulk_calls(box) -> list[tuple[str, str, int]]:
    return [(r["method"], r["path"], r["status"]) for r in box.requests() if r["path"].startswith(BULK)]


@pytest.mark.parametrize("version", ["22.10", "24.04"])
def test_a_burst_of_downtimes_goes_in_one_request_each_way(tmp_path, version):
    downtimes = [Downtime(id=n, entry_time=1_700_000_000 + n) for n in range(1, 6)]
    with (
        sandbox(version) as box,
        Connector(tmp_path / "state", box.port, canopsis_downtime_bulk=1) as connector,
    ):
        assert connector.lookups.wait(5)
        connector.feed([*configuration(3), *(d.start() for d in downtimes)])
        assert connector.drain()
        found = by_id(box)
        assert sorted(found) == sorted(d.pbehavior_id for d in downtimes)
        for pbehavior in found.values():
            assert pbehavior["reason"]["_id"] == box.reason_id(REASON)
            assert pbehavior["type"]["_id"] == box.type_id(TYPE)
            assert pbehavior["color"] == ("#73D8FF" if version == "22.10" else "")
            assert [c["message"] for c in pbehavior["comments"]] == [COMMENT]
        ends = []
        for d in downtimes:
            ends += [d.stop(), d.delete()]
        connector.feed(ends)
        assert connector.drain()
        assert box.pbehaviors() == []
        assert connector.dead_letters() == []
    assert bulk_calls(box) == [("POST", BULK, 207), ("DELETE", BULK, 207)]
    single = [r for r in box.requests() if r["path"] == "/api/v4/pbehaviors" and r["method"] != "GET"]
    assert single == []


def test_per_item_duplicates_and_missing_deletes_count_as_delivered(tmp_path):
    existing, new, gone = Downtime(id=1), Downtime(id=2), Downtime(id=3)
    with sandbox() as box:
        with Connector(tmp_path / "first", box.port, canopsis_downtime_bulk=0) as connector:
            connector.feed([*configuration(3), existing.start()])
            assert connector.drain()
        gone.start()
        with Connector(tmp_path / "second", box.port, canopsis_downtime_bulk=1) as connector:
            assert connector.lookups.wait(5)
            gone.stop()
            connector.feed([*configuration(3), Downtime(id=1).start(), new.start(), gone.delete()])
            assert connector.drain()
            assert connector.dead_letters() == []
        assert sorted(by_id(box)) == sorted([existing.pbehavior_id, new.pbehavior_id])
        assert [c["message"] for c in by_id(box)[existing.pbehavior_id]["comments"]] == [COMMENT]
    assert bulk_calls(box) == [("POST", BULK, 207), ("DELETE", BULK, 207)]


def item(body: dict, key: str, number: int) -> OutboxItem:
    return OutboxItem(number, pbehaviors.BULK, key, body, 0, 0.0)


def create_body(name: str) -> dict:
    return {
        "_id": name,
        "name": name,
        "author": "admin",
        "enabled": True,
        "tstart": 1_700_000_000,
        "tstop": 1_700_003_600,
        "rrule": "",
        "entity_pattern": [[{"field": "_id", "cond": {"type": "eq", "value": "srv"}}]],
    }


@pytest.fixture
def bulk_sender(tmp_path):
    """The sender's bulk path, called directly, against a sandbox with looked-up ids."""
    with sandbox() as box:
        config = downtime_config(tmp_path / "state", box.port, canopsis_downtime_bulk=1)
        client = CanopsisClient.from_config(config)
        lookups = PbehaviorLookups(LookupSettings.from_config(config))
        context = SimpleNamespace(config=config, state={PbehaviorLookups.STATE_KEY: lookups})
        lookups._client = client
        lookups.run_once()
        route = Route(pbehaviors.BULK, "POST", BULK, "pbehaviors", 1000)

        def send(items):
            return pbehaviors.send(client, route, items, context, RetryStatuses(["5xx", 408, 429]))

        yield box, send, lookups
        client.close()


def test_per_item_errors_fail_only_their_item(bulk_sender):
    box, send, _ = bulk_sender
    answer = [
        {"id": "a", "status": 200, "item": {}},
        {"status": 400, "item": {}, "errors": {"tstop": "Stop should be greater than Start."}},
        {"status": 400, "item": {}, "errors": {"_id": "ID already exists."}},
        {"status": 500, "item": {}, "error": "Internal server error"},
    ]
    box.fail_next(status=207, body=answer, path_prefix=BULK, method="POST")
    items = [item(create_body(name), name, n) for n, name in enumerate("abcd")]
    results = send(items)
    assert [(r.outcome, r.status) for r in results] == [
        (Outcome.DELIVERED, 200),
        (Outcome.FAILED, 400),
        (Outcome.DELIVERED, 400),
        (Outcome.RETRY, 500),
    ]
    assert (
        results[1].reason
        == 'HTTP 400 for this item: {"errors":{"tstop":"Stop should be greater than Start."}}'
    )
    assert results[2].reason == "already exists"


def test_order_is_kept_per_pbehavior_and_creates_batched(bulk_sender):
    box, send, _ = bulk_sender
    a, b = create_body("pa"), create_body("pb")
    items = [
        item(a, "pa", 1),
        item({"pbehavior": "pa", "message": "m"}, "pa", 2),
        item(b, "pb", 3),
        item({"_id": "pa", "name": "pa"}, "pa", 4),
        item({"pbehavior": "pb", "message": "m"}, "pb", 5),
    ]
    results = send(items)
    assert [(r.outcome, r.status) for r in results] == [
        (Outcome.DELIVERED, 200),
        (Outcome.DELIVERED, 201),
        (Outcome.DELIVERED, 200),
        (Outcome.DELIVERED, 200),
        (Outcome.DELIVERED, 201),
    ]
    assert [p["_id"] for p in box.pbehaviors()] == ["pb"]
    assert [c["message"] for c in box.pbehaviors()[0]["comments"]] == ["m"]
    # Both creates in one request; the delete of pa after its comment; pb's comment last.
    calls = [
        (r["method"], r["path"])
        for r in box.requests()
        if "pbehavior" in r["path"] and "reason" not in r["path"]
    ]
    assert calls == [
        ("GET", "/api/v4/pbehavior-types"),
        ("POST", BULK),
        ("GET", "/api/v4/pbehaviors/pa"),
        ("POST", "/api/v4/pbehavior-comments"),
        ("GET", "/api/v4/pbehaviors/pb"),
        ("POST", "/api/v4/pbehavior-comments"),
        ("DELETE", BULK),
    ]


def test_a_retried_create_holds_back_the_calls_on_the_same_pbehavior(bulk_sender):
    box, send, _ = bulk_sender
    box.fail_next(
        status=207,
        body=[
            {"status": 500, "item": {}, "error": "Internal server error"},
            {"id": "qb", "status": 200, "item": {}},
        ],
        path_prefix=BULK,
        method="POST",
    )
    items = [
        item(create_body("qa"), "qa", 1),
        item(create_body("qb"), "qb", 2),
        item({"_id": "qa", "name": "qa"}, "qa", 3),
    ]
    results = send(items)
    assert [r.outcome for r in results] == [Outcome.RETRY, Outcome.DELIVERED, Outcome.RETRY]
    assert results[2].reason == "waits for an earlier call on the same pbehavior"
    assert not any(r["method"] == "DELETE" for r in box.requests())


def test_ids_unknown_means_retry_without_a_request(tmp_path):
    with sandbox() as box:
        config = downtime_config(tmp_path / "state", box.port, canopsis_downtime_bulk=1)
        client = CanopsisClient.from_config(config)
        lookups = PbehaviorLookups(LookupSettings.from_config(config))
        context = SimpleNamespace(config=config, state={PbehaviorLookups.STATE_KEY: lookups})
        route = Route(pbehaviors.BULK, "POST", BULK, "pbehaviors", 1000)
        results = pbehaviors.send(client, route, [item(create_body("x"), "x", 1)], context, RetryStatuses([]))
        assert [(r.outcome, r.reason) for r in results] == [
            (Outcome.RETRY, "waiting for the pbehavior reason/type ids")
        ]
        assert box.requests() == []
        # With the downtime plugin off, nobody will ever find them: a dead letter, not a stuck lane.
        results = pbehaviors.send(
            client,
            route,
            [item(create_body("x"), "x", 1)],
            SimpleNamespace(config=config, state={}),
            RetryStatuses([]),
        )
        assert results[0].outcome is Outcome.FAILED


def test_missing_bulk_route_falls_back_to_single_calls(bulk_sender):
    box, send, lookups = bulk_sender
    box.fail_next(status=404, path_prefix=BULK)
    results = send([item(create_body("r1"), "r1", 1), item(create_body("r2"), "r2", 2)])
    assert [(r.outcome, r.status) for r in results] == [(Outcome.DELIVERED, 201), (Outcome.DELIVERED, 201)]
    assert lookups.bulk_missing and not lookups.bulk_available
    send([item({"_id": "r1", "name": "r1"}, "r1", 3)])
    calls = [
        (r["method"], r["path"], r["status"])
        for r in box.requests()
        if r["method"] in ("POST", "DELETE") and "reason" not in r["path"]
    ]
    assert calls == [
        ("POST", BULK, 404),
        ("POST", "/api/v4/pbehaviors", 201),
        ("POST", "/api/v4/pbehaviors", 201),
        ("DELETE", "/api/v4/pbehaviors", 204),
    ]
