"""Reasons, types, comments (4.4-4.6) and the shared list conventions (4.1)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from centreon_canopsis.standins.canopsis import Sandbox
from tests.sandbox.conftest import JSON_UTF8, Api, pbehavior_body

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
INVALID_STRUCTURE = b'{"error":"request has invalid structure"}'


def strip_ids(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for item in items:
        assert UUID.fullmatch(item.pop("_id"))
    return items


def test_fresh_reasons(api: Api) -> None:
    body = api.get("/api/v4/pbehavior-reasons").json()
    assert strip_ids(body["data"]) == [{"name": "Default", "description": "Default"}]
    assert body["meta"] == {"page": 1, "per_page": 10, "page_count": 1, "total_count": 1}


def test_fresh_types_24_04(api: Api) -> None:
    body = api.get("/api/v4/pbehavior-types").json()
    assert strip_ids(body["data"]) == [
        {
            "name": "Default active",
            "description": "Default active",
            "type": "active",
            "priority": 2,
            "icon_name": "",
            "color": "#2FAB63",
        },
        {
            "name": "Default inactive",
            "description": "Default inactive",
            "type": "inactive",
            "priority": 1,
            "icon_name": "brightness_3",
            "color": "#979797",
        },
        {
            "name": "Default maintenance",
            "description": "Default maintenance",
            "type": "maintenance",
            "priority": 3,
            "icon_name": "build",
            "color": "#BF360C",
        },
        {
            "name": "Default pause",
            "description": "Default pause",
            "type": "pause",
            "priority": 4,
            "icon_name": "pause",
            "color": "#5A6D80",
        },
    ]


def test_ids_are_reproducible_with_a_seed(make_sandbox: Any) -> None:
    one, two, other = make_sandbox(seed=3), make_sandbox(seed=3), make_sandbox(seed=4)
    assert one.types() == two.types()
    assert one.reason_id("Default") == two.reason_id("Default") != other.reason_id("Default")


def test_reason_crud(api: Api, sandbox: Sandbox) -> None:
    response = api.post("/api/v4/pbehavior-reasons", json={"name": "Centreon_downtime", "description": "dt"})
    assert response.status_code == 201 and response.headers["Content-Type"] == JSON_UTF8
    created = response.json()
    assert UUID.fullmatch(created["_id"])
    assert created == {"_id": created["_id"], "name": "Centreon_downtime", "description": "dt"}
    rid = created["_id"]
    assert api.get(f"/api/v4/pbehavior-reasons/{rid}").json() == created
    updated = api.put(f"/api/v4/pbehavior-reasons/{rid}", json={"name": "Renamed", "description": "dt2"})
    assert updated.status_code == 200 and updated.json()["name"] == "Renamed"
    deleted = api.delete(f"/api/v4/pbehavior-reasons/{rid}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    for response in (
        api.get(f"/api/v4/pbehavior-reasons/{rid}"),
        api.delete(f"/api/v4/pbehavior-reasons/{rid}"),
        api.put(f"/api/v4/pbehavior-reasons/{rid}", json={"name": "x", "description": "y"}),
    ):
        assert (response.status_code, response.content) == (404, b'{"error":"Not found"}')


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, b'{"errors":{"description":"Description is missing.","name":"Name is missing."}}'),
        ({"name": "Default", "description": "d"}, b'{"errors":{"name":"Name already exists."}}'),
        ({"name": "x" * 256, "description": "d"}, b'{"errors":{"name":"Name should be 255 or less."}}'),
        (
            {"_id": "a/b", "name": "n", "description": "d"},
            b'{"errors":{"_id":"ID cannot contain /?.$ characters."}}',
        ),
        ({"name": 5, "description": "d"}, INVALID_STRUCTURE),
        ([{"name": "n"}], INVALID_STRUCTURE),
    ],
)
def test_reason_validation(api: Api, body: Any, expected: bytes) -> None:
    response = api.post("/api/v4/pbehavior-reasons", json=body)
    assert (response.status_code, response.content) == (400, expected)


def test_reason_id_already_exists_and_linked_reason(api: Api, sandbox: Sandbox) -> None:
    assert (
        api.post("/api/v4/pbehavior-reasons", json={"_id": "r1", "name": "a", "description": "d"}).status_code
        == 201
    )
    again = api.post("/api/v4/pbehavior-reasons", json={"_id": "r1", "name": "b", "description": "d"})
    assert again.content == b'{"errors":{"_id":"ID already exists."}}'
    assert api.post("/api/v4/pbehaviors", json=pbehavior_body(sandbox, reason="r1")).status_code == 201
    linked = api.delete("/api/v4/pbehavior-reasons/r1")
    assert (linked.status_code, linked.content) == (400, b'{"error":"reason is linked to pbehavior"}')


def test_pagination_conventions(api: Api) -> None:
    for i in range(25):
        assert api.post("/api/v4/pbehavior-reasons", json={"name": f"reason-{i:02d}", "description": "d"}).ok
    first = api.get("/api/v4/pbehavior-reasons").json()
    assert first["meta"] == {"page": 1, "per_page": 10, "page_count": 3, "total_count": 26}
    assert [x["name"] for x in first["data"][:2]] == ["Default", "reason-00"]  # sorted by creation
    third = api.get("/api/v4/pbehavior-reasons?page=3").json()
    assert [x["name"] for x in third["data"]] == [f"reason-{i}" for i in range(19, 25)]
    assert api.get("/api/v4/pbehavior-reasons?page=9").json() == {
        "data": [],
        "meta": {"page": 9, "per_page": 10, "page_count": 3, "total_count": 26},
    }
    big = api.get("/api/v4/pbehavior-reasons?limit=100").json()
    assert len(big["data"]) == 26 and big["meta"]["page_count"] == 1
    everything = api.get("/api/v4/pbehavior-reasons?paginate=false").json()
    assert everything["meta"] == {"page": 1, "per_page": 26, "page_count": 1, "total_count": 26}
    found = api.get("/api/v4/pbehavior-reasons?search=REASON-1").json()
    assert found["meta"]["total_count"] == 10
    desc = api.get("/api/v4/pbehavior-reasons?sort_by=name&sort=desc&limit=1").json()
    assert desc["data"][0]["name"] == "reason-24"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("page=0", b'{"errors":{"page":"Page should be greater than 0."}}'),
        ("limit=0", b'{"errors":{"limit":"Limit should be greater than 0."}}'),
        ("limit=-3", b'{"errors":{"limit":"Limit should be greater than 0."}}'),
        ("page=abc", INVALID_STRUCTURE),
        ("paginate=maybe", INVALID_STRUCTURE),
    ],
)
def test_invalid_pagination(api: Api, query: str, expected: bytes) -> None:
    response = api.get(f"/api/v4/pbehavior-reasons?{query}")
    assert (response.status_code, response.content) == (400, expected)


def test_empty_list_has_one_page(api: Api) -> None:
    body = api.get("/api/v4/pbehaviors").json()
    assert body == {"data": [], "meta": {"page": 1, "per_page": 10, "page_count": 1, "total_count": 0}}


def test_type_crud_and_validation(api: Api, sandbox: Sandbox) -> None:
    body = {
        "name": "Night",
        "description": "night",
        "type": "inactive",
        "priority": 7,
        "icon_name": "moon",
        "color": "#000000",
    }
    created = api.post("/api/v4/pbehavior-types", json=body)
    assert created.status_code == 201
    assert created.json() == {"_id": created.json()["_id"], **body}
    assert api.get("/api/v4/pbehavior-types/next-priority").json() == {"priority": 8}
    missing = api.post("/api/v4/pbehavior-types", json={})
    assert missing.content == (
        b'{"errors":{"color":"Color is missing.","description":"Description is missing.",'
        b'"icon_name":"IconName is missing.","name":"Name is missing.","priority":"Priority is missing.",'
        b'"type":"Type is missing."}}'
    )
    wrong = api.post(
        "/api/v4/pbehavior-types", json={**body, "name": "N2", "type": "holiday", "color": "red"}
    )
    assert wrong.content == (
        b'{"errors":{"color":"Color is not valid.",'
        b'"type":"Type must be one of [active inactive maintenance pause]."}}'
    )
    default_id = sandbox.type_id("Default pause")
    deleted = api.delete(f"/api/v4/pbehavior-types/{default_id}")
    updated = api.put(f"/api/v4/pbehavior-types/{default_id}", json=body | {"name": "P"})
    for response in (deleted, updated):
        assert (response.status_code, response.content) == (400, b'{"error":"type is default"}')
    flags = api.get("/api/v4/pbehavior-types?with_flags=true&default=true").json()["data"]
    assert {(t["default"], t["deletable"]) for t in flags} == {(True, False)} and len(flags) == 4
    only = api.get("/api/v4/pbehavior-types?types[]=maintenance").json()["data"]
    assert [t["name"] for t in only] == ["Default maintenance"]
    assert api.delete(f"/api/v4/pbehavior-types/{created.json()['_id']}").status_code == 204


def test_comments(api: Api, sandbox: Sandbox) -> None:
    pbh = api.post("/api/v4/pbehaviors", json=pbehavior_body(sandbox)).json()
    assert pbh["comments"] == []
    response = api.post("/api/v4/pbehavior-comments", json={"pbehavior": pbh["_id"], "message": "planned"})
    assert response.status_code == 201
    comment = response.json()
    assert list(comment) == ["_id", "author", "ts", "message"]
    assert comment["author"] == {"_id": "root", "name": "root", "display_name": "root"}
    assert comment["message"] == "planned" and isinstance(comment["ts"], int)
    assert api.get(f"/api/v4/pbehaviors/{pbh['_id']}").json()["comments"] == [comment]
    assert sandbox.comments() == [comment | {"pbehavior": pbh["_id"]}]
    unknown = api.post("/api/v4/pbehavior-comments", json={"pbehavior": "nope", "message": "x"})
    assert (unknown.status_code, unknown.content) == (404, b'{"error":"Not found"}')
    missing = api.post("/api/v4/pbehavior-comments", json={})
    assert (
        missing.content == b'{"errors":{"message":"Message is missing.","pbehavior":"Pbehavior is missing."}}'
    )
    too_long = api.post("/api/v4/pbehavior-comments", json={"pbehavior": pbh["_id"], "message": "m" * 256})
    assert too_long.content == b'{"errors":{"message":"Message should be 255 or less."}}'
    assert api.delete(f"/api/v4/pbehavior-comments/{comment['_id']}").status_code == 204
    assert api.delete(f"/api/v4/pbehavior-comments/{comment['_id']}").status_code == 404
    assert api.get(f"/api/v4/pbehaviors/{pbh['_id']}").json()["comments"] == []
