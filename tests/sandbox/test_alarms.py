"""Entities and alarms (canopsis-api.md section 3) and ``GET /api/v4/alarms``."""

from __future__ import annotations

import re
from typing import Any

from centreon_canopsis.standins.canopsis import Sandbox
from tests.sandbox.conftest import Api, action, check


def steps(alarm: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(s["_t"], s.get("val")) for s in alarm["v"]["steps"]]


def only_alarm(sandbox: Sandbox, opened: bool | None = True) -> dict[str, Any]:
    alarms = sandbox.alarms(opened)
    assert len(alarms) == 1, alarms
    return alarms[0]


def test_entities_ids_names_and_types(api: Api, sandbox: Sandbox) -> None:
    api.events([check("h1", "cpu", state=0), check("h2", state=0)])
    entities = {e["_id"]: e for e in sandbox.entities()}
    assert set(entities) == {"centreon-stream/Central", "h1", "cpu/h1", "h2"}
    assert (entities["cpu/h1"]["name"], entities["cpu/h1"]["type"]) == ("cpu", "resource")
    assert entities["cpu/h1"]["component"] == "h1"
    assert entities["cpu/h1"]["connector"] == "centreon-stream/Central"
    assert (entities["h1"]["name"], entities["h1"]["type"]) == ("h1", "component")
    assert (entities["centreon-stream/Central"]["name"], entities["centreon-stream/Central"]["type"]) == (
        "Central",
        "connector",
    )
    assert sandbox.alarms(None) == []  # state 0 creates entities, no alarm


def test_alarm_lifecycle_open_change_recover_resolve_reopen(api: Api, sandbox: Sandbox) -> None:
    api.events([check("h1", "cpu", state=2, output="CPU 95%", long_output="details")])
    alarm = only_alarm(sandbox)
    first_id = alarm["_id"]
    v = alarm["v"]
    assert steps(alarm) == [("stateinc", 2), ("statusinc", 1)]
    assert v["state"]["a"] == "centreon-stream.Central" and v["state"]["m"] == "CPU 95%"
    assert (v["component"], v["resource"], v["connector"], v["connector_name"]) == (
        "h1",
        "cpu",
        "centreon-stream",
        "Central",
    )
    assert (v["output"], v["initial_output"], v["long_output"]) == ("CPU 95%", "CPU 95%", "details")
    assert re.fullmatch(r"[A-Z]{3}-[A-Z]{3}-[A-Z]{3}", v["display_name"])
    assert v["events_count"] == 1 and "resolved" not in v
    assert alarm["entity"]["_id"] == "cpu/h1"

    api.events([check("h1", "cpu", state=2, output="still 95%")])  # same state: no step
    alarm = only_alarm(sandbox)
    assert steps(alarm) == [("stateinc", 2), ("statusinc", 1)]
    assert alarm["v"]["events_count"] == 2 and alarm["v"]["output"] == "still 95%"

    api.events([check("h1", "cpu", state=3)])
    assert steps(only_alarm(sandbox))[-1] == ("stateinc", 3)
    assert only_alarm(sandbox)["v"]["status"]["val"] == 1

    api.events([check("h1", "cpu", state=0)])
    alarm = only_alarm(sandbox)  # OK but still open until the resolve delay passes
    assert steps(alarm)[-2:] == [("statedec", 0), ("statusdec", 0)]
    assert alarm["v"]["status"]["val"] == 0

    sandbox.advance(59)
    assert len(sandbox.alarms()) == 1
    sandbox.advance(2)
    assert sandbox.alarms() == []
    resolved = only_alarm(sandbox, opened=False)
    assert resolved["_id"] == first_id and isinstance(resolved["v"]["resolved"], int)

    api.events([check("h1", "cpu", state=1)])
    reopened = only_alarm(sandbox)
    assert reopened["_id"] != first_id
    assert steps(reopened) == [("stateinc", 1), ("statusinc", 1)]
    assert len(sandbox.alarms(None)) == 2


def test_problem_again_before_resolution_continues_the_same_alarm(api: Api, sandbox: Sandbox) -> None:
    api.events([check("h1", state=2)])
    api.events([check("h1", state=0)])
    sandbox.advance(30)
    api.events([check("h1", state=2)])
    sandbox.advance(120)
    alarm = only_alarm(sandbox)
    assert steps(alarm) == [
        ("stateinc", 2),
        ("statusinc", 1),
        ("statedec", 0),
        ("statusdec", 0),
        ("stateinc", 2),
        ("statusinc", 1),
    ]


def test_resolve_delay_zero_resolves_at_the_next_request(make_sandbox: Any) -> None:
    sandbox = make_sandbox(resolve_delay=0)
    api = Api(sandbox.url)
    api.events([check("h1", state=2)])
    api.events([check("h1", state=0)])
    assert api.get("/api/v4/alarms?opened=true").json()["data"] == []
    assert len(api.get("/api/v4/alarms?opened=false").json()["data"]) == 1


def test_resolve_delay_can_be_changed_at_run_time(api: Api, sandbox: Sandbox) -> None:
    api.events([check("h1", state=2)])
    api.events([check("h1", state=0)])
    sandbox.set_resolve_delay(0)
    assert sandbox.alarms() == []


