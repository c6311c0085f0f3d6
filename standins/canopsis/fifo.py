"""What engine-fifo drops after the API said 200 (canopsis-api.md 2.6), and timestamp fixing."""

from __future__ import annotations

import math
from typing import Any

# Fields engine-fifo decodes as strings: any other JSON type (null aside) makes it drop the event.
_STRING_FIELDS = (
    "connector",
    "connector_name",
    "component",
    "resource",
    "output",
    "long_output",
    "author",
    "user_id",
    "display_name",
    "ticket",
    "ticket_url",
    "ticket_system_name",
    "ticket_comment",
    "perf_data",
    "initiator",
    "role",
    "source_type",
    "ref_rk",
    "status_name",
)
_NUMBER_FIELDS = ("state", "timestamp", "duration", "status")
_MAP_FIELDS = ("tags", "ticket_data")
_SOURCE_TYPES = frozenset({"connector", "component", "resource", "service", "metaalarm"})
TIMESTAMP_WINDOW = 24 * 3600


_KINDS = {
    **dict.fromkeys(_STRING_FIELDS, "string"),
    **dict.fromkeys(_NUMBER_FIELDS, "number"),
    **dict.fromkeys(_MAP_FIELDS, "map"),
}
_NONE = type(None)
_OK_TYPES = {"string": (str, _NONE), "number": (int, float, _NONE), "map": (dict, _NONE)}
# Typed fields the API has already checked when the event did not use ref_rk (2.3).
_API_CHECKED = frozenset(
    {
        "connector",
        "connector_name",
        "component",
        "resource",
        "long_output",
        "author",
        "user_id",
        "role",
        "source_type",
        "ref_rk",
    }
)
# key tuple -> typed keys left to check. Producers send few distinct shapes, so the per-event work
# is one look-up plus a couple of type tests; bounded in case of pathological input.
_shape_cache: dict[tuple[str, ...], tuple[tuple[str, tuple[type, ...]], ...]] = {}
_SHAPE_CACHE_MAX = 4096


def _to_check(ev: dict[str, Any]) -> tuple[tuple[str, tuple[type, ...]], ...]:
    shape = tuple(ev)
    todo = _shape_cache.get(shape)
    if todo is None:
        todo = tuple((k, _OK_TYPES[_KINDS[k]]) for k in shape if k in _KINDS and k not in _API_CHECKED)
        if len(_shape_cache) >= _SHAPE_CACHE_MAX:
            _shape_cache.clear()
        _shape_cache[shape] = todo
    return todo


def _mistyped(key: str) -> str:
    expected = "a map of strings" if _KINDS[key] == "map" else f"a {_KINDS[key]}"
    return f"cannot decode event: {key} is not {expected}"


def drop_reason(ev: dict[str, Any], fifo_types: frozenset[str]) -> str | None:
    """Why engine-fifo would drop this (API-accepted) event, or None if it goes through."""
    if ev["event_type"] not in fifo_types:
        return f"invalid event type {ev['event_type']!r}"
    ref_rk = ev.get("ref_rk")
    if ref_rk:  # the API skipped its entity checks: check every typed field
        for key in _STRING_FIELDS:
            if type(ev.get(key)) not in _OK_TYPES["string"]:
                return _mistyped(key)
    for key, ok in _to_check(ev):
        value = ev[key]
        if type(value) not in ok:
            return _mistyped(key)
        if ok is _OK_TYPES["map"] and value and any(type(v) is not str for v in value.values()):
            return _mistyped(key)
        if type(value) is float and not math.isfinite(value):  # NaN/Inf pass fastjson, not Go's decoder
            return _mistyped(key)
    if not ev.get("connector") or not ev.get("connector_name"):
        return "missing connector"
    if ref_rk and not ev.get("component"):
        return "missing component"
    if ev.get("source_type") not in _SOURCE_TYPES:
        return "invalid source_type"
    return None


def event_time(ev: dict[str, Any], now: float) -> int:
    """The event's timestamp, or now when missing or more than 24 h away (engine-fifo)."""
    ts = ev.get("timestamp")
    if ts is None or abs(ts - now) > TIMESTAMP_WINDOW:
        return int(now)
    return int(ts)
