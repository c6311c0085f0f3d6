"""``/api/v4/pbehaviors`` (4.2) and their effect on alarms (4.7)."""

from __future__ import annotations

from typing import Any

import pytest

from centreon_canopsis.standins.canopsis import Sandbox
from centreon_canopsis.standins.canopsis.patterns import is_valid, matches
from tests.sandbox.conftest import JSON_UTF8, Api, check, pbehavior_body

INVALID_STRUCTURE = b'{"error":"request has invalid structure"}'
NOT_FOUND = b'{"error":"Not found"}'


def test_create_response_fields(api: Api, sandbox: Sandbox) -> None:
    body = pbehavior_body(
        sandbox, _id="pbh-1", author="someone-else", comment="ignored", timezone="Europe/Paris"
    )
    response = api.post("/api/v4/pbehaviors", json=body)
    assert response.status_code == 201 and response.headers["Content-Type"] == JSON_UTF8
    pbh = response.json()
    assert list(pbh) == [
        "_id",
        "author",
        "comments",
        "enabled",
        "name",
        "reason",
        "rrule",
        "rrule_end",
        "tstart",
        "tstop",
        "created",
        "updated",
        "type",
        "color",
        "exdates",
        "exceptions",
        "last_alarm_date",
        "alarm_count",
        "origin",
        "entity_pattern",
    ]
    assert pbh["_id"] == "pbh-1"
    assert pbh["author"] == {"_id": "root", "name": "root", "display_name": "root"}  # overwritten
    assert pbh["comments"] == [] and pbh["exdates"] == [] and pbh["exceptions"] == []
    assert pbh["reason"] == {"_id": body["reason"], "name": "Default", "description": "Default"}
    assert pbh["type"]["name"] == "Default maintenance" and pbh["type"]["type"] == "maintenance"
    assert (pbh["tstart"], pbh["tstop"], pbh["color"], pbh["rrule"]) == (
        body["tstart"],
        body["tstop"],
        "#FF0000",
        "",
    )
    assert pbh["entity_pattern"] == body["entity_pattern"]
    assert isinstance(pbh["created"], int) and pbh["created"] == pbh["updated"]
    assert api.get("/api/v4/pbehaviors/pbh-1").json() == pbh


def test_generated_id_is_a_uuid(api: Api, sandbox: Sandbox) -> None:
    pbh = api.post("/api/v4/pbehaviors", json=pbehavior_body(sandbox)).json()
    assert len(pbh["_id"]) == 36 and pbh["_id"].count("-") == 4


def without(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in keys}


def cond(field: str, kind: str, value: Any) -> dict[str, Any]:
    return {"field": field, "cond": {"type": kind, "value": value}}


BAD_PATTERN = {"entity_pattern": "EntityPattern is invalid entity pattern."}
NAME_MISSING = {"name": "Name is missing."}


VALIDATION = [
    ("name missing", lambda b: without(b, "name"), NAME_MISSING),
    ("name too long", lambda b: b | {"name": "n" * 256}, {"name": "Name should be 255 or less."}),
    ("enabled missing", lambda b: without(b, "enabled"), {"enabled": "Enabled is missing."}),
    ("enabled null", lambda b: b | {"enabled": None}, {"enabled": "Enabled is missing."}),
    ("reason missing", lambda b: without(b, "reason"), {"reason": "Reason is missing."}),
    ("reason unknown", lambda b: b | {"reason": "Centreon_downtime"}, {"reason": "Reason doesn't exist."}),
    ("type unknown", lambda b: b | {"type": "Default maintenance"}, {"type": "Type doesn't exist."}),
    ("tstart missing", lambda b: without(b, "tstart"), {"tstart": "Start is missing."}),
    ("tstop missing", lambda b: without(b, "tstop"), {"tstop": "Stop is missing."}),
    (
        "tstop before",
        lambda b: b | {"tstop": b["tstart"] - 1},
        {"tstop": "Stop should be greater than Start."},
    ),
    ("id chars", lambda b: b | {"_id": "a.b"}, {"_id": "ID cannot contain /?.$ characters."}),
    ("id dollar", lambda b: b | {"_id": "a$b"}, {"_id": "ID cannot contain /?.$ characters."}),
    ("color invalid", lambda b: b | {"color": "red"}, {"color": "Color is not valid."}),
    (
        "rrule invalid",
        lambda b: b | {"rrule": "FREQ=SOMETIMES"},
        {"rrule": "RRule is invalid recurrence rule."},
    ),
    (
        "pattern missing",
        lambda b: without(b, "entity_pattern"),
        {"entity_pattern": "EntityPattern is missing."},
    ),
    ("pattern empty group", lambda b: b | {"entity_pattern": [[]]}, BAD_PATTERN),
    (
        "pattern forbidden field",
        lambda b: b | {"entity_pattern": [[cond("last_event_date", "eq", 1)]]},
        BAD_PATTERN,
    ),
    ("pattern bad condition", lambda b: b | {"entity_pattern": [[cond("name", "gt", "x")]]}, BAD_PATTERN),
    (
        "two errors",
        lambda b: without(b, "name", "enabled"),
        {"enabled": "Enabled is missing.", **NAME_MISSING},
    ),
]


