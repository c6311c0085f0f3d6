"""Performance data in the ``perf_data`` field of check events (contrib plugin ``perf_data``).

Canopsis 23.04 and later turn the ``perf_data`` of a ``check`` event (Nagios syntax,
``'label'=value[unit];warn;crit;min;max ...``) into metrics; from 24.10 it keeps only the units
of its ``AllowedPerfDataUnits`` setting, by default ``% °C s us ms B KB MB TB c``. This plugin
copies the ``perfdata`` of host and service status events into the check events the other
plugins built (builtin mapping or format file), after putting each value in an allowed unit
where a conversion exists (``ns`` -> ``us``, ``min``/``h``/``d`` -> ``s``, ``GB`` -> ``MB``,
``PB`` -> ``TB``, ``KiB``/``MiB``/``TiB`` -> ``KB``/``MB``/``TB``, ``°F``/``K`` -> ``°C``...).
Values whose unit has no conversion, or that do not parse, are left out and counted
(``perf_data_dropped_total``); values without unit are kept.

    [plugins]
    load = ["centreon_canopsis.plugins.contrib.perf_data"]
    [plugins.perf_data]                      # optional
    allowed_units = ["%", "°C", "s", "us", "ms", "B", "KB", "MB", "TB", "c"]   # Canopsis's list

It wraps ``connector_transform`` (a pluggy wrapper): the per-event hook calls then go through
pluggy, a little slower than without it.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.core.logsafe import log_limited, shown

log = logging.getLogger(__name__)

NAME = "perf_data"
STATE_KEY = "contrib.perf_data"
DEFAULT_UNITS = ("%", "°C", "s", "us", "ms", "B", "KB", "MB", "TB", "c")
KINDS = frozenset({"host_status", "service_status"})

Convert = Callable[[float], float]


def _scale(factor: float) -> Convert:
    return lambda value: value * factor


#: unit -> (allowed unit, conversion). Byte multiples are binary, as in Nagios plugins.
CONVERSIONS: dict[str, tuple[str, Convert]] = {
    "ns": ("us", _scale(0.001)),
    "µs": ("us", _scale(1)),
    "μs": ("us", _scale(1)),
    "min": ("s", _scale(60)),
    "h": ("s", _scale(3600)),
    "d": ("s", _scale(86400)),
    "kB": ("KB", _scale(1)),
    "KiB": ("KB", _scale(1)),
    "MiB": ("MB", _scale(1)),
    "GB": ("MB", _scale(1024)),
    "GiB": ("MB", _scale(1024)),
    "TiB": ("TB", _scale(1)),
    "PB": ("TB", _scale(1024)),
    "PiB": ("TB", _scale(1024)),
    "°F": ("°C", lambda value: (value - 32) * 5 / 9),
    "degF": ("°C", lambda value: (value - 32) * 5 / 9),
    "K": ("°C", lambda value: value - 273.15),
    "C": ("°C", _scale(1)),
    "degC": ("°C", _scale(1)),
    "℃": ("°C", _scale(1)),
}

_VALUE = re.compile(r"^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)([^;0-9.+-][^;]*)?$")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


class Dropped(ValueError):
    """A metric that cannot be sent; the message says why."""


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return format(value, ".10g")


def _threshold(text: str, convert: Convert | None) -> str:
    """A warn/crit/min/max field (a number or a Nagios range such as ``@10:20``), converted."""
    if convert is None or not text:
        return text
    return _NUMBER.sub(lambda match: _number(convert(float(match.group()))), text)


def parse(perfdata: str) -> Iterable[tuple[str, str]]:
    """``(label, rest)`` of each metric, the label unquoted; ``("", token)`` for a token that is
    not ``label=value``. Labels with spaces are quoted (``'used space'=...``, ``''`` for a quote)."""
    at, end = 0, len(perfdata)
    while at < end:
        if perfdata[at].isspace():
            at += 1
            continue
        if perfdata[at] == "'":
            label, at = _quoted(perfdata, at + 1)
            if label is not None and at < end and perfdata[at] == "=":
                stop = _token_end(perfdata, at)
                yield label, perfdata[at + 1 : stop]
                at = stop
                continue
            stop = _token_end(perfdata, at)
            yield "", perfdata[at:stop]
            at = stop
            continue
        stop = _token_end(perfdata, at)
        label, equals, rest = perfdata[at:stop].partition("=")
        yield (label, rest) if equals else ("", label)
        at = stop


def _quoted(text: str, at: int) -> tuple[str | None, int]:
    """The label of a quoted one starting after its quote, and where it ends (after the quote)."""
    label = []
    while at < len(text):
        if text[at] == "'":
            if text[at + 1 : at + 2] == "'":
                label.append("'")
                at += 2
                continue
            return "".join(label), at + 1
        label.append(text[at])
        at += 1
    return None, at


def _token_end(text: str, at: int) -> int:
    while at < len(text) and not text[at].isspace():
        at += 1
    return at


def convert_metric(label: str, rest: str, allowed: frozenset[str]) -> tuple[str, bool]:
    """One metric in Nagios syntax with an allowed unit, and whether it was converted. Raises Dropped."""
    fields = rest.split(";")
    found = _VALUE.match(fields[0])
    if not found:
        raise Dropped(f"value {fields[0]!r} is not a number")
    value, unit = float(found.group(1)), (found.group(2) or "").strip()
    if not math.isfinite(value):
        raise Dropped(f"value {fields[0]!r} is not finite")
    convert: Convert | None = None
    if unit and unit not in allowed:
        conversion = CONVERSIONS.get(unit)
        if conversion is None or conversion[0] not in allowed:
            raise Dropped(f"unit {unit!r} has no conversion to an allowed unit")
        unit, convert = conversion
        value = convert(value)
    head = (_number(value) if convert else found.group(1)) + unit
    tail = [_threshold(field, convert) for field in fields[1:5]]
    while tail and not tail[-1]:
        tail.pop()
    quoted = "'" + label.replace("'", "''") + "'" if re.search(r"[\s'=]", label) else label
    return f"{quoted}={';'.join([head, *tail])}", convert is not None


def convert(perfdata: str, allowed: frozenset[str]) -> tuple[str, int, int, list[str]]:
    """The perfdata with allowed units: ``(text, converted, dropped, reasons)``."""
    kept, converted, reasons = [], 0, []
    for label, rest in parse(perfdata):
        if not label:
            reasons.append(f"{rest!r} is not label=value")
            continue
        try:
            text, changed = convert_metric(label, rest, allowed)
        except Dropped as error:
            reasons.append(f"{label}: {error}")
            continue
        kept.append(text)
        converted += changed
    return " ".join(kept), converted, len(reasons), reasons


@hookimpl
def connector_config_schema() -> dict[str, Any]:
    return {
        NAME: {
            "type": "object",
            "properties": {
                "allowed_units": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 1},
                    "default": list(DEFAULT_UNITS),
                }
            },
            "additionalProperties": False,
        }
    }


@hookimpl
def connector_configure(config, context) -> None:
    settings = config.plugin_settings(NAME)
    context.state[STATE_KEY] = frozenset(settings.get("allowed_units", DEFAULT_UNITS))
    metrics = context.metrics
    metrics.describe(
        "perf_data_converted_total", "counter", "contrib perf_data: metrics put in an allowed unit."
    )
    metrics.describe(
        "perf_data_dropped_total",
        "counter",
        "contrib perf_data: metrics left out (unit without conversion, value not a number).",
    )


@hookimpl(wrapper=True)
def connector_transform(event: dict[str, Any], element, context):
    payloads = yield
    if not payloads or element.kind not in KINDS:
        return payloads
    perfdata = event.get("perfdata")
    if not isinstance(perfdata, str) or not perfdata.strip():
        return payloads
    text, converted, dropped, reasons = convert(perfdata, context.state[STATE_KEY])
    if converted:
        context.metrics.inc("perf_data_converted_total", converted)
    if dropped:
        context.metrics.inc("perf_data_dropped_total", dropped)
        log_limited(log, logging.INFO, "perf_data_dropped", "perf_data: left out %s", shown(reasons[0]))
    if text:
        for payload in payloads:
            body = payload.body
            if payload.kind == "event" and isinstance(body, dict) and body.get("event_type") == "check":
                body["perf_data"] = text
    return payloads
