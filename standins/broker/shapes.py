"""Event dicts in the form Lua sees them: BBDO 3 protobuf form or BBDO 2 mapped form.

Every event starts as a copy of a precomputed template (``_type``, ``category``, ``element``, then
every field with its default, in declaration order), and gets the values that differ. Updating an
existing key keeps its place, so the order is right by construction. BBDO 2 forms then drop the
fields holding their "invalid" value (``z``: 0, ``m``: -1), and carry their wire-only members
after the Lua fields. Which form each family takes is decided by ``versions.forms_for``.
"""

from __future__ import annotations

from typing import Any

from centreon_canopsis.standins.broker import bam
from centreon_canopsis.standins.broker.acknowledgements import Acknowledgement
from centreon_canopsis.standins.broker.downtimes import Downtime
from centreon_canopsis.standins.broker.fields import SPECS, EventSpec, default_value
from centreon_canopsis.standins.broker.topology import (
    BusinessActivity,
    BusinessView,
    Host,
    HostGroup,
    Monitored,
    Poller,
    Service,
    ServiceGroup,
    Severity,
)
from centreon_canopsis.standins.broker.versions import ENGINE_VERSIONS, Forms

Event = dict[str, Any]

PENDING = 4
HARD = 1
# TagInfo.type (bbdo.md 4.4): SERVICEGROUP 0, HOSTGROUP 1.
_TAG_SERVICEGROUP = 0
_TAG_HOSTGROUP = 1


def template(spec: EventSpec) -> Event:
    event: Event = {"_type": spec.type_id, "category": spec.category, "element": spec.element}
    for f in (*spec.fields, *spec.wire_only):
        if f.flag != "optional":
            event[f.name] = default_value(f)
    return event


def joined_output(output: str, long_output: str) -> str:
    """BBDO 2 carries one output: cbmod appends "\\n" to a non-empty short output, then the long one."""
    return f"{output}\n{long_output}" if output else long_output


