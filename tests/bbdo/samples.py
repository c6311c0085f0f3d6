"""Event dicts for tests, built from the contract (data/bbdo_fields.json), not from the codec."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

FIELDS: dict[str, Any] = json.loads((Path(__file__).parent / "data" / "bbdo_fields.json").read_text())
EVENTS: dict[str, dict[str, Any]] = FIELDS["events"]
MAPPED_KEYS = sorted(
    (k for k, v in EVENTS.items() if v["bbdo"] == 2), key=lambda k: tuple(map(int, k.split(":")))
)
PROTOBUF_KEYS = sorted(
    (k for k, v in EVENTS.items() if v["bbdo"] == 3), key=lambda k: tuple(map(int, k.split(":")))
)
ALL_KEYS = MAPPED_KEYS + PROTOBUF_KEYS


def split_key(key: str) -> tuple[int, int]:
    category, element = key.split(":")
    return int(category), int(element)


def prefix(key: str) -> dict[str, int]:
    category, element = split_key(key)
    return {"_type": category << 16 | element, "category": category, "element": element}


def _flags(field: list[Any]) -> set[str]:
    return set(field[2:])


# -- deterministic samples ------------------------------------------------------------------------


def _mapped_value(name: str, wire_type: str, i: int, variant: int) -> Any:
    n = i + 1 + variant * 1000
    if wire_type == "bool":
        return (i + variant) % 2 == 0
    if wire_type == "short":
        return n % 30000
    if wire_type == "uint":
        return n
    if wire_type == "time":
        return 1_700_000_000 + n
    if wire_type == "double":
        return n + 0.25
    if wire_type == "string":
        return f"{name} {n} é"
    raise AssertionError(wire_type)


def _pb_value(name: str, pb_type: str, flags: set[str], i: int, variant: int) -> Any:
    n = i + 1 + variant * 1000
    if pb_type == "message:BBDOHeader":
        return {"conf_version": n}
    if pb_type == "message:TagInfo":
        return [{"id": n, "type": 1}, {"id": n + 1, "type": 3}]
    if pb_type == "bool":
        return (i + variant) % 2 == 0
    if pb_type in ("int32", "uint32", "enum"):
        return n % 5 if pb_type == "enum" else n
    if pb_type in ("int64", "uint64"):
        return 1_700_000_000 + n
    if pb_type == "double":
        return n + 0.125
    if pb_type == "string":
        return f"{name} {n} é"
    raise AssertionError(pb_type)


def sample_event(key: str, variant: int = 0) -> dict[str, Any]:
    """A full event of type ``key`` ("1:24"), every field set to a valid, distinctive value."""
    spec = EVENTS[key]
    event = prefix(key)
    if spec["bbdo"] == 2:
        for i, field in enumerate(spec["fields"]):
            event[field[0]] = _mapped_value(field[0], field[1], i, variant)
        for i, field in enumerate(spec.get("wire_only", [])):
            event[field[0]] = _mapped_value(field[0], field[1], i + 100, variant)
    else:
        for i, field in enumerate(spec["fields"]):
            event[field[0]] = _pb_value(field[0], field[1], _flags(field), i, variant)
    return event


def all_samples(variant: int = 0) -> list[dict[str, Any]]:
    return [sample_event(key, variant) for key in ALL_KEYS]


# -- hypothesis strategies ------------------------------------------------------------------------

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=40)
# Doubles that "%f" writes exactly (6 decimals are enough for k/64).
_MAPPED_DOUBLE = st.integers(-(2**40), 2**40).map(lambda k: k / 64)
_I64 = st.integers(-(2**63), 2**63 - 1)


def _mapped_strategy(wire_type: str, flags: set[str]) -> st.SearchStrategy[Any]:
    base = {
        "bool": st.booleans(),
        "short": st.integers(-(2**15), 2**15 - 1),
        "uint": st.integers(0, 2**32 - 1),
        "time": _I64,
        "double": _MAPPED_DOUBLE,
        "string": _TEXT,
    }[wire_type]
    if "z" in flags:
        return base.filter(lambda v: v != 0)
    if "m" in flags:
        return base.filter(lambda v: v != -1)
    return base


def _pb_strategy(pb_type: str) -> st.SearchStrategy[Any]:
    if pb_type == "message:BBDOHeader":
        return st.fixed_dictionaries({"conf_version": st.integers(0, 2**32 - 1)})
    if pb_type == "message:TagInfo":
        tag = st.fixed_dictionaries({"id": _I64, "type": st.integers(0, 3)})
        return st.lists(tag, max_size=3)
    return {
        "bool": st.booleans(),
        "int32": st.integers(-(2**31), 2**31 - 1),
        "uint32": st.integers(0, 2**32 - 1),
        "enum": st.integers(0, 6),
        "int64": _I64,
        "uint64": _I64,  # the dict shows uint64 above 2**63-1 as negative, like Lua
        "double": st.floats(allow_nan=False),
        "string": _TEXT,
    }[pb_type]


@st.composite
def events(draw: st.DrawFn, key: str) -> dict[str, Any]:
    """A valid event of type ``key``: flagged BBDO 2 fields and proto3 optional ones may be absent."""
    spec = EVENTS[key]
    event = prefix(key)
    if spec["bbdo"] == 2:
        for field in spec["fields"]:
            flags = _flags(field)
            if flags & {"z", "m"} and draw(st.booleans()):
                continue  # absent = holds its invalid value
            event[field[0]] = draw(_mapped_strategy(field[1], flags))
        for field in spec.get("wire_only", []):
            event[field[0]] = draw(_mapped_strategy(field[1], set()))
    else:
        for field in spec["fields"]:
            if "optional" in _flags(field) and draw(st.booleans()):
                continue
            event[field[0]] = draw(_pb_strategy(field[1]))
    return event


def any_event() -> st.SearchStrategy[dict[str, Any]]:
    return st.sampled_from(ALL_KEYS).flatmap(events)
