"""What engine-fifo drops after the API said 200 (canopsis-api.md 2.6), and timestamp fixing."""

from __future__ import annotations

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


_KINDS = {**dict.fromkeys(_STRING_FIELDS, "string"), **dict.fromkeys(_NUMBER_FIELDS, "number"),
          **dict.fromkeys(_MAP_FIELDS, "map")}  # fmt: skip
_NONE = type(None)
_OK_TYPES = {"string": (str, _NONE), "number": (int, float, _NONE), "map": (dict, _NONE)}
# (keys, value types) -> first mistyped field or None. Producers send few distinct shapes, so
# this turns the per-field checks into one lookup; bounded in case of pathological input.
_shape_cache: dict[tuple[tuple[str, ...], tuple[type, ...]], str | None] = {}
_SHAPE_CACHE_MAX = 4096


def _mistyped_field(ev: dict[str, Any]) -> str | None:
    shape = (tuple(ev), tuple(map(type, ev.values())))
    try:
        return _shape_cache[shape]
    except KeyError:
        pass
    bad = None
    for key, value in ev.items():
        kind = _KINDS.get(key)
        if kind is not None and type(value) not in _OK_TYPES[kind]:
            bad = key
            break
    if len(_shape_cache) >= _SHAPE_CACHE_MAX:
        _shape_cache.clear()
    _shape_cache[shape] = bad
    return bad


def drop_reason(ev: dict[str, Any], fifo_types: frozenset[str]) -> str | None:
    """Why engine-fifo would drop this (API-accepted) event, or None if it goes through."""
    if ev["event_type"] not in fifo_types:
        return f"invalid event type {ev['event_type']!r}"
    bad = _mistyped_field(ev)
    if bad is not None:
        expected = "a map of strings" if _KINDS[bad] == "map" else f"a {_KINDS[bad]}"
        return f"cannot decode event: {bad} is not {expected}"
    for key in _MAP_FIELDS:
        value = ev.get(key)
        if value and any(type(v) is not str for v in value.values()):
            return f"cannot decode event: {key} is not a map of strings"
    if not ev.get("connector") or not ev.get("connector_name"):
        return "missing connector"
    if ev.get("ref_rk") and not ev.get("component"):
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