@pytest.mark.parametrize(("label", "mutate", "errors"), VALIDATION, ids=[x[0] for x in VALIDATION])
def test_validation_messages(
    api: Api, sandbox: Sandbox, label: str, mutate: Any, errors: dict[str, str]
) -> None:
    response = api.post("/api/v4/pbehaviors", json=mutate(pbehavior_body(sandbox)))
    assert response.status_code == 400
    assert response.json() == {"errors": errors}
    assert list(response.json()["errors"]) == sorted(errors)  # Go marshals map keys sorted


def test_exact_error_bytes_and_uniqueness(api: Api, sandbox: Sandbox) -> None:
    assert api.post("/api/v4/pbehaviors", json=pbehavior_body(sandbox, _id="p1")).status_code == 201
    same_name = api.post("/api/v4/pbehaviors", json=pbehavior_body(sandbox))
    assert (same_name.status_code, same_name.content) == (400, b'{"errors":{"name":"Name already exists."}}')
    same_id = api.post("/api/v4/pbehaviors", json=pbehavior_body(sandbox, _id="p1", name="other"))
    assert (same_id.status_code, same_id.content) == (400, b'{"errors":{"_id":"ID already exists."}}')


@pytest.mark.parametrize(
    "bad", [{"enabled": "yes"}, {"tstart": "soon"}, {"name": 5}, {"entity_pattern": "x"}]
)
def test_wrong_json_types_are_invalid_structure(api: Api, sandbox: Sandbox, bad: dict[str, Any]) -> None:
    response = api.post("/api/v4/pbehaviors", json=pbehavior_body(sandbox) | bad)
    assert (response.status_code, response.content) == (400, INVALID_STRUCTURE)


def test_unparsable_body_is_invalid_structure(api: Api) -> None:
    for body in (b"", b"{", b"[]"):
        response = api.post("/api/v4/pbehaviors", data=body)
        assert (response.status_code, response.content) == (400, INVALID_STRUCTURE)


def test_tstop_rules(api: Api, sandbox: Sandbox) -> None:
    body = pbehavior_body(sandbox)
    equal = api.post("/api/v4/pbehaviors", json=body | {"name": "eq", "tstop": body["tstart"]})
    assert equal.status_code == 201  # only strictly earlier is rejected on create
    pause = without(pbehavior_body(sandbox, name="pause", type=sandbox.type_id("Default pause")), "tstop")
    created = api.post("/api/v4/pbehaviors", json=pause)
    assert created.status_code == 201 and created.json()["tstop"] is None


def test_update_patch_delete(api: Api, sandbox: Sandbox) -> None:
    pbh = api.post("/api/v4/pbehaviors", json=pbehavior_body(sandbox, _id="p1")).json()
    updated = api.put("/api/v4/pbehaviors/p1", json=pbehavior_body(sandbox, name="renamed"))
    assert updated.status_code == 200 and updated.json()["name"] == "renamed"
    assert updated.json()["created"] == pbh["created"]
    missing = api.put("/api/v4/pbehaviors/nope", json=pbehavior_body(sandbox, name="x"))
    assert (missing.status_code, missing.content) == (404, NOT_FOUND)

    patched = api.patch("/api/v4/pbehaviors/p1", json={"enabled": False})
    assert patched.status_code == 200 and patched.json()["enabled"] is False
    assert patched.json()["name"] == "renamed"
    same_start = api.patch("/api/v4/pbehaviors/p1", json={"tstart": 10, "tstop": 10})
    assert same_start.content == b'{"errors":{"tstop":"Stop should be greater than Start."}}'
    assert api.patch("/api/v4/pbehaviors/nope", json={"enabled": True}).status_code == 404

    deleted = api.delete("/api/v4/pbehaviors/p1")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert "Content-Type" not in deleted.headers
    gone = api.delete("/api/v4/pbehaviors/p1")
    assert (gone.status_code, gone.content) == (404, NOT_FOUND)
    assert api.get("/api/v4/pbehaviors/p1").content == NOT_FOUND


