"""What a format-file macro may name, so that ``validate`` catches a misspelt macro.

Event macros name a field of the element (Broker's names, both protocol forms) or a field the
Lua connector adds (``short_output``...). Cache macros name what the name cache keeps. A macro
outside these lists resolves to nothing on every event: the template would send a payload
without that field, which for ``component`` means Canopsis refuses every one (issue 14).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import cache

from centreon_canopsis.core.bbdo.mapped import parse_spec
from centreon_canopsis.core.bbdo.mapped_tables import MAPPED_EVENTS
from centreon_canopsis.core.bbdo.pb import PROTOBUF_TYPES, make_type
from centreon_canopsis.core.cache import HOST_FIELDS, SERVICE_FIELDS, STATUS_FIELDS

#: Fields every event has (Broker's Lua view) or that the Lua connector adds before formatting.
ADDED_FIELDS = frozenset(
    {
        "_type",
        "category",
        "element",
        "output",
        "short_output",
        "long_output",
        "acknowledged",
        "last_update",
        "last_check",
        "state",
        "scheduled_downtime_depth",
    }
)
#: ``{cache.<type>.<field>}``: the fields the name cache keeps, per type; None: no field allowed
#: (the value is used whole: ``{cache.poller}``, or read through ``$expr``).
CACHE_FIELDS: dict[str, frozenset[str] | None] = {
    "host": frozenset(HOST_FIELDS) | frozenset(STATUS_FIELDS),
    "service": frozenset(SERVICE_FIELDS) | frozenset(STATUS_FIELDS),
    "instance": frozenset({"id", "name"}),
    "severity": frozenset({"host", "service"}),
    # Broker's get_ba names (Centreon's templating documentation), and ours from before.
    "ba": frozenset({"ba_id", "ba_name", "ba_description", "name", "description"}),
    "poller": None,
    "hostgroups": None,
    "servicegroups": None,
    "bvs": None,
}


@cache
def _element_fields(category: int, element: int) -> frozenset[str] | None:
    mapped = MAPPED_EVENTS.get((category, element))
    if mapped is not None:
        return frozenset(f.name for f in parse_spec(mapped[1]) if f.visibility == "lua")
    protobuf = PROTOBUF_TYPES.get(make_type(category, element))
    if protobuf is not None:
        return frozenset(protobuf.keys)
    return None


def event_fields(elements: Iterable[object]) -> frozenset[str] | None:
    """Field names of these elements (their protocol forms together); None when one of them
    is not in the tables (an element a plugin declares): then any name is accepted."""
    names: set[str] = set(ADDED_FIELDS)
    for element in elements:
        fields = _element_fields(element.category, element.element)  # type: ignore[attr-defined]
        if fields is None:
            return None
        names |= fields
    return frozenset(names)


def did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
