"""``POST /api/v4/event``: the API-side checks and mutations of canopsis-api.md 2.3.

The function below runs once per event on the hot path (100k+ events/s), so it is written
with plain dict operations and early returns rather than small helpers.
"""

from __future__ import annotations

import re
from typing import Any

from centreon_canopsis.standins.canopsis.auth import User
from centreon_canopsis.standins.canopsis.versions import VersionProfile

# strconv.Atoi: optional sign, ASCII digits, nothing else.
_ATOI = re.compile(r"[+-]?[0-9]+\Z")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

NOT_ARRAY_OR_OBJECT = "the body should be an object or an array"


class EventChecker:
    """Applies the per-event rules of one Canopsis line for one user."""

    def __init__(self, profile: VersionProfile, allow_change_severity_to_info: bool = False) -> None:
        self.state_types = profile.state_types
        self.role_types = profile.role_types
        self.zero_rejected = (
            profile.zero_state_rejected_types if not allow_change_severity_to_info else frozenset()
        )

    def check(self, ev: Any, user: User) -> bool:
        """Mutates ``ev`` in place like the API does; False means it goes to failed_events."""
        if type(ev) is not dict:
            return False
        event_type = ev.get("event_type")
        if type(event_type) is not str:
            return False
        # 2. state for the state-carrying types: an int (any JSON number) or a numeric string.
        if event_type in self.state_types:
            if "state" not in ev:
                return False
            state = ev["state"]
            kind = type(state)
            if kind is str:
                if not _ATOI.match(state):
                    return False
                state = int(state)
                if state < _INT64_MIN or state > _INT64_MAX:
                    return False
                ev["state"] = state
            elif kind is not int and kind is not float:
                return False
            if state == 0 and event_type in self.zero_rejected:
                return False
        # 3. role for the user-action types.
        if event_type in self.role_types:
            ev["role"] = user.role
        # 4. a non-string long_output becomes "".
        if "long_output" in ev and type(ev["long_output"]) is not str:
            ev["long_output"] = ""
        # 5. author / user_id from the authenticated user when absent or empty.
        for key, value in (("author", user.display_name), ("user_id", user.id)):
            if key not in ev or ev[key] == "":
                ev[key] = value
            elif type(ev[key]) is not str:
                return False
        # 6. entity fields, unless ref_rk short-cuts them.
        ref_rk = ev.get("ref_rk")
        if type(ref_rk) is str and ref_rk:
            return True
        connector = ev.get("connector")
        if type(connector) is not str or not connector:
            return False
        connector_name = ev.get("connector_name")
        if type(connector_name) is not str or not connector_name:
            return False
        component = ev.get("component", "")
        if type(component) is not str:
            return False
        resource = ev.get("resource", "")
        if type(resource) is not str:
            return False
        if component:
            source_type = "resource" if resource else "component"
        elif event_type == "check":
            return False  # "cannot create check event for connector"
        else:
            source_type = "connector"
        if "source_type" in ev:
            given = ev["source_type"]
            if type(given) is not str:
                return False
            if given != source_type:
                ev["source_type"] = source_type
        else:
            ev["source_type"] = source_type
        return True


def entity_id_of(ev: dict[str, Any]) -> tuple[str, str]:
    """Entity id and type an event addresses (3.1); ('', '') when fields are missing."""
    component = ev.get("component") or ""
    resource = ev.get("resource") or ""
    if component:
        if resource:
            return f"{resource}/{component}", "resource"
        return component, "component"
    connector = ev.get("connector") or ""
    connector_name = ev.get("connector_name") or ""
    if connector and connector_name:
        return f"{connector}/{connector_name}", "connector"
    return "", ""
