"""Request decoding and validation messages as Canopsis' Go validators word them (4.1).

Decoding mimics ``encoding/json`` into a typed struct: a wrong JSON type is a structure error
(``request has invalid structure`` on single routes, a Go-style message inside bulk results);
``null`` is the same as absent; unknown keys are ignored.
"""

from __future__ import annotations

import re
from typing import Any

from centreon_canopsis.standins.canopsis.fastjson import type_name
from centreon_canopsis.standins.canopsis.patterns import is_structurally_valid

# kind -> Go type named in bulk decode errors
GO_TYPES = {
    "string": "string",
    "bool": "bool",
    "int": "int",
    "time": "int64",
    "str_list": "[]string",
    "pattern": "[]pattern.EntityCondition",
    "exdates": "[]pbehavior.ExdateRequest",
    "any": "interface {}",
}


class StructureError(ValueError):
    """The body does not decode into the request struct (Go json error text in ``args[0]``)."""


def _go_json_type(value: Any) -> str:
    name = type_name(value)
    return "bool" if name in ("true", "false") else name


def _kind_ok(kind: str, value: Any) -> bool:
    t = type(value)
    if kind == "string":
        return t is str
    if kind == "bool":
        return t is bool
    if kind == "int":
        return t is int
    if kind == "time":
        return t is int or t is float  # CpsTime truncates floats
    if kind == "str_list":
        return t is list and all(type(v) is str or v is None for v in value)
    if kind == "exdates":
        return t is list and all(
            v is None
            or (
                type(v) is dict
                and all(v.get(k) is None or type(v.get(k)) in (int, float) for k in ("begin", "end"))
                and (v.get("type") is None or type(v.get("type")) is str)
            )
            for v in value
        )
    if kind == "pattern":
        return is_structurally_valid(value)
    return True


def decode(body: Any, spec: dict[str, str], struct: str = "Request") -> dict[str, Any]:
    """Picks the fields of ``spec`` (json name -> kind) out of ``body``; None for null/absent.

    Raises :class:`StructureError` with Go's wording when a field has the wrong JSON type.
    """
    if body is None:
        return dict.fromkeys(spec)
    if type(body) is not dict:
        raise StructureError(f"json: cannot unmarshal {_go_json_type(body)} into Go value of type {struct}")
    out: dict[str, Any] = {}
    for key, kind in spec.items():
        value = body.get(key)
        if value is not None and not _kind_ok(kind, value):
            jtype = _go_json_type(value)
            if jtype == "number":
                jtype = f"number {value}"
            raise StructureError(
                f"json: cannot unmarshal {jtype} into Go struct field {struct}.{key} of type {GO_TYPES[kind]}"
            )
        if kind == "time" and type(value) is float:
            value = int(value)
        out[key] = value
    return out


# --- messages -------------------------------------------------------------------------------
def missing(go_name: str) -> str:
    return f"{go_name} is missing."


def too_long(go_name: str, limit: int = 255) -> str:
    return f"{go_name} should be {limit} or less."


def not_exist(go_name: str) -> str:
    return f"{go_name} doesn't exist."


def exists(go_name: str) -> str:
    return f"{go_name} already exists."


def greater(go_name: str, other: str) -> str:
    return f"{go_name} should be greater than {other}."


def one_of(go_name: str, options: list[str] | tuple[str, ...]) -> str:
    return f"{go_name} must be one of [{' '.join(options)}]."


ID_CHARS_MSG = "ID cannot contain /?.$ characters."
ID_ALREADY_EXISTS = "ID already exists."
COLOR_INVALID = "Color is not valid."
RRULE_INVALID = "RRule is invalid recurrence rule."
PATTERN_INVALID = "EntityPattern is invalid entity pattern."


def bad_id_chars(value: str) -> bool:
    return any(ch in value for ch in "/?.$")


# --- colours: go-playground's iscolor = hexcolor | rgb | rgba | hsl | hsla --------------------
_BYTE = r"(?:0|[1-9]\d?|1\d\d|2[0-4]\d|25[0-5])"
_PCT = r"(?:0|[1-9]\d?|100)%"
_ALPHA = r"(?:0(?:\.\d+)?|1(?:\.0+)?|\.\d+)"
_DEG = r"(?:0|[1-9]\d?|[12]\d\d|3[0-5]\d|360)"
_COLOR_RES = [
    re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$"),
    re.compile(rf"^rgb\(\s*(?:{_BYTE}\s*,\s*{_BYTE}\s*,\s*{_BYTE}|{_PCT}\s*,\s*{_PCT}\s*,\s*{_PCT})\s*\)$"),
    re.compile(
        rf"^rgba\(\s*(?:{_BYTE}\s*,\s*{_BYTE}\s*,\s*{_BYTE}|{_PCT}\s*,\s*{_PCT}\s*,\s*{_PCT})\s*,\s*{_ALPHA}\s*\)$"
    ),
    re.compile(rf"^hsl\(\s*{_DEG}\s*,\s*{_PCT}\s*,\s*{_PCT}\s*\)$"),
    re.compile(rf"^hsla\(\s*{_DEG}\s*,\s*{_PCT}\s*,\s*{_PCT}\s*,\s*{_ALPHA}\s*\)$"),
]


def is_color(value: str) -> bool:
    return any(r.match(value) for r in _COLOR_RES)


# --- RRULE (the grammar rrule-go's StrToROption accepts) --------------------------------------
_FREQS = frozenset({"YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY"})
_WEEKDAY = r"(?:MO|TU|WE|TH|FR|SA|SU)"
_INT_LIST = re.compile(r"^[+-]?\d+(?:,[+-]?\d+)*$")
_BYDAY = re.compile(rf"^[+-]?\d*{_WEEKDAY}(?:,[+-]?\d*{_WEEKDAY})*$")
_UNTIL = re.compile(r"^\d{8}(?:T\d{6}Z?)?$")
_INT_KEYS = frozenset(
    {
        "INTERVAL",
        "COUNT",
        "BYSETPOS",
        "BYMONTH",
        "BYMONTHDAY",
        "BYYEARDAY",
        "BYWEEKNO",
        "BYHOUR",
        "BYMINUTE",
        "BYSECOND",
        "BYEASTER",
    }
)


def is_rrule(value: str) -> bool:
    lines = value.strip().split("\n")
    if len(lines) > 2:
        return False
    rule = lines[-1].removeprefix("RRULE:")
    freq = False
    for attr in rule.split(";"):
        parts = attr.split("=")
        if len(parts) != 2 or not parts[1]:
            return False
        key, val = parts
        if key == "FREQ":
            if val not in _FREQS:
                return False
            freq = True
        elif key in _INT_KEYS:
            if not _INT_LIST.match(val) or (key in ("INTERVAL", "COUNT") and "," in val):
                return False
        elif key in ("BYDAY", "BYWEEKDAY"):
            if not _BYDAY.match(val):
                return False
        elif key == "WKST":
            if not re.fullmatch(_WEEKDAY, val):
                return False
        elif key in ("UNTIL", "DTSTART"):
            if not _UNTIL.match(val):
                return False
        else:
            return False
    return freq


def parse_bool(value: str) -> bool:
    """Go's strconv.ParseBool (what gin's form binding uses); ValueError otherwise."""
    if value in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if value in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise ValueError(value)
