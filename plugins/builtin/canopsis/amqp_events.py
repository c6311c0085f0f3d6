"""What ``POST /api/v4/event`` does to an event before it publishes it, done here for AMQP.

Over AMQP nothing normalises the event: the API's checks and rewrites (canopsis-api.md 2.3) are the
producer's job, and engine-fifo drops what it cannot decode with only a log line (2.6). So each
event is normalised the way the API would, and what Canopsis would refuse or drop is refused
here, with a reason, to be dead-lettered. The rules are the sandbox's
(``standins/canopsis/events.py`` and ``fifo.py``); ``tests/amqp/test_normalise.py`` holds both
against the same events.
"""

from __future__ import annotations

import math
import re
from typing import Any

#: Event types whose ``state`` must be an int or a numeric string (turned into an int).
STATE_TYPES = frozenset({"check", "changestate", "metaalarm", "junittestsuiteupdated", "keepstate"})

#: Event types engine-fifo accepts (``isValidEventType``), every supported line together: a type
#: one Canopsis line accepts is not refused here (the 22.10/23.04 ones are the last line).
FIFO_TYPES = frozenset(
    {
        "check", "ack", "ackremove", "assocticket", "cancel", "uncancel", "comment", "changestate",
        "snooze", "unsnooze", "activate", "declareticketwebhook", "resolve_cancel", "resolve_close",
        "resolve_deleted", "pbhenter", "pbhleave", "pbhleaveandenter", "updatestatus", "metaalarm",
        "metaalarmupdated", "metaalarmattachchildren", "metaalarmdetachchildren",
        "recomputeentityservice", "entityupdated", "entitytoggled", "noevents", "run_delayed_scenario",
        "instructionstarted", "instructionpaused", "instructionresumed", "instructioncompleted",
        "instructionaborted", "instructionfailed", "autoinstructionstarted", "autoinstructioncompleted",
        "autoinstructionfailed", "autoinstructionalreadyrunning", "instructionjobstarted",
        "instructionjobcompleted", "instructionjobfailed", "junittestsuiteupdated",
        "junittestcaseeupdated", "trigger", "autoinstructionactivate", "metaalarmchildactivate",
        "metaalarmchilddeactivate",
        "keepstate", "perf", "stateinc", "statedec", "statusinc", "statusdec", "alarmskipped",
        "declareticket", "done",
    }
)  # fmt: skip

# Fields engine-fifo decodes into typed struct fields: any other JSON type (null aside) drops it.
STRING_FIELDS = (
    "connector", "connector_name", "component", "resource", "output", "long_output", "author",
    "user_id", "display_name", "ticket", "ticket_url", "ticket_system_name", "ticket_comment",
    "perf_data", "initiator", "role", "source_type", "ref_rk", "status_name",
)  # fmt: skip
NUMBER_FIELDS = ("state", "timestamp", "duration", "status")
MAP_FIELDS = ("tags", "ticket_data")

# strconv.Atoi: optional sign, ASCII digits, nothing else.
_ATOI = re.compile(r"[+-]?[0-9]+\Z")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

#: AMQP's limit on a routing key (a short string): 255 bytes.
MAX_ROUTING_KEY = 255


class Refused(ValueError):
    """Canopsis would refuse (API) or drop (engine-fifo) this event; ``args[0]`` says why."""


def normalise(event: Any) -> dict[str, Any]:
    """Checks and rewrites ``event`` in place as the API would; raises :class:`Refused`."""
    if type(event) is not dict:
        raise Refused("not a JSON object")
    event_type = event.get("event_type")
    if type(event_type) is not str:
        raise Refused("event_type is missing or not a string")
    if event_type not in FIFO_TYPES:
        raise Refused(f"event_type {event_type!r} is not one engine-fifo accepts")
    if event_type in STATE_TYPES:
        if "state" not in event:
            raise Refused(f"state is missing (required for {event_type})")
        state = event["state"]
        if type(state) is str:
            if not _ATOI.match(state) or not _INT64_MIN <= int(state) <= _INT64_MAX:
                raise Refused(f"state {state!r} is not an integer")
            event["state"] = int(state)
        elif type(state) not in (int, float):
            raise Refused("state is not a number")
    if "long_output" in event and type(event["long_output"]) is not str:
        event["long_output"] = ""  # what the API does
    for key in STRING_FIELDS:
        value = event.get(key)
        if value is not None and type(value) is not str:
            raise Refused(f"{key} is not a string")
    for key in NUMBER_FIELDS:
        value = event.get(key)
        if value is not None and (type(value) not in (int, float) or not math.isfinite(value)):
            raise Refused(f"{key} is not a number")
    for key in MAP_FIELDS:
        value = event.get(key)
        if value is not None and (type(value) is not dict or any(type(v) is not str for v in value.values())):
            raise Refused(f"{key} is not a map of strings")
    if not event.get("connector"):
        raise Refused("connector is missing")
    if not event.get("connector_name"):
        raise Refused("connector_name is missing")
    if event.get("component"):
        source_type = "resource" if event.get("resource") else "component"
    elif event.get("ref_rk"):
        raise Refused("component is missing (ref_rk given)")
    elif event_type == "check":
        raise Refused("cannot create check event for connector (component is missing)")
    else:
        source_type = "connector"
    if not event.get("ref_rk"):
        event["source_type"] = source_type
    elif event.get("source_type") not in ("connector", "component", "resource", "service", "metaalarm"):
        raise Refused("source_type is missing or invalid (ref_rk given)")
    return event


_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")


class RoutingKey:
    """A routing key template: ``{field}`` is the event's field; ``[...]`` is left out when a field
    inside it is empty or absent (Canopsis's key has ``[.<resource>]``). Compiled once into
    literal and field tokens: rendering runs once per published event."""

    def __init__(self, template: str) -> None:
        self.template = template
        # (optional?, tokens): a token is literal text (str) or a field name (a 1-tuple).
        self._parts: list[tuple[bool, list[str | tuple[str]]]] = []
        position = 0
        for match in _OPTIONAL.finditer(template):
            if match.start() > position:
                self._parts.append((False, _tokens(template[position : match.start()])))
            self._parts.append((True, _tokens(match.group(1))))
            position = match.end()
        if position < len(template):
            self._parts.append((False, _tokens(template[position:])))
        for _, tokens in self._parts:
            if any(isinstance(token, str) and ("[" in token or "]" in token) for token in tokens):
                raise ValueError(f"unbalanced or nested [ ] in routing key template {template!r}")

    def render(self, event: dict[str, Any]) -> str:
        out: list[str] = []
        for optional, tokens in self._parts:
            pieces: list[str] = []
            for token in tokens:
                if type(token) is str:
                    pieces.append(token)
                    continue
                value = event.get(token[0])
                text = "" if value is None else value if type(value) is str else str(value)
                if optional and not text:
                    pieces = []
                    break
                pieces.append(text)
            out += pieces
        key = "".join(out)
        if len(key) > MAX_ROUTING_KEY // 4 and len(key.encode()) > MAX_ROUTING_KEY:
            size = len(key.encode())
            raise Refused(
                f"routing key of {size} bytes (AMQP allows {MAX_ROUTING_KEY}): {key[:60]!r}...; "
                "shorten the names or set amqp.routing_key"
            )
        return key


def _tokens(text: str) -> list[str | tuple[str]]:
    tokens: list[str | tuple[str]] = []
    position = 0
    for match in _FIELD.finditer(text):
        if match.start() > position:
            tokens.append(text[position : match.start()])
        tokens.append((match.group(1),))
        position = match.end()
    if position < len(text):
        tokens.append(text[position:])
    return tokens
