"""Ordered field lists of every event the simulator emits, BBDO 2 (mapped) and BBDO 3 (protobuf).

The lists mirror ``reference/bbdo_fields.json`` (Centreon Broker 24.10.x, the names Lua sees, in
declaration order); ``tests/simulate/test_shapes.py`` compares them with it so they cannot drift.
A field is written ``name:type[:flag]``; flags are ``z`` (BBDO 2, absent when 0), ``m`` (BBDO 2,
absent when -1), ``optional`` (BBDO 3 proto3 optional: present only when set) and ``repeated``.
The BBDO 2 events after ``_EXTRA`` are not in that file; their fields come from bbdo.md 3.2 and
4.4 (the 22.10 BAM dimension events have the protobuf fields in the same order).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: str
    flag: str = ""


@dataclass(frozen=True, slots=True)
class EventSpec:
    """One event type: where it lives on the wire and the fields Lua sees, in order."""

    name: str
    category: int
    element: int
    bbdo: int
    fields: tuple[Field, ...]
    #: BBDO 2 members that travel on the wire without a Lua name (broker-events-json.md 4).
    wire_only: tuple[Field, ...] = ()

    @property
    def type_id(self) -> int:
        return self.category << 16 | self.element


def _parse(text: str) -> tuple[Field, ...]:
    fields = []
    for token in text.split():
        name, typ, *flag = token.split(":")
        fields.append(Field(name, typ, flag[0] if flag else ""))
    return tuple(fields)


def _spec(name: str, category: int, element: int, bbdo: int, fields: str, wire_only: str = "") -> EventSpec:
    return EventSpec(name, category, element, bbdo, _parse(fields), _parse(wire_only))


_SPECS = (
    _spec(
        "pb_service",
        1,
        27,
        3,
        "host_id:uint64 service_id:uint64 acknowledged:bool acknowledgement_type:enum "
        "active_checks:bool enabled:bool scheduled_downtime_depth:int32 check_command:string "
        "check_interval:uint32 check_period:string check_type:enum check_attempt:int32 state:enum "
        "event_handler_enabled:bool event_handler:string execution_time:double flap_detection:bool "
        "checked:bool flapping:bool last_check:int64 last_hard_state:enum "
        "last_hard_state_change:int64 last_notification:int64 notification_number:int32 "
        "last_state_change:int64 last_time_ok:int64 last_time_warning:int64 last_time_critical:int64 "
        "last_time_unknown:int64 last_update:int64 latency:double max_check_attempts:uint32 "
        "next_check:int64 next_notification:int64 no_more_notifications:bool notify:bool "
        "output:string long_output:string passive_checks:bool percent_state_change:double "
        "perfdata:string retry_interval:double host_name:string description:string "
        "should_be_scheduled:bool obsess_over_service:bool state_type:enum action_url:string "
        "check_freshness:bool default_active_checks:bool default_event_handler_enabled:bool "
        "default_flap_detection:bool default_notify:bool default_passive_checks:bool "
        "display_name:string first_notification_delay:double flap_detection_on_critical:bool "
        "flap_detection_on_ok:bool flap_detection_on_unknown:bool flap_detection_on_warning:bool "
        "freshness_threshold:double high_flap_threshold:double icon_image:string "
        "icon_image_alt:string is_volatile:bool low_flap_threshold:double notes:string "
        "notes_url:string notification_interval:double notification_period:string "
        "notify_on_critical:bool notify_on_downtime:bool notify_on_flapping:bool "
        "notify_on_recovery:bool notify_on_unknown:bool notify_on_warning:bool "
        "stalk_on_critical:bool stalk_on_ok:bool stalk_on_unknown:bool stalk_on_warning:bool "
        "retain_nonstatus_information:bool retain_status_information:bool severity_id:uint64 "
        "tags:TagInfo:repeated type:enum internal_id:uint64 icon_id:uint64",
    ),
    _spec(
        "pb_adaptive_service",
        1,
        28,
        3,
        "host_id:uint64 service_id:uint64 notify:bool:optional active_checks:bool:optional "
        "should_be_scheduled:bool:optional passive_checks:bool:optional "
        "event_handler_enabled:bool:optional flap_detection_enabled:bool:optional "
        "obsess_over_service:bool:optional event_handler:string:optional "
        "check_command:string:optional check_interval:uint32:optional retry_interval:uint32:optional "
        "max_check_attempts:uint32:optional check_freshness:bool:optional "
        "check_period:string:optional notification_period:string:optional",
    ),
    _spec(
        "pb_service_status",
        1,
        29,
        3,
        "host_id:uint64 service_id:uint64 checked:bool check_type:enum state:enum state_type:enum "
        "last_state_change:int64 last_hard_state:enum last_hard_state_change:int64 "
        "last_time_ok:int64 last_time_warning:int64 last_time_critical:int64 last_time_unknown:int64 "
        "output:string long_output:string perfdata:string flapping:bool percent_state_change:double "
        "latency:double execution_time:double last_check:int64 next_check:int64 "
        "should_be_scheduled:bool check_attempt:int32 notification_number:int32 "
        "no_more_notifications:bool last_notification:int64 next_notification:int64 "
        "acknowledgement_type:enum scheduled_downtime_depth:int32 type:enum internal_id:uint64",
    ),
    _spec(
        "pb_host",
        1,
        30,
        3,
        "host_id:uint64 acknowledged:bool acknowledgement_type:enum active_checks:bool enabled:bool "
        "scheduled_downtime_depth:int32 check_command:string check_interval:int32 "
        "check_period:string check_type:enum check_attempt:int32 state:enum "
        "event_handler_enabled:bool event_handler:string execution_time:double flap_detection:bool "
        "checked:bool flapping:bool last_check:int64 last_hard_state:enum "
        "last_hard_state_change:int64 last_notification:int64 notification_number:int32 "
        "last_state_change:int64 last_time_down:int64 last_time_unreachable:int64 last_time_up:int64 "
        "last_update:int64 latency:double max_check_attempts:int32 next_check:int64 "
        "next_host_notification:int64 no_more_notifications:bool notify:bool output:string "
        "passive_checks:bool percent_state_change:double perfdata:string retry_interval:double "
        "should_be_scheduled:bool obsess_over_host:bool state_type:enum action_url:string "
        "address:string alias:string check_freshness:bool default_active_checks:bool "
        "default_event_handler_enabled:bool default_flap_detection:bool default_notify:bool "
        "default_passive_checks:bool display_name:string first_notification_delay:double "
        "flap_detection_on_down:bool flap_detection_on_unreachable:bool flap_detection_on_up:bool "
        "freshness_threshold:double high_flap_threshold:double name:string icon_image:string "
        "icon_image_alt:string instance_id:int32 low_flap_threshold:double notes:string "
        "notes_url:string notification_interval:double notification_period:string "
        "notify_on_down:bool notify_on_downtime:bool notify_on_flapping:bool notify_on_recovery:bool "
        "notify_on_unreachable:bool stalk_on_down:bool stalk_on_unreachable:bool stalk_on_up:bool "
        "statusmap_image:string retain_nonstatus_information:bool retain_status_information:bool "
        "timezone:string severity_id:uint64 tags:TagInfo:repeated icon_id:uint64",
    ),
    _spec(
        "pb_adaptive_host",
        1,
        31,
        3,
        "host_id:uint64 notify:bool:optional active_checks:bool:optional "
        "should_be_scheduled:bool:optional passive_checks:bool:optional "
        "event_handler_enabled:bool:optional flap_detection:bool:optional "
        "obsess_over_host:bool:optional event_handler:string:optional check_command:string:optional "
        "check_interval:uint32:optional retry_interval:uint32:optional "
        "max_check_attempts:uint32:optional check_freshness:bool:optional "
        "check_period:string:optional notification_period:string:optional",
    ),
    _spec(
        "pb_host_status",
        1,
        32,
        3,
        "host_id:uint64 checked:bool check_type:enum state:enum state_type:enum "
        "last_state_change:int64 last_hard_state:enum last_hard_state_change:int64 "
        "last_time_up:int64 last_time_down:int64 last_time_unreachable:int64 output:string "
        "long_output:string perfdata:string flapping:bool percent_state_change:double latency:double "
        "execution_time:double last_check:int64 next_check:int64 should_be_scheduled:bool "
        "check_attempt:int32 notification_number:int32 no_more_notifications:bool "
        "last_notification:int64 next_host_notification:int64 acknowledgement_type:enum "
        "scheduled_downtime_depth:int32",
    ),
    _spec(
        "pb_downtime",
        1,
        36,
        3,
        "id:uint64 instance_id:uint64 host_id:uint64 service_id:uint64 author:string "
        "comment_data:string type:enum duration:uint32 triggered_by:uint64 entry_time:int64 "
        "actual_start_time:uint64 actual_end_time:uint64 start_time:uint64 deletion_time:uint64 "
        "end_time:uint64 started:bool cancelled:bool fixed:bool",
    ),
    _spec(
        "pb_custom_variable",
        1,
        37,
        3,
        "header:BBDOHeader host_id:uint64 service_id:uint64 modified:bool name:string "
        "update_time:uint64 value:string default_value:string enabled:bool password:bool type:enum",
    ),
    _spec(
        "pb_instance_status",
        1,
        42,
        3,
        "header:BBDOHeader event_handlers:bool flap_detection:bool notifications:bool "
        "active_host_checks:bool active_service_checks:bool check_hosts_freshness:bool "
        "check_services_freshness:bool global_host_event_handler:string "
        "global_service_event_handler:string last_alive:uint64 last_command_check:int64 "
        "obsess_over_hosts:bool obsess_over_services:bool passive_host_checks:bool "
        "passive_service_checks:bool instance_id:uint64",
    ),
    _spec(
        "pb_instance",
        1,
        44,
        3,
        "header:BBDOHeader engine:string running:bool name:string pid:int64 instance_id:uint64 "
        "end_time:int64 start_time:int64 version:string",
    ),
    _spec(
        "pb_acknowledgement",
        1,
        45,
        3,
        "host_id:uint64 service_id:uint64 instance_id:uint64 type:enum author:string "
        "comment_data:string sticky:bool notify_contacts:bool entry_time:uint64 deletion_time:uint64 "
        "persistent_comment:bool state:uint32",
    ),
    _spec(
        "pb_host_group",
        1,
        49,
        3,
        "header:BBDOHeader enabled:bool hostgroup_id:uint64 name:string poller_id:uint64",
    ),
    _spec(
        "pb_host_group_member",
        1,
        50,
        3,
        "header:BBDOHeader enabled:bool hostgroup_id:uint64 name:string host_id:uint64 poller_id:uint64",
    ),
    _spec(
        "pb_service_group",
        1,
        51,
        3,
        "header:BBDOHeader enabled:bool servicegroup_id:uint64 name:string poller_id:uint64",
    ),
    _spec(
        "pb_service_group_member",
        1,
        52,
        3,
        "header:BBDOHeader enabled:bool servicegroup_id:uint64 name:string host_id:uint64 "
        "poller_id:uint64 service_id:uint64",
    ),
    _spec(
        "pb_adaptive_service_status",
        1,
        55,
        3,
        "host_id:uint64 service_id:uint64 type:enum internal_id:uint64 "
        "scheduled_downtime_depth:int32:optional acknowledgement_type:enum:optional "
        "notification_number:int32:optional",
    ),
    _spec(
        "pb_adaptive_host_status",
        1,
        56,
        3,
        "host_id:uint64 scheduled_downtime_depth:int32:optional acknowledgement_type:enum:optional "
        "notification_number:int32:optional",
    ),
    _spec(
        "pb_ba_status",
        6,
        19,
        3,
        "ba_id:uint32 in_downtime:bool last_state_change:uint64 level_acknowledgement:double "
        "level_downtime:double level_nominal:double state:enum state_changed:bool output:string",
    ),
    _spec(
        "pb_ba_event",
        6,
        20,
        3,
        "ba_id:uint32 first_level:double end_time:uint64 in_downtime:bool start_time:uint64 status:enum",
    ),
    _spec(
        "pb_severity",
        1,
        33,
        3,
        "id:uint64 action:enum level:uint32 icon_id:uint64 name:string type:enum poller_id:uint64",
    ),
    _spec(
        "pb_dimension_bv_event",
        6,
        22,
        3,
        "bv_id:uint32 bv_name:string bv_description:string",
    ),
    _spec(
        "pb_dimension_ba_bv_relation_event",
        6,
        23,
        3,
        "ba_id:uint32 bv_id:uint32",
    ),
    _spec(
        "pb_dimension_ba_event",
        6,
        25,
        3,
        "ba_id:uint32 ba_name:string ba_description:string sla_month_percent_crit:double "
        "sla_month_percent_warn:double sla_duration_crit:uint32 sla_duration_warn:uint32",
    ),
    _spec(
        "pb_dimension_truncate_table_signal",
        6,
        30,
        3,
        "update_started:bool",
    ),
    _spec(
        "host_status",
        1,
        14,
        2,
        "acknowledged:bool acknowledgement_type:short active_checks:bool check_interval:double "
        "check_period:string check_type:short check_attempt:short state:short "
        "scheduled_downtime_depth:short enabled:bool event_handler:string event_handler_enabled:bool "
        "execution_time:double flap_detection:bool checked:bool host_id:uint:z flapping:bool "
        "last_check:time:z last_hard_state:short last_hard_state_change:time:z "
        "last_notification:time:z last_state_change:time:z last_time_down:time:z "
        "last_time_unreachable:time:z last_time_up:time:z last_update:time:z latency:double "
        "max_check_attempts:short next_check:time:z no_more_notifications:bool "
        "notification_number:short notify:bool obsess_over_host:bool passive_checks:bool "
        "percent_state_change:double retry_interval:double should_be_scheduled:bool state_type:short "
        "check_command:string output:string perfdata:string",
    ),
    _spec(
        "service_status",
        1,
        24,
        2,
        "acknowledged:bool acknowledgement_type:short active_checks:bool check_interval:double "
        "check_period:string check_type:short check_attempt:short state:short "
        "scheduled_downtime_depth:short enabled:bool event_handler:string event_handler_enabled:bool "
        "execution_time:double flap_detection:bool checked:bool host_id:uint:z flapping:bool "
        "last_check:time:z last_hard_state:short last_hard_state_change:time:z "
        "last_notification:time:z last_state_change:time:z last_time_critical:time:z "
        "last_time_ok:time:z last_time_unknown:time:z last_time_warning:time:z last_update:time:z "
        "latency:double max_check_attempts:short next_check:time:z next_notification:time:z "
        "no_more_notifications:bool notification_number:short notify:bool obsess_over_service:bool "
        "passive_checks:bool percent_state_change:double retry_interval:double service_id:uint:z "
        "should_be_scheduled:bool state_type:short check_command:string output:string "
        "perfdata:string",
        wire_only="host_name:string service_description:string",
    ),
    _spec(
        "acknowledgement",
        1,
        1,
        2,
        "type:short author:string comment_data:string deletion_time:time:m entry_time:time:m "
        "host_id:uint:z instance_id:uint:z sticky:bool notify_contacts:bool persistent_comment:bool "
        "service_id:uint:z state:short",
    ),
    _spec(
        "downtime",
        1,
        5,
        2,
        "actual_end_time:time:m actual_start_time:time:m author:string type:short "
        "deletion_time:time:m duration:time end_time:time:m entry_time:time:m fixed:bool "
        "host_id:uint:z instance_id:uint:z internal_id:uint service_id:uint:z start_time:time:m "
        "triggered_by:uint:z cancelled:bool started:bool comment_data:string",
    ),
    _spec(
        "host",
        1,
        12,
        2,
        "acknowledged:bool acknowledgement_type:short action_url:string active_checks:bool "
        "address:string alias:string check_freshness:bool check_interval:double check_period:string "
        "check_type:short check_attempt:short state:short default_active_checks:bool "
        "default_event_handler_enabled:bool default_flap_detection:bool default_notify:bool "
        "default_passive_checks:bool scheduled_downtime_depth:short display_name:string enabled:bool "
        "event_handler:string event_handler_enabled:bool execution_time:double "
        "first_notification_delay:double flap_detection:bool flap_detection_on_down:bool "
        "flap_detection_on_unreachable:bool flap_detection_on_up:bool freshness_threshold:double "
        "checked:bool high_flap_threshold:double name:string host_id:uint:z icon_image:string "
        "icon_image_alt:string instance_id:uint:z flapping:bool last_check:time:z "
        "last_hard_state:short last_hard_state_change:time:z last_notification:time:z "
        "last_state_change:time:z last_time_down:time:z last_time_unreachable:time:z "
        "last_time_up:time:z last_update:time:z latency:double low_flap_threshold:double "
        "max_check_attempts:short next_check:time:z next_host_notification:time:z "
        "no_more_notifications:bool notes:string notes_url:string notification_interval:double "
        "notification_number:short notification_period:string notify:bool notify_on_down:bool "
        "notify_on_downtime:bool notify_on_flapping:bool notify_on_recovery:bool "
        "notify_on_unreachable:bool obsess_over_host:bool passive_checks:bool "
        "percent_state_change:double retry_interval:double should_be_scheduled:bool "
        "stalk_on_down:bool stalk_on_unreachable:bool stalk_on_up:bool statusmap_image:string "
        "state_type:short check_command:string output:string perfdata:string "
        "retain_nonstatus_information:bool retain_status_information:bool timezone:string",
    ),
    _spec(
        "service",
        1,
        23,
        2,
        "acknowledged:bool acknowledgement_type:short action_url:string active_checks:bool "
        "check_freshness:bool check_interval:double check_period:string check_type:short "
        "check_attempt:short state:short default_active_checks:bool "
        "default_event_handler_enabled:bool default_flap_detection:bool default_notify:bool "
        "default_passive_checks:bool scheduled_downtime_depth:short display_name:string enabled:bool "
        "event_handler:string event_handler_enabled:bool execution_time:double "
        "first_notification_delay:double flap_detection:bool flap_detection_on_critical:bool "
        "flap_detection_on_ok:bool flap_detection_on_unknown:bool flap_detection_on_warning:bool "
        "freshness_threshold:double checked:bool high_flap_threshold:double host_id:uint:z "
        "icon_image:string icon_image_alt:string service_id:uint:z flapping:bool volatile:bool "
        "last_check:time:z last_hard_state:short last_hard_state_change:time:z "
        "last_notification:time:z last_state_change:time:z last_time_critical:time:z "
        "last_time_ok:time:z last_time_unknown:time:z last_time_warning:time:z last_update:time:z "
        "latency:double low_flap_threshold:double max_check_attempts:short next_check:time:z "
        "next_notification:time:z no_more_notifications:bool notes:string notes_url:string "
        "notification_interval:double notification_number:short notification_period:string "
        "notify:bool notify_on_critical:bool notify_on_downtime:bool notify_on_flapping:bool "
        "notify_on_recovery:bool notify_on_unknown:bool notify_on_warning:bool "
        "obsess_over_service:bool passive_checks:bool percent_state_change:double "
        "retry_interval:double description:string should_be_scheduled:bool stalk_on_critical:bool "
        "stalk_on_ok:bool stalk_on_unknown:bool stalk_on_warning:bool state_type:short "
        "check_command:string output:string perfdata:string retain_nonstatus_information:bool "
        "retain_status_information:bool",
        wire_only="host_name:string",
    ),
    _spec(
        "host_group",
        1,
        10,
        2,
        "hostgroup_id:uint:z name:string",
        wire_only="enabled:bool poller_id:uint",
    ),
    _spec(
        "host_group_member",
        1,
        11,
        2,
        "hostgroup_id:uint:z host_id:uint:z",
        wire_only="enabled:bool group_name:string poller_id:uint",
    ),
    _spec(
        "service_group",
        1,
        21,
        2,
        "servicegroup_id:uint:z name:string",
        wire_only="enabled:bool poller_id:uint",
    ),
    _spec(
        "service_group_member",
        1,
        22,
        2,
        "servicegroup_id:uint:z host_id:uint:z service_id:uint:z",
        wire_only="enabled:bool group_name:string poller_id:uint",
    ),
    _spec(
        "instance",
        1,
        15,
        2,
        "engine:string instance_id:uint:z name:string running:bool pid:uint end_time:time:m "
        "start_time:time:m version:string",
    ),
    _spec(
        "custom_variable",
        1,
        3,
        2,
        "host_id:uint:z modified:bool name:string service_id:uint:z update_time:time:m type:short "
        "value:string default_value:string",
        wire_only="enabled:bool",
    ),
    _spec(
        "ba_status",
        6,
        1,
        2,
        "ba_id:uint in_downtime:bool last_state_change:time level_acknowledgement:double "
        "level_downtime:double level_nominal:double state:short state_changed:bool",
    ),
)

# BBDO 2 events that bbdo_fields.json does not list (the connector does not consume them, but a
# 22.10 Broker or a BBDO 2 Engine sends them).
_EXTRA = (
    _spec(
        "instance_status",
        1,
        16,
        2,
        "active_host_checks:bool active_service_checks:bool check_hosts_freshness:bool "
        "check_services_freshness:bool event_handlers:bool flap_detection:bool instance_id:uint:z "
        "last_alive:time last_command_check:time notifications:bool obsess_over_hosts:bool "
        "obsess_over_services:bool passive_host_checks:bool passive_service_checks:bool "
        "global_host_event_handler:string global_service_event_handler:string",
    ),
    _spec(
        "dimension_ba_event",
        6,
        7,
        2,
        "ba_id:uint ba_name:string ba_description:string sla_month_percent_crit:double "
        "sla_month_percent_warn:double sla_duration_crit:uint sla_duration_warn:uint",
    ),
    _spec("dimension_ba_bv_relation_event", 6, 9, 2, "ba_id:uint bv_id:uint"),
    _spec("dimension_bv_event", 6, 10, 2, "bv_id:uint bv_name:string bv_description:string"),
    _spec("dimension_truncate_table_signal", 6, 11, 2, "update_started:bool"),
)

SPECS: dict[str, EventSpec] = {spec.name: spec for spec in (*_SPECS, *_EXTRA)}
SPECS_BY_KEY: dict[tuple[int, int], EventSpec] = {(s.category, s.element): s for s in SPECS.values()}

_INTEGERS = frozenset(("uint64", "uint32", "int32", "int64", "enum", "uint", "short", "time"))


def default_value(field: Field) -> Any:
    """The value a field holds when nothing sets it (proto3 defaults; BBDO 2 "null" values)."""
    if field.flag == "repeated":
        return []
    if field.type == "BBDOHeader":
        return {"conf_version": 0}
    if field.type == "bool":
        return False
    if field.type == "string":
        return ""
    if field.type == "double":
        return 0.0
    if field.flag == "m":
        return -1
    if field.type in _INTEGERS:
        return 0
    raise ValueError(f"no default for type {field.type!r}")
