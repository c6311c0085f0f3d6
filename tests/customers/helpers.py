"""Two customers on two pollers: Central (poller 1, host srv-web-01) and Remote (poller 2,
host db-remote-01), each with a service; events in BBDO 3 form."""

from __future__ import annotations

from typing import Any

from tests.support.events import HOST_ID, SERVICE_ID, event, v3_configuration, v3_service_status

REMOTE_POLLER, REMOTE_HOST, REMOTE_SERVICE = 2, 16, 48


def configuration() -> list[dict[str, Any]]:
    header = {"conf_version": 0}
    return [
        *v3_configuration(),
        event(
            1,
            44,
            header=header,
            engine="Centreon Engine",
            running=True,
            name="Remote",
            pid=4343,
            instance_id=REMOTE_POLLER,
            end_time=0,
            start_time=1_699_999_000,
            version="24.10.2",
        ),
        event(
            1,
            30,
            host_id=REMOTE_HOST,
            name="db-remote-01",
            alias="db",
            address="10.0.0.16",
            instance_id=REMOTE_POLLER,
            notes_url="",
            action_url="",
            enabled=True,
            severity_id=0,
        ),
        event(1, 49, header=header, enabled=True, hostgroup_id=9, name="Databases", poller_id=REMOTE_POLLER),
        event(
            1,
            50,
            header=header,
            enabled=True,
            hostgroup_id=9,
            name="Databases",
            host_id=REMOTE_HOST,
            poller_id=REMOTE_POLLER,
        ),
        event(
            1,
            27,
            host_id=REMOTE_HOST,
            service_id=REMOTE_SERVICE,
            description="Disk",
            enabled=True,
            notes_url="",
            action_url="",
            severity_id=0,
            type=0,
        ),
    ]


def central_check(state: int = 2, last_check: int = 1_700_000_200, **fields: Any) -> dict[str, Any]:
    return v3_service_status(state=state, last_check=last_check, **fields)


def remote_check(state: int = 2, last_check: int = 1_700_000_200, **fields: Any) -> dict[str, Any]:
    values = dict(host_id=REMOTE_HOST, service_id=REMOTE_SERVICE, output="DISK CRITICAL", long_output="")
    values.update(fields)
    return v3_service_status(state=state, last_check=last_check, **values)


__all__ = ["HOST_ID", "SERVICE_ID", "central_check", "configuration", "remote_check"]
