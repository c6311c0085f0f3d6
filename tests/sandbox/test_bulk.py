"""``/api/v4/bulk/*`` pbehavior routes (4.3)."""

from __future__ import annotations

from typing import Any

import pytest

from centreon_canopsis.standins.canopsis import Sandbox
from tests.sandbox.conftest import JSON_UTF8, Api, check, pbehavior_body


def test_bulk_create_gives_one_result_per_item_in_order(api: Api, sandbox: Sandbox) -> None:
    good = pbehavior_body(sandbox, _id="dt-1", name="dt-1")
    duplicate = pbehavior_body(sandbox, _id="dt-2", name="dt-1")
    mistyped = pbehavior_body(sandbox, _id="dt-3", name="dt-3", enabled="yes")
    items = [good, duplicate, mistyped, 7, {"name": "dt-4"}]
    response = api.post("/api/v4/bulk/pbehaviors", json=items)
    assert response.status_code == 207
    assert response.headers["Content-Type"] == JSON_UTF8
    assert response.json() == [
        {"id": "dt-1", "status": 200, "item": good},
        {"status": 400, "item": duplicate, "errors": {"name": "Name already exists."}},
        {
            "status": 400,
            "item": mistyped,
            "error": "json: cannot unmarshal string into Go struct field "
            "pbehavior.CreateRequest.enabled of type bool",
        },
        {"status": 400, "item": 7, "error": "value doesn't contain object; it contains number"},
        {
            "status": 400,
            "item": {"name": "dt-4"},
            "errors": {
                "enabled": "Enabled is missing.",
                "entity_pattern": "EntityPattern is missing.",
                "reason": "Reason is missing.",
                "tstart": "Start is missing.",
                "tstop": "Stop is missing.",
                "type": "Type is missing.",
            },
        },
    ]
    assert [p["_id"] for p in sandbox.pbehaviors()] == ["dt-1"]


def test_bulk_update_and_delete(api: Api, sandbox: Sandbox) -> None:
    api.post("/api/v4/bulk/pbehaviors", json=[pbehavior_body(sandbox, _id="a", name="a")])
    renamed = pbehavior_body(sandbox, _id="a", name="a2")
    unknown = pbehavior_body(sandbox, _id="zz", name="zz")
    response = api.put("/api/v4/bulk/pbehaviors", json=[renamed, unknown])
    assert response.status_code == 207
    assert response.json() == [
        {"id": "a", "status": 200, "item": renamed},
        {"status": 404, "item": unknown, "error": "Not found"},
    ]
    assert sandbox.pbehaviors()[0]["name"] == "a2"
    response = api.delete("/api/v4/bulk/pbehaviors", json=[{"_id": "a"}, {"_id": "a"}, {}])
    assert response.status_code == 207
    assert response.json() == [
        {"id": "a", "status": 200, "item": {"_id": "a"}},
        {"status": 404, "item": {"_id": "a"}, "error": "Not found"},
        {"status": 400, "item": {}, "errors": {"_id": "ID is missing."}},
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"_id": "a"}', "value doesn't contain array; it contains object"),
        (b'"x"', "value doesn't contain array; it contains string"),
        (b"", 'cannot parse JSON: cannot parse empty string; unparsed tail: \\"\\"'),
        (
            b"[{",
            "cannot parse JSON: cannot parse array: cannot parse array value: cannot parse object: "
            "missing '}'; unparsed tail: \\\"\\\"",
        ),
    ],
)
def test_bulk_body_errors(api: Api, body: bytes, message: str) -> None:
    response = api.post("/api/v4/bulk/pbehaviors", data=body)
    assert (response.status_code, response.content) == (400, b'{"error":"' + message.encode() + b'"}')


def test_bulk_size_limit(api: Api) -> None:
    response = api.post("/api/v4/bulk/pbehaviors", json=[{}] * 10001)
    assert (response.status_code, response.content) == (
        400,
        b'{"error":"number of elements shouldn\'t be greater than 10000"}',
    )
    assert api.delete("/api/v4/bulk/pbehaviors", json=[{}] * 10000).status_code == 207


