"""Fixtures for the sandbox tests: one server per module, reset before each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from centreon_canopsis.standins.canopsis import Sandbox

AUTHKEY = "test-authkey"
JSON_UTF8 = "application/json; charset=utf-8"


class Api:
    """A keep-alive client with the base URL and (by default) the root authkey."""

    def __init__(self, url: str, authkey: str | None = AUTHKEY) -> None:
        self.url = url
        self.session = requests.Session()
        if authkey is not None:
            self.session.headers["x-canopsis-authkey"] = authkey

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def events(self, events: Any) -> requests.Response:
        response = self.post("/api/v4/event", json=events)
        assert response.status_code == 200, response.text
        return response


def check(component: str, resource: str | None = None, state: Any = 2, **extra: Any) -> dict[str, Any]:
    """A check event as Centreon's connector sends it."""
    event: dict[str, Any] = {
        "event_type": "check",
        "connector": "centreon-stream",
        "connector_name": "Central",
        "component": component,
        "source_type": "resource" if resource else "component",
        "state": state,
        "output": f"{component} {resource or ''} state {state}".strip(),
    }
    if resource:
        event["resource"] = resource
    event.update(extra)
    return event


def action(event_type: str, component: str, resource: str | None = None, **extra: Any) -> dict[str, Any]:
    event = check(component, resource, **extra)
    event["event_type"] = event_type
    if "state" not in extra:
        del event["state"]
    event.setdefault("output", f"{event_type} by test")
    return event


@pytest.fixture(scope="module")
def server() -> Iterator[Sandbox]:
    with Sandbox(authkey=AUTHKEY, resolve_delay=60, seed=42) as sandbox:
        sandbox.add_user("reader", password="reader-pw", authkey="reader-key", permissions={"api_alarm_read"})
        sandbox.add_user("off", password="off-pw", authkey="off-key", enabled=False)
        sandbox.add_user(
            "operator", password="op-pw", authkey="op-key", permissions={"api_event", "api_maintenance"}
        )
        yield sandbox


@pytest.fixture
def sandbox(server: Sandbox) -> Sandbox:
    server.reset()
    return server


@pytest.fixture
def api(sandbox: Sandbox) -> Api:
    return Api(sandbox.url)


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Starts extra sandboxes (other versions or settings); all are stopped at the end."""
    started: list[Sandbox] = []

    def make(**kwargs: Any) -> Sandbox:
        kwargs.setdefault("authkey", AUTHKEY)
        kwargs.setdefault("seed", 7)
        sandbox = Sandbox(**kwargs).start()
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in started:
        sandbox.stop()


def pbehavior_body(sandbox: Sandbox, **overrides: Any) -> dict[str, Any]:
    """A valid pbehavior create body (maintenance on ``cpu/h1``, active now for an hour)."""
    now = int(sandbox.clock.now())
    body = {
        "name": "maintenance-h1",
        "enabled": True,
        "reason": sandbox.reason_id("Default"),
        "type": sandbox.type_id("Default maintenance"),
        "tstart": now - 10,
        "tstop": now + 3600,
        "color": "#FF0000",
        "entity_pattern": [[{"field": "_id", "cond": {"type": "eq", "value": "cpu/h1"}}]],
    }
    body.update(overrides)
    return body
