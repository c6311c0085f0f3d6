"""Differences between Canopsis lines (canopsis-api.md section 6) and app-info (section 5)."""

from __future__ import annotations

from typing import Any

import pytest

from centreon_canopsis.standins.canopsis import Sandbox, parse_version
from tests.sandbox.conftest import Api, action, check, pbehavior_body

BASE_KEYS = {
    "app_title",
    "footer",
    "login_page_description",
    "logo",
    "language",
    "popup_timeout",
    "allow_change_severity_to_info",
    "max_matched_items",
    "check_count_request_timeout",
    "show_header_on_kiosk_mode",
    "required_instruction_approve",
    "timezone",
    "file_upload_max_size",
    "version",
    "edition",
    "stack",
    "version_updated",
    "login",
    "remediation",
}


@pytest.mark.parametrize(
    ("version", "extra"),
    [
        ("22.10", set()),
        ("23.04", {"serial_name"}),
        (
            "23.10",
            {"serial_name", "default_color_theme", "maintenance", "events_count_trigger_default_threshold"},
        ),
        (
            "24.10",
            {"serial_name", "default_color_theme", "maintenance", "events_count_trigger_default_threshold"},
        ),
    ],
)
def test_app_info_keys_per_version(make_sandbox: Any, version: str, extra: set[str]) -> None:
    sandbox = make_sandbox(canopsis_version=version, edition="pro")
    info = Api(sandbox.url, authkey=None).get("/api/v4/app-info").json()
    assert set(info) == BASE_KEYS | extra
    assert (info["version"], info["edition"], info["stack"]) == (f"{version}.0", "pro", "go")
    assert isinstance(info["version_updated"], int)


def test_full_version_and_invalid_versions(make_sandbox: Any) -> None:
    sandbox = make_sandbox(canopsis_version="24.04.3")
    assert Api(sandbox.url).get("/api/v4/app-info").json()["version"] == "24.04.3"
    assert parse_version("22.10").full == "22.10.0"
    for bad in ("25.04", "24.4", "latest", "24.04.x"):
        with pytest.raises(ValueError):
            parse_version(bad)
    with pytest.raises(ValueError):
        Sandbox(canopsis_version="21.10")


def test_pbehavior_color_required_on_22_10_only(make_sandbox: Any) -> None:
    old = make_sandbox(canopsis_version="22.10")
    body = pbehavior_body(old, color="")
    response = Api(old.url).post("/api/v4/pbehaviors", json=body)
    assert (response.status_code, response.content) == (400, b'{"errors":{"color":"Color is missing."}}')
    bad = Api(old.url).post("/api/v4/pbehaviors", json=body | {"color": "#12"})
    assert bad.content == b'{"errors":{"color":"Color is not valid."}}'
    new = make_sandbox(canopsis_version="23.04")
    assert Api(new.url).post("/api/v4/pbehaviors", json=pbehavior_body(new, color="")).status_code == 201


def test_reason_and_type_shapes(make_sandbox: Any) -> None:
    shapes = {}
    for version in ("22.10", "24.04", "24.10"):
        api = Api(make_sandbox(canopsis_version=version).url)
        api.post("/api/v4/pbehavior-reasons", json={"name": "hidden-one", "description": "d", "hidden": True})
        shapes[version] = (
            api.get("/api/v4/pbehavior-types?limit=1").json()["data"][0],
            api.get("/api/v4/pbehavior-reasons?with_hidden=true").json()["data"],
        )
    type_2210, reasons_2210 = shapes["22.10"]
    assert set(type_2210) == {"_id", "name", "description", "type", "priority", "icon_name"}
    assert [set(r) for r in reasons_2210] == [{"_id", "name", "description"}] * 2
    type_2404, reasons_2404 = shapes["24.04"]
    assert set(type_2404) == {"_id", "name", "description", "type", "priority", "icon_name", "color"}
    assert [set(r) for r in reasons_2404] == [
        {"_id", "name", "description"},
        {"_id", "name", "description", "hidden"},
    ]
    type_2410, reasons_2410 = shapes["24.10"]
    assert set(type_2410) == {
        "_id",
        "name",
        "description",
        "type",
        "priority",
        "icon_name",
        "color",
        "hidden",
        "author",
        "created",
        "updated",
    }
    assert type_2410["hidden"] is False
    assert type_2410["author"] == {"_id": "root", "name": "root", "display_name": "root"}
    assert [r["hidden"] for r in reasons_2410] == [False, True]
    assert set(reasons_2410[0]) == {"_id", "name", "description", "hidden", "author", "created", "updated"}


def test_hidden_reasons_are_listed_only_on_request(make_sandbox: Any) -> None:
    api = Api(make_sandbox(canopsis_version="24.04").url)
    api.post("/api/v4/pbehavior-reasons", json={"name": "h", "description": "d", "hidden": True})
    assert [r["name"] for r in api.get("/api/v4/pbehavior-reasons").json()["data"]] == ["Default"]