def test_delete_by_name_reads_the_query_string_only(api: Api, sandbox: Sandbox) -> None:
    api.post("/api/v4/pbehaviors", json=pbehavior_body(sandbox, name="centreon-downtime-1"))
    body_only = api.delete("/api/v4/pbehaviors", json={"name": "centreon-downtime-1"})
    assert (body_only.status_code, body_only.content) == (400, b'{"errors":{"name":"Name is missing."}}')
    deleted = api.delete("/api/v4/pbehaviors?name=centreon-downtime-1")
    assert (deleted.status_code, deleted.content) == (204, b"")
    again = api.delete("/api/v4/pbehaviors?name=centreon-downtime-1")
    assert (again.status_code, again.content) == (404, NOT_FOUND)
    assert sandbox.pbehaviors() == []


def test_list_search_and_flags(api: Api, sandbox: Sandbox) -> None:
    for i in range(12):
        api.post("/api/v4/pbehaviors", json=pbehavior_body(sandbox, name=f"dt-{i:02d}"))
    body = api.get("/api/v4/pbehaviors").json()
    assert body["meta"] == {"page": 1, "per_page": 10, "page_count": 2, "total_count": 12}
    assert api.get("/api/v4/pbehaviors?page=2").json()["data"][-1]["name"] == "dt-11"
    assert api.get("/api/v4/pbehaviors?search=DT-1").json()["meta"]["total_count"] == 2
    flagged = api.get("/api/v4/pbehaviors?with_flags=true&limit=1").json()["data"][0]
    assert flagged["is_active_status"] is True
    bad_sort = api.get("/api/v4/pbehaviors?sort_by=color")
    assert bad_sort.status_code == 400 and list(bad_sort.json()["errors"]) == ["sort_by"]


def test_active_pbehavior_flags_alarms(api: Api, sandbox: Sandbox) -> None:
    api.events([check("h1", "cpu", state=2), check("h2", "cpu", state=2)])
    pbh = api.post("/api/v4/pbehaviors", json=pbehavior_body(sandbox)).json()
    alarms = {a["entity"]["_id"]: a for a in api.get("/api/v4/alarms").json()["data"]}
    info = alarms["cpu/h1"]["v"]["pbehavior_info"]
    assert list(info) == [
        "id",
        "name",
        "reason",
        "reason_name",
        "type",
        "type_name",
        "canonical_type",
        "icon_name",
        "color",
        "author",
        "timestamp",
    ]
    assert (info["id"], info["name"], info["reason_name"], info["type_name"], info["canonical_type"]) == (
        pbh["_id"],
        "maintenance-h1",
        "Default",
        "Default maintenance",
        "maintenance",
    )
    assert (info["icon_name"], info["color"], info["author"]) == ("build", "#FF0000", "root")
    assert alarms["cpu/h1"]["v"]["steps"][-1]["_t"] == "pbhenter"
    assert "pbehavior_info" not in alarms["cpu/h2"]["v"]
    assert api.get(f"/api/v4/pbehaviors/{pbh['_id']}").json()["alarm_count"] == 1

    api.events([check("h1", "mem", state=3)])  # not matched by the pattern
    api.events([check("h1", "cpu", state=3)])  # still in the pbehavior
    assert "pbehavior_info" in {a["entity"]["_id"]: a for a in sandbox.alarms()}["cpu/h1"]["v"]

    api.delete(f"/api/v4/pbehaviors/{pbh['_id']}")
    alarm = {a["entity"]["_id"]: a for a in sandbox.alarms()}["cpu/h1"]
    assert "pbehavior_info" not in alarm["v"] and alarm["v"]["steps"][-1]["_t"] == "pbhleave"


def test_new_alarm_inside_a_pbehavior_starts_in_it(api: Api, sandbox: Sandbox) -> None:
    api.post("/api/v4/pbehaviors", json=pbehavior_body(sandbox))
    api.events([check("h1", "cpu", state=2)])
    alarm = sandbox.alarms()[0]
    assert [s["_t"] for s in alarm["v"]["steps"]] == ["stateinc", "statusinc", "pbhenter"]


