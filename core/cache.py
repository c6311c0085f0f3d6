"""Names of things, learnt from the configuration events of the stream, kept across restarts.

Broker sends hosts, services, groups, pollers and BAM dimensions only when an Engine starts or
reloads, so this cache is persisted: a restarted connector still knows every name. It is fed the
way Broker feeds its own Lua cache (broker-events-json.md section 6): host and service events,
group *member* events (which carry the group name), instances, ``CRITICALITY_LEVEL`` custom
variables, severities and BAM dimension events, in BBDO 2 and BBDO 3 forms; ``enabled = false``
removes an object. Status events update the current state of cached objects in memory only
(they are frequent, and the next check brings them back after a restart).

Compact at scale (50k hosts / 500k services): a host or service is a tuple of its fields (None:
absent) and, once a status arrived, a tuple of its status fields; services and members are keyed
by one int (``host_id << 32 | service_id``); group memberships are flat ``(id, name, ...)``
tuples. :meth:`Cache.host` and :meth:`Cache.service` hand out plain dicts built on demand and
kept in a small table of recent look-ups (kept up to date by later events), so the plugins and
the format files read them as before. Rows are stored as JSON arrays (fast to load); the older
JSON objects are still read.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import marshal
import operator
import sqlite3
import sys
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from centreon_canopsis.core.bbdo import accel
from centreon_canopsis.core.elements import Element
from centreon_canopsis.core.logsafe import log_limited, shown

log = logging.getLogger(__name__)

#: core/_speedups.c, when it was compiled and is not switched off (core/bbdo/accel.py).
_SPEEDUPS = accel.load(accel.SPEEDUPS)

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

ServiceKey = int  # host_id << 32 | service_id (service_id 0: the host, for criticality)
ID_LIMIT = 1 << 32  # Broker's ids are 32-bit: larger or negative ones are not learnt
#: Recent look-ups kept as dicts (one event asks for its host and service several times; a
#: dict built again costs 1-3 us). 16k: the objects that send checks at a high rate fit (10k
#: services in benchmarks/bbdo_pipeline.py); about 20 MB when full.
VIEWS_MAX = 16384
#: The snapshot is read only by the Python and marshal versions that wrote it.
SNAPSHOT_FORMAT = f"marshal {marshal.version} python {sys.version_info[0]}.{sys.version_info[1]} cache 2"
#: Objects per journal entry: the unit :meth:`Cache.fold` moves (about 5 ms of work).
JOURNAL_ENTRY_OBJECTS = 1000
_NO_STATUS = (None,) * len(STATUS_FIELDS)
#: The status fields every host (service) status event carries, BBDO 2 and 3.
_HOST_STATUS = tuple(f for f in STATUS_FIELDS if f != "acknowledged" and not f.startswith("last_time_"))
_HOST_STATUS += ("last_time_up", "last_time_down", "last_time_unreachable")
_SERVICE_STATUS = tuple(f for f in STATUS_FIELDS if f != "acknowledged" and not f.startswith("last_time_"))
_SERVICE_STATUS += ("last_time_ok", "last_time_warning", "last_time_critical", "last_time_unknown")
#: Positions in a service's stored tuple (its fields but host_id and service_id).
_DISPLAY, _DESCRIPTION = SERVICE_FIELDS.index("display_name") - 2, SERVICE_FIELDS.index("description") - 2
_SERVICE_SEVERITY = SERVICE_FIELDS.index("severity_id") - 2
_HOST_SEVERITY = HOST_FIELDS.index("severity_id") - 1
_HOST_TAGS, _SERVICE_TAGS = HOST_FIELDS.index("tags") - 1, SERVICE_FIELDS.index("tags") - 2
_HOST_NAME = HOST_FIELDS.index("name") - 1
#: Where a row of :attr:`Cache.host_rows` holds the host's name.
HOST_NAME_AT = _HOST_NAME


def _tag_pairs(tags: Any) -> tuple[tuple[int, int], ...] | None:
    """An object's BBDO 3 ``tags`` as ``((type, id), ...)``: hashable, so that objects with the
    same fields still share one tuple. Accepts the event's dicts, and stored pairs (tuples, or
    lists once read back from JSON); anything else is left out."""
    if not tags or not isinstance(tags, list | tuple):
        return None
    pairs = []
    for tag in tags:
        if isinstance(tag, dict):
            tag_type, tag_id = tag.get("type"), tag.get("id")
        elif isinstance(tag, list | tuple) and len(tag) == 2:
            tag_type, tag_id = tag
        else:
            continue
        if tag_type.__class__ is int and tag_id.__class__ is int:
            pairs.append((tag_type, tag_id))
    return tuple(pairs) or None


def _int(value: Any) -> int:
    """Ids arrive as ints, occasionally as strings or floats (BBDO 2 JSON dumps)."""
    if value.__class__ is int:  # the usual case, on every event: no conversion
        return value
    return int(value) if value not in (None, "") else 0


def service_key(host_id: int, service_id: int) -> ServiceKey | None:
    if 0 <= service_id < ID_LIMIT and 0 <= host_id < ID_LIMIT:
        return host_id << 32 | service_id
    return None


def key_of(host_id: Any, service_id: Any) -> ServiceKey | None:
    """:func:`service_key` of ids as an event carries them (per status event: one call when they
    are ints, as decoded BBDO gives them)."""
    if host_id.__class__ is int and service_id.__class__ is int:
        if 0 <= service_id < ID_LIMIT and 0 <= host_id < ID_LIMIT:
            return host_id << 32 | service_id
        return None
    return service_key(_int(host_id), _int(service_id))


class Objects:
    """Hosts or services: per object a tuple of its fields but the ids (those are the key), one
    tuple shared by every object with the same fields (services made from one template), a tuple
    of status fields once one came, and dicts of the recently looked-up objects."""

    __slots__ = (
        "_head",
        "_later",
        "_no_later",
        "_no_rest",
        "_read_stored",
        "_rest",
        "_shared",
        "_usual",
        "fields",
        "ids",
        "rows",
        "status",
        "status_fields",
        "stored",
        "view",
        "views",
    )

    def __init__(self, fields: tuple[str, ...], ids: int, usual: tuple[str, ...]) -> None:
        self.fields = fields
        self.ids = ids  # the first `ids` fields are the key's: host_id (and service_id)
        self.stored = fields[ids:]
        # Status fields, those every status event of this kind carries first: read in one call.
        self._usual = usual
        self._rest = tuple(field for field in STATUS_FIELDS if field not in usual)
        self._no_rest = (None,) * len(self._rest)
        self._head = operator.itemgetter(*usual)
        self.status_fields = usual + self._rest
        # An object's event (pb_service) carries the usual fields and `acknowledged` (the first
        # of the rest), never the other kind's last_time_* (the rest after it).
        self._later = self._rest[1:]
        self._no_later = (None,) * len(self._later)
        # A BBDO 3 object event carries every stored field: one C call instead of a loop.
        self._read_stored = operator.itemgetter(*self.stored)
        self.rows: dict[int, tuple[Any, ...]] = {}
        self.status: dict[int, tuple[Any, ...]] = {}
        self.views: dict[int, dict[str, Any]] = {}
        self._shared: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        #: The object's dict (:meth:`_view`), in C when compiled (core/_speedups.c View).
        self.view: Callable[[int], dict[str, Any] | None] = self._view
        if _SPEEDUPS is not None:
            self.view = _SPEEDUPS.View(
                self.rows, self.status, self.views, self.stored, usual, self._rest, ids, VIEWS_MAX, self._view
            )

    def __len__(self) -> int:
        return len(self.rows)

    def __contains__(self, key: int) -> bool:
        return key in self.rows

    def _view(self, key: int) -> dict[str, Any] | None:
        """The object's fields, its ids and its status as one dict, kept in :attr:`views` (most
        recent look-ups); None for an unknown object. tests/core/test_speedups.py holds the C
        twin (:attr:`view`) to it."""
        view = self.views.get(key)
        if view is None:
            row = self.rows.get(key)
            if row is None:
                return None
            view = dict(zip(self.stored, row, strict=False))  # absent (None) fields left out:
            if None in row:
                view = {field: value for field, value in view.items() if value is not None}
            if self.ids == 1:
                view["host_id"] = key
            else:
                view["host_id"], view["service_id"] = key >> 32, key & (ID_LIMIT - 1)
            status = self.status.get(key)
            if status is not None:
                self._show_status(view, status)
            if len(self.views) >= VIEWS_MAX:
                self.views.clear()
            self.views[key] = view
        return view

    def _show_status(self, view: dict[str, Any], status: tuple[Any, ...]) -> None:
        usual = self._usual
        head = status[: len(usual)]
        if None not in head:  # the usual case: one C call, then the few others
            view.update(zip(usual, head, strict=False))
            fields, status = self._rest, status[len(usual) :]
        else:
            fields = self.status_fields
        for field, value in zip(fields, status, strict=False):
            if value is None:
                view.pop(field, None)
            else:
                view[field] = value

    def share(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        shared = self._shared
        if len(shared) > 2 * len(self.rows) + 1024:  # rows that changed or went away
            shared.clear()
            shared.update((kept, kept) for kept in self.rows.values())
        return shared.setdefault(row, row)

    def put(self, key: int, row: tuple[Any, ...]) -> bool:
        """Stores the object's fields; True when they changed."""
        if self.rows.get(key) == row:
            return False
        self.rows[key] = self.share(row)
        self.views.pop(key, None)
        return True

    def pop(self, key: int) -> bool:
        self.status.pop(key, None)
        self.views.pop(key, None)
        return self.rows.pop(key, None) is not None

    def read(self, event: dict[str, Any], old: tuple[Any, ...] | None) -> list[Any]:
        """The stored fields from an object's event; one it leaves out keeps its value."""
        try:
            return list(self._read_stored(event))
        except KeyError:
            get = event.get
            if old is None:
                return [get(field) for field in self.stored]
            return [get(field, value) for field, value in zip(self.stored, old, strict=False)]

    def copy_status(self, key: int, event: dict[str, Any]) -> None:
        """The status fields the event carries replace the object's; the others stay."""
        old = self.status.get(key)
        try:
            head = self._head(event)  # the usual case: one C call for the usual fields
        except KeyError:
            head = None
        keys = event.keys()
        if head is not None and keys.isdisjoint(self._rest):
            new = head + (old[len(head) :] if old is not None else self._no_rest)
        elif head is not None and self._rest[0] in keys and keys.isdisjoint(self._later):
            later = old[len(head) + 1 :] if old is not None else self._no_later
            new = (*head, event[self._rest[0]], *later)  # an object's event
        else:
            get = event.get
            fields = zip(self.status_fields, old if old is not None else _NO_STATUS, strict=False)
            new = tuple([get(field, value) for field, value in fields])
        if new != old:
            self.status[key] = new
            # Dropped, not updated: most status events are dropped by a filter that reads only the
            # event (dedup), so the next look-up, if any, builds the view again.
            self.views.pop(key, None)

    def clear(self) -> None:
        self.rows.clear()
        self.status.clear()
        self.views.clear()
        self._shared.clear()


