"""Entity patterns of pbehaviors: validation (4.2) and matching against sandbox entities.

A pattern is a list of groups (OR) of conditions (AND):
``[[{"field": "_id", "cond": {"type": "eq", "value": "svc/host"}}]]``.
"""

from __future__ import annotations

import re
import time
from typing import Any

STRING_FIELDS = frozenset({"_id", "name", "category", "type", "connector", "component"})
INT_FIELDS = frozenset({"impact_level"})
TIME_FIELDS = frozenset({"created"})
FORBIDDEN_FIELDS = frozenset({"last_event_date"})
INFO_PREFIXES = ("infos.", "component_infos.")

STRING_CONDS = frozenset(
    {
        "eq",
        "neq",
        "is_one_of",
        "is_not_one_of",
        "contain",
        "not_contain",
        "begin_with",
        "not_begin_with",
        "end_with",
        "not_end_with",
        "regexp",
    }
)
INT_CONDS = frozenset({"eq", "neq", "gt", "lt"})
TIME_CONDS = frozenset({"relative_time", "absolute_time"})
ARRAY_CONDS = frozenset({"has_every", "has_one_of", "has_not", "is_empty"})
FIELD_TYPES = frozenset({"string", "int", "bool", "string_array"})
_TIME_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "M": 30 * 86400, "y": 365 * 86400}

_regex_cache: dict[str, re.Pattern[str]] = {}


def _is_str_list(value: Any) -> bool:
    return type(value) is list and all(type(v) is str for v in value)


def _is_int(value: Any) -> bool:
    return type(value) is int or (type(value) is float and value.is_integer())


def _valid_string_cond(ctype: str, value: Any) -> bool:
    if ctype in ("is_one_of", "is_not_one_of"):
        return _is_str_list(value) and bool(value)
    if type(value) is not str:
        return False
    if ctype == "regexp":
        try:
            _compile(value)
        except re.error:
            return False
    return True


def _valid_condition(cond: Any) -> bool:
    if type(cond) is not dict:
        return False
    field = cond.get("field")
    spec = cond.get("cond")
    if type(field) is not str or type(spec) is not dict:
        return False
    ctype = spec.get("type")
    value = spec.get("value")
    if type(ctype) is not str or field in FORBIDDEN_FIELDS:
        return False
    if field in STRING_FIELDS:
        return ctype in STRING_CONDS and _valid_string_cond(ctype, value)
    if field in INT_FIELDS:
        return ctype in INT_CONDS and _is_int(value)
    if field in TIME_FIELDS:
        if ctype == "relative_time":
            return type(value) is dict and _is_int(value.get("value")) and value.get("unit") in _TIME_UNITS
        if ctype == "absolute_time":
            return type(value) is dict and _is_int(value.get("from")) and _is_int(value.get("to"))
        return False
    if field.startswith(INFO_PREFIXES) and len(field.split(".", 1)[1]) > 0:
        if ctype == "exist":
            return type(value) is bool
        field_type = cond.get("field_type", "string")
        if field_type not in FIELD_TYPES:
            return False
        if field_type == "string":
            return ctype in STRING_CONDS and _valid_string_cond(ctype, value)
        if field_type == "int":
            return ctype in INT_CONDS and _is_int(value)
        if field_type == "bool":
            return ctype == "eq" and type(value) is bool
        if ctype == "is_empty":
            return type(value) is bool
        return ctype in ARRAY_CONDS and _is_str_list(value)
    return False


def is_valid(pattern: Any) -> bool:
    """True for a non-empty list of non-empty groups of valid conditions."""
    if type(pattern) is not list or not pattern:
        return False
    for group in pattern:
        if type(group) is not list or not group:
            return False
        if not all(_valid_condition(cond) for cond in group):
            return False
    return True


def is_structurally_valid(pattern: Any) -> bool:
    """Go's JSON decoding of ``[][]FieldCondition``: fails on anything not shaped like it."""
    if pattern is None:
        return True
    if type(pattern) is not list:
        return False
    for group in pattern:
        if group is None:
            continue
        if type(group) is not list:
            return False
        for cond in group:
            if cond is not None and type(cond) is not dict:
                return False
            if type(cond) is dict and cond.get("cond") is not None and type(cond["cond"]) is not dict:
                return False
    return True


def _compile(expr: str) -> re.Pattern[str]:
    compiled = _regex_cache.get(expr)
    if compiled is None:
        compiled = re.compile(expr)
        if len(_regex_cache) < 1024:
            _regex_cache[expr] = compiled
    return compiled


def _match_string(ctype: str, value: Any, actual: str | None) -> bool:
    if actual is None:
        return False
    if ctype == "eq":
        return actual == value
    if ctype == "neq":
        return actual != value
    if ctype == "is_one_of":
        return actual in value
    if ctype == "is_not_one_of":
        return actual not in value
    if ctype == "contain":
        return value in actual
    if ctype == "not_contain":
        return value not in actual
    if ctype == "begin_with":
        return actual.startswith(value)
    if ctype == "not_begin_with":
        return not actual.startswith(value)
    if ctype == "end_with":
        return actual.endswith(value)
    if ctype == "not_end_with":
        return not actual.endswith(value)
    if ctype == "regexp":
        return _compile(value).search(actual) is not None
    return False


def _match_int(ctype: str, value: Any, actual: Any) -> bool:
    if not _is_int(actual):
        return False
    return {
        "eq": actual == value,
        "neq": actual != value,
        "gt": actual > value,
        "lt": actual < value,
    }.get(ctype, False)


def _match_condition(cond: dict[str, Any], entity: dict[str, Any], now: float) -> bool:
    field = cond["field"]
    ctype = cond["cond"]["type"]
    value = cond["cond"].get("value")
    if field in STRING_FIELDS:
        actual = entity.get(field)
        return _match_string(ctype, value, actual if type(actual) is str else None)
    if field in INT_FIELDS:
        return _match_int(ctype, value, entity.get(field))
    if field in TIME_FIELDS:
        actual = entity.get(field)
        if not _is_int(actual):
            return False
        if ctype == "relative_time":
            return actual >= now - value["value"] * _TIME_UNITS[value["unit"]]
        return value["from"] <= actual <= value["to"]
    prefix, key = field.split(".", 1)
    infos = entity.get(prefix) or {}
    info = infos.get(key)
    present = info is not None
    if ctype == "exist":
        return present == value
    if not present:
        return False
    actual = info.get("value") if type(info) is dict else info
    field_type = cond.get("field_type", "string")
    if field_type == "string":
        return type(actual) is str and _match_string(ctype, value, actual)
    if field_type == "int":
        return _match_int(ctype, value, actual)
    if field_type == "bool":
        return actual is value
    items = actual if type(actual) is list else []
    if ctype == "is_empty":
        return (not items) == value
    if ctype == "has_every":
        return all(v in items for v in value)
    if ctype == "has_one_of":
        return any(v in items for v in value)
    return not any(v in items for v in value)  # has_not


def matches(pattern: list[list[dict[str, Any]]], entity: dict[str, Any], now: float | None = None) -> bool:
    """OR over groups, AND within a group; the pattern must have passed :func:`is_valid`."""
    when = time.time() if now is None else now
    return any(all(_match_condition(cond, entity, when) for cond in group) for group in pattern)
