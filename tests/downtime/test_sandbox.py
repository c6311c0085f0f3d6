"""Downtimes end to end: a real pipeline delivering to the Canopsis sandbox."""

from __future__ import annotations

import logging

import pytest

from centreon_canopsis.plugins.builtin.canopsis.lookups import REASON_DESCRIPTION
from tests.downtime.helpers import (
    COMMENT,
    END,
    REASON,
    START,
    TYPE,
    Connector,
    Downtime,
    api,
    by_id,
    configuration,
    free_port,
    pbehavior_requests,
    sandbox,
)

BOTH = pytest.mark.parametrize("bbdo", [2, 3])


def expected_pbehavior(box, downtime: Downtime, tstart: int = START, color: str = "") -> dict:
    """The fields the sandbox stores and renders for a downtime's pbehavior."""
    return {
        "_id": downtime.pbehavior_id,
        "name": downtime.pbehavior_id,
        "enabled": True,
        "reason": box.reason_id(REASON),
        "type": box.type_id(TYPE),
        "tstart": tstart,
        "tstop": END,
        "rrule": "",
        "color": color,
        "entity_pattern": [[{"field": "_id", "cond": {"type": "eq", "value": downtime.entity}}]],
        "comments": [COMMENT],
    }


def shown(pbehavior: dict) -> dict:
    return {
        "_id": pbehavior["_id"],
        "name": pbehavior["name"],
        "enabled": pbehavior["enabled"],
        "reason": pbehavior["reason"]["_id"],
        "type": pbehavior["type"]["_id"],
        "tstart": pbehavior["tstart"],
        "tstop": pbehavior["tstop"],
        "rrule": pbehavior["rrule"],
        "color": pbehavior["color"],
        "entity_pattern": pbehavior["entity_pattern"],
        "comments": [c["message"] for c in pbehavior["comments"]],
    }


@BOTH
def test_host_and_service_downtimes_start_then_end(tmp_path, bbdo):
    service = Downtime(bbdo=bbdo, service=True, id=8)
    host = Downtime(bbdo=bbdo, service=False, id=9)
    with sandbox() as box, Connector(tmp_path / "state", box.port) as connector:
        connector.feed([*configuration(bbdo), service.add(), host.add(), service.start(), host.start()])
        assert connector.drain()
        found = by_id(box)
        assert sorted(found) == sorted([service.pbehavior_id, host.pbehavior_id])
        assert shown(found[service.pbehavior_id]) == expected_pbehavior(box, service)
        assert shown(found[host.pbehavior_id]) == expected_pbehavior(box, host)
        # Natural end of the service downtime; cancel of the running host downtime.
        connector.feed(
            [
                service.stop(),
                service.delete(),
                host.stop(START + 600, cancelled=True),
                host.delete(START + 600),
            ]
        )
        assert connector.drain()
        assert box.pbehaviors() == []
        assert connector.dead_letters() == []
    calls = pbehavior_requests(box)
    deletes = [c for c in calls if c[0] == "DELETE"]
    assert deletes == [
        ("DELETE", "/api/v4/pbehaviors", f"name={service.pbehavior_id}", 204),
        ("DELETE", "/api/v4/pbehaviors", f"name={host.pbehavior_id}", 204),
    ]
    creates = [c for c in calls if c[0] == "POST" and c[1] == "/api/v4/pbehaviors"]
    assert [c[3] for c in creates] == [201, 201]


@BOTH
def test_future_downtime_becomes_a_pbehavior_when_it_starts(tmp_path, bbdo):
    downtime = Downtime(bbdo=bbdo)
    with sandbox() as box, Connector(tmp_path / "state", box.port) as connector:
        connector.feed([*configuration(bbdo), downtime.add()])
        assert connector.drain()
        assert connector.lookups.wait(5)
        assert box.pbehaviors() == [] and pbehavior_requests(box) == []
        connector.feed([downtime.start(at=START + 1)])
        assert connector.drain()
        assert shown(by_id(box)[downtime.pbehavior_id]) == expected_pbehavior(box, downtime, tstart=START + 1)


@BOTH
def test_cancel_before_start_sends_nothing(tmp_path, bbdo):
    downtime = Downtime(bbdo=bbdo, service=False)
    with sandbox() as box, Connector(tmp_path / "state", box.port) as connector:
        connector.feed([*configuration(bbdo), downtime.add(), downtime.delete()])
        assert connector.drain()
        assert connector.lookups.wait(5)
        assert connector.depth() == 0
    assert pbehavior_requests(box) == []