class Cache:
    """The name cache. Mutated by the pipeline thread only; persisted with :meth:`save`."""

    def __init__(self) -> None:
        self.instances: dict[int, str] = {}
        self.hosts = Objects(HOST_FIELDS, 1, _HOST_STATUS)
        self.services = Objects(SERVICE_FIELDS, 2, _SERVICE_STATUS)
        self.hostgroups: dict[int, str] = {}
        self.servicegroups: dict[int, str] = {}
        # Group memberships: (group_id, name, group_id, name...) sorted by group id.
        self.host_members: dict[int, tuple[Any, ...]] = {}
        self.service_members: dict[ServiceKey, tuple[Any, ...]] = {}
        self.severities: dict[tuple[int, int], dict[str, Any]] = {}  # (type, id); type 1 host, 0 service
        self.criticality: dict[ServiceKey, int] = {}  # (host_id, service_id or 0) -> level
        self.bas: dict[int, dict[str, Any]] = {}
        self.bvs: dict[int, dict[str, Any]] = {}
        self.ba_bvs: dict[int, list[int]] = {}
        self._names_seen: dict[str, str] = {}  # one str object per group name
        self._group_sets: dict[tuple[Any, ...], tuple[Any, ...]] = {}  # one tuple per membership
        #: Custom variables a plugin asked for (:attr:`keep_custom_variable`), per (host, service).
        self.custom_vars: dict[tuple[int, int], dict[str, str]] = {}
        self.tags: dict[tuple[int, int], str] = {}  # (type, id) -> name, from pb_tag
        #: Which custom variables to keep besides CRITICALITY_LEVEL; None keeps none (the default:
        #: Broker sends many). Set by a plugin in ``connector_configure`` (contrib.enrich).
        self.keep_custom_variable: Callable[[str], bool] | None = None
        self._dirty: set[tuple[str, Any]] = set()
        #: Bytes in the stored journal (changes not folded into cache_objects yet), and what the
        #: transaction in progress adds to it.
        self.journal_bytes = 0
        self._journal_adding = 0
        #: Stored objects a load left out: a value of another shape (see :meth:`_left_out`).
        self.left_out = 0
        # Whether the database's snapshot is this cache (None: unknown, never loaded).
        self._snapshot_current: bool | None = None
        host_status = self._status_handler(self.hosts, services=False)
        service_status = self._status_handler(self.services, services=True)
        # An object's event carries its status too: copied by the same handler (in C when built).
        self._copy_host_status, self._copy_service_status = host_status, service_status
        self._handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "instance": self._instance,
            "pb_instance": self._instance,
            "host": self._host,
            "pb_host": self._host,
            "pb_adaptive_host": host_status,
            "host_status": host_status,
            "pb_host_status": host_status,
            "pb_adaptive_host_status": host_status,
            "service": self._service,
            "pb_service": self._service,
            "pb_adaptive_service": service_status,
            "service_status": service_status,
            "pb_service_status": service_status,
            "pb_adaptive_service_status": service_status,
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
        if _SPEEDUPS is not None:
            self._learn_in_c()

    def _learn_in_c(self) -> None:
        """The configuration burst's handlers (objects, memberships, custom variables) in C
        (core/_cache_learn.c): their usual cases there, anything else through the methods above,
        which stay the reference (tests/core/test_cache_learn_in_c.py holds both alike)."""
        c, handlers = _SPEEDUPS, self._handlers
        hosts, services = self.hosts, self.services
        host = c.ObjectRow(hosts.rows, hosts._shared, hosts.views, hosts.stored, _HOST_TAGS, -1, -1, False,
                           self._dirty, "host", self._copy_host_status, hosts.share, self._host)  # fmt: skip
        service = c.ObjectRow(services.rows, services._shared, services.views, services.stored, _SERVICE_TAGS,
                              _DISPLAY, _DESCRIPTION, True, self._dirty, "service", self._copy_service_status,
                              services.share, self._service)  # fmt: skip
        names, groups, dirty = self._names_seen, self._group_sets, self._dirty
        host_member = c.Member(self.host_members, names, groups, dirty, "host_member", "hostgroup_id", False,
                               self._host_member)  # fmt: skip
        service_member = c.Member(self.service_members, names, groups, dirty, "service_member",
                                  "servicegroup_id", True, self._service_member)  # fmt: skip
        variable = c.Variable(self, self._custom_variable)
        for elements, handler in (
            (("host", "pb_host"), host),
            (("service", "pb_service"), service),
            (("host_group_member", "pb_host_group_member"), host_member),
            (("service_group_member", "pb_service_group_member"), service_member),
            (("custom_variable", "pb_custom_variable"), variable),
        ):
            handlers.update(dict.fromkeys(elements, handler))

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
        hosts = self.hosts
        if event.get("enabled", True) is False:
            if hosts.pop(host_id):
                self._dirty.add(("host", host_id))
            return
        row = hosts.read(event, hosts.rows.get(host_id))
        if row[_HOST_TAGS] is not None:
            row[_HOST_TAGS] = _tag_pairs(row[_HOST_TAGS])
        values = tuple(row)
        if hosts.put(host_id, values):
            self._dirty.add(("host", host_id))
        self._copy_host_status(event)  # hosts.copy_status(host_id, event), known to be there

    def _host_status(self, event: dict[str, Any]) -> None:
        host_id = _int(event.get("host_id"))
        if host_id in self.hosts.rows:
            self.hosts.copy_status(host_id, event)

    def _status_handler(
        self, objects: Objects, services: bool, accelerated: bool = True
    ) -> Callable[[dict[str, Any]], None]:
        """:meth:`_host_status` or :meth:`_service_status`, for status events (most of the stream):
        the key of int ids and the usual case of :meth:`Objects.copy_status` written out, without
        its two calls per event; anything else goes through them. tests/core/test_cache_compact.py
        holds every path to the field-by-field rule. The same handler in C (core/_speedups.c)
        when it was compiled, unless ``accelerated`` is false (tests/core/test_speedups.py
        holds the two alike)."""
        rows, status, views = objects.rows, objects.status, objects.views
        head_of, rest, no_rest, size = objects._head, objects._rest, objects._no_rest, len(objects._usual)
        general = self._service_status if services else self._host_status
        if accelerated and _SPEEDUPS is not None:
            usual = objects._usual
            return _SPEEDUPS.StatusCopy(rows, status, views, usual, rest, no_rest, services, general,
                                       objects.copy_status)  # fmt: skip

        def handle(event: dict[str, Any]) -> None:
            host_id = event.get("host_id")
            if services:
                service_id = event.get("service_id")
                if not (
                    host_id.__class__ is int
                    and service_id.__class__ is int
                    and 0 <= host_id < ID_LIMIT
                    and 0 <= service_id < ID_LIMIT
                ):
                    general(event)
                    return
                key = host_id << 32 | service_id
            elif host_id.__class__ is int:
                key = host_id
            else:
                general(event)
                return
            if key not in rows:
                return
            try:
                head = head_of(event)
            except KeyError:  # an adaptive event: some fields only
                objects.copy_status(key, event)
                return
            if not event.keys().isdisjoint(rest):
                objects.copy_status(key, event)
                return
            old = status.get(key)
            new = head + (old[size:] if old is not None else no_rest)
            if new != old:
                status[key] = new
                views.pop(key, None)

        return handle

    def _service(self, event: dict[str, Any]) -> None:
        host_id, service_id = _int(event.get("host_id")), _int(event.get("service_id"))
        key = service_key(host_id, service_id) if host_id and service_id else None
        if key is None:
            return
        services = self.services
        if event.get("enabled", True) is False:
            if services.pop(key):
                self._dirty.add(("service", key))
            return
        values = services.read(event, services.rows.get(key))
        if values[_SERVICE_TAGS] is not None:
            values[_SERVICE_TAGS] = _tag_pairs(values[_SERVICE_TAGS])
        if values[_DISPLAY] == values[_DESCRIPTION]:
            values[_DISPLAY] = values[_DESCRIPTION]  # usually the same text: one object
        if services.put(key, tuple(values)):
            self._dirty.add(("service", key))
        self._copy_service_status(event)  # services.copy_status(key, event), as for hosts

    def _service_status(self, event: dict[str, Any]) -> None:
        key = key_of(event.get("host_id"), event.get("service_id"))
        if key in self.services.rows:
            self.services.copy_status(key, event)  # type: ignore[arg-type]

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
        host_id, service_id = _int(event.get("host_id")), _int(event.get("service_id"))
        key = service_key(host_id, service_id) if host_id and service_id else None
        group_id = _int(event.get("servicegroup_id"))
        if key is not None and group_id:
            name = self._member_group_name(event, group_id, self.servicegroups)
            self._member(self.service_members, key, group_id, name, event, "service_member")

    @staticmethod
    def _member_group_name(event: dict[str, Any], group_id: int, names: dict[int, str]) -> str:
        # BBDO 3 members carry the group name as `name`; BBDO 2 ones as the wire-only
        # `group_name`, else Broker uses the last group event with that id.
        return event.get("name") or event.get("group_name") or names.get(group_id) or str(group_id)

    def _member(
        self,
        table: dict[Any, tuple[Any, ...]],
        key: Any,
        group_id: int,
        name: str,
        event: dict[str, Any],
        kind: str,
    ) -> None:
        flat = table.get(key)
        if event.get("enabled", True) is not False:  # the usual cases first: new, or unchanged
            if flat is None:
                flat = (group_id, self._names_seen.setdefault(name, name))
                table[key] = self._group_sets.setdefault(flat, flat)
                self._dirty.add((kind, key))
                return
            if len(flat) == 2 and flat[0] == group_id and flat[1] == name:
                return
        groups = dict(_pairs(flat or ()))
        if event.get("enabled", True) is False:
            if groups.pop(group_id, None) is None:
                return
        elif groups.get(group_id) != name:
            groups[group_id] = self._names_seen.setdefault(name, name)
        else:
            return
        if groups:
            flat = _flat(groups)
            table[key] = self._group_sets.setdefault(flat, flat)
        else:
            del table[key]
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
        key = key_of(event.get("host_id"), event.get("service_id"))
        if key is None:
            return
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

    def _set_variables(self, key: tuple[int, int], variables: dict[str, str]) -> None:
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

    @property
    def host_rows(self) -> Mapping[int, tuple[Any, ...]]:
        """Known hosts by int id, the host's name at :data:`HOST_NAME_AT` of its row: for checks
        run on every event, which cannot afford a method call per look-up. Read only; the same
        mapping for the cache's whole life."""
        return self.hosts.rows

    @property
    def service_rows(self) -> Mapping[ServiceKey, tuple[Any, ...]]:
        """Known services by :func:`key_of` their int ids (as :attr:`host_rows`)."""
        return self.services.rows

    def host(self, host_id: Any) -> dict[str, Any] | None:
        """The host's fields and status as a dict (do not change it), or None."""
        return self.hosts.view(_int(host_id))

    def service(self, host_id: Any, service_id: Any) -> dict[str, Any] | None:
        key = key_of(host_id, service_id)
        return None if key is None else self.services.view(key)

    def host_name(self, host_id: Any) -> Any:
        """The host's ``name`` as Broker sent it, None when unknown (no dict is built: filters ask
        it for every event, and a status event drops the host's cached view)."""
        row = self.hosts.rows.get(_int(host_id))
        return None if row is None else row[_HOST_NAME]

    def knows_host(self, host_id: Any) -> bool:
        """Whether the host is known (cheaper than :meth:`host`: no dict is built)."""
        return _int(host_id) in self.hosts.rows

    def knows_service(self, host_id: Any, service_id: Any) -> bool:
        key = key_of(host_id, service_id)
        return key is not None and key in self.services.rows

    def poller_name(self, instance_id: Any) -> str | None:
        return self.instances.get(_int(instance_id))

    def hostgroup_names(self, host_id: Any) -> list[str]:
        """Names of the host's groups, by group id (Broker's order)."""
        groups = self.host_members.get(_int(host_id))
        return list(groups[1::2]) if groups else []

    def servicegroup_names(self, host_id: Any, service_id: Any) -> list[str]:
        groups = self.service_members.get(key_of(host_id, service_id))  # type: ignore[arg-type]
        return list(groups[1::2]) if groups else []

    def severity(self, host_id: Any, service_id: Any = 0, objects: bool = True) -> int | None:
        """Severity level: Broker's CRITICALITY_LEVEL custom variable, else (with ``objects``) the
        severity object the host or service refers to (``severity_id``)."""
        host_id, service_id = _int(host_id), _int(service_id)
        key = service_key(host_id, service_id)
        if key is None:
            return None
        level = self.criticality.get(key)
        if level is not None or not objects:
            return level
        if service_id:
            row = self.services.rows.get(key)
            severity_id = _int(row[_SERVICE_SEVERITY]) if row else 0
        else:
            row = self.hosts.rows.get(host_id)
            severity_id = _int(row[_HOST_SEVERITY]) if row else 0
        if severity_id:
            severity = self.severities.get((0 if service_id else 1, severity_id))
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
        record = self.service(host_id, service_id) if service_id else self.host(host_id)
        wanted = 2 if service_id else 3
        names = []
        for tag_type, tag_id in (record or {}).get("tags") or ():
            if tag_type == wanted:
                name = self.tags.get((wanted, tag_id))
                if name:
                    names.append(name)
        return names

    def severity_name(self, host_id: Any, service_id: Any = 0) -> str | None:
        """Name of the severity object the host or service refers to."""
        record = self.service(host_id, service_id) if service_id else self.host(host_id)
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

    # The changes of each commit, until :meth:`fold` moves them into cache_objects.
    JOURNAL_SCHEMA = """
        CREATE TABLE IF NOT EXISTS cache_journal (
            id INTEGER PRIMARY KEY,
            value BLOB NOT NULL
        )
    """

    def _tables(self) -> dict[str, Any]:
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
        :meth:`mark_saved` once it is committed (a failed commit keeps the changes pending).

        The changes go to the journal, a few rows of up to JOURNAL_ENTRY_OBJECTS objects each:
        one row per object in cache_objects cost 3.5-5.5 us per object on the test VM, a quarter
        of the CPU of a configuration burst. :meth:`fold` moves them into cache_objects later,
        when the source is idle (or the journal grows past its bound)."""
        if not self._dirty:
            return 0
        tables = self._tables()
        items: list[tuple[str, Any, Any]] = []
        for kind, key in self._dirty:
            if kind in ("host", "service"):
                value: Any = tables[kind].rows.get(key)
            else:
                value = tables[kind].get(key)
            if isinstance(value, dict):
                value = {str(k): v for k, v in value.items()}
            items.append((kind, key, value))  # the key as kept (JSON: an int or a pair); None: deleted
        dumps = orjson.dumps
        entries = [
            (dumps(items[start : start + JOURNAL_ENTRY_OBJECTS]),)
            for start in range(0, len(items), JOURNAL_ENTRY_OBJECTS)
        ]
        connection.executemany("INSERT INTO cache_journal (value) VALUES (?)", entries)
        self._journal_adding = sum(len(entry[0]) for entry in entries)
        return len(self._dirty)

    def mark_saved(self) -> None:
        """The transaction that :meth:`save` wrote into is committed."""
        if self._dirty:
            self._snapshot_current = False
        self._dirty.clear()
        self.journal_bytes += self._journal_adding
        self._journal_adding = 0

    def fold(self, connection: sqlite3.Connection, entries: int = 1) -> int:
        """Moves the oldest ``entries`` journal entries into cache_objects (the caller commits,
        then calls :meth:`mark_folded`); returns the bytes moved. The last change of an object
        wins; the snapshot, which no longer matches the rows, is dropped."""
        rows = connection.execute(
            "SELECT id, value FROM cache_journal ORDER BY id LIMIT ?", (entries,)
        ).fetchall()
        if not rows:
            self.journal_bytes = 0
            return 0
        latest: dict[tuple[str, str], Any] = {}
        for entry_id, raw in rows:
            try:
                for kind, key, value in journal_items(entry_id, raw):
                    latest[kind, _encode_key(kind, key)] = value
            except ValueError as problem:  # written by another hand: its changes are lost
                log_limited(log, logging.WARNING, "cache-journal", "%s; skipped", problem)
        dumps = orjson.dumps
        connection.executemany(
            "DELETE FROM cache_objects WHERE kind = ? AND key = ?",
            [kind_key for kind_key, value in latest.items() if value is None],
        )
        connection.executemany(
            "INSERT INTO cache_objects (kind, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value",
            [(kind, key, dumps(value)) for (kind, key), value in latest.items() if value is not None],
        )
        connection.execute("DELETE FROM cache_journal WHERE id <= ?", (rows[-1][0],))
        with contextlib.suppress(sqlite3.OperationalError):  # no snapshot table
            connection.execute("DELETE FROM cache_snapshot")
        self._snapshot_current = False
        return sum(len(raw) for _, raw in rows)

    def mark_folded(self, moved: int) -> None:
        """The transaction :meth:`fold` wrote into, moving ``moved`` bytes, is committed."""
        self.journal_bytes = max(0, self.journal_bytes - moved)

    def load(self, connection: sqlite3.Connection) -> None:
        """Reads the snapshot a clean stop left, else every stored row (after a crash or an
        upgrade from a version without snapshots)."""
        mark = self._load_snapshot(connection)
        if mark is None:
            self._load_rows(connection)
            mark = 0
        if self._replay_journal(connection, mark):
            self._snapshot_current = False  # the snapshot lacks what was replayed
        self._dirty.clear()
        _trim_heap()

    def _load_rows(self, connection: sqlite3.Connection) -> None:
        # One range of the primary key per kind, each decoded in a comprehension: start-up time
        # grows with the configuration (1.2M rows for 50k hosts / 500k services).
        loads = orjson.loads
        for kind in self._tables():
            rows = connection.execute("SELECT key, value FROM cache_objects WHERE kind = ?", (kind,))
            self._apply(kind, [(stored_key, loads(raw)) for stored_key, raw in rows])

    def _replay_journal(self, connection: sqlite3.Connection, after: int) -> int:
        """Applies the journal's entries after ``after`` (the snapshot's mark) in order and
        returns how many; a malformed one is a damaged database (ValueError), as a malformed row
        is."""
        try:
            size = connection.execute("SELECT TOTAL(LENGTH(value)) FROM cache_journal").fetchone()[0]
        except sqlite3.OperationalError:  # a state database from before the journal
            return 0
        self.journal_bytes = int(size)
        replayed = 0
        kinds = self._tables()
        rows = connection.execute("SELECT id, value FROM cache_journal WHERE id > ? ORDER BY id", (after,))
        for entry_id, raw in rows:
            changes: dict[str, list[tuple[str, Any]]] = {}
            for kind, key, value in journal_items(entry_id, raw):
                if kind in kinds:  # a kind of a later version: left for it
                    changes.setdefault(kind, []).append((key, value))
            for kind, pairs in changes.items():
                self._apply(kind, pairs, _journal_key)
            replayed += 1
        return replayed

    def _apply(
        self, kind: str, pairs: list[tuple[Any, Any]], decode: Callable[[Any], Any] | None = None
    ) -> None:
        """Stored objects of one kind, as (key, decoded JSON value; None: deleted), into the
        tables; ``decode`` turns the key into the table's (default: a cache_objects text key).
        Hosts, services and members are JSON arrays (tuples as kept in memory); older states
        hold objects."""
        table = self._tables()[kind]
        if decode is None:
            decode = (
                _decode_pair
                if kind in _PAIR_KEYED
                else _decode_service_key
                if kind in _SERVICE_KEYED
                else int
            )
        if kind in ("host", "service"):
            objects: Objects = table
            width, share = len(objects.stored), objects.share
            tags_at = _HOST_TAGS if kind == "host" else _SERVICE_TAGS
            for stored_key, value in pairs:
                key = decode(stored_key)
                if value is None:
                    objects.pop(key)
                    continue
                try:
                    if value.__class__ is dict:  # written by an older version
                        value = [value.get(field) for field in objects.stored]
                    elif value.__class__ is not list:
                        raise TypeError("not a list of fields")
                    elif len(value) != width:  # another version's fields: by position
                        value = (value + [None] * width)[:width]
                    if value[tags_at] is not None:
                        value[tags_at] = _tag_pairs(value[tags_at])
                    objects.rows[key] = share(tuple(value))
                except (TypeError, AttributeError) as error:
                    self._left_out(kind, stored_key, error)
                    continue
                objects.views.pop(key, None)
        elif kind in ("host_member", "service_member"):
            group_sets = self._group_sets
            for stored_key, value in pairs:
                key = decode(stored_key)
                if value is None:
                    table.pop(key, None)
                    continue
                try:
                    if value.__class__ is dict:  # written by an older version
                        value = _flat({int(k): v for k, v in value.items()})
                    value = tuple(value)
                    table[key] = group_sets.setdefault(value, value)
                except (TypeError, AttributeError, ValueError) as error:
                    self._left_out(kind, stored_key, error)
        else:
            expected = _VALUE_CLASS[kind]
            for stored_key, value in pairs:
                if value is None:
                    table.pop(decode(stored_key), None)
                elif value.__class__ is expected:
                    table[decode(stored_key)] = value
                else:
                    self._left_out(
                        kind, stored_key, TypeError(f"{type(value).__name__}, not {expected.__name__}")
                    )

    def _left_out(self, kind: str, key: Any, error: Exception) -> None:
        """A stored object whose value has another shape than this version keeps: without it the
        name comes back with the next configuration event; refusing to start would cost more."""
        self.left_out += 1
        log_limited(log, logging.WARNING, "cache-left-out", "name cache: stored %s %s left out (%s)",
                    kind, shown(key, 40), shown(str(error), 80))  # fmt: skip

    # -- snapshot ------------------------------------------------------------------------------
    # Reading 1.2M rows takes seconds; one marshal blob of the tables a fraction of that. A clean
    # stop writes it with the journal's last id (its mark); later saves only add journal entries
    # after the mark, and the first fold, which changes the rows, deletes it in its transaction.
    # So the snapshot and the journal after its mark are always the whole cache as committed.

    SNAPSHOT_SCHEMA = """
        CREATE TABLE IF NOT EXISTS cache_snapshot (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            format TEXT NOT NULL,
            value BLOB NOT NULL
        )
    """

    def write_snapshot(self, connection: sqlite3.Connection) -> bool:
        """Stores the whole cache as one blob (the caller commits); False when not needed (the
        stored one is current) or not possible (changes not saved yet)."""
        if self._snapshot_current or self._dirty:
            return False
        tables = {kind: getattr(table, "rows", table) for kind, table in self._tables().items()}
        connection.execute(self.SNAPSHOT_SCHEMA)
        # The journal's entries up to the mark are in the snapshot; a start replays the later ones.
        mark = connection.execute("SELECT COALESCE(MAX(id), 0) FROM cache_journal").fetchone()[0]
        connection.execute(
            "INSERT OR REPLACE INTO cache_snapshot (id, format, value) VALUES (1, ?, ?)",
            (SNAPSHOT_FORMAT, marshal.dumps((_rows_summary(connection), mark, tables))),
        )
        self._snapshot_current = True
        return True

    def _load_snapshot(self, connection: sqlite3.Connection) -> int | None:
        """Loads the snapshot and returns its journal mark; None when there is none to use."""
        try:
            row = connection.execute("SELECT format, value FROM cache_snapshot WHERE id = 1").fetchone()
        except sqlite3.OperationalError:  # a state database from before snapshots
            self._snapshot_current = False
            return None
        if row is None or row[0] != SNAPSHOT_FORMAT:
            self._snapshot_current = False
            return None
        try:
            summary, mark, tables = marshal.loads(row[1])
            kinds = self._tables()
            if not (isinstance(tables, dict) and all(isinstance(tables.get(k), dict) for k in kinds)):
                raise ValueError("not the tables of the name cache")
            if mark.__class__ is not int:
                raise ValueError("no journal mark")
        except (ValueError, EOFError, TypeError) as exc:
            log.warning("name cache snapshot unreadable (%s); reading the stored objects", exc)
            return None
        if summary != _rows_summary(connection):  # rows changed by another hand (statedb repair...)
            log.info("name cache snapshot older than the stored objects; reading these")
            return None
        for kind, table in self._tables().items():
            target = table.rows if isinstance(table, Objects) else table
            target.update(tables[kind])
        self._snapshot_current = True
        return mark


def journal_items(entry_id: int, raw: Any) -> list[tuple[str, Any, Any]]:
    """A journal entry's changes, checked: ``[[kind, key, value or null], ...]``, the key as the
    cache keeps it (an int, or a pair of ints for the pair-keyed kinds)."""
    try:
        items = orjson.loads(raw)
    except (orjson.JSONDecodeError, TypeError) as error:
        raise ValueError(f"name cache journal entry {entry_id}: not JSON ({error})") from None
    if items.__class__ is not list or not all(
        item.__class__ is list and len(item) == 3 and item[0].__class__ is str and _key_fits(item[0], item[1])
        for item in items
    ):
        raise ValueError(f"name cache journal entry {entry_id}: not a list of [kind, key, value]")
    return items


def _key_fits(kind: str, key: Any) -> bool:
    if kind in _PAIR_KEYED:
        return key.__class__ is list and len(key) == 2 and key[0].__class__ is int and key[1].__class__ is int
    return key.__class__ is int


def _journal_key(key: Any) -> Any:
    """A journal key as the cache keeps it (checked by journal_items)."""
    return tuple(key) if key.__class__ is list else key


def _rows_summary(connection: sqlite3.Connection) -> tuple[int, float]:
    """Count and total size of the stored objects: a snapshot that does not match them is not
    used (the rows are then read, and checked, one by one)."""
    count, size = connection.execute("SELECT COUNT(*), TOTAL(LENGTH(value)) FROM cache_objects").fetchone()
    return int(count), float(size)


def _trim_heap() -> None:
    """Returns the heap pages that loading freed (the blob, SQLite's pages) to the system:
    at 50k hosts / 500k services about 90 MiB of RSS. glibc only; elsewhere nothing."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


_SERVICE_KEYED = frozenset({"service", "service_member", "criticality"})
#: The stored value of each kind kept as loaded (hosts, services and members are rebuilt).
_VALUE_CLASS: dict[str, type] = {
    "instance": str,
    "hostgroup": str,
    "servicegroup": str,
    "tag": str,
    "severity": dict,
    "ba": dict,
    "bv": dict,
    "custom_var": dict,
    "criticality": int,
    "ba_bv": list,
}
_PAIR_KEYED = frozenset({"severity", "custom_var", "tag"})  # (type, id) or (host_id, service_id)


def _pairs(flat: tuple[Any, ...]) -> Any:
    return zip(flat[::2], flat[1::2], strict=False)


def _flat(groups: dict[int, str]) -> tuple[Any, ...]:
    return tuple(item for group_id in sorted(groups) for item in (group_id, groups[group_id]))


def _encode_key(kind: str, key: Any) -> str:
    if kind in _SERVICE_KEYED:
        return f"{key >> 32}:{key & (ID_LIMIT - 1)}"
    return ":".join(map(str, key)) if isinstance(key, tuple | list) else str(key)


def _decode_service_key(text: str) -> int:
    host_id, _, service_id = text.partition(":")
    return int(host_id) << 32 | int(service_id)


def _decode_pair(text: str) -> tuple[int, int]:
    first, _, second = text.partition(":")
    return int(first), int(second)
