"""BBDO 2 ("mapped") events: encode and decode (reference/bbdo.md 3.1).

A payload is the concatenation of the event's fields in table order, without tags or lengths:
fixed-size big-endian integers, ``%f`` text for doubles and NUL-terminated strings. Each table is
compiled once at import into runs of fixed-size fields (one precompiled ``struct.Struct`` each)
separated by the variable-size fields, so decoding an event is a short loop over a few steps.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from .errors import DecodeError, EncodeError
from .ids import make_type
from .mapped_tables import MAPPED_EVENTS

_FIXED_CODES = {"bool": "?", "short": "h", "int": "i", "uint": "I", "time": "q", "ulong": "Q"}
_VARIABLE = ("string", "double")
_STRING = 0  # step markers for the variable-size fields
_DOUBLE = 1
_TYPE_DEFAULTS: dict[str, Any] = {
    "bool": False,
    "short": 0,
    "int": 0,
    "uint": 0,
    "time": 0,
    "ulong": 0,
    "double": 0.0,
    "string": "",
}
# Broker prints doubles with "%f" into a 32-byte buffer: at most 31 characters survive.
_DOUBLE_MAX_CHARS = 31
_FLOAT_PREFIX = re.compile(rb"\s*[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|inf|nan)", re.I)


@dataclass(frozen=True, slots=True)
class MappedField:
    name: str  # Lua name, wire-only name, or the C++ member of an unnamed field
    wire_type: str
    flag: str  # "z", "m" or ""
    visibility: str  # "lua", "wire" (wire-only) or "hidden" (unnamed)

    @property
    def default(self) -> Any:
        """Value written when the event dict does not carry the field."""
        if self.flag == "m":
            return -1
        if self.visibility == "wire" and self.name == "enabled":
            return True  # "missing enabled means true" (broker-events-json.md 4)
        return _TYPE_DEFAULTS[self.wire_type]


def parse_spec(spec: str) -> list[MappedField]:
    """Reads the table format of :mod:`.mapped_tables`."""
    out = []
    for line in spec.split("\n"):
        words = line.split()
        if not words:
            continue
        name, wire_type = words[0], words[1]
        flag = words[2] if len(words) > 2 else ""
        if wire_type not in _FIXED_CODES and wire_type not in _VARIABLE:
            raise ValueError(f"unknown wire type {wire_type!r} in {line!r}")
        if flag not in ("", "z", "m"):
            raise ValueError(f"unknown flag {flag!r} in {line!r}")
        visibility = "lua"
        if name[0] == "@":
            name, visibility = name[1:], "wire"
        elif name[0] == "-":
            name, visibility = name[1:], "hidden"
        out.append(MappedField(name, wire_type, flag, visibility))
    return out


def _to_float(text: bytes) -> float:
    """Lenient ``strtod``: the longest numeric prefix, 0.0 when there is none."""
    try:
        return float(text)
    except ValueError:
        match = _FLOAT_PREFIX.match(text)
        if match is None:
            return 0.0
        try:
            return float(match.group(0))
        except ValueError:
            return 0.0


def _double_text(value: Any) -> bytes:
    number = float(value)
    if math.isnan(number):
        text = b"nan"
    elif math.isinf(number):
        text = b"inf" if number > 0 else b"-inf"
    else:
        text = b"%f" % number
    return text[:_DOUBLE_MAX_CHARS] + b"\0"


def _string_bytes(value: Any) -> bytes:
    data = str(value).encode("utf-8", "surrogateescape")
    if b"\0" in data:
        raise EncodeError("a BBDO 2 string cannot contain a NUL character")
    return data + b"\0"


class MappedEventType:
    """One BBDO 2 event type: its compiled table, ``decode`` and ``encode``."""

    def __init__(self, category: int, element: int, name: str, fields: list[MappedField]) -> None:
        self.category = category
        self.element = element
        self.name = name
        self.event_id = make_type(category, element)
        self.fields = tuple(fields)
        self._prefix = {"_type": self.event_id, "category": category, "element": element}

        # Decode program: Struct for a run of fixed fields, or a marker for a variable one.
        steps: list[struct.Struct | int] = []
        # Encode program: (Struct, [(name, default)...]) or (marker, (name, default)).
        enc: list[tuple[struct.Struct | int, Any]] = []
        run: list[MappedField] = []

        def close_run() -> None:
            if run:
                st = struct.Struct(">" + "".join(_FIXED_CODES[f.wire_type] for f in run))
                steps.append(st)
                enc.append((st, [(self._key(f), f.default) for f in run]))
                run.clear()

        for f in fields:
            if f.wire_type in _VARIABLE:
                close_run()
                marker = _STRING if f.wire_type == "string" else _DOUBLE
                steps.append(marker)
                enc.append((marker, (self._key(f), f.default)))
            else:
                run.append(f)
        close_run()
        self._steps = tuple(steps)
        self._encode_steps = tuple(enc)

        # Output order: Lua fields in table order, then wire-only ones (as bbdo_fields.json lists them).
        order = [i for i, f in enumerate(fields) if f.visibility == "lua"]
        order += [i for i, f in enumerate(fields) if f.visibility == "wire"]
        self.keys = tuple(fields[i].name for i in order)
        self._pick: Callable[[list[Any]], tuple[Any, ...]] = (
            itemgetter(*order) if len(order) > 1 else (lambda v, i=order: tuple(v[j] for j in i))
        )
        self._zero = tuple(f.name for f in fields if f.flag == "z")
        self._minus_one = tuple(f.name for f in fields if f.flag == "m")

    @staticmethod
    def _key(f: MappedField) -> str | None:
        return None if f.visibility == "hidden" else f.name

    def decode(self, payload: bytes) -> dict[str, Any]:
        """The event dict of a payload (fields absent when they hold their invalid value)."""
        values: list[Any] = []
        append = values.append
        find = payload.find
        off = 0
        try:
            for step in self._steps:
                if step is _STRING or step is _DOUBLE:
                    end = find(0, off)
                    if end < 0:
                        raise DecodeError(f"{self.name}: unterminated text field at payload offset {off}")
                    if step is _STRING:
                        append(payload[off:end].decode("utf-8", "replace"))
                    else:
                        append(_to_float(payload[off:end]))
                    off = end + 1
                else:
                    values.extend(step.unpack_from(payload, off))  # type: ignore[union-attr]
                    off += step.size  # type: ignore[union-attr]
        except struct.error as exc:
            raise DecodeError(f"{self.name}: payload too short ({len(payload)} bytes)") from exc
        event = dict(self._prefix)
        event.update(zip(self.keys, self._pick(values), strict=True))
        for key in self._zero:
            if event[key] == 0:
                del event[key]
        for key in self._minus_one:
            if event[key] == -1:
                del event[key]
        return event

    def encode(self, event: Mapping[str, Any]) -> bytes:
        """The payload of an event dict; missing fields take their default (invalid) value."""
        get = event.get
        out = []
        try:
            for step, arg in self._encode_steps:
                if step is _STRING:
                    name, default = arg
                    out.append(_string_bytes(default if name is None else get(name, default)))
                elif step is _DOUBLE:
                    name, default = arg
                    out.append(_double_text(default if name is None else get(name, default)))
                else:
                    out.append(step.pack(*[d if n is None else get(n, d) for n, d in arg]))  # type: ignore[union-attr]
        except (struct.error, TypeError, ValueError) as exc:
            if isinstance(exc, EncodeError):
                raise
            raise EncodeError(f"{self.name}: {exc}") from exc
        return b"".join(out)


def _build() -> dict[int, MappedEventType]:
    types = {}
    for (category, element), (name, spec) in MAPPED_EVENTS.items():
        t = MappedEventType(category, element, name, parse_spec(spec))
        types[t.event_id] = t
    return types


#: Every BBDO 2 event type we know, by type id (consumed events plus version_response, ack, stop).
MAPPED_TYPES: dict[int, MappedEventType] = _build()
