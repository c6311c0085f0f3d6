"""Sandbox-only control endpoints and the Python inspection API."""

from __future__ import annotations

from typing import Any

from centreon_canopsis.standins.canopsis import Sandbox
from tests.sandbox.conftest import Api, check


def test_state_alarms_entities_events_requests(api: Api, sandbox: Sandbox) -> None:
    api.events([check("h1", "cpu", state=2), check("h2", state=0), {"event_type": 1}])
    api.events([check("h1", "cpu", state=0)])
    control = Api(sandbox.url, authkey=None)
    state = control.get("/_sandbox/state").json()
    assert state["version"] == "24.04.0"
    assert (state["alarms"], state["alarms_open"], state["entities"]) == (1, 1, 4)
    assert state["counters"] == {"events_received": 4, "events_sent": 3, "events_failed": 1, "requests": 2}
    assert state["status_counts"] == {"200": 2}
    assert [a["entity"]["_id"] for a in control.get("/_sandbox/alarms").json()] == ["cpu/h1"]
    assert len(control.get("/_sandbox/entities").json()) == 4
    assert control.get("/_sandbox/events?kind=failed").json() == [{"event_type": 1}]
    assert len(control.get("/_sandbox/events?kind=received&limit=2").json()) == 2
    assert control.get("/_sandbox/events?kind=nope").status_code == 400
    requests_seen = control.get("/_sandbox/requests").json()
    assert [(r["method"], r["path"], r["status"]) for r in requests_seen] == [
        ("POST", "/api/v4/event", 200)
    ] * 2
    assert control.get("/_sandbox/nothing").status_code == 404


def test_clock_settings_and_reset(api: Api, sandbox: Sandbox) -> None:
    control = Api(sandbox.url, authkey=None)
    api.events([check("h1", state=2)])
    api.events([check("h1", state=0)])
    assert control.post("/_sandbox/clock", json={"advance": 30}).json()["offset"] == 30
    assert control.post("/_sandbox/clock", json={"advance": -1}).status_code == 400
    assert len(control.get("/_sandbox/alarms").json()) == 1
    assert control.post("/_sandbox/settings", json={"resolve_delay": 10}).json() == {"resolve_delay": 10}
    assert control.get("/_sandbox/alarms").json() == []
    assert len(control.get("/_sandbox/alarms?opened=false").json()) == 1
    assert len(control.get("/_sandbox/alarms?opened=all").json()) == 1
    assert control.post("/_sandbox/settings", json={"nope": 1}).status_code == 400
    assert control.post("/_sandbox/reset").status_code == 204
    assert control.get("/_sandbox/alarms?opened=all").json() == []
    assert control.get("/_sandbox/clock").json()["offset"] == 0
    assert control.get("/_sandbox/settings").json() == {"resolve_delay": 60}


def test_python_inspection_returns_copies(api: Api, sandbox: Sandbox) -> None:
    api.events([check("h1", state=2)])
    alarms = sandbox.alarms()
    alarms[0]["v"]["state"]["val"] = 99
    assert sandbox.alarms()[0]["v"]["state"]["val"] == 2
    assert [t["name"] for t in sandbox.types()][:1] == ["Default inactive"]
    assert sandbox.reasons()[0]["name"] == "Default"
    assert sandbox.summary()["alarms_open"] == 1


def test_journals_are_bounded_counters_are_not(make_sandbox: Any) -> None:
    sandbox = make_sandbox(journal_maxlen=5)
    api = Api(sandbox.url)
    for i in range(4):
        api.events([check(f"h{i}-{j}", state=1) for j in range(3)])
    assert len(sandbox.received_events()) == 5
    assert sandbox.received_events()[-1]["component"] == "h3-2"
    assert len(sandbox.published_events()) == 5
    assert len(sandbox.requests()) == 4
    assert sandbox.counters()["events_received"] == 12
    assert len(sandbox.alarms()) == 12


def test_url_port_and_restart() -> None:
    sandbox = Sandbox(authkey="k")
    sandbox.start()
    try:
        assert sandbox.url == f"http://127.0.0.1:{sandbox.port}"
        assert Api(sandbox.url, "k").get("/api/v4/alarms").status_code == 200
    finally:
        sandbox.stop()
    sandbox.stop()  # idempotent


def test_generated_authkey_and_extra_users() -> None:
    with Sandbox(users=[{"name": "bob", "password": "pw", "authkey": "bob-key"}]) as sandbox:
        assert len(sandbox.authkey) == 36
        assert Api(sandbox.url, sandbox.authkey).get("/api/v4/alarms").status_code == 200
        bob = Api(sandbox.url, "bob-key")
        assert bob.post("/api/v4/event", json=[check("h1")]).json()["sent_events"][0]["author"] == "bob"
        assert (
            bob.post(
                "/api/v4/event",
                json=[{"event_type": "ack", "connector": "c", "connector_name": "n", "component": "h"}],
            ).json()["sent_events"][0]["role"]
            == "producer"
        )
