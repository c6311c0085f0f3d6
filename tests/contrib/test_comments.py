"""contrib.comments against the Canopsis sandbox: a Centreon comment becomes a comment step of
the open alarm; deleted comments and other entry types are dropped with their reason."""

from __future__ import annotations

from typing import Any

from tests.support.events import HOST_ID, POLLER_ID, SERVICE_ID, event, v3_configuration, v3_service_status

PLUGINS = {"load": ["centreon_canopsis.plugins.contrib.comments"]}
ELEMENTS = "host_status,service_status,acknowledgement,downtime,comment"


def pb_comment(data: str = "Disk replaced", entry_type: int = 1, deletion_time: int = 0, **fields: Any):
    values = dict(
        host_id=HOST_ID,
        service_id=SERVICE_ID,
        instance_id=POLLER_ID,
        author="jdoe",
        data=data,
        entry_type=entry_type,
        entry_time=1_700_000_250,
        deletion_time=deletion_time,
        persistent=True,
        source=0,
        type=2,
        internal_id=9,
        expires=False,
        expire_time=0,
    )
    values.update(fields)
    return event(1, 35, **values)


def bbdo2_comment(**fields: Any):
    values = dict(
        host_id=HOST_ID,
        instance_id=POLLER_ID,
        author="jdoe",
        data="Host comment",
        entry_type=1,
        entry_time=1_700_000_260,
        internal_id=10,
        persistent=True,
        source=0,
        type=1,
    )
    values.update(fields)
    return event(1, 2, **values)


def test_a_user_comment_reaches_the_open_alarm(connector, canopsis_sandbox) -> None:
    harness = connector(
        accepted_elements=ELEMENTS, plugins_table={**PLUGINS, "comments": {"prefix": "[centreon] "}}
    )
    harness.send([*v3_configuration(), v3_service_status(state=2), pb_comment()])
    sent = [e for e in canopsis_sandbox.received_events() if e.get("event_type") == "comment"]
    assert sent == [
        {
            "event_type": "comment",
            "connector": "centreon-stream",
            "connector_name": "Central",
            "component": "srv-web-01",
            "resource": "Ping",
            "output": "[centreon] Disk replaced",
            "author": "jdoe",
            "timestamp": 1_700_000_250,
        }
    ]
    (alarm,) = canopsis_sandbox.alarms()
    assert alarm["v"]["last_comment"]["m"] == "[centreon] Disk replaced"


def test_deleted_and_non_user_comments_are_dropped(connector, canopsis_sandbox) -> None:
    harness = connector(accepted_elements=ELEMENTS, plugins_table=PLUGINS)
    harness.send(
        [
            *v3_configuration(),
            pb_comment(deletion_time=1_700_000_300),
            pb_comment(entry_type=2, data="downtime comment"),
            bbdo2_comment(),
        ]
    )
    comments = [e for e in canopsis_sandbox.received_events() if e.get("event_type") == "comment"]
    assert [(c["component"], c.get("resource"), c["output"]) for c in comments] == [
        ("srv-web-01", None, "Host comment")
    ]
    assert harness.dropped("comment_deleted") == 1
    assert harness.dropped("comment_entry_type") == 1


def test_a_customer_comment_carries_the_customer_fields(connector, canopsis_sandbox) -> None:
    customers = [{"name": "acme", "pollers": "Central", "connector": "acme-monitoring"}]
    harness = connector(accepted_elements=ELEMENTS, plugins_table=PLUGINS, customers=customers)
    harness.send([*v3_configuration(), v3_service_status(state=2), pb_comment()])
    sent = [(e["event_type"], e["connector"]) for e in canopsis_sandbox.received_events()]
    assert sent == [("check", "acme-monitoring"), ("comment", "acme-monitoring")]
    assert harness.context.metrics.value("payloads_delivered_total", route="acme/event") == 2