@BOTH
def test_replaying_the_stream_twice_leaves_no_duplicate(tmp_path, bbdo):
    running = Downtime(bbdo=bbdo, id=8)
    ended = Downtime(bbdo=bbdo, id=9, service=False)
    stream = [
        *configuration(bbdo),
        running.add(),
        running.start(),
        ended.add(),
        ended.start(),
        ended.stop(),
        ended.delete(),
    ]
    with sandbox() as box:
        for run in ("first", "second"):  # a replay from a fresh state: nothing remembered
            with Connector(tmp_path / run, box.port) as connector:
                connector.feed(stream)
                assert connector.drain()
                assert connector.dead_letters() == []
        found = box.pbehaviors()
        assert [p["_id"] for p in found] == [running.pbehavior_id]
        assert [c["message"] for c in found[0]["comments"]] == [COMMENT]
        creates = [c for c in pbehavior_requests(box) if c[:2] == ("POST", "/api/v4/pbehaviors")]
        # The replayed create of the running downtime is refused as a duplicate (delivered);
        # the ended one is created and deleted again.
        assert [c[3] for c in creates] == [201, 201, 400, 201]
        comment_posts = [c for c in pbehavior_requests(box) if c[1] == "/api/v4/pbehavior-comments"]
        assert [c[3] for c in comment_posts] == [201, 201, 201]  # not the replayed running one


@BOTH
def test_canopsis_down_at_start_up_then_everything_is_delivered(tmp_path, bbdo, caplog):
    caplog.set_level(logging.WARNING, "centreon_canopsis")
    port = free_port()
    downtime = Downtime(bbdo=bbdo)
    with Connector(tmp_path / "state", port) as connector:
        connector.feed([*configuration(bbdo), downtime.add(), downtime.start()])
        assert not connector.drain(1.0)
        assert connector.depth() == 2  # the create and its comment wait, in order
        assert not connector.lookups.ready.is_set()
        assert any("unreachable" in r.getMessage() for r in caplog.records)
        with sandbox(port=port) as box:
            assert connector.lookups.wait(10)
            assert connector.drain()
            assert shown(by_id(box)[downtime.pbehavior_id]) == expected_pbehavior(box, downtime)
            assert connector.dead_letters() == []


def test_reason_missing_is_created_and_used(tmp_path):
    downtime = Downtime()
    with sandbox() as box:
        # Before the connector starts: its start-up look-up creates the reason at once.
        assert [r["name"] for r in box.reasons()] == ["Default"]
        with Connector(tmp_path / "state", box.port) as connector:
            connector.feed([*configuration(3), downtime.start()])
            assert connector.drain()
            reasons = {r["name"]: r for r in box.reasons()}
            assert reasons[REASON]["description"] == REASON_DESCRIPTION
            assert connector.lookups.reason_id == reasons[REASON]["_id"]
            assert by_id(box)[downtime.pbehavior_id]["reason"]["_id"] == reasons[REASON]["_id"]
    posts = [(r["method"], r["status"]) for r in box.requests() if r["path"] == "/api/v4/pbehavior-reasons"]
    assert posts == [("GET", 200), ("POST", 201)]


def test_reason_created_concurrently_is_looked_up_again(tmp_path):
    with sandbox() as box:
        reason_id = api(
            box, "POST", "/api/v4/pbehavior-reasons", json={"name": REASON, "description": "x"}
        ).json()["_id"]
        # The first listing misses it (another connector creates it at that moment): the POST then
        # gets "Name already exists." and the connector looks again.
        box.fail_next(
            status=200,
            body={"data": [], "meta": {"page": 1, "per_page": 0, "page_count": 1, "total_count": 0}},
            path_prefix="/api/v4/pbehavior-reasons",
            method="GET",
        )
        with Connector(tmp_path / "state", box.port) as connector:
            assert connector.lookups.wait(5)
            assert connector.lookups.reason_id == reason_id
        calls = [
            (r["method"], r["status"]) for r in box.requests() if r["path"] == "/api/v4/pbehavior-reasons"
        ]
        assert calls == [("POST", 201), ("GET", 200), ("POST", 400), ("GET", 200)]
        assert [r["name"] for r in box.reasons()].count(REASON) == 1


def test_reason_beyond_the_first_page_is_found(tmp_path):
    downtime = Downtime()
    with sandbox() as box:
        for n in range(25):
            assert api(
                box, "POST", "/api/v4/pbehavior-reasons", json={"name": f"r{n:02}", "description": "d"}
            ).ok
        ours = api(
            box, "POST", "/api/v4/pbehavior-reasons", json={"name": REASON, "description": "ours"}
        ).json()
        first_page = api(box, "GET", "/api/v4/pbehavior-reasons").json()
        assert first_page["meta"]["page_count"] == 3
        assert REASON not in [r["name"] for r in first_page["data"]]  # B20: page 1 is not enough
        with Connector(tmp_path / "state", box.port) as connector:
            connector.feed([*configuration(3), downtime.start()])
            assert connector.drain()
            assert connector.lookups.reason_id == ours["_id"]
        assert by_id(box)[downtime.pbehavior_id]["reason"]["_id"] == ours["_id"]
        assert [r["name"] for r in box.reasons()].count(REASON) == 1


