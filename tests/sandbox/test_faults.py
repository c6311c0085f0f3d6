"""Fault injection and maintenance mode, from Python and over the control endpoints."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from centreon_canopsis.standins.canopsis import Sandbox
from tests.sandbox.conftest import JSON_UTF8, Api, check

EMPTY = b'{"sent_events":[],"failed_events":[],"retry_events":[]}'


def test_no_faults_by_default(api: Api, sandbox: Sandbox) -> None:
    for _ in range(20):
        response = api.post("/api/v4/event", json=[])
        assert response.status_code == 200 and "Retry-After" not in response.headers
    assert sandbox.faults() == []


def test_fail_next_with_status_body_and_headers(api: Api, sandbox: Sandbox) -> None:
    sandbox.fail_next(2, status=429, headers={"Retry-After": "2"}, path_prefix="/api/v4/event")
    assert api.get("/api/v4/alarms").status_code == 200  # other paths untouched
    for _ in range(2):
        response = api.post("/api/v4/event", json=[check("h1")])
        assert response.status_code == 429
        assert response.content == b'{"error":"Too Many Requests"}'
        assert response.headers["Retry-After"] == "2"
        assert response.headers["Content-Type"] == JSON_UTF8
    assert api.post("/api/v4/event", json=[]).content == EMPTY
    assert sandbox.faults() == []
    assert sandbox.alarms() == []  # failed requests reached nothing
    assert sandbox.status_counts()[429] == 2


def test_fail_next_defaults_and_custom_body(api: Api, sandbox: Sandbox) -> None:
    sandbox.fail_next()
    response = api.get("/api/v4/alarms")
    assert (response.status_code, response.content) == (500, b'{"error":"Internal server error"}')
    sandbox.fail_next(status=502, body="<html>bad gateway</html>", content_type="text/html", method="POST")
    assert api.get("/api/v4/alarms").status_code == 200
    response = api.post("/api/v4/event", json=[])
    assert (response.status_code, response.text, response.headers["Content-Type"]) == (
        502,
        "<html>bad gateway</html>",
        "text/html",
    )


def test_fail_rate_is_seeded(make_sandbox: Any) -> None:
    outcomes = []
    for _ in range(2):
        sandbox = make_sandbox(seed=11)
        sandbox.fail_rate(0.5, status=503)
        api = Api(sandbox.url)
        outcomes.append([api.post("/api/v4/event", json=[]).status_code for _ in range(40)])
    assert outcomes[0] == outcomes[1]
    assert 5 < outcomes[0].count(503) < 35 and set(outcomes[0]) == {200, 503}


def test_drop_connections(api: Api, sandbox: Sandbox) -> None:
    sandbox.drop_connections(2)
    for _ in range(2):
        with pytest.raises(requests.ConnectionError):
            api.post("/api/v4/event", json=[check("h1")])
    assert api.post("/api/v4/event", json=[]).status_code == 200
    assert sandbox.alarms() == []
    assert [r["status"] for r in sandbox.requests()][-3:] == [0, 0, 200]


def test_latency(api: Api, sandbox: Sandbox) -> None:
    sandbox.add_latency(0.3, count=1)
    started = time.perf_counter()
    assert api.get("/api/v4/alarms").status_code == 200
    assert time.perf_counter() - started >= 0.3
    started = time.perf_counter()
    api.get("/api/v4/alarms")
    assert time.perf_counter() - started < 0.3


def test_fail_events_by_field_match(api: Api, sandbox: Sandbox) -> None:
    sandbox.fail_events({"component": ["h2", "h3"]})
    data = api.events([check("h1"), check("h2"), check("h3", "cpu")]).json()
    assert [e["component"] for e in data["sent_events"]] == ["h1"]
    assert [e["component"] for e in data["failed_events"]] == ["h2", "h3"]
    assert data["failed_events"][0]["author"] == "root"  # failed at publish time, after the mutations
    assert [a["v"]["component"] for a in sandbox.alarms()] == ["h1"]
    sandbox.fail_events({"resource": "cpu"}, count=1)
    sandbox.clear_faults()
    assert api.events([check("h2")]).json()["failed_events"] == []


def test_maintenance(api: Api, sandbox: Sandbox) -> None:
    sandbox.set_maintenance(True)
    maintenance = b'{"error":"canopsis is under maintenance"}'
    for response in (api.post("/api/v4/event", json=[]), api.get("/api/v4/pbehavior-types")):
        assert (response.status_code, response.content) == (503, maintenance)
        assert response.headers["Content-Type"] == JSON_UTF8
    anon = Api(sandbox.url, authkey=None)
    assert anon.get("/api/v4/app-info").json()["maintenance"] is True  # no credentials: served
    assert anon.post("/api/v4/event", json=[]).status_code == 401
    login = anon.post("/api/v4/login", json={"username": "root", "password": "root"})
    assert (login.status_code, login.content) == (503, maintenance)
    # a user holding api_maintenance is let through
    assert Api(sandbox.url, authkey="op-key").post("/api/v4/event", json=[]).status_code == 200
    sandbox.clear_faults()
    assert api.post("/api/v4/event", json=[]).status_code == 200


def test_faults_over_http(api: Api, sandbox: Sandbox) -> None:
    control = Api(sandbox.url, authkey=None)
    response = control.post(
        "/_sandbox/faults",
        json=[
            {"kind": "fail", "status": 429, "headers": {"Retry-After": "1"}, "path_prefix": "/api/v4/event"},
            {"kind": "fail_events", "match": {"component": "bad"}},
        ],
    )
    assert response.status_code == 201
    assert [(f["kind"], f["count"]) for f in response.json()] == [("fail", 1), ("fail_events", None)]
    assert api.post("/api/v4/event", json=[]).status_code == 429
    assert api.events([check("bad")]).json()["failed_events"][0]["component"] == "bad"
    listed = control.get("/_sandbox/faults").json()
    assert [f["kind"] for f in listed] == ["fail_events"]
    assert control.delete(f"/_sandbox/faults/{listed[0]['id']}").status_code == 204
    assert control.delete(f"/_sandbox/faults/{listed[0]['id']}").status_code == 404

    control.post("/_sandbox/faults", json={"kind": "drop", "count": 1})
    with pytest.raises(requests.ConnectionError):
        api.get("/api/v4/alarms")
    control.post("/_sandbox/faults", json={"kind": "latency", "seconds": 0.01})
    assert control.post("/_sandbox/maintenance", json={"enabled": True}).json() == {"maintenance": True}
    assert api.get("/api/v4/alarms").status_code == 503
    assert control.delete("/_sandbox/faults").status_code == 204
    assert control.get("/_sandbox/maintenance").json() == {"maintenance": False}
    assert api.get("/api/v4/alarms").status_code == 200


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"kind": "explode"},
            "unknown fault kind 'explode'; expected one of fail, drop, latency, fail_events",
        ),
        ({"status": 500}, "fault needs a kind: fail, drop, latency, fail_events"),
        ({"kind": "fail", "colour": 1}, "unknown fault field(s): colour"),
        ({"kind": "fail", "rate": 2}, "rate must be between 0 and 1"),
        ({"kind": "fail", "status": 99}, "status must be an HTTP status code (100-599)"),
    ],
)
def test_invalid_fault_specs(sandbox: Sandbox, spec: dict[str, Any], message: str) -> None:
    response = Api(sandbox.url, authkey=None).post("/_sandbox/faults", json=spec)
    assert response.status_code == 400
    assert response.json() == {"error": message}


def test_control_endpoints_are_never_faulted(sandbox: Sandbox) -> None:
    sandbox.fail_next(5)
    sandbox.set_maintenance(True)
    assert Api(sandbox.url, authkey=None).get("/_sandbox/state").status_code == 200
