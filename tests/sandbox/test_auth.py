"""Authentication and the order of checks (canopsis-api.md section 1)."""

from __future__ import annotations

import base64

import pytest
import requests

from centreon_canopsis.standins.canopsis import Sandbox
from tests.sandbox.conftest import AUTHKEY, JSON_UTF8, Api, check

UNAUTHORIZED = b'{"error":"Unauthorized"}'


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def assert_error(response: requests.Response, status: int, body: bytes) -> None:
    assert response.status_code == status
    assert response.content == body
    assert response.headers["Content-Type"] == JSON_UTF8
    assert response.headers["Cache-Control"] == "public, no-cache"
    assert "WWW-Authenticate" not in response.headers


def test_missing_credentials_on_protected_routes_is_401(sandbox: Sandbox) -> None:
    anon = Api(sandbox.url, authkey=None)
    assert_error(anon.post("/api/v4/event", json=[]), 401, UNAUTHORIZED)
    assert_error(anon.get("/api/v4/pbehaviors"), 401, UNAUTHORIZED)
    assert_error(anon.get("/api/v4/pbehavior-reasons"), 401, UNAUTHORIZED)
    assert_error(anon.get("/api/v4/alarms"), 401, UNAUTHORIZED)


def test_authkey_header_and_query_parameter(sandbox: Sandbox) -> None:
    anon = Api(sandbox.url, authkey=None)
    assert anon.post("/api/v4/event", json=[], headers={"x-canopsis-authkey": AUTHKEY}).status_code == 200
    assert anon.post("/api/v4/event", json=[], headers={"X-Canopsis-Authkey": AUTHKEY}).status_code == 200
    assert anon.post(f"/api/v4/event?authkey={AUTHKEY}", json=[]).status_code == 200


def test_wrong_credentials_are_401_everywhere_even_app_info(sandbox: Sandbox) -> None:
    anon = Api(sandbox.url, authkey=None)
    assert anon.get("/api/v4/app-info").status_code == 200
    assert_error(anon.get("/api/v4/app-info", headers={"x-canopsis-authkey": "nope"}), 401, UNAUTHORIZED)
    assert_error(anon.get("/api/v4/app-info?authkey=nope"), 401, UNAUTHORIZED)
    assert_error(anon.get("/api/v4/app-info", headers=basic("root", "bad")), 401, UNAUTHORIZED)
    assert_error(
        anon.post("/api/v4/event", json=[], headers={"x-canopsis-authkey": "nope"}), 401, UNAUTHORIZED
    )


def test_disabled_user_is_401(sandbox: Sandbox) -> None:
    off = Api(sandbox.url, authkey="off-key")
    assert_error(off.post("/api/v4/event", json=[]), 401, UNAUTHORIZED)
    assert_error(
        Api(sandbox.url, None).get("/api/v4/alarms", headers=basic("off", "off-pw")), 401, UNAUTHORIZED
    )


def test_basic_auth(sandbox: Sandbox) -> None:
    anon = Api(sandbox.url, authkey=None)
    assert anon.get("/api/v4/alarms", headers=basic("root", "root")).status_code == 200
    assert_error(anon.get("/api/v4/alarms", headers=basic("root", "wrong")), 401, UNAUTHORIZED)
    assert_error(anon.get("/api/v4/alarms", headers=basic("ghost", "root")), 401, UNAUTHORIZED)


def test_malformed_basic_is_500(sandbox: Sandbox) -> None:
    anon = Api(sandbox.url, authkey=None)
    response = anon.get("/api/v4/alarms", headers={"Authorization": "Basic %%%not-base64"})
    assert_error(response, 500, b'{"error":"Internal server error"}')