def test_pbehavior_activity_follows_the_clock(api: Api, sandbox: Sandbox) -> None:
    now = int(sandbox.clock.now())
    api.events([check("h1", "cpu", state=2)])
    api.post("/api/v4/pbehaviors", json=pbehavior_body(sandbox, tstart=now + 100, tstop=now + 200))
    assert "pbehavior_info" not in sandbox.alarms()[0]["v"]
    sandbox.advance(101)
    assert "pbehavior_info" in sandbox.alarms()[0]["v"]
    sandbox.advance(100)
    assert "pbehavior_info" not in sandbox.alarms()[0]["v"]


def test_disabled_pbehavior_is_not_active(api: Api, sandbox: Sandbox) -> None:
    api.events([check("h1", "cpu", state=2)])
    api.post("/api/v4/pbehaviors", json=pbehavior_body(sandbox, enabled=False))
    assert "pbehavior_info" not in sandbox.alarms()[0]["v"]


def test_name_pattern_on_a_resource_matches_nothing(api: Api, sandbox: Sandbox) -> None:
    pattern = [[{"field": "name", "cond": {"type": "eq", "value": "cpu/h1"}}]]
    api.events([check("h1", "cpu", state=2)])
    api.post("/api/v4/pbehaviors", json=pbehavior_body(sandbox, entity_pattern=pattern))
    assert "pbehavior_info" not in sandbox.alarms()[0]["v"]


def test_entity_routes(api: Api, sandbox: Sandbox) -> None:
    api.events([check("h1", "cpu", state=0), check("h1", "mem", state=0)])
    pattern = [[{"field": "component", "cond": {"type": "eq", "value": "h1"}}]]
    pbh = api.post("/api/v4/pbehaviors", json=pbehavior_body(sandbox, entity_pattern=pattern)).json()
    entities = api.get(f"/api/v4/pbehaviors/{pbh['_id']}/entities").json()
    assert [e["_id"] for e in entities["data"]] == ["cpu/h1", "h1", "mem/h1"]
    assert api.get("/api/v4/pbehaviors/nope/entities").status_code == 404
    found = api.get("/api/v4/entities/pbehaviors?_id=mem/h1").json()
    assert [p["_id"] for p in found] == [pbh["_id"]]
    assert api.get("/api/v4/entities/pbehaviors").content == b'{"errors":{"_id":"ID is missing."}}'


ENTITY = {
    "_id": "cpu/h1",
    "name": "cpu",
    "type": "resource",
    "component": "h1",
    "connector": "c/cn",
    "category": "",
    "impact_level": 2,
    "infos": {"site": {"name": "site", "value": "paris"}},
    "created": 1000,
}


@pytest.mark.parametrize(
    ("field", "cond", "value", "expected"),
    [
        ("_id", "eq", "cpu/h1", True),
        ("_id", "neq", "cpu/h1", False),
        ("name", "eq", "cpu", True),
        ("type", "is_one_of", ["component", "resource"], True),
        ("type", "is_not_one_of", ["resource"], False),
        ("component", "contain", "1", True),
        ("component", "not_contain", "1", False),
        ("connector", "begin_with", "c/", True),
        ("connector", "not_begin_with", "c/", False),
        ("_id", "end_with", "/h1", True),
        ("_id", "not_end_with", "/h1", False),
        ("_id", "regexp", "^cpu/h[0-9]$", True),
        ("name", "regexp", "^mem", False),
        ("impact_level", "gt", 1, True),
        ("impact_level", "lt", 2, False),
    ],
)
def test_pattern_conditions(field: str, cond: str, value: Any, expected: bool) -> None:
    pattern = [[{"field": field, "cond": {"type": cond, "value": value}}]]
    assert is_valid(pattern)
    assert matches(pattern, ENTITY) is expected


def test_pattern_groups_and_infos() -> None:
    yes = {"field": "name", "cond": {"type": "eq", "value": "cpu"}}
    no = {"field": "name", "cond": {"type": "eq", "value": "mem"}}
    assert matches([[yes, no], [yes]], ENTITY) and not matches([[yes, no], [no]], ENTITY)
    info = {"field": "infos.site", "field_type": "string", "cond": {"type": "eq", "value": "paris"}}
    assert matches([[info]], ENTITY)
    assert matches([[{"field": "infos.room", "cond": {"type": "exist", "value": False}}]], ENTITY)
    assert not is_valid([]) and not is_valid([[]]) and not is_valid([[yes], []])
    assert not is_valid([[{"field": "name", "cond": {"type": "regexp", "value": "("}}]])
