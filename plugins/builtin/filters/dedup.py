"""``enable_host_status_dedup``, ``enable_service_status_dedup`` and
``delta_host_status_change_allow`` (lua-connector.md 4.2 step 3, 4.3 step 4, defect B13).

A status event passes only if it is the check that made the last hard state change:

- host: ``|last_hard_state_change - last_check| <= delta`` or the same with ``last_update``;
- service: ``last_hard_state_change`` equals ``last_check`` or ``last_update`` exactly.

So with the defaults Canopsis receives hard state changes only, never a periodic re-send.

The test reads only the event itself: no state is kept between events, so nothing grows. An
event without ``last_hard_state_change`` (BBDO 2 leaves out zero times: an object that never
had a hard change) or with neither ``last_check`` nor ``last_update`` cannot be judged and is
kept; the Lua connector raised an error on it and lost it. ``delta_host_status_change_allow``
can be set here (defect B11: the Lua connector always used 20).
"""

from __future__ import annotations

from centreon_canopsis.core.events import as_int
from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.plugins.builtin.filters.base import Check, Event, KindChecks, in_c, table

HOST_REASON = "enable_host_status_dedup"
SERVICE_REASON = "enable_service_status_dedup"


def _times(event: Event) -> tuple[int, int, int]:
    """``last_hard_state_change``, ``last_check``, ``last_update``; 0 when absent or unset."""
    return (
        as_int(event.get("last_hard_state_change"), 0) or 0,
        as_int(event.get("last_check"), 0) or 0,
        as_int(event.get("last_update"), 0) or 0,
    )


def host_check(delta: float) -> Check:
    def check(event: Event) -> str | None:
        changed, checked, updated = _times(event)
        if changed <= 0 or (checked <= 0 and updated <= 0):
            return None  # cannot tell: keep
        if checked > 0 and abs(changed - checked) <= delta:
            return None
        if updated > 0 and abs(changed - updated) <= delta:
            return None
        return HOST_REASON

    return check


def service_check(event: Event) -> str | None:
    get = event.get
    changed, checked, updated = get("last_hard_state_change"), get("last_check"), get("last_update")
    # Decoded BBDO: ints, and no last_update in BBDO 3; anything else is converted as written.
    if updated is None:
        updated = 0
    if changed.__class__ is not int or checked.__class__ is not int or updated.__class__ is not int:
        changed, checked, updated = _times(event)
    if changed <= 0 or (checked <= 0 and updated <= 0):
        return None
    if changed in (checked, updated):
        return None
    return SERVICE_REASON


class DedupFilter(KindChecks):
    _checks: dict[str, Check]

    @hookimpl
    def connector_configure(self, config, context) -> None:
        self._checks = table(
            host_status=host_check(float(config.delta_host_status_change_allow))
            if config.enable_host_status_dedup
            else None,
            service_status=in_c("DEDUP_SERVICE", service_check, SERVICE_REASON)
            if config.enable_service_status_dedup
            else None,
        )
