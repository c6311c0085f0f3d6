"""The one gate every event passes before any stage: envelope, ids and the fields the engine reads.

Sources hand the pipeline dicts decoded from JSON or BBDO; nothing in them can be trusted. Here,
and nowhere else, an event is checked before the name cache and the plugins see it:

- the envelope (``category``, ``element``, ``_type``: :func:`~.events.check_event`);
- every id the engine reads (``host_id``, ``service_id``, ``instance_id``, group, severity and BA
  ids): an integer, or absent/``null``/``""`` (not set). BBDO 2 JSON dumps write ids as strings
  and some tools as integral floats: ``"15"`` and ``15.0`` become ``15``; anything else (``"abc"``,
  ``"1.5"``, ``[1]``, ``{}``, a boolean, a NUL) makes the event invalid;
- the names the cache keeps for later events (host, service, group, poller, severity, BA names):
  strings, or absent.

An invalid event raises :class:`~.events.InvalidEvent` with a reason code (the ``reason`` label of
``events_invalid_total``); the pipeline counts it, keeps it as an ``input`` dead letter and goes on.
The usual event costs a dictionary look-up and a class test per id field (no conversion).
"""

from __future__ import annotations

from typing import Any

from centreon_canopsis.core.elements import ElementRegistry
from centreon_canopsis.core.events import InvalidEvent, check_event
from centreon_canopsis.core.logsafe import shown

#: The stage of the dead letters that keep invalid input.
INPUT_STAGE = "input"

#: Reason codes (the ``reason`` label of ``events_invalid_total``).
NOT_JSON = "not_json"
LINE_TOO_LONG = "line_too_long"
NOT_AN_EVENT = "not_an_event"  # not an object, or no valid category/element/_type
BAD_FIELD = "bad_field"  # an id that is not an integer, a name that is not a string
STAGE_ERROR = "stage_error"  # a stage before the plugins raised on the event
UNDECODABLE = "undecodable"  # input a source could not decode (a BBDO frame)

#: Ids every event may carry.
COMMON_IDS = ("host_id", "service_id", "instance_id")
#: More ids, by element kind (the generic name of the BBDO 2 and 3 forms).
IDS_BY_KIND: dict[str, tuple[str, ...]] = {
    "host": ("severity_id",),
    "service": ("severity_id",),
    "host_group": ("hostgroup_id",),
    "host_group_member": ("hostgroup_id",),
    "service_group": ("servicegroup_id",),
    "service_group_member": ("servicegroup_id",),
    "pb_severity": ("id", "type", "level", "action"),
    "ba_status": ("ba_id",),
    "dimension_ba_event": ("ba_id",),
    "dimension_bv_event": ("bv_id",),
    "dimension_ba_bv_relation_event": ("ba_id", "bv_id"),
}
#: Names the cache keeps, by element kind.
NAMES_BY_KIND: dict[str, tuple[str, ...]] = {
    "instance": ("name",),
    "host": ("name", "alias", "address", "display_name"),
    "service": ("description", "display_name"),
    "host_group": ("name",),
    "host_group_member": ("name", "group_name"),
    "service_group": ("name",),
    "service_group_member": ("name", "group_name"),
    "pb_severity": ("name",),
    "custom_variable": ("name",),
    "dimension_ba_event": ("ba_name", "ba_description"),
    "dimension_bv_event": ("bv_name", "bv_description"),
}
_ID_MAX = 1 << 64  # Broker ids are at most uint64
_ID_MIN = -(1 << 63)


class Intake:
    """Checks events against the element registry (one table of fields per type, built lazily)."""

    def __init__(self, registry: ElementRegistry) -> None:
        self._types = registry.by_type
        self._fields: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def admit(self, event: Any) -> int:
        """The event's type id once it is fit for the stages (ids coerced in place); raises
        :class:`InvalidEvent` with a ``code``."""
        # The envelope, inline for the usual event; check_event judges (and words) the rest.
        category = event.get("category") if event.__class__ is dict else None
        element = event.get("element") if category.__class__ is int else None
        if element.__class__ is int and category >= 0 and element >= 0:  # type: ignore[operator]
            type_id = category << 16 | element  # type: ignore[operator]
            declared = event.get("_type")
            if declared.__class__ is not int or declared != type_id:
                if declared is not None and declared != type_id:
                    raise InvalidEvent(
                        f"'_type' {shown(declared, 60)} does not match category {category} and element "
                        f"{element}",
                        NOT_AN_EVENT,
                    )
                event["_type"] = type_id
        else:
            try:
                type_id = check_event(event)
            except InvalidEvent as error:
                error.code = NOT_AN_EVENT
                raise
        fields = self._fields.get(type_id)
        if fields is None:
            fields = self._fields[type_id] = self._fields_of(type_id)
        ids, names = fields
        get = event.get
        for name in ids:
            value = get(name)
            if value.__class__ is int or value is None:  # the usual case: nothing to do
                continue
            event[name] = _id(name, value)
        for name in names:
            value = get(name)
            if value is not None and value.__class__ is not str:
                raise InvalidEvent(f"{name!r} is {_kind(value)}, not a string", BAD_FIELD)
        return type_id

    def _fields_of(self, type_id: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        element = self._types.get(type_id)
        kind = element.kind if element is not None else ""
        return COMMON_IDS + IDS_BY_KIND.get(kind, ()), NAMES_BY_KIND.get(kind, ())


def _id(name: str, value: Any) -> Any:
    """An id that is not already an int: coerced, or InvalidEvent."""
    if value == "" and value.__class__ is str:
        return value  # "not set", as BBDO 2 dumps write it
    number: int | None = None
    if value.__class__ is str:
        digits = value[1:] if value[:1] == "-" else value
        if 0 < len(digits) <= 20 and digits.isascii() and digits.isdigit():
            number = int(value)
    elif (value.__class__ is float and value.is_integer()) or (
        isinstance(value, int) and not isinstance(value, bool)  # an int subclass (IntEnum)
    ):
        number = int(value)
    if number is None or not _ID_MIN <= number < _ID_MAX:
        raise InvalidEvent(f"{name!r} is {_kind(value)}, not an integer id", BAD_FIELD)
    return number


def _kind(value: Any) -> str:
    """What a wrong value is, for the reason of a dead letter (the value itself, escaped and cut)."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, list | dict):
        return f"a JSON {'array' if isinstance(value, list) else 'object'} ({shown(value, 60)})"
    return shown(value, 60) if not isinstance(value, str) else f"the string {shown(repr(value), 60)}"