def test_type_color_absent_and_priority_unique_on_22_10(make_sandbox: Any) -> None:
    api = Api(make_sandbox(canopsis_version="22.10").url)
    body = {"name": "T", "description": "d", "type": "pause", "priority": 4, "icon_name": "i"}
    duplicate = api.post("/api/v4/pbehavior-types", json=body)
    assert (duplicate.status_code, duplicate.content) == (400, b'{"error":"duplicate priority value"}')
    created = api.post("/api/v4/pbehavior-types", json=body | {"priority": 9, "color": "#FFFFFF"})
    assert created.status_code == 201 and "color" not in created.json()


@pytest.mark.parametrize(
    ("version", "routes"),
    [
        ("22.10", {"pbehaviors": 207, "entity-pbehaviors": 404, "connector-pbehaviors": 404}),
        ("23.10", {"pbehaviors": 207, "entity-pbehaviors": 207, "connector-pbehaviors": 404}),
        ("24.04", {"pbehaviors": 207, "entity-pbehaviors": 207, "connector-pbehaviors": 404}),
        ("24.04.8", {"pbehaviors": 207, "entity-pbehaviors": 207, "connector-pbehaviors": 207}),
        ("24.10", {"pbehaviors": 207, "entity-pbehaviors": 207, "connector-pbehaviors": 207}),
    ],
)
def test_bulk_routes_per_version(make_sandbox: Any, version: str, routes: dict[str, int]) -> None:
    api = Api(make_sandbox(canopsis_version=version).url)
    for route, status in routes.items():
        response = api.post(f"/api/v4/bulk/{route}", json=[])
        assert response.status_code == status, route
        if status == 404:
            assert response.content == b'{"error":"Not found"}'


def test_event_rules_of_22_10_and_23_04(make_sandbox: Any) -> None:
    for version in ("22.10", "23.04"):
        sandbox = make_sandbox(canopsis_version=version)
        api = Api(sandbox.url)
        data = api.events(
            [
                check("h1", state=2),
                action("changestate", "h1", state=0),
                action("keepstate", "h1", state="1"),
                action("statusinc", "h1"),
                action("ack", "h1"),
            ]
        ).json()
        assert [e["event_type"] for e in data["failed_events"]] == ["changestate"]
        keepstate = data["sent_events"][1]
        assert keepstate["state"] == 1 and keepstate["role"] == "admin"
        assert data["sent_events"][2]["role"] == "admin"  # statusinc gets a role before 23.10
        assert sandbox.dropped_events() == []  # keepstate, statusinc still valid in fifo


def test_event_rules_of_23_10_and_later(make_sandbox: Any) -> None:
    sandbox = make_sandbox(canopsis_version="23.10")
    api = Api(sandbox.url)
    data = api.events(
        [check("h1", state=2), action("changestate", "h1", state=0), action("keepstate", "h1", state="x")]
    )
    assert data.json()["failed_events"] == []
    assert data.json()["sent_events"][2]["state"] == "x"  # keepstate is no longer normalised
    assert "role" not in data.json()["sent_events"][2]
    assert [d["reason"] for d in sandbox.dropped_events()] == [
        "invalid event type 'keepstate'",
    ]
    assert sandbox.alarms()[0]["v"]["state"]["val"] == 0


def test_declareticket_is_valid_in_fifo_on_22_10_only(make_sandbox: Any) -> None:
    old = make_sandbox(canopsis_version="22.10")
    Api(old.url).events([check("h1", state=2), action("declareticket", "h1")])
    assert old.dropped_events() == []
    new = make_sandbox(canopsis_version="23.04")
    Api(new.url).events([check("h1", state=2), action("declareticket", "h1")])
    assert [d["reason"] for d in new.dropped_events()] == ["invalid event type 'declareticket'"]


def test_allow_change_severity_to_info(make_sandbox: Any) -> None:
    sandbox = make_sandbox(canopsis_version="23.04", allow_change_severity_to_info=True)
    data = Api(sandbox.url).events([check("h1", state=2), action("changestate", "h1", state=0)]).json()
    assert data["failed_events"] == []
    assert Api(sandbox.url).get("/api/v4/app-info").json()["allow_change_severity_to_info"] is True


def test_maintenance_only_from_23_10(make_sandbox: Any) -> None:
    with pytest.raises(ValueError, match=r"23\.10"):
        make_sandbox(canopsis_version="23.04").set_maintenance(True)
    old = make_sandbox(canopsis_version="23.04")
    response = Api(old.url, authkey=None).post("/_sandbox/maintenance", json={"enabled": True})
    assert response.status_code == 400
