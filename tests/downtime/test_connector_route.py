"""Bulk mode (the default): ``/bulk/connector-pbehaviors`` from Canopsis 24.04.8 (comment inline,
idempotent, one pbehavior for the services of one host downtime), ``/bulk/pbehaviors`` before,
and a fall back when a route is missing."""

from __future__ import annotations

from typing import Any

from tests.downtime.helpers import COMMENT, Connector, Downtime, configuration, sandbox
from tests.support.events import HOST_ID, event

CONNECTOR = "/api/v4/bulk/connector-pbehaviors"
BULK = "/api/v4/bulk/pbehaviors"


def host_downtime_on_services(count: int) -> list[tuple[Downtime, int]]:
    """The services' downtimes of one host downtime: same window, same comment."""
    return [(Downtime(id=100 + n), 200 + n) for n in range(count)]


def services(downtimes: list[tuple[Downtime, int]]) -> list[dict[str, Any]]:
    """The configuration, with the services the downtimes are on."""
    return [
        *configuration(3),
        *(
            event(1, 27, host_id=HOST_ID, service_id=service, description=f"svc{service}", enabled=True)
            for _, service in downtimes
        ),
    ]


def step(downtime: Downtime, service_id: int, name: str) -> dict[str, Any]:
    event = getattr(downtime, name)()
    event["service_id"] = service_id
    return event


def calls(box) -> list[tuple[str, str, int]]:
    return [
        (r["method"], r["path"], r["status"])
        for r in box.requests()
        if (
            ("pbehavior" in r["path"] and r["method"] != "GET") or r["path"].startswith("/api/v4/pbehaviors/")
        )
        and "reasons" not in r["path"]
    ]


def test_connector_route_one_request_each_way_comment_inline_and_replays_change_nothing(tmp_path):
    downtimes = host_downtime_on_services(5)
    with (
        sandbox("24.04.8") as box,
        Connector(tmp_path / "state", box.port, canopsis_downtime_bulk=1) as connector,
    ):
        assert connector.lookups.wait(5)
        starts = [step(d, service, "start") for d, service in downtimes]
        connector.feed([*services(downtimes), *starts])
        assert connector.drain()
        (pbehavior,) = box.pbehaviors()  # one pbehavior for the five services
        assert pbehavior["origin"] == "centreon-canopsis-connector"
        assert [c["message"] for c in pbehavior["comments"]] == [COMMENT]
        entities = pbehavior["entity_pattern"][0][0]["cond"]["value"]
        assert len(entities) == 5
        connector.feed(starts)  # Broker replays them (a crash before its acknowledgement)
        assert connector.drain()
        assert [p["_id"] for p in box.pbehaviors()] == [pbehavior["_id"]]
        assert [c["message"] for c in box.pbehaviors()[0]["comments"]] == [COMMENT]
        ends = []
        for d, service in downtimes[:4]:
            ends += [step(d, service, "stop"), step(d, service, "delete")]
        connector.feed(ends)
        assert connector.drain()
        (left,) = box.pbehaviors()  # the fifth service is still in its downtime
        assert left["entity_pattern"][0][0]["cond"]["value"] == [entities[4]]
        last = downtimes[4]
        connector.feed([step(last[0], last[1], "stop"), step(last[0], last[1], "delete")])
        assert connector.drain()
        assert box.pbehaviors() == []
        assert connector.dead_letters() == []
    assert calls(box) == [
        ("POST", CONNECTOR, 207),
        ("POST", CONNECTOR, 207),
        ("DELETE", CONNECTOR, 207),
        ("DELETE", CONNECTOR, 207),
    ]


def test_before_24_04_8_the_bulk_route_and_a_first_comment_needs_no_read(tmp_path):
    downtimes = [Downtime(id=n, entry_time=1_700_000_000 + n) for n in range(1, 4)]
    with sandbox("24.04.3") as box, Connector(tmp_path / "state", box.port, canopsis_downtime_bulk=1) as c:
        assert c.lookups.wait(5)
        c.feed([*configuration(3), *(d.start() for d in downtimes)])
        assert c.drain()
        assert len(box.pbehaviors()) == 3
        assert all([m["message"] for m in p["comments"]] == [COMMENT] for p in box.pbehaviors())
        # Broker replays the starts: the creates are duplicates, so their comments are checked.
        c.feed([d.start() for d in downtimes])
        assert c.drain()
        assert all([m["message"] for m in p["comments"]] == [COMMENT] for p in box.pbehaviors())
        assert c.dead_letters() == []
    sent = calls(box)
    assert sent[0] == ("POST", BULK, 207)
    first = sent[1:4]
    assert first == [("POST", "/api/v4/pbehavior-comments", 201)] * 3  # no GET before them
    assert [s[0] for s in sent[5:]] == ["GET", "GET", "GET"]  # the replayed comments: read, skipped


def test_a_missing_connector_route_falls_back_to_the_bulk_route(tmp_path):
    downtimes = host_downtime_on_services(2)
    with sandbox("24.10") as box, Connector(tmp_path / "state", box.port, canopsis_downtime_bulk=1) as c:
        box.fail_next(count=100, status=404, path_prefix=CONNECTOR)  # a proxy that does not route it
        assert c.lookups.wait(5)
        c.feed([*services(downtimes), *(step(d, s, "start") for d, s in downtimes)])
        assert c.drain()
        assert len(box.pbehaviors()) == 2
        ends = [step(d, s, name) for d, s in downtimes for name in ("stop", "delete")]
        c.feed(ends)
        assert c.drain()
        assert box.pbehaviors() == []
        assert c.dead_letters() == []
    posts = [call for call in calls(box) if call[0] != "GET"]
    assert posts[:2] == [("POST", CONNECTOR, 404), ("POST", BULK, 207)]
    assert ("DELETE", BULK, 207) in posts and ("DELETE", CONNECTOR, 404) not in posts


def test_bulk_mode_is_the_default():
    from centreon_canopsis.core import config as config_module

    config = config_module.from_mapping({"canopsis_host": "h", "canopsis_authkey": "k"}, env={})
    assert int(config.canopsis_downtime_bulk) == 1