def test_ack_only_on_open_alarms(api: Api, sandbox: Sandbox) -> None:
    api.events([check("h1", "cpu", state=0)])
    api.events([action("ack", "h1", "cpu", output="looking")])  # entity exists, no alarm: no-op
    assert sandbox.alarms(None) == [] and sandbox.dropped_events() == []

    api.events([check("h1", "cpu", state=2)])
    api.events([action("ack", "h1", "cpu", output="looking", author="alice")])
    alarm = only_alarm(sandbox)
    ack = alarm["v"]["ack"]
    assert (ack["_t"], ack["a"], ack["m"], ack["user_id"], ack["role"], ack["initiator"]) == (
        "ack",
        "alice",
        "looking",
        "root",
        "admin",
        "external",
    )
    count = len(alarm["v"]["steps"])
    api.events([action("ack", "h1", "cpu", output="again")])  # double ack: no-op
    assert len(only_alarm(sandbox)["v"]["steps"]) == count
    assert only_alarm(sandbox)["v"]["ack"]["m"] == "looking"

    api.events([action("ackremove", "h1", "cpu")])
    alarm = only_alarm(sandbox)
    assert "ack" not in alarm["v"] and steps(alarm)[-1][0] == "ackremove"
    api.events([action("ackremove", "h1", "cpu")])  # nothing to remove: no-op
    assert len(only_alarm(sandbox)["v"]["steps"]) == len(alarm["v"]["steps"])

    api.events([check("h1", "cpu", state=0)])
    sandbox.advance(61)
    api.events([action("ack", "h1", "cpu")])  # resolved alarm: no-op
    assert "ack" not in only_alarm(sandbox, opened=False)["v"]


def test_double_ack_allowed_when_configured(make_sandbox: Any) -> None:
    sandbox = make_sandbox(allow_double_ack=True)
    api = Api(sandbox.url)
    api.events([check("h1", state=2), action("ack", "h1", output="one"), action("ack", "h1", output="two")])
    assert sandbox.alarms()[0]["v"]["ack"]["m"] == "two"


def test_other_user_actions(api: Api, sandbox: Sandbox) -> None:
    api.events([check("h1", state=2, tags={"env": "prod", "critical": ""})])
    api.events(
        [
            action("comment", "h1", output="a note"),
            action("assocticket", "h1", ticket="T-1", ticket_url="http://t/1"),
            action("snooze", "h1", duration=600),
        ]
    )
    alarm = only_alarm(sandbox)
    assert alarm["tags"] == ["env: prod", "critical"]
    assert alarm["v"]["last_comment"]["m"] == "a note"
    assert alarm["v"]["ticket"]["ticket"] == "T-1"
    assert alarm["v"]["snooze"]["val"] == alarm["v"]["snooze"]["t"] + 600
    sandbox.advance(601)
    assert "snooze" not in only_alarm(sandbox)["v"]


def test_cancel_and_uncancel(api: Api, sandbox: Sandbox) -> None:
    api.events([check("h1", state=2), action("cancel", "h1")])
    assert only_alarm(sandbox)["v"]["status"]["val"] == 4
    api.events([action("uncancel", "h1")])
    alarm = only_alarm(sandbox)
    assert alarm["v"]["status"]["val"] == 1 and "canceled" not in alarm["v"]
    api.events([action("cancel", "h1")])
    sandbox.advance(3601)  # cancelled alarms resolve after an hour
    assert sandbox.alarms() == []


def test_changestate_locks_the_state_until_a_check_with_state_0(api: Api, sandbox: Sandbox) -> None:
    api.events([check("h1", state=2), action("changestate", "h1", state=1)])
    assert only_alarm(sandbox)["v"]["state"]["val"] == 1
    assert only_alarm(sandbox)["v"]["state"]["_t"] == "changestate"
    api.events([check("h1", state=3)])
    assert only_alarm(sandbox)["v"]["state"]["val"] == 1  # locked
    api.events([check("h1", state=0)])
    alarm = only_alarm(sandbox)
    assert alarm["v"]["state"]["val"] == 0 and "change_state" not in alarm["v"]


def test_alarm_list_route(api: Api, sandbox: Sandbox) -> None:
    api.events([check(f"host-{i:02d}", state=1 + i % 3) for i in range(25)])
    response = api.get("/api/v4/alarms?opened=true")
    assert response.status_code == 200
    body = response.json()
    assert body["meta"] == {"page": 1, "per_page": 10, "page_count": 3, "total_count": 25}
    assert len(body["data"]) == 10
    assert set(body["data"][0]) >= {"_id", "t", "entity", "v"}
    page3 = api.get("/api/v4/alarms?opened=true&page=3").json()
    assert len(page3["data"]) == 5 and page3["meta"]["page"] == 3
    assert api.get("/api/v4/alarms?page=4").json()["data"] == []
    all_ids = {a["_id"] for p in (1, 2, 3) for a in api.get(f"/api/v4/alarms?page={p}").json()["data"]}
    assert len(all_ids) == 25
    sorted_asc = api.get("/api/v4/alarms?sort_by=v.component&sort=asc&limit=3").json()["data"]
    assert [a["v"]["component"] for a in sorted_asc] == ["host-00", "host-01", "host-02"]
    found = api.get("/api/v4/alarms?search=HOST-2").json()
    assert found["meta"]["total_count"] == 5
    assert api.get("/api/v4/alarms?opened=false").json()["meta"]["total_count"] == 0
    invalid = api.get("/api/v4/alarms?opened=maybe")
    assert (invalid.status_code, invalid.content) == (400, b'{"error":"request has invalid structure"}')
