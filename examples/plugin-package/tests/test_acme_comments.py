"""Tests of the example plugin, written as a plugin author would: the connector's pytest plugin
gives the fixtures (a Canopsis sandbox, pipelines wired to it); the installed package is found
through its entry point like in production."""

from __future__ import annotations

from typing import Any

ELEMENTS = "host_status,service_status,acknowledgement,downtime,comment"


def broker_event(category: int, element: int, **fields: Any) -> dict[str, Any]:
    return {"_type": category << 16 | element, "category": category, "element": element, **fields}


def inventory() -> list[dict[str, Any]]:
    """A poller, a host and its service, as Broker describes them (BBDO 3)."""
    return [
        broker_event(1, 44, instance_id=1, name="Central", running=True, engine="Centreon Engine"),
        broker_event(1, 30, host_id=15, name="srv-web-01", alias="web", instance_id=1, enabled=True),
        broker_event(1, 27, host_id=15, service_id=47, description="Ping", enabled=True, type=0),
    ]


def critical() -> dict[str, Any]:
    return broker_event(
        1, 29, host_id=15, service_id=47, state=2, state_type=1, checked=True, output="CRITICAL",
        last_check=1_700_000_200, last_hard_state_change=1_700_000_200, last_hard_state=2,
    )  # fmt: skip


def comment(**fields: Any) -> dict[str, Any]:
    values = dict(host_id=15, service_id=47, instance_id=1, author="jdoe", data="disk replaced", entry_type=1)
    values.update(fields)
    return broker_event(1, 35, **values)


def test_the_plugin_is_installed(connector) -> None:
    harness = connector(accepted_elements=ELEMENTS)
    assert "acme_comments" in harness.context.plugins.infos


def test_a_comment_reaches_canopsis(connector, canopsis_sandbox) -> None:
    harness = connector(
        accepted_elements=ELEMENTS, plugins_table={"acme_comments": {"prefix": "[centreon] "}}
    )
    harness.send([*inventory(), critical(), comment()])
    comments = [e for e in canopsis_sandbox.received_events() if e["event_type"] == "comment"]
    assert comments == [
        {
            "event_type": "comment",
            "connector": "centreon-stream",
            "connector_name": "Central",
            "component": "srv-web-01",
            "resource": "Ping",
            "author": "jdoe",
            "output": "[centreon] disk replaced",
        }
    ]
    (alarm,) = canopsis_sandbox.alarms()
    assert alarm["v"]["last_comment"]["m"] == "[centreon] disk replaced"


def test_deleted_comments_are_not_sent(connector, canopsis_sandbox) -> None:
    harness = connector(accepted_elements=ELEMENTS)
    harness.send([*inventory(), comment(deletion_time=1_700_000_300)])
    assert [e for e in canopsis_sandbox.received_events() if e["event_type"] == "comment"] == []
    assert harness.dropped("no_transform") == 1
