"""Broker events for tests, in both protocol forms, around one reference scenario.

The scenario is the one of lua-connector.md appendix A: host "srv-web-01" (id 15) on poller
"Central" (instance 1), in host groups Linux (1) and Europe (2); service "Ping" (id 47) in
service group Network (3).
"""

from __future__ import annotations

from typing import Any

HOST_ID, SERVICE_ID, POLLER_ID = 15, 47, 1


def event(category: int, element: int, **fields: Any) -> dict[str, Any]:
    return {"_type": category << 16 | element, "category": category, "element": element, **fields}


# -- configuration -------------------------------------------------------------------------


def v3_configuration() -> list[dict[str, Any]]:
    header = {"conf_version": 0}
    return [
        event(
            1,
            44,
            header=header,
            engine="Centreon Engine",
            running=True,
            name="Central",
            pid=4242,
            instance_id=POLLER_ID,
            end_time=0,
            start_time=1_699_999_000,
            version="24.10.2",
        ),
        event(
            1,
            30,
            host_id=HOST_ID,
            name="srv-web-01",
            alias="web",
            address="10.0.0.15",
            instance_id=POLLER_ID,
            notes_url="http://wiki/srv",
            action_url="",
            enabled=True,
            severity_id=0,
        ),
        event(1, 49, header=header, enabled=True, hostgroup_id=1, name="Linux", poller_id=POLLER_ID),
        event(1, 49, header=header, enabled=True, hostgroup_id=2, name="Europe", poller_id=POLLER_ID),
        event(
            1,
            50,
            header=header,
            enabled=True,
            hostgroup_id=2,
            name="Europe",
            host_id=HOST_ID,
            poller_id=POLLER_ID,
        ),
        event(
            1,
            50,
            header=header,
            enabled=True,
            hostgroup_id=1,
            name="Linux",
            host_id=HOST_ID,
            poller_id=POLLER_ID,
        ),
        event(
            1,
            27,
            host_id=HOST_ID,
            service_id=SERVICE_ID,
            description="Ping",
            enabled=True,
            notes_url="",
            action_url="",
            severity_id=0,
            type=0,
        ),
        event(1, 51, header=header, enabled=True, servicegroup_id=3, name="Network", poller_id=POLLER_ID),
        event(
            1,
            52,
            header=header,
            enabled=True,
            servicegroup_id=3,
            name="Network",
            host_id=HOST_ID,
            poller_id=POLLER_ID,
            service_id=SERVICE_ID,
        ),
    ]


def v2_configuration() -> list[dict[str, Any]]:
    """BBDO 2 forms: mapped names, zero/-1 fields absent, group names as wire-only fields."""
    return [
        event(
            1,
            15,
            engine="Centreon Engine",
            instance_id=POLLER_ID,
            name="Central",
            running=True,
            pid=4242,
            start_time=1_699_999_000,
            version="22.10.1",
        ),
        event(
            1,
            12,
            host_id=HOST_ID,
            name="srv-web-01",
            alias="web",
            address="10.0.0.15",
            instance_id=POLLER_ID,
            notes_url="http://wiki/srv",
            action_url="",
            enabled=True,
        ),
        event(1, 10, hostgroup_id=1, name="Linux", enabled=True, poller_id=POLLER_ID),
        event(1, 10, hostgroup_id=2, name="Europe", enabled=True, poller_id=POLLER_ID),
        event(1, 11, hostgroup_id=2, host_id=HOST_ID, enabled=True, group_name="Europe", poller_id=POLLER_ID),
        event(1, 11, hostgroup_id=1, host_id=HOST_ID, enabled=True, group_name="Linux", poller_id=POLLER_ID),
        event(
            1,
            23,
            host_id=HOST_ID,
            service_id=SERVICE_ID,
            description="Ping",
            enabled=True,
            notes_url="",
            action_url="",
            host_name="srv-web-01",
        ),
        event(1, 21, servicegroup_id=3, name="Network", enabled=True, poller_id=POLLER_ID),
        event(
            1,
            22,
            servicegroup_id=3,
            host_id=HOST_ID,
            service_id=SERVICE_ID,
            enabled=True,
            group_name="Network",
            poller_id=POLLER_ID,
        ),
    ]


# -- runtime -------------------------------------------------------------------------------


def v3_host_status(state: int = 1, last_check: int = 1_700_000_100, **fields: Any) -> dict[str, Any]:
    values = dict(
        host_id=HOST_ID,
        checked=True,
        check_type=0,
        state=state,
        state_type=1,
        last_state_change=last_check,
        last_hard_state=state,
        last_hard_state_change=last_check,
        last_time_up=0,
        last_time_down=last_check,
        last_time_unreachable=0,
        output="DOWN - host unreachable",
        long_output="line2\nline3",
        perfdata="",
        flapping=False,
        percent_state_change=0.0,
        latency=0.1,
        execution_time=0.2,
        last_check=last_check,
        next_check=last_check + 300,
        should_be_scheduled=True,
        check_attempt=3,
        notification_number=0,
        no_more_notifications=False,
        last_notification=0,
        next_host_notification=0,
        acknowledgement_type=0,
        scheduled_downtime_depth=0,
    )
    values.update(fields)
    return event(1, 32, **values)


