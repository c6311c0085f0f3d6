"""Ordered field lists of every Broker event type, derived from the BBDO codec's own tables.

BBDO 2 specs come from ``core/bbdo/mapped_tables.py`` (as parsed by the mapped codec), BBDO 3 specs
from the descriptors of the protobuf messages ``core/bbdo/pb.py`` maps type ids to. The simulator,
its validator and the codec thus read the same lists; ``tests/simulate/test_shapes.py`` compares
the result with ``bbdo_fields.json``. Control messages (category 2) are not Broker events: left out.

A :class:`Field` is ``(name, type, flag)``. Types are the mapped wire types (bool, short, uint,
time, double, string) for BBDO 2; uint64, int64, uint32, int32, double, bool, string, enum or
``message:<Name>`` for BBDO 3. Flags: ``z`` (BBDO 2, absent when 0), ``m`` (BBDO 2, absent when
-1), ``optional`` (BBDO 3 proto3 optional: present only when set) and ``repeated``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf.descriptor import FieldDescriptor as FD

from centreon_canopsis.core.bbdo.ids import is_control
from centreon_canopsis.core.bbdo.mapped import MAPPED_TYPES, MappedEventType
from centreon_canopsis.core.bbdo.pb import PROTOBUF_TYPES, ProtobufEventType


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


# Mapped wire types the simulator can fill and the validator can check. The codec also knows int
# and ulong, which no table uses yet: one that does must be taught to default_value and the
# validator first, hence the error at import rather than a wrong stream later.
_MAPPED_TYPES = frozenset(("bool", "short", "uint", "time", "double", "string"))

_PB_TYPES = {
    FD.TYPE_UINT64: "uint64",
    FD.TYPE_INT64: "int64",
    FD.TYPE_UINT32: "uint32",
    FD.TYPE_INT32: "int32",
    FD.TYPE_DOUBLE: "double",
    FD.TYPE_BOOL: "bool",
    FD.TYPE_STRING: "string",
    FD.TYPE_BYTES: "string",  # text is declared bytes on purpose (lenient UTF-8); Lua sees a string
    FD.TYPE_ENUM: "enum",
}


def _mapped_spec(t: MappedEventType) -> EventSpec:
    lua: list[Field] = []
    wire: list[Field] = []
    for f in t.fields:
        if f.visibility == "hidden":
            continue  # unnamed trailing member: decoded and dropped, nobody sees it
        if f.wire_type not in _MAPPED_TYPES:
            raise TypeError(f"{t.name}.{f.name}: mapped type {f.wire_type!r} unknown to the simulator")
        (lua if f.visibility == "lua" else wire).append(Field(f.name, f.wire_type, f.flag))
    return EventSpec(t.name, t.category, t.element, 2, tuple(lua), tuple(wire))


def _pb_field(fd: FD) -> Field:
    if fd.type == FD.TYPE_MESSAGE:
        typ = f"message:{fd.message_type.name}"
    elif fd.type in _PB_TYPES:
        typ = _PB_TYPES[fd.type]
    else:
        raise TypeError(f"{fd.full_name}: protobuf type {fd.type} unknown to the simulator")
    if fd.is_repeated:
        flag = "repeated"
    elif fd.has_presence and fd.type != FD.TYPE_MESSAGE:
        flag = "optional"  # proto3 optional (synthetic oneof): present only when set
    else:
        flag = ""
    return Field(fd.name, typ, flag)


def _pb_spec(t: ProtobufEventType) -> EventSpec:
    # Descriptor order is declaration order, the order Lua sees.
    fields = tuple(_pb_field(fd) for fd in t.message_cls.DESCRIPTOR.fields)
    return EventSpec(t.name, t.category, t.element, 3, fields)


SPECS: dict[str, EventSpec] = {
    spec.name: spec
    for spec in (
        *(_pb_spec(t) for t in PROTOBUF_TYPES.values() if not is_control(t.event_id)),
        *(_mapped_spec(t) for t in MAPPED_TYPES.values() if not is_control(t.event_id)),
    )
}
SPECS_BY_KEY: dict[tuple[int, int], EventSpec] = {(s.category, s.element): s for s in SPECS.values()}

_INTEGERS = frozenset(("uint64", "uint32", "int32", "int64", "enum", "uint", "short", "time"))


def default_value(field: Field) -> Any:
    """The value a field holds when nothing sets it (proto3 defaults; BBDO 2 "null" values)."""
    if field.flag == "repeated":
        return []
    if field.type == "message:BBDOHeader":
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
