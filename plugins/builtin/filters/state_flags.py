"""``hard_only``, ``acknowledged``, ``in_downtime`` and ``flapping`` (lua-connector.md 2.3,
4.2 step 4, 4.5), checked in that order on host and service status events; ``in_downtime`` also
on BA status events (the BA's ``in_downtime``).

- ``hard_only = 1``: SOFT states (``state_type`` 0, or absent) are dropped.
- ``acknowledged = 0``: status events of acknowledged objects are dropped. BBDO 2 has
  ``acknowledged``; BBDO 3 only ``acknowledgement_type`` (1 normal, 2 sticky): either counts.
- ``in_downtime = 0``: status events of objects in downtime (``scheduled_downtime_depth`` > 0)
  are dropped; ``in_downtime = 1`` keeps them all. The Lua connector compared
  ``depth <= in_downtime`` and so still dropped objects in two overlapping downtimes (depth 2)
  with ``in_downtime = 1``: an admin who asks for events in downtime wants all of them.
- ``flapping = 0``: status events of flapping objects are dropped.

A recovery (state 0: UP, OK) is never dropped by ``acknowledged``, ``in_downtime`` or
``flapping``. In the Lua connector it was: an object that recovered while flapping, in downtime or
still acknowledged kept its alarm open in Canopsis for good, because dedup then drops every later
OK check (no periodic re-send, defect B13). A recovery of an object without an open alarm is a
no-op in Canopsis, so letting it through costs nothing.
"""

from __future__ import annotations

from centreon_canopsis.core.events import as_int
from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.plugins.builtin.filters.base import Check, Event, KindChecks, in_c, table


def _hard_only(event: Event) -> str | None:
    state_type = event.get("state_type")
    if state_type == 1:
        return None
    return None if (as_int(state_type, 0) or 0) >= 1 else "hard_only"


def _acknowledged(event: Event) -> str | None:
    if event.get("acknowledged") or (as_int(event.get("acknowledgement_type"), 0) or 0) >= 1:
        return "acknowledged"
    return None


def _in_downtime(event: Event) -> str | None:
    depth = event.get("scheduled_downtime_depth", event.get("downtime_depth"))
    return "in_downtime" if depth and (as_int(depth, 0) or 0) > 0 else None


def _flapping(event: Event) -> str | None:
    return "flapping" if event.get("flapping") else None


def _ba_in_downtime(event: Event) -> str | None:
    return "in_downtime" if event.get("in_downtime") else None


def combined(hard_only: bool, acknowledged: bool, in_downtime: bool, flapping: bool) -> Check | None:
    """The status check: ``hard_only``, then, unless the event is a recovery, the flags in the
    module's order; one function (it runs for most status events: one call, not up to six). Ints,
    as decoded BBDO carries them, are compared inline; anything else goes through the single
    checks above. tests/filters/test_inline_paths.py holds it to the chain of those checks."""
    if not (hard_only or acknowledged or in_downtime or flapping):
        return None
    flags = acknowledged or in_downtime or flapping

    def check(event: Event) -> str | None:
        get = event.get
        if hard_only:
            state_type = get("state_type")
            if state_type != 1 and (state_type.__class__ is not int or state_type < 1) and _hard_only(event):
                return "hard_only"
        if not flags:
            return None
        state = get("state")
        if state == 0 if state.__class__ is int else as_int(state, -1) == 0:
            return None  # a recovery
        if acknowledged:
            kind = get("acknowledgement_type")
            if get("acknowledged") or (kind >= 1 if kind.__class__ is int else _acknowledged(event)):
                return "acknowledged"
        if in_downtime:
            depth = get("scheduled_downtime_depth", get("downtime_depth"))
            if depth and (depth > 0 if depth.__class__ is int else _in_downtime(event)):
                return "in_downtime"
        if flapping and get("flapping"):
            return "flapping"
        return None

    return check


class StateFlagsFilter(KindChecks):
    _checks: dict[str, Check]

    @hookimpl
    def connector_configure(self, config, context) -> None:
        flags = (bool(config.hard_only), not config.acknowledged, not config.in_downtime, not config.flapping)
        both = combined(*flags)
        if both is not None:
            both = in_c("STATE_FLAGS", both, *flags)
        self._checks = table(
            host_status=both,
            service_status=both,
            ba_status=None if config.in_downtime else _ba_in_downtime,
        )