def test_bulk_entity_pbehaviors(api: Api, sandbox: Sandbox) -> None:
    api.events([check("h1", "cpu", state=2)])
    now = int(sandbox.clock.now())
    item: dict[str, Any] = {
        "entity": "cpu/h1",
        "origin": "centreon",
        "name": "dt-cpu",
        "reason": sandbox.reason_id("Default"),
        "type": sandbox.type_id("Default maintenance"),
        "tstart": now - 1,
        "tstop": now + 600,
        "comment": "planned",
    }
    ghost = item | {"entity": "ghost", "name": "dt-ghost"}
    response = api.post("/api/v4/bulk/entity-pbehaviors", json=[item, ghost])
    assert response.status_code == 207
    results = response.json()
    assert results[0]["status"] == 200 and results[0]["item"] == item
    assert results[1] == {"status": 400, "item": ghost, "errors": {"entity": "Entity doesn't exist."}}
    pbh = sandbox.pbehaviors()[0]
    assert pbh["origin"] == "centreon" and [c["message"] for c in pbh["comments"]] == ["planned"]
    assert sandbox.alarms()[0]["v"]["pbehavior_info"]["name"] == "dt-cpu"
    response = api.delete("/api/v4/bulk/entity-pbehaviors", json=[{"entity": "cpu/h1", "origin": "centreon"}])
    assert response.json()[0]["status"] == 200
    assert sandbox.pbehaviors() == []
    response = api.delete("/api/v4/bulk/entity-pbehaviors", json=[{"entity": "cpu/h1", "origin": "centreon"}])
    assert response.json() == [
        {"status": 404, "item": {"entity": "cpu/h1", "origin": "centreon"}, "error": "Not found"}
    ]


def test_bulk_connector_pbehaviors(make_sandbox: Any) -> None:
    """Canopsis's store.go: found by (origin, tstart, tstop, comment); a create merges entities
    (a replay changes nothing), a delete pulls them and removes the pbehavior once empty."""
    sandbox = make_sandbox(canopsis_version="24.04.8")
    api = Api(sandbox.url)
    route = "/api/v4/bulk/connector-pbehaviors"
    now = int(sandbox.clock.now())
    window = {"origin": "centreon", "tstart": now, "tstop": now + 60, "comment": "c"}
    item = {
        "entities": ["cpu/h1", "mem/h1"],
        "name": "dt",
        "reason": sandbox.reason_id("Default"),
        "type": sandbox.type_id("Default maintenance"),
        **window,
    }
    created = api.post(route, json=[item, item | {"entities": ["disk/h1"], "name": "other"}]).json()
    assert [c["status"] for c in created] == [200, 200]
    assert created[0]["id"] == created[1]["id"]  # merged into the first, whatever the name
    (record,) = sandbox.pbehaviors()
    assert record["name"] == "dt" and [c["message"] for c in record["comments"]] == ["c"]
    assert record["entity_pattern"] == [
        [{"field": "_id", "cond": {"type": "is_one_of", "value": ["cpu/h1", "mem/h1", "disk/h1"]}}]
    ]
    again = api.post(route, json=[item]).json()  # a replay
    assert again[0]["id"] == created[0]["id"] and len(sandbox.pbehaviors()) == 1
    clash = api.post(route, json=[item | {"comment": "d"}]).json()  # another window, same name
    assert clash[0]["status"] == 400 and clash[0]["errors"] == {"name": "Name already exists."}
    deleted = api.delete(route, json=[{"entities": ["mem/h1", "disk/h1"], **window}]).json()
    assert deleted[0]["status"] == 200
    (record,) = sandbox.pbehaviors()
    assert record["entity_pattern"][0][0]["cond"]["value"] == ["cpu/h1"]
    assert api.delete(route, json=[{"entities": ["cpu/h1"], **window}]).json()[0]["status"] == 200
    assert sandbox.pbehaviors() == []
    gone = api.delete(route, json=[{"entities": ["cpu/h1"], **window}]).json()
    assert gone == [{"status": 404, "item": {"entities": ["cpu/h1"], **window}, "error": "Not found"}]
