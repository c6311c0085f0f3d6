"""Helpers that read Broker events the same way in their BBDO 2 and BBDO 3 forms.

An event is a plain dict shaped like Broker's own JSON view of it (broker-events-json.md):
``_type``, ``category``, ``element`` and the fields with the names Broker gives them. The two
protocol forms differ in ways plugins must not get wrong (lua-connector.md 3.7): BBDO 2 leaves out
fields holding their "invalid" value (``service_id`` of a host acknowledgement, ``deletion_time``
of an active one, ``actual_start_time`` of a downtime that has not started), BBDO 3 sends them
as 0 or -1. These helpers hide that.
"""

from __future__ import annotations

from typing import Any

from centreon_canopsis.core.elements import Element

Event = dict[str, Any]


class InvalidEvent(ValueError):
    """A line or frame that is not a Broker event; ``code`` says why in one word (a metric label)."""

    def __init__(self, message: str, code: str = "not_an_event") -> None:
        super().__init__(message)
        self.code = code


def type_id_of(event: Event) -> int:
    """``_type`` of an event, computed from category and element when absent."""
    value = event.get("_type")
    if isinstance(value, int) and value > 0:
        return value
    return int(event["category"]) << 16 | int(event["element"])


def check_event(event: Any) -> int:
    """Validates the envelope of a decoded JSON value; returns its type id or raises InvalidEvent."""
    if not isinstance(event, dict):
        raise InvalidEvent(f"expected a JSON object, got {type(event).__name__}")
    category, element = event.get("category"), event.get("element")
    if not isinstance(category, int) or isinstance(category, bool) or category < 0:
        raise InvalidEvent("'category' is missing or not a non-negative integer")
    if not isinstance(element, int) or isinstance(element, bool) or element < 0:
        raise InvalidEvent("'element' is missing or not a non-negative integer")
    computed = category << 16 | element
    declared = event.get("_type")
    if declared is not None and declared != computed:
        raise InvalidEvent(f"'_type' {declared} does not match category {category} and element {element}")
    event["_type"] = computed
    return computed


#: What a BBDO time or id holds when it holds nothing: absent, 0, -1 (BBDO 3 "not set") or "".
UNSET = (None, 0, -1, "", "0", "-1")


def is_set(value: Any) -> bool:
    """A BBDO time or id that holds a real value (not one of :data:`UNSET`)."""
    return value not in UNSET


def service_id_of(event: Event) -> int:
    """The service id, 0 for a host (absent in BBDO 2, 0 in BBDO 3)."""
    value = event.get("service_id")
    return int(value) if is_set(value) else 0


def is_service_event(event: Event) -> bool:
    """Whether an acknowledgement, downtime or status concerns a service rather than a host.

    Decided on ``service_id`` alone, which works for both forms (the ``type`` field numbers hosts
    and services differently in acknowledgements and downtimes).
    """
    return service_id_of(event) != 0


def as_int(value: Any, default: int | None = None) -> int | None:
    """Timestamps and states as ints (BBDO 2 JSON dumps write timestamps as strings)."""
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return default


def identity(event: Event, element: Element | None = None) -> str:
    """A short description for log lines and errors: ``service_status host_id=15 service_id=47``."""
    name = element.name if element is not None else f"{event.get('category')}:{event.get('element')}"
    parts = [name]
    for field in ("host_id", "service_id", "ba_id", "id", "internal_id", "instance_id"):
        value = event.get(field)
        if is_set(value):
            parts.append(f"{field}={value}")
    return " ".join(parts)
