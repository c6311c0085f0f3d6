"""BBDO 2 ("mapped") events: encode and decode (reference/bbdo.md 3.1).

A payload is the concatenation of the event's fields in table order, without tags or lengths:
fixed-size big-endian integers, ``%f`` text for doubles and NUL-terminated strings. Each table is
compiled once at import into runs of fixed-size fields (one precompiled ``struct.Struct`` each)
separated by the variable-size fields. Decoding runs one Python function per table, written and
compiled at import (see :func:`_compile`); the generic loop over those steps,
:meth:`MappedEventType.decode_generic`, is what the generated functions must equal (tests).
"""

from __future__ import annotations

import linecache
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
        # decode(payload) -> event dict: generated (see _compile), else the generic path. An
        # attribute, not a method, so that BBDOCodec binds the function itself per type id.
        self.decode: Callable[[bytes], dict[str, Any]] = _compile(self) or self.decode_generic

    @staticmethod
    def _key(f: MappedField) -> str | None:
        return None if f.visibility == "hidden" else f.name

    def decode_generic(self, payload: bytes) -> dict[str, Any]:
        """``decode`` without generated code: the reference the generated one must equal (tests)."""
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


#: From this many keys (prefix included) on, a copy of a dict that has the keys in order, then one
#: assignment per field, is faster than one dict display (as in pb.py; measured on CPython 3.11
#: with dicts of int values: the copy is 8 % faster at 20 keys and 36 % at 49, 20 % slower at 10).
_TEMPLATE_FROM = 20


def _compile(t: MappedEventType) -> Callable[[bytes], dict[str, Any]] | None:
    """Writes and compiles ``decode_<name>(p)``: :meth:`MappedEventType.decode_generic` unrolled
    for one table, with no per-field loop, list or zip.

    Each run of fixed-size fields is one ``unpack_from`` of its precompiled Struct into locals,
    at an offset that is a literal until the first text field. Each text field is one
    ``index`` of its NUL and one slice; strings are decoded strict first (faster), with
    ``replace`` only when that fails; doubles are ``float()`` first, ``_to_float`` (the generic
    path's parser) only when that refuses. The dict has the generic path's keys in its order
    (prefix, Lua fields, wire-only fields): one display, or a template copy for the larger
    tables (``_TEMPLATE_FROM``); then the flagged fields that hold their invalid value are
    deleted, tested as the generic path tests them (``== 0``, ``== -1``). Errors are the generic
    path's, with the same messages.

    None when the generic path's dict is not "one key per visible field" (two visible fields of
    one name, or a flag on a hidden field, which the generic path looks up in the dict and
    fails on): the caller then keeps the generic path."""
    visible = [f.name for f in t.fields if f.visibility != "hidden"]
    if len(set(visible)) != len(visible) or any(f.flag and f.visibility == "hidden" for f in t.fields):
        return None
    ns: dict[str, Any] = {"_DecodeError": DecodeError, "_StructError": struct.error, "_to_float": _to_float}
    body: list[str] = []  # the statements inside the try
    # The offset of the next field is `base + const`: base is None (a literal offset) until the
    # first text field, then the local holding the end of the last text field.
    base: str | None = None
    const = 0
    run: list[int] = []  # table indexes of the current run of fixed-size fields

    def offset() -> str:
        if base is None:
            return str(const)
        return f"{base} + {const}" if const else base

    def close_run() -> None:
        nonlocal const
        if run:
            st = struct.Struct(">" + "".join(_FIXED_CODES[t.fields[i].wire_type] for i in run))
            helper = f"_unpack_{run[0]}"
            ns[helper] = st.unpack_from
            targets = ", ".join(f"v{i}" for i in run) + ("," if len(run) == 1 else "")
            body.append(f"{targets} = {helper}(p, {offset()})")
            const += st.size
            run.clear()

    texts = 0
    for index, f in enumerate(t.fields):
        if f.wire_type not in _VARIABLE:
            run.append(index)
            continue
        close_run()
        end = f"e{texts}"
        texts += 1
        # s: where the field starts, for the slice and for the message when its NUL is missing
        body += [f"s = {offset()}", f"{end} = p.index(0, s)"]
        text = f"p[s:{end}]"
        if f.wire_type == "string":
            body += [
                "try:",
                f"    v{index} = {text}.decode()",
                "except UnicodeDecodeError:",
                f"    v{index} = {text}.decode('utf-8', 'replace')",
            ]
        else:
            body += [
                "try:",
                f"    v{index} = float({text})",
                "except ValueError:",
                f"    v{index} = _to_float({text})",
            ]
        base, const = end, 1
    close_run()

    func = f"decode_{t.name}" if t.name.isidentifier() else f"decode_{t.category}_{t.element}"
    ns["_name"] = t.name
    lines = [f"def {func}(p):"]
    if body:
        lines += ["    try:", *(f"        {line}" for line in body)]
        if texts:  # nothing else in the try raises ValueError: the strings and doubles catch theirs
            lines += [
                "    except ValueError:",
                "        raise _DecodeError(",
                "            f'{_name}: unterminated text field at payload offset {s}'",
                "        ) from None",
            ]
        lines += [
            "    except _StructError as exc:",
            "        raise _DecodeError(f'{_name}: payload too short ({len(p)} bytes)') from exc",
        ]
    local = {f.name: f"v{i}" for i, f in enumerate(t.fields) if f.visibility != "hidden"}
    if len(t._prefix) + len(t.keys) >= _TEMPLATE_FROM:
        # the prefix values stay as they are in the template (a field of the same name, like the
        # generic path's update(), replaces the value in place); every placeholder is replaced
        ns["_template"] = {**t._prefix, **dict.fromkeys(t.keys)}
        lines.append("    d = _template.copy()")
        lines += [f"    d[{key!r}] = {local[key]}" for key in t.keys]
    else:
        # a repeated key in a display keeps its first place and its last value, as update() does
        entries = [f"{key!r}: {value!r}" for key, value in t._prefix.items()]
        entries += [f"{key!r}: {local[key]}" for key in t.keys]
        lines += ["    d = {", *(f"        {entry}," for entry in entries), "    }"]
    for flag, invalid in (("z", 0), ("m", -1)):
        for f in t.fields:
            if f.flag == flag:
                lines += [f"    if {local[f.name]} == {invalid}:", f"        del d[{f.name!r}]"]
    lines.append("    return d")
    source = "\n".join(lines) + "\n"
    filename = f"<bbdo-mapped {func}>"
    exec(compile(source, filename, "exec"), ns)
    # tracebacks through the generated code show its lines
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return ns[func]


def _build() -> dict[int, MappedEventType]:
    types = {}
    for (category, element), (name, spec) in MAPPED_EVENTS.items():
        t = MappedEventType(category, element, name, parse_spec(spec))
        types[t.event_id] = t
    return types


#: Every BBDO 2 event type we know, by type id (consumed events plus version_response, ack, stop).
MAPPED_TYPES: dict[int, MappedEventType] = _build()
