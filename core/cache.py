"""Names of things, learnt from the configuration events of the stream, kept across restarts.

Broker sends hosts, services, groups, pollers and BAM dimensions only when an Engine starts or
reloads, so this cache is persisted: a restarted connector still knows every name. It is fed the
way Broker feeds its own Lua cache (broker-events-json.md section 6): host and service events,
group *member* events (which carry the group name), instances, ``CRITICALITY_LEVEL`` custom
variables, severities and BAM dimension events, in BBDO 2 and BBDO 3 forms; ``enabled = false``
removes an object. Status events update the current state of cached objects in memory only
(they are frequent, and the next check brings them back after a restart).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any

import orjson

from centreon_canopsis.core.elements import Element

log = logging.getLogger(__name__)

HOST_FIELDS = (
    "host_id",
    "name",
    "alias",
    "address",
    "display_name",
    "instance_id",
    "notes",
    "notes_url",
    "action_url",
    "icon_image",
    "timezone",
    "severity_id",
    "max_check_attempts",
    "tags",
)
SERVICE_FIELDS = (
    "host_id",
    "service_id",
    "description",
    "display_name",
    "notes",
    "notes_url",
    "action_url",
    "icon_image",
    "severity_id",
    "type",
    "internal_id",
    "max_check_attempts",
    "tags",
)
STATUS_FIELDS = (
    "state",
    "state_type",
    "last_check",
    "last_hard_state",
    "last_hard_state_change",
    "last_state_change",
    "acknowledgement_type",
    "acknowledged",
    "scheduled_downtime_depth",
    "flapping",
    "last_time_up",
    "last_time_down",
    "last_time_unreachable",
    "last_time_ok",
    "last_time_warning",
    "last_time_critical",
    "last_time_unknown",
)
CRITICALITY = "CRITICALITY_LEVEL"
#: ``pb_tag`` types that are categories (the others are groups, known from their own events).
CATEGORY_TAG_TYPES = {2: "service", 3: "host"}

ServiceKey = tuple[int, int]


def _int(value: Any) -> int:
    """Ids arrive as ints, occasionally as strings or floats (BBDO 2 JSON dumps)."""
    if value.__class__ is int:  # the usual case, on every event: no conversion
        return value
    return int(value) if value not in (None, "") else 0


class Cache:
    """The name cache. Mutated by the pipeline thread only; persisted with :meth:`save`."""

    def __init__(self) -> None:
        self.instances: dict[int, str] = {}
        self.hosts: dict[int, dict[str, Any]] = {}
        self.services: dict[ServiceKey, dict[str, Any]] = {}
        self.hostgroups: dict[int, str] = {}
        self.servicegroups: dict[int, str] = {}
        self.host_members: dict[int, dict[int, str]] = {}
        self.service_members: dict[ServiceKey, dict[int, str]] = {}
        self.severities: dict[tuple[int, int], dict[str, Any]] = {}  # (type, id); type 1 host, 0 service
        self.criticality: dict[ServiceKey, int] = {}  # (host_id, service_id or 0) -> level
        self.bas: dict[int, dict[str, Any]] = {}
        self.bvs: dict[int, dict[str, Any]] = {}
        self.ba_bvs: dict[int, list[int]] = {}
        #: Custom variables a plugin asked for (:attr:`keep_custom_variable`), per (host, service).
        self.custom_vars: dict[ServiceKey, dict[str, str]] = {}
        self.tags: dict[tuple[int, int], str] = {}  # (type, id) -> name, from pb_tag
        #: Which custom variables to keep besides CRITICALITY_LEVEL; None keeps none (the default:
        #: Broker sends many). Set by a plugin in ``connector_configure`` (contrib.enrich).
        self.keep_custom_variable: Callable[[str], bool] | None = None
        self._group_names: dict[Any, list[str]] = {}
        self._dirty: set[tuple[str, Any]] = set()
        self._handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "instance": self._instance,
            "pb_instance": self._instance,
            "host": self._host,
            "pb_host": self._host,
            "pb_adaptive_host": self._host_status,
            "host_status": self._host_status,
            "pb_host_status": self._host_status,
            "pb_adaptive_host_status": self._host_status,
            "service": self._service,
            "pb_service": self._service,
            "pb_adaptive_service": self._service_status,
            "service_status": self._service_status,
            "pb_service_status": self._service_status,
            "pb_adaptive_service_status": self._service_status,
            "host_group": self._hostgroup,
            "pb_host_group": self._hostgroup,
            "host_group_member": self._host_member,
            "pb_host_group_member": self._host_member,
            "service_group": self._servicegroup,
            "pb_service_group": self._servicegroup,
            "service_group_member": self._service_member,
            "pb_service_group_member": self._service_member,
            "pb_severity": self._severity,
            "custom_variable": self._custom_variable,
            "pb_custom_variable": self._custom_variable,
            "pb_tag": self._tag,
            "dimension_ba_event": self._ba,
            "pb_dimension_ba_event": self._ba,
            "dimension_bv_event": self._bv,
            "pb_dimension_bv_event": self._bv,
            "dimension_ba_bv_relation_event": self._ba_bv,
            "pb_dimension_ba_bv_relation_event": self._ba_bv,
            "dimension_truncate_table_signal": self._truncate,
            "pb_dimension_truncate_table_signal": self._truncate,
        }

    # -- feeding ---------------------------------------------------------------------------

    def handler_for(self, element: Element) -> Callable[[dict[str, Any]], None] | None:
        """The method that learns from events of this type, or None (resolved once per type)."""
        return self._handlers.get(element.name)

    def observe(self, event: dict[str, Any], element: Element) -> None:
        handler = self._handlers.get(element.name)
        if handler is not None:
            handler(event)

    def _instance(self, event: dict[str, Any]) -> None:
        poller = _int(event.get("instance_id"))
        name = event.get("name")
        if poller and name and self.instances.get(poller) != name:
            self.instances[poller] = name
            self._dirty.add(("instance", poller))

    def _host(self, event: dict[str, Any]) -> None:
        host_id = _int(event.get("host_id"))
        if not host_id:
            return
        if event.get("enabled", True) is False:
            if self.hosts.pop(host_id, None) is not None:
                self._dirty.add(("host", host_id))
            return
        record = self.hosts.setdefault(host_id, {})
        before = {key: record.get(key) for key in HOST_FIELDS}
        for key in HOST_FIELDS:
            if key in event:
                record[key] = event[key]
        record["host_id"] = host_id
        self._copy_status(record, event)
        if any(record.get(key) != before[key] for key in HOST_FIELDS):
            self._dirty.add(("host", host_id))

    def _host_status(self, event: dict[str, Any]) -> None:
        record = self.hosts.get(_int(event.get("host_id")))
        if record is not None:
            self._copy_status(record, event)

    def _service(self, event: dict[str, Any]) -> None:
        key = (_int(event.get("host_id")), _int(event.get("service_id")))
        if not key[0] or not key[1]:
            return
        if event.get("enabled", True) is False:
            if self.services.pop(key, None) is not None:
                self._dirty.add(("service", key))
            return
        record = self.services.setdefault(key, {})
        before = {field: record.get(field) for field in SERVICE_FIELDS}
        for field in SERVICE_FIELDS:
            if field in event:
                record[field] = event[field]
        record["host_id"], record["service_id"] = key
        self._copy_status(record, event)
        if any(record.get(field) != before[field] for field in SERVICE_FIELDS):
            self._dirty.add(("service", key))

    def _service_status(self, event: dict[str, Any]) -> None:
        record = self.services.get((_int(event.get("host_id")), _int(event.get("service_id"))))
        if record is not None:
            self._copy_status(record, event)

    @staticmethod
    def _copy_status(record: dict[str, Any], event: dict[str, Any]) -> None:
        for field in STATUS_FIELDS:
            if field in event:
                record[field] = event[field]

    def _hostgroup(self, event: dict[str, Any]) -> None:
        self._group(event, "hostgroup_id", self.hostgroups, "hostgroup")

    def _servicegroup(self, event: dict[str, Any]) -> None:
        self._group(event, "servicegroup_id", self.servicegroups, "servicegroup")

    def _group(self, event: dict[str, Any], id_field: str, names: dict[int, str], kind: str) -> None:
        group_id = _int(event.get(id_field))
        if not group_id:
            return
        if event.get("enabled", True) is False:
            if names.pop(group_id, None) is not None:
                self._dirty.add((kind, group_id))
        elif event.get("name") and names.get(group_id) != event["name"]:
            names[group_id] = event["name"]
            self._dirty.add((kind, group_id))

    def _host_member(self, event: dict[str, Any]) -> None:
        host_id = _int(event.get("host_id"))
        group_id = _int(event.get("hostgroup_id"))
        if host_id and group_id:
            name = self._member_group_name(event, group_id, self.hostgroups)
            self._member(self.host_members, host_id, group_id, name, event, "host_member")

    def _service_member(self, event: dict[str, Any]) -> None:
        key = (_int(event.get("host_id")), _int(event.get("service_id")))
        group_id = _int(event.get("servicegroup_id"))
        if key[0] and key[1] and group_id:
            name = self._member_group_name(event, group_id, self.servicegroups)
            self._member(self.service_members, key, group_id, name, event, "service_member")

    @staticmethod
    def _member_group_name(event: dict[str, Any], group_id: int, names: dict[int, str]) -> str:
        # BBDO 3 members carry the group name as `name`; BBDO 2 ones as the wire-only
        # `group_name`, else Broker uses the last group event with that id.
        return event.get("name") or event.get("group_name") or names.get(group_id) or str(group_id)

    def _member(
        self,
        table: dict[Any, dict[int, str]],
        key: Any,
        group_id: int,
        name: str,
        event: dict[str, Any],
        kind: str,
    ) -> None:
        groups = table.get(key)
        if event.get("enabled", True) is False:
            if groups and groups.pop(group_id, None) is not None:
                if not groups:
                    del table[key]
                self._group_names.pop((kind, key), None)
                self._dirty.add((kind, key))
            return
        if groups is None:
            groups = table[key] = {}
        if groups.get(group_id) != name:
            groups[group_id] = name
            self._group_names.pop((kind, key), None)
            self._dirty.add((kind, key))

    def _severity(self, event: dict[str, Any]) -> None:
        key = (_int(event.get("type")), _int(event.get("id")))
        if _int(event.get("action")) == 1:  # DELETE
            if self.severities.pop(key, None) is not None:
                self._dirty.add(("severity", key))
            return
        record = {"level": _int(event.get("level")), "name": event.get("name", "")}
        if self.severities.get(key) != record:
            self.severities[key] = record
            self._dirty.add(("severity", key))

    def _custom_variable(self, event: dict[str, Any]) -> None:
        if event.get("name") != CRITICALITY:
            if self.keep_custom_variable is not None:
                self._other_variable(event)
            return
        key = (_int(event.get("host_id")), _int(event.get("service_id")))
        try:
            level = int(event.get("value") or 0)
        except (TypeError, ValueError):
            level = 0
        if event.get("enabled", True) is False or not level:
            if self.criticality.pop(key, None) is not None:
                self._dirty.add(("criticality", key))
        elif self.criticality.get(key) != level:
            self.criticality[key] = level
            self._dirty.add(("criticality", key))

    def _other_variable(self, event: dict[str, Any]) -> None:
        name = event.get("name")
        if not isinstance(name, str) or not name or not self.keep_custom_variable(name):  # type: ignore[misc]
            return
        key = (_int(event.get("host_id")), _int(event.get("service_id")))
        variables = self.custom_vars.get(key, {})
        # A password variable is a secret: never kept, never sent.
        if event.get("enabled", True) is False or event.get("password"):
            if name in variables:
                variables = {k: v for k, v in variables.items() if k != name}
                self._set_variables(key, variables)
            return
        value = str(event.get("value") if event.get("value") is not None else "")
        if variables.get(name) != value:
            self._set_variables(key, {**variables, name: value})

    def _set_variables(self, key: ServiceKey, variables: dict[str, str]) -> None:
        if variables:
            self.custom_vars[key] = variables
        else:
            self.custom_vars.pop(key, None)
        self._dirty.add(("custom_var", key))

    def _tag(self, event: dict[str, Any]) -> None:
        key = (_int(event.get("type")), _int(event.get("id")))
        if _int(event.get("action")) == 1:  # DELETE
            if self.tags.pop(key, None) is not None:
                self._dirty.add(("tag", key))
            return
        name = event.get("name")
        if isinstance(name, str) and self.tags.get(key) != name:
            self.tags[key] = name
            self._dirty.add(("tag", key))

    def _ba(self, event: dict[str, Any]) -> None:
        ba_id = _int(event.get("ba_id"))
        if ba_id:
            record = {"name": event.get("ba_name", ""), "description": event.get("ba_description", "")}
            if self.bas.get(ba_id) != record:
                self.bas[ba_id] = record
                self._dirty.add(("ba", ba_id))

    def _bv(self, event: dict[str, Any]) -> None:
        bv_id = _int(event.get("bv_id"))
        if bv_id:
            record = {"name": event.get("bv_name", ""), "description": event.get("bv_description", "")}
            if self.bvs.get(bv_id) != record:
                self.bvs[bv_id] = record
                self._dirty.add(("bv", bv_id))

    def _ba_bv(self, event: dict[str, Any]) -> None:
        ba_id, bv_id = _int(event.get("ba_id")), _int(event.get("bv_id"))
        if ba_id and bv_id:
            self.ba_bvs.setdefault(ba_id, []).append(bv_id)  # a multimap, like Broker's
            self._dirty.add(("ba_bv", ba_id))

    def _truncate(self, event: dict[str, Any]) -> None:
        if event.get("update_started"):
            self._dirty.update(("ba", key) for key in self.bas)
            self._dirty.update(("bv", key) for key in self.bvs)
            self._dirty.update(("ba_bv", key) for key in self.ba_bvs)
            self.bas.clear()
            self.bvs.clear()
            self.ba_bvs.clear()

    # -- look-ups --------------------------------------------------------------------------

    def host(self, host_id: Any) -> dict[str, Any] | None:
        return self.hosts.get(_int(host_id))

    def service(self, host_id: Any, service_id: Any) -> dict[str, Any] | None:
        return self.services.get((_int(host_id), _int(service_id)))

    def poller_name(self, instance_id: Any) -> str | None:
        return self.instances.get(_int(instance_id))

    def hostgroup_names(self, host_id: Any) -> list[str]:
        """Names of the host's groups, by group id (Broker's order)."""
        return self._names("host_member", _int(host_id), self.host_members)

    def servicegroup_names(self, host_id: Any, service_id: Any) -> list[str]:
        return self._names("service_member", (_int(host_id), _int(service_id)), self.service_members)

    def _names(self, kind: str, key: Any, table: dict[Any, dict[int, str]]) -> list[str]:
        names = self._group_names.get((kind, key))
        if names is None:
            groups = table.get(key)
            names = [groups[gid] for gid in sorted(groups)] if groups else []
            self._group_names[kind, key] = names
        return names

    def severity(self, host_id: Any, service_id: Any = 0, objects: bool = True) -> int | None:
        """Severity level: Broker's CRITICALITY_LEVEL custom variable, else (with ``objects``) the
        severity object the host or service refers to (``severity_id``)."""
        key = (_int(host_id), _int(service_id))
        level = self.criticality.get(key)
        if level is not None or not objects:
            return level
        record = self.services.get(key) if key[1] else self.hosts.get(key[0])
        severity_id = _int(record.get("severity_id")) if record else 0
        if severity_id:
            severity = self.severities.get((0 if key[1] else 1, severity_id))
            if severity is not None:
                return severity["level"]
        return None

    def ba(self, ba_id: Any) -> dict[str, Any] | None:
        return self.bas.get(_int(ba_id))

    def custom_variables(self, host_id: Any, service_id: Any = 0) -> dict[str, str]:
        """The kept custom variables of a host (service_id 0) or service (see keep_custom_variable)."""
        return self.custom_vars.get((_int(host_id), _int(service_id)), {})

    def category_names(self, host_id: Any, service_id: Any = 0) -> list[str]:
        """Names of the host's (or service's) categories: its BBDO 3 ``tags`` named by pb_tag events."""
        record = (
            self.services.get((_int(host_id), _int(service_id)))
            if service_id
            else self.hosts.get(_int(host_id))
        )
        wanted = 2 if service_id else 3
        names = []
        for tag in (record or {}).get("tags") or ():
            if isinstance(tag, dict) and _int(tag.get("type")) == wanted:
                name = self.tags.get((wanted, _int(tag.get("id"))))
                if name:
                    names.append(name)
        return names

    def severity_name(self, host_id: Any, service_id: Any = 0) -> str | None:
        """Name of the severity object the host or service refers to."""
        record = (
            self.services.get((_int(host_id), _int(service_id)))
            if service_id
            else self.hosts.get(_int(host_id))
        )
        severity_id = _int(record.get("severity_id")) if record else 0
        severity = self.severities.get((0 if service_id else 1, severity_id)) if severity_id else None
        return severity["name"] if severity else None

    def bv_names(self, ba_id: Any) -> list[str]:
        return [self.bvs[bv]["name"] for bv in self.ba_bvs.get(_int(ba_id), ()) if bv in self.bvs]

    def counts(self) -> dict[str, int]:
        return {
            "pollers": len(self.instances),
            "hosts": len(self.hosts),
            "services": len(self.services),
            "hostgroups": len(self.hostgroups),
            "servicegroups": len(self.servicegroups),
            "severities": len(self.severities) + len(self.criticality),
            "bas": len(self.bas),
            "bvs": len(self.bvs),
        }

    # -- persistence -----------------------------------------------------------------------

    SCHEMA = """
        CREATE TABLE IF NOT EXISTS cache_objects (
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            value BLOB NOT NULL,
            PRIMARY KEY (kind, key)
        ) WITHOUT ROWID
    """

    def _tables(self) -> dict[str, dict[Any, Any]]:
        return {
            "instance": self.instances,
            "host": self.hosts,
            "service": self.services,
            "hostgroup": self.hostgroups,
            "servicegroup": self.servicegroups,
            "host_member": self.host_members,
            "service_member": self.service_members,
            "severity": self.severities,
            "criticality": self.criticality,
            "ba": self.bas,
            "bv": self.bvs,
            "ba_bv": self.ba_bvs,
            "custom_var": self.custom_vars,
            "tag": self.tags,
        }

    @property
    def dirty(self) -> bool:
        return bool(self._dirty)

    def save(self, connection: sqlite3.Connection) -> int:
        """Writes what changed since the last save; the caller owns the transaction and calls
        :meth:`mark_saved` once it is committed (a failed commit keeps the changes pending)."""
        if not self._dirty:
            return 0
        tables = self._tables()
        upserts, deletes = [], []
        for kind, key in self._dirty:
            stored_key = _encode_key(key)
            value = tables[kind].get(key)
            if value is None:
                deletes.append((kind, stored_key))
                continue
            if kind == "host":
                value = {field: value[field] for field in HOST_FIELDS if field in value}
            elif kind == "service":
                value = {field: value[field] for field in SERVICE_FIELDS if field in value}
            elif isinstance(value, dict):
                value = {str(k): v for k, v in value.items()}
            upserts.append((kind, stored_key, orjson.dumps(value)))
        connection.executemany("DELETE FROM cache_objects WHERE kind = ? AND key = ?", deletes)
        connection.executemany(
            "INSERT INTO cache_objects (kind, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value",
            upserts,
        )
        return len(self._dirty)

    def mark_saved(self) -> None:
        """The transaction that :meth:`save` wrote into is committed."""
        self._dirty.clear()

    def load(self, connection: sqlite3.Connection) -> None:
        # One range of the primary key per kind, each decoded in a comprehension: start-up time
        # grows with the configuration (550k rows for 50k hosts / 500k services).
        loads = orjson.loads
        for kind, table in self._tables().items():
            rows = connection.execute("SELECT key, value FROM cache_objects WHERE kind = ?", (kind,))
            if kind in ("host_member", "service_member"):
                for stored_key, raw in rows:
                    table[_decode_key(stored_key)] = {int(k): v for k, v in loads(raw).items()}
            else:
                table.update({_decode_key(stored_key): loads(raw) for stored_key, raw in rows})
        self._group_names.clear()
        self._dirty.clear()


def _encode_key(key: Any) -> str:
    return ":".join(map(str, key)) if isinstance(key, tuple) else str(key)


def _decode_key(text: str) -> Any:
    # Runs once per cached object at start-up (550k times for 500k services): no generator.
    return tuple(map(int, text.split(":"))) if ":" in text else int(text)