class Encoder:
    """Builds the event dicts of one Broker version and BBDO version."""

    def __init__(self, forms: Forms) -> None:
        self.forms = forms
        self._templates: dict[str, Event] = {}
        self._drops: dict[str, tuple[tuple[str, int], ...]] = {}
        self._keys: dict[str, frozenset[str]] = {}
        for name, spec in SPECS.items():
            self._templates[name] = template(spec)
            self._keys[name] = frozenset(self._templates[name])
            self._drops[name] = tuple(
                (f.name, 0 if f.flag == "z" else -1) for f in spec.fields if f.flag in ("z", "m")
            )
        self.engine_version = ENGINE_VERSIONS[forms.broker_version]

    # -- plumbing -------------------------------------------------------------------------------

    def make(self, name: str, values: dict[str, Any]) -> Event:
        """A ``name`` event: the template updated with ``values`` (whose keys must be its fields)."""
        event = self._templates[name].copy()
        event.update(values)
        for key, invalid in self._drops[name]:
            if event[key] == invalid:
                del event[key]
        return event

    def _make_subset(self, name: str, values: dict[str, Any]) -> Event:
        """Like ``make`` for values written once for both forms: keys the event lacks are ignored."""
        keys = self._keys[name]
        return self.make(name, {k: v for k, v in values.items() if k in keys})

    def _with_header(self, event: Event) -> Event:
        # A fresh header per event: consumers may mutate their dicts.
        if "header" in event:
            event["header"] = {"conf_version": 0}
        return event

    # -- pollers ---------------------------------------------------------------------------------

    def instance(self, poller: Poller, *, running: bool, now: int) -> Event:
        pb = self.forms.instance
        values = {
            "engine": "Centreon Engine",
            "running": running,
            "name": poller.name,
            "pid": poller.pid,
            "instance_id": poller.instance_id,
            "end_time": 0 if running else now,
            "start_time": poller.start_time,
            "version": self.engine_version,
        }
        if not pb and running:
            values["end_time"] = -1  # never set: Broker's null time, absent in Lua
        return self._with_header(self.make("pb_instance" if pb else "instance", values))

    def instance_status(self, poller: Poller, now: int) -> Event:
        values = {
            "event_handlers": True,
            "flap_detection": True,
            "notifications": True,
            "active_host_checks": True,
            "active_service_checks": True,
            "last_alive": now,
            "last_command_check": now,
            "obsess_over_hosts": False,
            "obsess_over_services": False,
            "passive_host_checks": True,
            "passive_service_checks": True,
            "instance_id": poller.instance_id,
        }
        if self.forms.instance:
            return self._with_header(self.make("pb_instance_status", values))
        return self.make("instance_status", values)

    def severity(self, severity: Severity, poller: Poller) -> Event:
        return self.make(
            "pb_severity",
            {
                "id": severity.id,
                "action": 0,
                "level": severity.level,
                "icon_id": severity.icon_id,
                "name": severity.name,
                "type": severity.type,
                "poller_id": poller.instance_id,
            },
        )

    # -- configuration ---------------------------------------------------------------------------

    def _object_values(self, obj: Monitored, now: int, enabled: bool) -> dict[str, Any]:
        """Fields hosts and services share, named as both forms name them."""
        checked = obj.checked
        pb = self.forms.host
        return {
            "acknowledged": obj.ack is not None,
            "acknowledgement_type": obj.ack_type,
            "active_checks": obj.active_checks,
            "enabled": enabled,
            "scheduled_downtime_depth": obj.downtime_depth,
            "check_command": obj.check_command,
            "check_interval": obj.check_interval if pb else float(obj.check_interval),
            "check_period": "24x7",
            "check_type": 0 if obj.active_checks else 1,
            "check_attempt": obj.check_attempt,
            "state": obj.state if checked else PENDING,
            "execution_time": obj.execution_time,
            "flap_detection": True,
            "checked": checked,
            "flapping": obj.flapping,
            "last_check": obj.last_check,
            "last_hard_state": obj.last_hard_state,
            "last_hard_state_change": obj.last_hard_state_change,
            "last_notification": obj.last_notification,
            "notification_number": obj.notification_number,
            "last_state_change": obj.last_state_change,
            "last_update": now,
            "latency": obj.latency,
            "max_check_attempts": obj.max_check_attempts,
            "next_check": obj.next_check,
            "notify": True,
            "output": obj.output if pb else joined_output(obj.output, obj.long_output),
            "passive_checks": True,
            "percent_state_change": obj.percent_state_change,
            "perfdata": obj.perfdata,
            "retry_interval": float(obj.retry_interval),
            "should_be_scheduled": obj.active_checks,
            "state_type": obj.state_type if checked else HARD,
            "action_url": obj.action_url,
            "default_active_checks": obj.active_checks,
            "default_event_handler_enabled": True,
            "default_flap_detection": True,
            "default_notify": True,
            "default_passive_checks": True,
            "event_handler_enabled": True,
            "flap_detection_on_ok": True,
            "notes_url": obj.notes_url,
            "notification_period": "24x7",
            "notify_on_downtime": True,
            "notify_on_flapping": True,
            "notify_on_recovery": True,
            "retain_nonstatus_information": True,
            "retain_status_information": True,
            "severity_id": obj.severity.id if obj.severity else 0,
        }

    def host(self, host: Host, now: int, *, enabled: bool = True) -> Event:
        values = self._object_values(host, now, enabled)
        values.update(
            {
                "host_id": host.host_id,
                "last_time_up": host.last_time[0],
                "last_time_down": host.last_time[1],
                "last_time_unreachable": host.last_time[2],
                "obsess_over_host": True,
                "address": host.address,
                "alias": host.alias,
                "display_name": host.name,
                "flap_detection_on_down": True,
                "flap_detection_on_unreachable": True,
                "flap_detection_on_up": True,
                "name": host.name,
                "instance_id": host.poller.instance_id,
                "notify_on_down": True,
                "notify_on_unreachable": True,
                "tags": [{"id": g.id, "type": _TAG_HOSTGROUP} for g in host.groups],
            }
        )
        return self._make_subset("pb_host" if self.forms.host else "host", values)

    def service(self, service: Service, now: int, *, enabled: bool = True) -> Event:
        assert service.host is not None
        values = self._object_values(service, now, enabled)
        values.update(
            {
                "host_id": service.host.host_id,
                "service_id": service.service_id,
                "last_time_ok": service.last_time[0],
                "last_time_warning": service.last_time[1],
                "last_time_critical": service.last_time[2],
                "last_time_unknown": service.last_time[3],
                "long_output": service.long_output,
                "host_name": service.host.name,
                "description": service.description,
                "obsess_over_service": True,
                "display_name": service.description,
                "flap_detection_on_critical": True,
                "flap_detection_on_unknown": True,
                "flap_detection_on_warning": True,
                "notify_on_critical": True,
                "notify_on_unknown": True,
                "notify_on_warning": True,
                "tags": [{"id": g.id, "type": _TAG_SERVICEGROUP} for g in service.groups],
                "type": service.service_type,
                "internal_id": service.internal_id,
            }
        )
        return self._make_subset("pb_service" if self.forms.host else "service", values)

    def custom_variable(
        self, obj: Monitored, name: str, value: str, now: int, *, enabled: bool = True
    ) -> Event:
        if isinstance(obj, Service):
            assert obj.host is not None
            host_id, service_id, var_type = obj.host.host_id, obj.service_id, 1
        else:
            assert isinstance(obj, Host)
            host_id, service_id, var_type = obj.host_id, 0, 0
        values = {
            "host_id": host_id,
            "service_id": service_id,
            # cbmod marks a deleted service variable as modified and sends no value.
            "modified": not enabled and var_type == 1,
            "name": name,
            "update_time": now,
            "value": value if enabled else "",
            "default_value": value if enabled else "",
            "enabled": enabled,
            "type": var_type,
        }
        if self.forms.custom_variable:
            return self._with_header(self.make("pb_custom_variable", values))
        return self.make("custom_variable", values)

    def host_group(self, group: HostGroup, poller: Poller, *, enabled: bool = True) -> Event:
        values = {
            "enabled": enabled,
            "hostgroup_id": group.id,
            "name": group.name,
            "poller_id": poller.instance_id,
        }
        if self.forms.group:
            return self._with_header(self.make("pb_host_group", values))
        return self.make("host_group", values)

    def host_group_member(self, group: HostGroup, host: Host, *, enabled: bool = True) -> Event:
        values = {
            "enabled": enabled,
            "hostgroup_id": group.id,
            "host_id": host.host_id,
            "poller_id": host.poller.instance_id,
        }
        if self.forms.group:
            values["name"] = group.name
            return self._with_header(self.make("pb_host_group_member", values))
        values["group_name"] = group.name
        return self.make("host_group_member", values)

    def service_group(self, group: ServiceGroup, poller: Poller, *, enabled: bool = True) -> Event:
        values = {
            "enabled": enabled,
            "servicegroup_id": group.id,
            "name": group.name,
            "poller_id": poller.instance_id,
        }
        if self.forms.group:
            return self._with_header(self.make("pb_service_group", values))
        return self.make("service_group", values)

    def service_group_member(self, group: ServiceGroup, service: Service, *, enabled: bool = True) -> Event:
        assert service.host is not None
        values = {
            "enabled": enabled,
            "servicegroup_id": group.id,
            "host_id": service.host.host_id,
            "poller_id": service.poller.instance_id,
            "service_id": service.service_id,
        }
        if self.forms.group:
            values["name"] = group.name
            return self._with_header(self.make("pb_service_group_member", values))
        values["group_name"] = group.name
        return self.make("service_group_member", values)

    # -- status ----------------------------------------------------------------------------------

    def host_status(self, host: Host, now: int) -> Event:
        checked = host.checked
        last_time = host.last_time
        if self.forms.status:
            return self.make(
                "pb_host_status",
                {
                    "host_id": host.host_id,
                    "checked": checked,
                    "check_type": 0 if host.active_checks else 1,
                    "state": host.state if checked else PENDING,
                    "state_type": host.state_type if checked else HARD,
                    "last_state_change": host.last_state_change,
                    "last_hard_state": host.last_hard_state,
                    "last_hard_state_change": host.last_hard_state_change,
                    "last_time_up": last_time[0],
                    "last_time_down": last_time[1],
                    "last_time_unreachable": last_time[2],
                    "output": host.output,
                    "long_output": host.long_output,
                    "perfdata": host.perfdata,
                    "flapping": host.flapping,
                    "percent_state_change": host.percent_state_change,
                    "latency": host.latency,
                    "execution_time": host.execution_time,
                    "last_check": host.last_check,
                    "next_check": host.next_check,
                    "should_be_scheduled": host.active_checks,
                    "check_attempt": host.check_attempt,
                    "notification_number": host.notification_number,
                    "last_notification": host.last_notification,
                    "acknowledgement_type": host.ack_type,
                    "scheduled_downtime_depth": len(host.downtimes),
                },
            )
        return self.make(
            "host_status",
            {
                "acknowledged": host.ack is not None,
                "acknowledgement_type": host.ack_type,
                "active_checks": host.active_checks,
                "check_interval": float(host.check_interval),
                "check_period": "24x7",
                "check_type": 0 if host.active_checks else 1,
                "check_attempt": host.check_attempt,
                "state": host.state if checked else PENDING,
                "scheduled_downtime_depth": len(host.downtimes),
                "enabled": True,
                "event_handler_enabled": True,
                "execution_time": host.execution_time,
                "flap_detection": True,
                "checked": checked,
                "host_id": host.host_id,
                "flapping": host.flapping,
                "last_check": host.last_check,
                "last_hard_state": host.last_hard_state,
                "last_hard_state_change": host.last_hard_state_change,
                "last_notification": host.last_notification,
                "last_state_change": host.last_state_change,
                "last_time_down": last_time[1],
                "last_time_unreachable": last_time[2],
                "last_time_up": last_time[0],
                "last_update": now,
                "latency": host.latency,
                "max_check_attempts": host.max_check_attempts,
                "next_check": host.next_check,
                "notification_number": host.notification_number,
                "notify": True,
                "obsess_over_host": True,
                "passive_checks": True,
                "percent_state_change": host.percent_state_change,
                "retry_interval": float(host.retry_interval),
                "should_be_scheduled": host.active_checks,
                "state_type": host.state_type if checked else HARD,
                "check_command": host.check_command,
                "output": joined_output(host.output, host.long_output),
                "perfdata": host.perfdata,
            },
        )

    def service_status(self, service: Service, now: int) -> Event:
        assert service.host is not None
        checked = service.checked
        last_time = service.last_time
        if self.forms.status:
            return self.make(
                "pb_service_status",
                {
                    "host_id": service.host.host_id,
                    "service_id": service.service_id,
                    "checked": checked,
                    "check_type": 0 if service.active_checks else 1,
                    "state": service.state if checked else PENDING,
                    "state_type": service.state_type if checked else HARD,
                    "last_state_change": service.last_state_change,
                    "last_hard_state": service.last_hard_state,
                    "last_hard_state_change": service.last_hard_state_change,
                    "last_time_ok": last_time[0],
                    "last_time_warning": last_time[1],
                    "last_time_critical": last_time[2],
                    "last_time_unknown": last_time[3],
                    "output": service.output,
                    "long_output": service.long_output,
                    "perfdata": service.perfdata,
                    "flapping": service.flapping,
                    "percent_state_change": service.percent_state_change,
                    "latency": service.latency,
                    "execution_time": service.execution_time,
                    "last_check": service.last_check,
                    "next_check": service.next_check,
                    "should_be_scheduled": service.active_checks,
                    "check_attempt": service.check_attempt,
                    "notification_number": service.notification_number,
                    "last_notification": service.last_notification,
                    "acknowledgement_type": service.ack_type,
                    "scheduled_downtime_depth": len(service.downtimes),
                    "type": service.service_type,
                    "internal_id": service.internal_id,
                },
            )
        return self.make(
            "service_status",
            {
                "acknowledged": service.ack is not None,
                "acknowledgement_type": service.ack_type,
                "active_checks": service.active_checks,
                "check_interval": float(service.check_interval),
                "check_period": "24x7",
                "check_type": 0 if service.active_checks else 1,
                "check_attempt": service.check_attempt,
                "state": service.state if checked else PENDING,
                "scheduled_downtime_depth": len(service.downtimes),
                "enabled": True,
                "event_handler_enabled": True,
                "execution_time": service.execution_time,
                "flap_detection": True,
                "checked": checked,
                "host_id": service.host.host_id,
                "flapping": service.flapping,
                "last_check": service.last_check,
                "last_hard_state": service.last_hard_state,
                "last_hard_state_change": service.last_hard_state_change,
                "last_notification": service.last_notification,
                "last_state_change": service.last_state_change,
                "last_time_critical": last_time[2],
                "last_time_ok": last_time[0],
                "last_time_unknown": last_time[3],
                "last_time_warning": last_time[1],
                "last_update": now,
                "latency": service.latency,
                "max_check_attempts": service.max_check_attempts,
                "next_check": service.next_check,
                "notification_number": service.notification_number,
                "notify": True,
                "obsess_over_service": True,
                "passive_checks": True,
                "percent_state_change": service.percent_state_change,
                "retry_interval": float(service.retry_interval),
                "service_id": service.service_id,
                "should_be_scheduled": service.active_checks,
                "state_type": service.state_type if checked else HARD,
                "check_command": service.check_command,
                "output": joined_output(service.output, service.long_output),
                "perfdata": service.perfdata,
            },
        )

    def status(self, obj: Monitored, now: int) -> Event:
        if isinstance(obj, Service):
            return self.service_status(obj, now)
        assert isinstance(obj, Host)
        return self.host_status(obj, now)

    def attribute_status(self, obj: Monitored, now: int, *, depth: bool = False, ack: bool = False) -> Event:
        """The status cbmod sends when only the ack type or downtime depth changed.

        24.04+ with BBDO 3: the small adaptive status with just the changed optional fields;
        otherwise a full status.
        """
        if not self.forms.adaptive_status:
            return self.status(obj, now)
        optional: dict[str, Any] = {}
        if depth:
            optional["scheduled_downtime_depth"] = len(obj.downtimes)
        if ack:
            optional["acknowledgement_type"] = obj.ack_type
        if isinstance(obj, Service):
            assert obj.host is not None
            values = {
                "host_id": obj.host.host_id,
                "service_id": obj.service_id,
                "type": obj.service_type,
                "internal_id": obj.internal_id,
                **optional,
            }
            return self.make("pb_adaptive_service_status", values)
        assert isinstance(obj, Host)
        return self.make("pb_adaptive_host_status", {"host_id": obj.host_id, **optional})

    # -- acknowledgements and downtimes ----------------------------------------------------------

    def acknowledgement(self, ack: Acknowledgement) -> Event:
        target = ack.target
        if isinstance(target, Service):
            assert target.host is not None
            host_id, service_id, kind = target.host.host_id, target.service_id, 1
        else:
            assert isinstance(target, Host)
            host_id, service_id, kind = target.host_id, 0, 0
        values = {
            "host_id": host_id,
            "service_id": service_id,
            "instance_id": ack.instance_id,
            "type": kind,
            "author": ack.author,
            "comment_data": ack.comment,
            "sticky": ack.sticky,
            "notify_contacts": ack.notify_contacts,
            "entry_time": ack.entry_time,
            "deletion_time": ack.deletion_time,
            "persistent_comment": ack.persistent_comment,
            "state": ack.state,
        }
        if self.forms.acknowledgement:
            return self.make("pb_acknowledgement", values)
        if not ack.deletion_time:
            values["deletion_time"] = -1  # cbmod leaves it null while the ack is active
        return self.make("acknowledgement", values)

    def downtime(self, downtime: Downtime) -> Event:
        target = downtime.target
        if isinstance(target, Service):
            assert target.host is not None
            host_id, service_id, kind = target.host.host_id, target.service_id, 1
        else:
            assert isinstance(target, Host)
            host_id, service_id, kind = target.host_id, 0, 2
        values = {
            "instance_id": downtime.instance_id,
            "host_id": host_id,
            "service_id": service_id,
            "author": downtime.author,
            "comment_data": downtime.comment,
            "type": kind,
            "duration": downtime.duration,
            "triggered_by": downtime.triggered_by,
            "entry_time": downtime.entry_time,
            "actual_start_time": downtime.actual_start_time,
            "actual_end_time": downtime.actual_end_time,
            "start_time": downtime.start_time,
            "deletion_time": downtime.deletion_time,
            "end_time": downtime.end_time,
            "started": downtime.started,
            "cancelled": downtime.cancelled,
            "fixed": downtime.fixed,
        }
        if self.forms.downtime:
            values["id"] = downtime.id
            return self.make("pb_downtime", values)
        values["internal_id"] = downtime.id
        return self.make("downtime", values)

    # -- BAM -------------------------------------------------------------------------------------

    def truncate_signal(self, update_started: bool) -> Event:
        name = "pb_dimension_truncate_table_signal" if self.forms.ba else "dimension_truncate_table_signal"
        return self.make(name, {"update_started": update_started})

    def dimension_bv(self, bv: BusinessView) -> Event:
        name = "pb_dimension_bv_event" if self.forms.ba else "dimension_bv_event"
        return self.make(name, {"bv_id": bv.bv_id, "bv_name": bv.name, "bv_description": bv.description})

    def dimension_ba(self, ba: BusinessActivity) -> Event:
        name = "pb_dimension_ba_event" if self.forms.ba else "dimension_ba_event"
        return self.make(
            name,
            {
                "ba_id": ba.ba_id,
                "ba_name": ba.name,
                "ba_description": ba.description,
                "sla_month_percent_crit": 99.0,
                "sla_month_percent_warn": 99.5,
            },
        )

    def dimension_ba_bv(self, ba: BusinessActivity, bv: BusinessView) -> Event:
        name = "pb_dimension_ba_bv_relation_event" if self.forms.ba else "dimension_ba_bv_relation_event"
        return self.make(name, {"ba_id": ba.ba_id, "bv_id": bv.bv_id})

    def ba_status(self, ba: BusinessActivity, *, state_changed: bool) -> Event:
        values: dict[str, Any] = {
            "ba_id": ba.ba_id,
            "in_downtime": ba.in_downtime,
            "last_state_change": ba.last_state_change,
            "level_acknowledgement": ba.level_acknowledgement,
            "level_downtime": ba.level_downtime,
            "level_nominal": ba.level_nominal,
            "state": ba.state,
            "state_changed": state_changed,
        }
        if self.forms.ba:
            values["output"] = bam.output(ba)
            return self.make("pb_ba_status", values)
        return self.make("ba_status", values)
