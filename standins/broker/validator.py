"""Stream validator: checks that a Broker event stream is well formed and self-consistent.

``check_stream(events)`` returns a list of problems (empty when the stream is fine). It checks:

* shapes: every event is a known (category, element) with ``_type`` right, its fields in
  declaration order with the right JSON types; BBDO 3 events carry every field (optional ones only
  when set); BBDO 2 events carry no unknown key and never a ``z``/``m`` field holding its invalid
  value (broker-events-json.md sections 3 and 4);
* references: every host, service, instance, group, severity and BA an event names was defined by
  an earlier event, and no status concerns a removed object;
* time: the clock the events carry never goes back (statuses of new check results, ack and
  downtime steps, heartbeats, instance starts, configuration updates);
* checks: soft/hard logic (SOFT below ``max_check_attempts``, HARD at it, ``last_hard_state_change``
  moving only on hard changes);
* acknowledgement and downtime lifecycles as cbmod emits them (section 5), including the status that
  must follow each step.

``truth_from_stream(events)`` replays a stream into the :class:`GroundTruth` it implies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from centreon_canopsis.standins.broker.fields import SPECS_BY_KEY, EventSpec
from centreon_canopsis.standins.broker.truth import BaTruth, GroundTruth, ObjectTruth

Event = dict[str, Any]

_UNSIGNED = frozenset(("uint64", "uint32", "uint"))
_INTEGER = frozenset(("uint64", "uint32", "int32", "int64", "enum", "uint", "short", "time"))
# BBDO 3 downtime times are uint64 and show Broker's null time as -1 (2^64-1 pushed as an integer).
_MINUS_ONE_OK = frozenset(("actual_start_time", "actual_end_time", "start_time", "deletion_time", "end_time"))
_MAX_PROBLEMS = 1000


@dataclass(slots=True)
class _ShapeRules:
    allowed: tuple[str, ...]
    required: frozenset[str]
    types: dict[str, tuple[str, str]]  # name -> (type, flag)


def _rules(spec: EventSpec) -> _ShapeRules:
    allowed = tuple(f.name for f in (*spec.fields, *spec.wire_only))
    if spec.bbdo == 3:
        required = frozenset(f.name for f in spec.fields if f.flag != "optional")
    else:
        required = frozenset(f.name for f in spec.fields if f.flag not in ("z", "m"))
    types = {f.name: (f.type, f.flag) for f in (*spec.fields, *spec.wire_only)}
    return _ShapeRules(allowed, required, types)


_RULES = {key: _rules(spec) for key, spec in SPECS_BY_KEY.items()}


def _type_problem(spec: EventSpec, name: str, typ: str, flag: str, value: Any) -> str | None:
    if flag == "repeated":
        if not isinstance(value, list) or not all(
            isinstance(t, dict) and type(t.get("id")) is int and type(t.get("type")) is int for t in value
        ):
            return f"{name} must be an array of {{id, type}}"
        return None
    if typ == "message:BBDOHeader":
        if not isinstance(value, dict) or type(value.get("conf_version")) is not int:
            return f"{name} must be {{'conf_version': int}}"
        return None
    if typ == "bool":
        return None if type(value) is bool else f"{name} must be a boolean, not {value!r}"
    if typ == "string":
        return None if type(value) is str else f"{name} must be a string, not {value!r}"
    if typ == "double":
        # Any JSON number: Lua coerces it by the declared type (broker-events-json.md section 2).
        return None if type(value) in (float, int) else f"{name} must be a number, not {value!r}"
    if typ in _INTEGER:
        if type(value) is not int:
            return f"{name} must be an integer, not {value!r}"
        if (
            typ in _UNSIGNED
            and value < 0
            and not (value == -1 and spec.name == "pb_downtime" and name in _MINUS_ONE_OK)
        ):
            return f"{name} is unsigned, not {value}"
        if flag == "z" and value == 0:
            return f"{name} must be absent when 0 (BBDO 2 invalid_on_zero)"
        if flag == "m" and value == -1:
            return f"{name} must be absent when -1 (BBDO 2 invalid_on_minus_one)"
        return None
    return f"{name} has an unknown type {typ}"


def shape_problems(event: Event) -> tuple[EventSpec | None, list[str]]:
    """The spec of ``event`` and what is wrong with its shape."""
    category, element = event.get("category"), event.get("element")
    spec = SPECS_BY_KEY.get((category, element))  # type: ignore[arg-type]
    if spec is None:
        return None, [f"unknown event {category}:{element}"]
    problems = []
    keys = list(event)
    if keys[:3] != ["_type", "category", "element"]:
        problems.append("must start with _type, category, element")
    if event.get("_type") != spec.type_id:
        problems.append(f"_type must be {spec.type_id}, not {event.get('_type')!r}")
    rules = _RULES[(category, element)]  # type: ignore[index]
    names = keys[3:]
    unknown = [n for n in names if n not in rules.types]
    if unknown:
        problems.append(f"unknown fields {unknown}")
    missing = [n for n in rules.allowed if n in rules.required and n not in event]
    if missing:
        problems.append(f"missing fields {missing}")
    if not unknown and names != [n for n in rules.allowed if n in event]:
        problems.append("fields out of declaration order")
    for name in names:
        if name in rules.types:
            typ, flag = rules.types[name]
            problem = _type_problem(spec, name, typ, flag, event[name])
            if problem:
                problems.append(problem)
    return spec, problems


# -- replay state ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Object:
    host_id: int
    service_id: int
    name: str
    poller_id: int
    max_check_attempts: int
    enabled: bool = True
    checked: bool = False
    state: int = 4
    state_type: int = 1
    check_attempt: int = 1
    last_check: int = 0
    last_hard_state: int = 0
    last_hard_state_change: int = 0
    ack_type: int = 0
    depth: int = 0
    flapping: bool = False
    running: set[int] = field(default_factory=set)  # downtime ids started, not stopped
    scheduled: set[int] = field(default_factory=set)  # downtime ids added, not started


@dataclass(slots=True)
class _Ack:
    entry_time: int
    sticky: bool
    state: int
    author: str
    comment: str


@dataclass(slots=True)
class _Downtime:
    step: str
    key: tuple[int, int]  # (host_id, service_id)
    entry_time: int
    start_time: int
    end_time: int
    actual_start_time: int
    cancelled: bool


@dataclass(slots=True)
class _Ba:
    name: str
    state: int = -1
    level_nominal: float = 100.0
    in_downtime: bool = False


# An expectation on the very next event: (description, predicate).
_Expectation = tuple[str, Callable[[Event], bool]]

_HOST_NAMES = ("host", "pb_host")
_SERVICE_NAMES = ("service", "pb_service")


class StreamChecker:
    """Feed events one by one; read ``problems`` and ``truth()`` at the end."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.count = 0
        self.now = 0
        self.instances: dict[int, str] = {}
        self.severities: set[tuple[int, int]] = set()
        self.hosts: dict[int, _Object] = {}
        self.services: dict[tuple[int, int], _Object] = {}
        self.known_services: set[tuple[int, int]] = set()
        self.host_groups: dict[int, str] = {}
        self.service_groups: dict[int, str] = {}
        self.bvs: set[int] = set()
        self.bas: dict[int, _Ba] = {}
        self.acks: dict[tuple[int, int], _Ack] = {}  # what cbmod remembers
        self.downtimes: dict[tuple[int, int], _Downtime] = {}  # (instance_id, id)
        self.finished_downtimes: set[tuple[int, int]] = set()
        self.expect: _Expectation | None = None
        # The object whose acknowledgement removal cbmod sends next, and the one it may send now.
        self._removal_due: tuple[int, int] | None = None
        self._removal_allowed: tuple[int, int] | None = None
        self._label = ""
        self._dispatch: dict[str, Callable[[Event], None]] = {
            "instance": self._instance,
            "pb_instance": self._instance,
            "instance_status": self._instance_status,
            "pb_instance_status": self._instance_status,
            "pb_severity": self._severity,
            "host": self._host,
            "pb_host": self._host,
            "service": self._service,
            "pb_service": self._service,
            "custom_variable": self._custom_variable,
            "pb_custom_variable": self._custom_variable,
            "host_group": self._host_group,
            "pb_host_group": self._host_group,
            "host_group_member": self._host_group_member,
            "pb_host_group_member": self._host_group_member,
            "service_group": self._service_group,
            "pb_service_group": self._service_group,
            "service_group_member": self._service_group_member,
            "pb_service_group_member": self._service_group_member,
            "host_status": self._status,
            "pb_host_status": self._status,
            "service_status": self._status,
            "pb_service_status": self._status,
            "pb_adaptive_host_status": self._adaptive_status,
            "pb_adaptive_service_status": self._adaptive_status,
            "acknowledgement": self._acknowledgement,
            "pb_acknowledgement": self._acknowledgement,
            "downtime": self._downtime,
            "pb_downtime": self._downtime,
            "dimension_truncate_table_signal": self._truncate,
            "pb_dimension_truncate_table_signal": self._truncate,
            "dimension_bv_event": self._bv,
            "pb_dimension_bv_event": self._bv,
            "dimension_ba_event": self._ba,
            "pb_dimension_ba_event": self._ba,
            "dimension_ba_bv_relation_event": self._ba_bv,
            "pb_dimension_ba_bv_relation_event": self._ba_bv,
            "ba_status": self._ba_status,
            "pb_ba_status": self._ba_status,
        }

    # -- driver ----------------------------------------------------------------------------------

    def problem(self, text: str) -> None:
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(f"event {self.count} ({self._label}): {text}")

    def feed(self, event: Event) -> None:
        self.count += 1
        spec, problems = shape_problems(event)
        self._label = spec.name if spec else f"{event.get('category')}:{event.get('element')}"
        for text in problems:
            self.problem(text)
        if spec is None:
            return
        expectation, self.expect = self.expect, None
        self._removal_allowed, self._removal_due = self._removal_due, None
        if expectation is not None and not expectation[1](event):
            self.problem(f"expected {expectation[0]}")
        handler = self._dispatch.get(spec.name)
        if handler is not None:
            handler(event)

    def tick(self, when: int, what: str) -> None:
        """``when`` is the current time according to the event: it must not go back."""
        if when < self.now:
            self.problem(f"time goes back: {what} {when} < {self.now}")
        else:
            self.now = when

    # -- lookups ---------------------------------------------------------------------------------

    def _object(self, event: Event, *, service: bool | None = None, live: bool = True) -> _Object | None:
        host_id = event.get("host_id", 0)
        service_id = event.get("service_id", 0)
        if service is False:
            service_id = 0
        if service_id:
            obj = self.services.get((host_id, service_id))
            if obj is None:
                self.problem(f"service {host_id}:{service_id} is not defined")
                return None
        else:
            obj = self.hosts.get(host_id)
            if obj is None:
                self.problem(f"host {host_id} is not defined")
                return None
        if live and not obj.enabled:
            self.problem(f"{'service' if service_id else 'host'} {host_id}:{service_id} was removed")
        return obj

    def _instance_known(self, instance_id: int) -> None:
        if instance_id not in self.instances:
            self.problem(f"instance {instance_id} is not defined")

    # -- pollers and configuration ---------------------------------------------------------------

    def _instance(self, event: Event) -> None:
        instance_id = event.get("instance_id", 0)
        running = event["running"]
        if running:
            self.tick(event.get("start_time", -1), "start_time")
            self.instances[instance_id] = event["name"]
            # A new cbmod process: it remembers no acknowledgement.
            for key in [k for k in self.acks if self._poller_of(k) == instance_id]:
                del self.acks[key]
        else:
            self._instance_known(instance_id)
            self.tick(event.get("end_time", -1), "end_time")

    def _poller_of(self, key: tuple[int, int]) -> int:
        host = self.hosts.get(key[0])
        return host.poller_id if host else 0

    def _instance_status(self, event: Event) -> None:
        self._instance_known(event.get("instance_id", 0))
        self.tick(event["last_alive"], "last_alive")

    def _severity(self, event: Event) -> None:
        self._instance_known(event["poller_id"])
        self.severities.add((event["id"], event["type"]))

    def _check_severity(self, event: Event, kind: int) -> None:
        severity_id = event.get("severity_id", 0)
        if severity_id and (severity_id, kind) not in self.severities:
            self.problem(f"severity {severity_id} of type {kind} is not defined")

    def _config_state(self, obj: _Object, event: Event) -> None:
        obj.checked = event["checked"]
        obj.state = event["state"]
        obj.state_type = event["state_type"]
        obj.check_attempt = event["check_attempt"]
        obj.last_check = event.get("last_check", 0)
        obj.last_hard_state = event["last_hard_state"]
        obj.last_hard_state_change = event.get("last_hard_state_change", 0)
        obj.ack_type = event["acknowledgement_type"]
        obj.depth = event["scheduled_downtime_depth"]
        obj.flapping = event["flapping"]
        obj.max_check_attempts = event["max_check_attempts"]

    def _host(self, event: Event) -> None:
        host_id = event.get("host_id", 0)
        instance_id = event.get("instance_id", 0)
        self._instance_known(instance_id)
        self._check_severity(event, 1)
        if "last_update" in event:
            self.tick(event["last_update"], "last_update")
        obj = self.hosts.get(host_id)
        if obj is None:
            obj = _Object(host_id, 0, event["name"], instance_id, event["max_check_attempts"])
            self.hosts[host_id] = obj
        obj.name = event["name"]
        obj.poller_id = instance_id
        obj.enabled = event["enabled"]
        self._config_state(obj, event)

    def _service(self, event: Event) -> None:
        host_id = event.get("host_id", 0)
        service_id = event.get("service_id", 0)
        host = self.hosts.get(host_id)
        if host is None:
            self.problem(f"host {host_id} is not defined")
            return
        self._check_severity(event, 0)
        if "last_update" in event:
            self.tick(event["last_update"], "last_update")
        key = (host_id, service_id)
        obj = self.services.get(key)
        if obj is None:
            obj = _Object(
                host_id, service_id, event["description"], host.poller_id, event["max_check_attempts"]
            )
            self.services[key] = obj
            self.known_services.add(key)
        obj.name = event["description"]
        obj.enabled = event["enabled"]
        self._config_state(obj, event)

    def _custom_variable(self, event: Event) -> None:
        enabled = event.get("enabled", True)
        self._object(event, live=enabled)
        if event.get("type") != (1 if event.get("service_id", 0) else 0):
            self.problem("type must be 1 for a service variable, 0 for a host one")
        self.tick(event.get("update_time", -1), "update_time")

    def _host_group(self, event: Event) -> None:
        if "poller_id" in event:
            self._instance_known(event["poller_id"])
        self.host_groups[event.get("hostgroup_id", 0)] = event["name"]

    def _host_group_member(self, event: Event) -> None:
        group_id = event.get("hostgroup_id", 0)
        name = event.get("name", event.get("group_name"))
        if group_id not in self.host_groups:
            self.problem(f"host group {group_id} is not defined")
        elif name is not None and name != self.host_groups[group_id]:
            self.problem(f"host group {group_id} is named {self.host_groups[group_id]!r}, not {name!r}")
        self._object(event, service=False, live=event.get("enabled", True))

    def _service_group(self, event: Event) -> None:
        if "poller_id" in event:
            self._instance_known(event["poller_id"])
        self.service_groups[event.get("servicegroup_id", 0)] = event["name"]

    def _service_group_member(self, event: Event) -> None:
        group_id = event.get("servicegroup_id", 0)
        name = event.get("name", event.get("group_name"))
        if group_id not in self.service_groups:
            self.problem(f"service group {group_id} is not defined")
        elif name is not None and name != self.service_groups[group_id]:
            self.problem(f"service group {group_id} is named {self.service_groups[group_id]!r}, not {name!r}")
        if not event.get("service_id"):
            self.problem("a service group member needs a service_id")
            return
        self._object(event, live=event.get("enabled", True))

    # -- status ----------------------------------------------------------------------------------

    def _status(self, event: Event) -> None:
        obj = self._object(event, service="service_status" in self._label)
        if obj is None:
            return
        checked = event["checked"]
        state = event["state"]
        state_type = event["state_type"]
        attempt = event["check_attempt"]
        last_check = event.get("last_check", 0)
        lhs = event["last_hard_state"]
        lhsc = event.get("last_hard_state_change", 0)
        if "max_check_attempts" in event:
            obj.max_check_attempts = event["max_check_attempts"]
        if "last_update" in event:
            self.tick(event["last_update"], "last_update")
        if not checked:
            if state != 4 or state_type != 1:
                self.problem("a never-checked object must show state 4 (pending), HARD")
        elif last_check > obj.last_check:
            if "last_update" not in event:
                self.tick(last_check, "last_check")
            self._check_logic(obj, state, state_type, attempt, last_check, lhs, lhsc)
        elif (state, state_type, attempt, last_check, lhsc) != (
            obj.state,
            obj.state_type,
            obj.check_attempt,
            obj.last_check,
            obj.last_hard_state_change,
        ):
            self.problem("a status without a new check result must repeat the last one")
        obj.checked = checked
        obj.state = state
        obj.state_type = state_type
        obj.check_attempt = attempt
        obj.last_check = last_check
        obj.last_hard_state = lhs
        obj.last_hard_state_change = lhsc
        obj.flapping = event["flapping"]
        self._attributes(obj, event["acknowledgement_type"], event["scheduled_downtime_depth"], state)

    def _check_logic(
        self, obj: _Object, state: int, state_type: int, attempt: int, last_check: int, lhs: int, lhsc: int
    ) -> None:
        """One new check result against the previous one (Engine's soft/hard rules)."""
        limit = obj.max_check_attempts
        if state == 0:
            if state_type != 1 or attempt != 1 or lhs != 0:
                self.problem("an OK result is HARD, attempt 1, last_hard_state 0")
        elif state_type == 0:
            if not 1 <= attempt < limit:
                self.problem(f"SOFT problem at attempt {attempt} of {limit}")
            expected = obj.check_attempt + 1 if obj.checked and obj.state != 0 and obj.state_type == 0 else 1
            if attempt != expected:
                self.problem(f"SOFT problem at attempt {attempt}, expected {expected}")
            if obj.checked and lhs != obj.last_hard_state:
                self.problem("last_hard_state changed without a hard change")
        elif attempt != limit or lhs != state:
            self.problem(f"HARD problem at attempt {attempt} of {limit} with last_hard_state {lhs}")
        if not obj.checked:
            hard_change = True
        elif state_type == 0:
            hard_change = False
        elif obj.state_type == 0:
            hard_change = state != 0  # SOFT then HARD problem; a soft recovery is no hard change
        else:
            hard_change = state != obj.state
        expected_lhsc = last_check if hard_change else obj.last_hard_state_change
        if lhsc != expected_lhsc:
            what = "a hard change" if hard_change else "no hard change"
            self.problem(f"last_hard_state_change {lhsc} after {what}, expected {expected_lhsc}")

    def _adaptive_status(self, event: Event) -> None:
        obj = self._object(event)
        if obj is None:
            return
        ack_type = event.get("acknowledgement_type", obj.ack_type)
        depth = event.get("scheduled_downtime_depth", obj.depth)
        self._attributes(obj, ack_type, depth, obj.state)

    def _attributes(self, obj: _Object, ack_type: int, depth: int, state: int) -> None:
        obj.ack_type = ack_type
        obj.depth = depth
        if depth != len(obj.running):
            self.problem(f"scheduled_downtime_depth {depth} but {len(obj.running)} downtimes running")
        key = (obj.host_id, obj.service_id)
        remembered = self.acks.get(key)
        if ack_type == 0 and remembered is not None:
            del self.acks[key]
            if state != 0 and (remembered.sticky or state == remembered.state):
                entry_time = remembered.entry_time

                def removal(event: Event) -> bool:
                    return (
                        event.get("element") in (1, 45)
                        and event.get("category") == 1
                        and (event.get("host_id", 0), event.get("service_id", 0)) == key
                        and event.get("entry_time") == entry_time
                        and event.get("deletion_time", 0) > 0
                    )

                self.expect = (f"the removal of the acknowledgement of {key[0]}:{key[1]}", removal)
                self._removal_due = key
                self.acks[key] = remembered  # consumed by the removal event

    # -- acknowledgements ------------------------------------------------------------------------

    def _acknowledgement(self, event: Event) -> None:
        obj = self._object(event)
        if obj is None:
            return
        key = (obj.host_id, obj.service_id)
        self._instance_known(event.get("instance_id", 0))
        if event["type"] != (1 if obj.service_id else 0):
            self.problem("acknowledgement type must be 1 for a service, 0 for a host")
        deletion_time = event.get("deletion_time", 0)
        if deletion_time == -1 or not deletion_time:
            self.tick(event.get("entry_time", -1), "entry_time")
            if obj.state in (0, 4):
                self.problem("acknowledgement of an object that is OK or pending")
            if event["state"] != obj.state:
                self.problem(f"acknowledged state {event['state']} is not the current state {obj.state}")
            self.acks[key] = _Ack(
                event.get("entry_time", -1),
                event["sticky"],
                event["state"],
                event["author"],
                event["comment_data"],
            )
            wanted = 2 if event["sticky"] else 1

            def shows_ack(next_event: Event) -> bool:
                return (
                    next_event.get("category") == 1
                    and next_event.get("element") in (14, 24, 29, 32, 55, 56)
                    and (next_event.get("host_id", 0), next_event.get("service_id", 0)) == key
                    and next_event.get("acknowledgement_type") == wanted
                )

            self.expect = (f"a status of {key[0]}:{key[1]} with acknowledgement_type {wanted}", shows_ack)
            return
        self.tick(deletion_time, "deletion_time")
        if self._removal_allowed != key:
            self.problem("an acknowledgement removal must follow a status without that acknowledgement")
        remembered = self.acks.pop(key, None)
        if remembered is None:
            self.problem("removal of an acknowledgement cbmod does not remember")
            return
        same = (
            remembered.entry_time,
            remembered.sticky,
            remembered.state,
            remembered.author,
            remembered.comment,
        )
        if same != (
            event.get("entry_time", -1),
            event["sticky"],
            event["state"],
            event["author"],
            event["comment_data"],
        ):
            self.problem("an acknowledgement removal must repeat the acknowledgement event")

    # -- downtimes -------------------------------------------------------------------------------

    def _downtime(self, event: Event) -> None:
        obj = self._object(event)
        if obj is None:
            return
        instance_id = event.get("instance_id", 0)
        self._instance_known(instance_id)
        downtime_id = event["id"] if "id" in event else event["internal_id"]
        dkey = (instance_id, downtime_id)
        okey = (obj.host_id, obj.service_id)
        if event["type"] != (1 if obj.service_id else 2):
            self.problem("downtime type must be 1 for a service, 2 for a host")
        start = event.get("actual_start_time", -1)
        end = event.get("actual_end_time", -1)
        deletion = event.get("deletion_time", -1)
        started, cancelled = event["started"], event["cancelled"]
        entry_time = event.get("entry_time", -1)
        record = self.downtimes.get(dkey)
        if record is None:
            if dkey in self.finished_downtimes:
                self.problem(f"downtime {downtime_id} was already deleted")
            if (start, end, deletion, started, cancelled) != (-1, -1, -1, False, False):
                self.problem(f"downtime {downtime_id} must be added before it starts or ends")
                return
            self.tick(entry_time, "entry_time")
            if event.get("start_time", -1) < entry_time or event.get("end_time", -1) <= event.get(
                "start_time", -1
            ):
                self.problem("a downtime must start after its entry and end after its start")
            self.downtimes[dkey] = _Downtime(
                "ADD", okey, entry_time, event.get("start_time", -1), event.get("end_time", -1), -1, False
            )
            obj.scheduled.add(downtime_id)
            return
        if (okey, entry_time, event.get("start_time", -1), event.get("end_time", -1)) != (
            record.key,
            record.entry_time,
            record.start_time,
            record.end_time,
        ):
            self.problem(f"downtime {downtime_id} changed its object, entry, start or end time")
        if record.step == "ADD" and started:
            if (end, deletion, cancelled) != (-1, -1, False) or start == -1:
                self.problem(
                    "START: actual_start_time set, actual_end_time and deletion_time -1, not cancelled"
                )
            self.tick(start, "actual_start_time")
            record.step, record.actual_start_time = "START", start
            obj.scheduled.discard(downtime_id)
            obj.running.add(downtime_id)
            self._expect_depth(okey, len(obj.running))
        elif record.step == "ADD":
            if (start, end, started, cancelled) != (-1, -1, False, True) or deletion == -1:
                self.problem("DELETE before start: never started, cancelled, only deletion_time set")
            self.tick(deletion, "deletion_time")
            obj.scheduled.discard(downtime_id)
            self._finish(dkey)
        elif record.step == "START":
            if (start, started, deletion) != (record.actual_start_time, True, -1) or end == -1:
                self.problem("STOP: same actual_start_time, actual_end_time set, started, deletion_time -1")
            self.tick(end, "actual_end_time")
            record.step, record.cancelled = "STOP", cancelled
            obj.running.discard(downtime_id)
            self._expect_depth(okey, len(obj.running))
        elif record.step == "STOP":
            if (start, started, cancelled) != (
                record.actual_start_time,
                True,
                record.cancelled,
            ) or deletion == -1:
                self.problem("DELETE after STOP: same start and cancelled flag, deletion_time set")
            if end == -1:
                self.problem("DELETE after STOP keeps actual_end_time")
            self.tick(deletion, "deletion_time")
            self._finish(dkey)

    def _finish(self, dkey: tuple[int, int]) -> None:
        del self.downtimes[dkey]
        self.finished_downtimes.add(dkey)

    def _expect_depth(self, key: tuple[int, int], depth: int) -> None:
        def shows_depth(event: Event) -> bool:
            return (
                event.get("category") == 1
                and event.get("element") in (14, 24, 29, 32, 55, 56)
                and (event.get("host_id", 0), event.get("service_id", 0)) == key
                and event.get("scheduled_downtime_depth") == depth
            )

        self.expect = (f"a status of {key[0]}:{key[1]} with scheduled_downtime_depth {depth}", shows_depth)

    # -- BAM -------------------------------------------------------------------------------------

    def _truncate(self, event: Event) -> None:
        if event["update_started"]:
            self.bvs.clear()
            self.bas.clear()

    def _bv(self, event: Event) -> None:
        self.bvs.add(event["bv_id"])

    def _ba(self, event: Event) -> None:
        self.bas[event["ba_id"]] = _Ba(event["ba_name"])

    def _ba_bv(self, event: Event) -> None:
        if event["ba_id"] not in self.bas:
            self.problem(f"BA {event['ba_id']} is not defined")
        if event["bv_id"] not in self.bvs:
            self.problem(f"BV {event['bv_id']} is not defined")

    def _ba_status(self, event: Event) -> None:
        ba = self.bas.get(event["ba_id"])
        if ba is None:
            self.problem(f"BA {event['ba_id']} is not defined")
            return
        state = event["state"]
        if ba.state >= 0 and event["state_changed"] != (state != ba.state):
            self.problem(f"state_changed {event['state_changed']} but state {ba.state} -> {state}")
        if event["state_changed"]:
            self.tick(event["last_state_change"], "last_state_change")
        ba.state = state
        ba.level_nominal = event["level_nominal"]
        ba.in_downtime = event["in_downtime"]

    # -- result ----------------------------------------------------------------------------------

    def finish(self) -> list[str]:
        if self.expect is not None:
            self.count += 1
            self._label = "end of stream"
            self.problem(f"expected {self.expect[0]}")
            self.expect = None
        return self.problems

    def truth(self) -> GroundTruth:
        def object_truth(obj: _Object, host_name: str) -> ObjectTruth:
            return ObjectTruth(
                host_id=obj.host_id,
                service_id=obj.service_id,
                name=obj.name,
                host_name=host_name,
                poller_id=obj.poller_id,
                state=obj.state if obj.checked else 4,
                state_type=obj.state_type,
                last_hard_state=obj.last_hard_state,
                last_hard_state_change=obj.last_hard_state_change,
                last_check=obj.last_check,
                acknowledged=obj.ack_type != 0,
                acknowledgement_type=obj.ack_type,
                scheduled_downtime_depth=obj.depth,
                downtimes=tuple(sorted(obj.running)),
                scheduled_downtimes=tuple(sorted(obj.scheduled)),
                flapping=obj.flapping,
            )

        hosts = {k: object_truth(o, o.name) for k, o in self.hosts.items() if o.enabled}
        services = {
            k: object_truth(o, self.hosts[k[0]].name) for k, o in sorted(self.services.items()) if o.enabled
        }
        removed = tuple(sorted(k for k, o in self.services.items() if not o.enabled))
        bas = {k: BaTruth(k, b.name, b.state, b.level_nominal, b.in_downtime) for k, b in self.bas.items()}
        return GroundTruth(
            time=self.now,
            pollers=dict(self.instances),
            hosts=dict(sorted(hosts.items())),
            services=services,
            bas=dict(sorted(bas.items())),
            removed_services=removed,
        )


def check_stream(events: Iterable[Event]) -> list[str]:
    """Problems found in a stream of event dicts (empty list: the stream is consistent)."""
    checker = StreamChecker()
    for event in events:
        checker.feed(event)
    return checker.finish()


def truth_from_stream(events: Iterable[Event]) -> GroundTruth:
    """The ground truth a stream implies, rebuilt from its events alone."""
    checker = StreamChecker()
    for event in events:
        checker.feed(event)
    checker.finish()
    return checker.truth()