def test_reason_found_page_by_page_when_paginate_false_is_ignored(tmp_path):
    with sandbox() as box:
        for n in range(25):
            api(box, "POST", "/api/v4/pbehavior-reasons", json={"name": f"r{n:02}", "description": "d"})
        ours = api(
            box, "POST", "/api/v4/pbehavior-reasons", json={"name": REASON, "description": "ours"}
        ).json()
        page1 = api(box, "GET", "/api/v4/pbehavior-reasons", params={"page": 1}).json()
        box.fail_next(status=200, body=page1, path_prefix="/api/v4/pbehavior-reasons", method="GET")
        with Connector(tmp_path / "state", box.port) as connector:
            assert connector.lookups.wait(5)
            assert connector.lookups.reason_id == ours["_id"]
        queries = [r["query"] for r in box.requests() if r["path"] == "/api/v4/pbehavior-reasons"]
        assert queries[-3:] == [
            "paginate=false&with_hidden=true",
            "page=2&limit=10&with_hidden=true",
            "page=3&limit=10&with_hidden=true",
        ]


def test_type_missing_is_an_error_and_downtimes_wait(tmp_path, caplog):
    caplog.set_level(logging.ERROR, "centreon_canopsis")
    downtime = Downtime()
    with (
        sandbox() as box,
        Connector(tmp_path / "state", box.port, canopsis_downtime_type_name="Centreon") as c,
    ):
        c.feed([*configuration(3), downtime.start()])
        assert not c.drain(1.0)
        assert c.depth() == 2
        errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) >= 2  # repeated, with backoff
        assert errors[0].startswith(
            "pbehavior type 'Centreon' does not exist in Canopsis (types found: 'Default active', "
            "'Default inactive', 'Default maintenance', 'Default pause'): set canopsis_downtime_type_name"
        )
        assert not any(p[:2] == ("POST", "/api/v4/pbehaviors") for p in pbehavior_requests(box))
        created = api(
            box,
            "POST",
            "/api/v4/pbehavior-types",
            json={
                "name": "Centreon",
                "description": "Centreon downtimes",
                "type": "maintenance",
                "priority": 10,
                "icon_name": "build",
                "color": "#123456",
            },
        )
        assert created.status_code == 201
        assert c.drain()
        assert by_id(box)[downtime.pbehavior_id]["type"]["_id"] == created.json()["_id"]
        assert c.dead_letters() == []


@pytest.mark.parametrize(
    ("version", "color"), [("22.10", "#73D8FF"), ("23.04", ""), ("24.04", ""), ("24.10", "")]
)
def test_color_only_where_the_version_needs_it(tmp_path, version, color):
    downtime = Downtime()
    with sandbox(version) as box, Connector(tmp_path / "state", box.port) as connector:
        connector.feed([*configuration(3), downtime.start()])
        assert connector.drain()
        assert connector.lookups.version == f"{version}.0"
        assert shown(by_id(box)[downtime.pbehavior_id]) == expected_pbehavior(box, downtime, color=color)


def test_unknown_version_breaks_nothing(tmp_path, caplog):
    # B5: app-info fails; the color is sent (valid everywhere, needed on 22.10).
    caplog.set_level(logging.WARNING, "centreon_canopsis")
    downtime = Downtime()
    with sandbox("22.10") as box:
        box.fail_next(count=1, status=404, path_prefix="/api/v4/app-info")
        with Connector(tmp_path / "state", box.port) as connector:
            connector.feed([*configuration(3), downtime.start()])
            assert connector.drain()
            assert connector.lookups.version is None
        assert by_id(box)[downtime.pbehavior_id]["color"] == "#73D8FF"
    assert any("Canopsis version unknown" in r.getMessage() for r in caplog.records)


def test_a_reason_deleted_in_canopsis_is_looked_up_again(tmp_path):
    downtime = Downtime()
    with sandbox() as box, Connector(tmp_path / "state", box.port) as connector:
        assert connector.lookups.wait(5)
        old = connector.lookups.reason_id
        assert api(box, "DELETE", f"/api/v4/pbehavior-reasons/{old}").status_code == 204
        connector.feed([*configuration(3), downtime.start()])
        assert connector.drain()
        new = box.reason_id(REASON)
        assert new != old and connector.lookups.reason_id == new
        assert by_id(box)[downtime.pbehavior_id]["reason"]["_id"] == new
        creates = [c[3] for c in pbehavior_requests(box) if c[:2] == ("POST", "/api/v4/pbehaviors")]
        assert creates == [400, 201]


def test_send_pbh_0_turns_everything_off(tmp_path):
    with sandbox() as box, Connector(tmp_path / "state", box.port, canopsis_downtime_send_pbh=0) as connector:
        downtime = Downtime()
        connector.feed([*configuration(3), downtime.add(), downtime.start()])
        assert connector.drain()
        assert "pbehavior_lookups" not in connector.context.state
        metrics = connector.context.metrics
        assert metrics.value("events_dropped_total", reason="canopsis_downtime_send_pbh") == 2
    assert [r["path"] for r in box.requests() if "pbehavior" in r["path"] or "app-info" in r["path"]] == []


def test_lookups_stop_on_shutdown(tmp_path):
    port = free_port()
    with Connector(tmp_path / "state", port) as connector:
        lookups = connector.lookups
        assert not lookups.wait(0.3)
        thread = lookups._thread
        assert thread is not None and thread.is_alive()
    thread.join(2)
    assert not thread.is_alive()