def test_login_and_bearer(sandbox: Sandbox) -> None:
    anon = Api(sandbox.url, authkey=None)
    response = anon.post("/api/v4/login", json={"username": "root", "password": "root"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == JSON_UTF8
    token = response.json()["access_token"]
    assert set(response.json()) == {"access_token"}
    assert anon.get("/api/v4/alarms", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert_error(anon.get("/api/v4/alarms", headers={"Authorization": f"Bearer {token}x"}), 401, UNAUTHORIZED)
    assert_error(anon.get("/api/v4/alarms", headers={"Authorization": "Bearer a.b.c"}), 401, UNAUTHORIZED)


def test_bearer_token_expires(sandbox: Sandbox) -> None:
    anon = Api(sandbox.url, authkey=None)
    token = anon.post("/api/v4/login", json={"username": "root", "password": "root"}).json()["access_token"]
    sandbox.advance(24 * 3600 + 1)
    assert_error(anon.get("/api/v4/alarms", headers={"Authorization": f"Bearer {token}"}), 401, UNAUTHORIZED)


def test_login_errors(sandbox: Sandbox) -> None:
    anon = Api(sandbox.url, authkey=None)
    assert_error(anon.post("/api/v4/login", json={"username": "root", "password": "x"}), 401, UNAUTHORIZED)
    assert_error(
        anon.post("/api/v4/login", json={}),
        400,
        b'{"errors":{"password":"Password is missing.","username":"Username is missing."}}',
    )
    assert_error(
        anon.post("/api/v4/login", json={"password": "x"}),
        400,
        b'{"errors":{"username":"Username is missing."}}',
    )
    assert_error(anon.post("/api/v4/login", data=b"{"), 400, b'{"error":"request has invalid structure"}')
    assert_error(
        anon.post("/api/v4/login", json={"username": 1, "password": "x"}),
        400,
        b'{"error":"request has invalid structure"}',
    )


@pytest.mark.parametrize(
    ("headers", "query", "status"),
    [
        # basic is evaluated first and decides when present, even if a valid authkey follows
        (basic("root", "bad") | {"x-canopsis-authkey": AUTHKEY}, "", 401),
        (basic("root", "root") | {"x-canopsis-authkey": "nope"}, "", 200),
        # the apikey provider reads the query parameter before the header
        ({"x-canopsis-authkey": AUTHKEY}, "?authkey=nope", 401),
        ({"x-canopsis-authkey": "nope"}, f"?authkey={AUTHKEY}", 200),
    ],
)
def test_first_provider_that_finds_credentials_decides(
    sandbox: Sandbox, headers: dict[str, str], query: str, status: int
) -> None:
    anon = Api(sandbox.url, authkey=None)
    assert anon.get("/api/v4/alarms" + query, headers=headers).status_code == status


def test_bearer_decides_over_a_bad_authkey(sandbox: Sandbox) -> None:
    anon = Api(sandbox.url, authkey=None)
    token = anon.post("/api/v4/login", json={"username": "root", "password": "root"}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "x-canopsis-authkey": "nope"}
    assert anon.get("/api/v4/alarms", headers=headers).status_code == 200


def test_permission_missing_is_403(sandbox: Sandbox) -> None:
    reader = Api(sandbox.url, authkey="reader-key")
    assert reader.get("/api/v4/alarms").status_code == 200
    assert_error(reader.post("/api/v4/event", json=[]), 403, b'{"error":"Forbidden"}')
    assert_error(reader.get("/api/v4/pbehaviors"), 403, b'{"error":"Forbidden"}')
    assert_error(reader.post("/api/v4/bulk/pbehaviors", json=[]), 403, b'{"error":"Forbidden"}')


def test_404_and_405_come_before_auth(sandbox: Sandbox) -> None:
    anon = Api(sandbox.url, authkey=None)
    assert_error(anon.get("/api/v4/nothing-here"), 404, b'{"error":"Not found"}')
    assert_error(anon.get("/nothing"), 404, b'{"error":"Not found"}')
    assert_error(
        anon.get("/api/v4/event", headers={"x-canopsis-authkey": "nope"}),
        405,
        b'{"error":"Method Not Allowed"}',
    )
    assert_error(anon.put("/api/v4/pbehaviors"), 405, b'{"error":"Method Not Allowed"}')
    assert_error(anon.delete("/api/v4/bulk/pbehaviors/x"), 404, b'{"error":"Not found"}')


def test_cache_control_on_success_and_event_content_type(api: Api) -> None:
    response = api.post("/api/v4/event", json=[])
    assert response.headers["Cache-Control"] == "public, no-cache"
    assert response.headers["Content-Type"] == "application/json"
    response = api.get("/api/v4/alarms")
    assert response.headers["Cache-Control"] == "public, no-cache"
    assert response.headers["Content-Type"] == JSON_UTF8


def test_trailing_slash_redirects_like_gin(api: Api) -> None:
    response = api.get("/api/v4/alarms/?opened=true")
    assert response.status_code == 301
    assert response.headers["Location"] == "/api/v4/alarms?opened=true"
    response = api.post("/api/v4/event/", json=[])
    assert response.status_code == 307
    assert response.headers["Location"] == "/api/v4/event"


def test_journal_never_stores_the_authkey(sandbox: Sandbox) -> None:
    anon = Api(sandbox.url, authkey=None)
    anon.post(f"/api/v4/event?authkey={AUTHKEY}&x=1", json=[check("h")])
    entry = sandbox.requests()[-1]
    assert entry["query"] == "authkey=******&x=1"
    assert AUTHKEY not in repr(sandbox.requests())
    assert entry["user"] == "root"
    assert entry["status"] == 200