def v3_service_status(state: int = 2, last_check: int = 1_700_000_200, **fields: Any) -> dict[str, Any]:
    values = dict(
        host_id=HOST_ID,
        service_id=SERVICE_ID,
        checked=True,
        check_type=0,
        state=state,
        state_type=1,
        last_state_change=last_check,
        last_hard_state=state,
        last_hard_state_change=last_check,
        last_time_ok=0,
        last_time_warning=0,
        last_time_critical=last_check,
        last_time_unknown=0,
        output="CRITICAL - loss 100%",
        long_output="",
        perfdata="pl=100%",
        flapping=False,
        percent_state_change=0.0,
        latency=0.1,
        execution_time=0.2,
        last_check=last_check,
        next_check=last_check + 300,
        should_be_scheduled=True,
        check_attempt=3,
        notification_number=0,
        no_more_notifications=False,
        last_notification=0,
        next_notification=0,
        acknowledgement_type=0,
        scheduled_downtime_depth=0,
        type=0,
        internal_id=0,
    )
    values.update(fields)
    return event(1, 29, **values)


def v3_ack(service: bool = True, deletion_time: int = 0, **fields: Any) -> dict[str, Any]:
    values = dict(
        host_id=HOST_ID,
        service_id=SERVICE_ID if service else 0,
        instance_id=POLLER_ID,
        type=1 if service else 0,
        author="admin",
        comment_data="Acknowledged by admin",
        sticky=True,
        notify_contacts=True,
        entry_time=1_700_000_300,
        deletion_time=deletion_time,
        persistent_comment=True,
        state=2 if service else 1,
    )
    values.update(fields)
    return event(1, 45, **values)


def v2_host_status(state: int = 1, last_check: int = 1_700_000_100, **fields: Any) -> dict[str, Any]:
    values = dict(
        acknowledged=False,
        acknowledgement_type=0,
        active_checks=True,
        enabled=True,
        scheduled_downtime_depth=0,
        check_command="check-host-alive",
        check_interval=5.0,
        check_type=0,
        check_attempt=3,
        state=state,
        event_handler_enabled=True,
        execution_time=0.2,
        flap_detection=True,
        checked=True,
        flapping=False,
        last_check=last_check,
        last_hard_state=state,
        last_hard_state_change=last_check,
        last_state_change=last_check,
        last_time_down=last_check,
        last_update=last_check + 1,
        latency=0.1,
        max_check_attempts=3,
        next_check=last_check + 300,
        no_more_notifications=False,
        notify=True,
        output="DOWN - host unreachable\nline2\nline3",
        passive_checks=True,
        percent_state_change=0.0,
        perfdata="",
        retry_interval=1.0,
        should_be_scheduled=True,
        state_type=1,
        host_id=HOST_ID,
    )
    values.update(fields)
    return event(1, 14, **values)


def v2_service_status(state: int = 2, last_check: int = 1_700_000_200, **fields: Any) -> dict[str, Any]:
    values = dict(
        acknowledged=False,
        acknowledgement_type=0,
        active_checks=True,
        enabled=True,
        scheduled_downtime_depth=0,
        check_command="check-ping",
        check_interval=5.0,
        check_type=0,
        check_attempt=3,
        state=state,
        checked=True,
        flapping=False,
        last_check=last_check,
        last_hard_state=state,
        last_hard_state_change=last_check,
        last_state_change=last_check,
        last_time_critical=last_check,
        last_update=last_check + 1,
        output="CRITICAL - loss 100%",
        perfdata="pl=100%",
        state_type=1,
        host_id=HOST_ID,
        service_id=SERVICE_ID,
        host_name="",
        service_description="",
    )
    values.update(fields)
    return event(1, 24, **values)


def v2_ack(service: bool = True, deletion_time: int | None = None, **fields: Any) -> dict[str, Any]:
    """An active BBDO 2 acknowledgement has no deletion_time key; a host one no service_id."""
    values: dict[str, Any] = dict(
        type=1 if service else 0,
        author="admin",
        comment_data="Acknowledged by admin",
        entry_time=1_700_000_300,
        host_id=HOST_ID,
        instance_id=POLLER_ID,
        notify_contacts=True,
        persistent_comment=True,
        sticky=True,
        state=2 if service else 1,
    )
    if service:
        values["service_id"] = SERVICE_ID
    if deletion_time is not None:
        values["deletion_time"] = deletion_time
    values.update(fields)
    return event(1, 1, **values)
