"""Small pieces: version rules, the bulk path, payload kinds on the bulk route, secrets in logs."""

from __future__ import annotations

import logging

import pytest

from centreon_canopsis.plugins.builtin.canopsis.lookups import has_bulk, needs_color, version_line
from centreon_canopsis.plugins.builtin.canopsis.pbehaviors import COMMENT, CREATE, DELETE, bulk_path, kind_of
from tests.downtime.helpers import Connector, Downtime, configuration, sandbox
from tests.support.config import AUTHKEY


@pytest.mark.parametrize(
    ("version", "line", "color", "bulk"),
    [
        ("22.10.4", (22, 10), True, True),
        ("23.04.0", (23, 4), False, True),
        ("24.10.1", (24, 10), False, True),
        ("25.04", (25, 4), False, True),
        ("21.10.0", (21, 10), True, False),
        (None, None, True, True),  # unknown: colour (valid anywhere), try bulk
        ("develop", None, True, True),
        (24.04, None, True, True),
    ],
)
def test_version_rules(version, line, color, bulk):
    assert version_line(version) == line
    assert needs_color(version) is color
    assert has_bulk(version) is bulk


def test_bulk_path():
    assert bulk_path("/api/v4/pbehaviors") == "/api/v4/bulk/pbehaviors"
    assert bulk_path("/canopsis/api/v4/pbehaviors/") == "/canopsis/api/v4/bulk/pbehaviors"


def test_kind_of():
    assert kind_of({"_id": "a", "name": "a", "tstart": 1, "entity_pattern": []}) == CREATE
    assert kind_of({"pbehavior": "a", "message": "m"}) == COMMENT
    assert kind_of({"_id": "a", "name": "a"}) == DELETE
    assert kind_of({"name": "a"}) == DELETE
    assert kind_of({}) is None
    assert kind_of([1]) is None


def test_the_authkey_never_reaches_a_log_line(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    downtime = Downtime()
    with sandbox() as box, Connector(tmp_path / "state", box.port, log_curl_commands=1) as connector:
        connector.feed([*configuration(3), downtime.start()])
        assert connector.drain()
        connector.feed([downtime.stop(), downtime.delete()])
        assert connector.drain()
    messages = [record.getMessage() for record in caplog.records]
    curls = [m for m in messages if m.startswith("curl ")]
    assert any("/api/v4/pbehavior-reasons" in m for m in curls)
    assert any("-X DELETE" in m and "name=" in m for m in curls)
    assert all("x-canopsis-authkey: ******" in m for m in curls)
    assert not any(AUTHKEY in m for m in messages)
    assert AUTHKEY not in repr(connector.lookups.settings) and AUTHKEY not in repr(connector.context.state)
