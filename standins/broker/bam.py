"""Business activities: their levels and state, computed from the hard states of their KPIs.

A simplified "impact" calculation: every KPI weighs the same share of 100; a hard WARNING takes
half its share, a hard CRITICAL or UNKNOWN all of it. The BA is CRITICAL at or below
``level_critical``, WARNING at or below ``level_warning``, OK above. ``level_acknowledgement``
and ``level_downtime`` are the levels once acknowledged KPIs, respectively KPIs in downtime, are
ignored (what BAM offers as "ignore acknowledged/downtime KPIs"); the BA is ``in_downtime`` when
all its KPIs are (BAM's "inherit KPI downtimes").
"""

from __future__ import annotations

from dataclasses import dataclass

from centreon_canopsis.standins.broker.topology import BusinessActivity

_LABELS = ("OK", "WARNING", "CRITICAL", "UNKNOWN")


@dataclass(frozen=True, slots=True)
class BaLevels:
    state: int
    level_nominal: float
    level_acknowledgement: float
    level_downtime: float
    in_downtime: bool


def _impact(hard_state: int, share: float) -> float:
    if hard_state == 0 or hard_state == 4:
        return 0.0
    return share / 2 if hard_state == 1 else share


def compute(ba: BusinessActivity) -> BaLevels:
    share = 100.0 / len(ba.kpis)
    nominal = acknowledged = downtime = 100.0
    all_in_downtime = True
    for kpi in ba.kpis:
        # Engine's hard state: the current state when HARD, the last hard state otherwise.
        impact = _impact(kpi.last_hard_state if kpi.checked else 0, share)
        nominal -= impact
        if kpi.ack is None:
            acknowledged -= impact
        if not kpi.downtimes:
            downtime -= impact
            all_in_downtime = False
    nominal = round(max(nominal, 0.0), 2)
    if nominal <= ba.level_critical:
        state = 2
    elif nominal <= ba.level_warning:
        state = 1
    else:
        state = 0
    return BaLevels(
        state,
        nominal,
        round(max(acknowledged, 0.0), 2),
        round(max(downtime, 0.0), 2),
        all_in_downtime,
    )


def output(ba: BusinessActivity) -> str:
    return (
        f"Status is {_LABELS[ba.state]} - Level = {ba.level_nominal:g} "
        f"(warn: {ba.level_warning:g} - crit: {ba.level_critical:g})"
    )


def apply(ba: BusinessActivity, levels: BaLevels, now: int) -> tuple[bool, bool]:
    """Store ``levels`` in ``ba``; returns (anything changed, state changed)."""
    state_changed = levels.state != ba.state
    changed = state_changed or (
        levels.level_nominal != ba.level_nominal
        or levels.level_acknowledgement != ba.level_acknowledgement
        or levels.level_downtime != ba.level_downtime
        or levels.in_downtime != ba.in_downtime
    )
    if state_changed:
        ba.last_state_change = now
    ba.state = levels.state
    ba.level_nominal = levels.level_nominal
    ba.level_acknowledgement = levels.level_acknowledgement
    ba.level_downtime = levels.level_downtime
    ba.in_downtime = levels.in_downtime
    return changed, state_changed
