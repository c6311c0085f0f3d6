"""hard_only, acknowledged, in_downtime and flapping on status events; in_downtime on BAs."""

from __future__ import annotations

import pytest

from tests.filters.harness import PING

SOFT = {"state_type": 0}
ACKED = {"acknowledgement_type": 1}
STICKY = {"acknowledgement_type": 2}
IN_DOWNTIME = {"scheduled_downtime_depth": 1}
TWO_DOWNTIMES = {"scheduled_downtime_depth": 2}
FLAPPING = {"flapping": True}

CASES = [
    # (settings, status fields, expected reason) - checked on host and service status alike
    ({}, {}, None),
    ({}, SOFT, "hard_only"),
    ({"hard_only": 0}, SOFT, None),
    ({"hard_only": "0"}, SOFT, None),  # B18: the Centreon UI stores numbers as strings
    ({"hard_only": False}, SOFT, None),
    ({}, ACKED, "acknowledged"),
    ({}, STICKY, "acknowledged"),
    ({"acknowledged": 1}, ACKED, None),
    ({"acknowledged": "1"}, STICKY, None),
    ({}, IN_DOWNTIME, "in_downtime"),
    ({"in_downtime": 1}, IN_DOWNTIME, None),
    # Lua compared depth <= in_downtime and dropped overlapping downtimes; kept here.
    ({"in_downtime": "1"}, TWO_DOWNTIMES, None),
    ({}, FLAPPING, "flapping"),
    ({"flapping": 1}, FLAPPING, None),
    ({"flapping": "1"}, FLAPPING, None),
    # Order: hard_only, acknowledged, in_downtime, flapping.
    ({}, {**SOFT, **ACKED, **IN_DOWNTIME, **FLAPPING}, "hard_only"),
    ({"hard_only": 0}, {**SOFT, **ACKED, **IN_DOWNTIME, **FLAPPING}, "acknowledged"),
    ({"hard_only": 0, "acknowledged": 1}, {**SOFT, **ACKED, **IN_DOWNTIME, **FLAPPING}, "in_downtime"),
    (
        {"hard_only": 0, "acknowledged": 1, "in_downtime": 1},
        {**SOFT, **ACKED, **TWO_DOWNTIMES, **FLAPPING},
        "flapping",
    ),
]


@pytest.mark.parametrize(("settings", "fields", "expected"), CASES)
def test_host_status_flags(harness, settings, fields, expected):
    h = harness(**settings)
    assert h.reason(h.host_status(**{"state": 1, **fields})) == expected  # a problem: recoveries always pass


@pytest.mark.parametrize(("settings", "fields", "expected"), CASES)
def test_service_status_flags(harness, settings, fields, expected):
    h = harness(**settings)
    assert h.reason(h.service_status(**{"state": 2, **fields})) == expected


def test_bbdo2_acknowledged_flag_counts(harness, bbdo):
    h = harness()
    if bbdo == 2:
        # BBDO 2 has both fields; a status may carry the flag with the type already reset.
        assert h.reason(h.host_status(state=1, acknowledged=True, acknowledgement_type=0)) == "acknowledged"
        assert h.reason(h.host_status(state=1, acknowledged=False, acknowledgement_type=0)) is None
    else:
        assert "acknowledged" not in h.host_status()  # BBDO 3 statuses have no such field


@pytest.mark.parametrize(
    ("settings", "in_downtime", "expected"),
    [({}, False, None), ({}, True, "in_downtime"), ({"in_downtime": 1}, True, None)],
)
def test_ba_in_downtime(harness, settings, in_downtime, expected):
    h = harness(**settings)
    assert h.reason(h.ba_status(in_downtime=in_downtime)) == expected


def test_flags_do_not_apply_to_acknowledgements_and_downtimes(harness):
    # Both have no state_type: hard_only = 1 must not drop them.
    h = harness()
    assert h.reason(h.acknowledgement(service_id=PING)) is None
    assert h.reason(h.downtime()) is None


def test_hard_only_and_flags_do_not_apply_to_bas(harness):
    h = harness()
    assert h.reason(h.ba_status(state=1)) is None


RECOVERY = {"state": 0, "last_hard_state": 0}


@pytest.mark.parametrize(
    "fields", [ACKED, STICKY, IN_DOWNTIME, FLAPPING, {**ACKED, **IN_DOWNTIME, **FLAPPING}]
)
def test_a_recovery_is_never_dropped_by_the_flags(harness, fields):
    # In Lua a recovery while flapping, acknowledged or in downtime was dropped, and with dedup the
    # alarm then stayed open in Canopsis for good.
    h = harness()
    assert h.reason(h.service_status(**fields, **RECOVERY)) is None
    assert h.reason(h.host_status(**fields, **RECOVERY)) is None


def test_a_soft_recovery_is_still_dropped_by_hard_only(harness):
    h = harness()
    assert h.reason(h.service_status(**FLAPPING, **SOFT, **RECOVERY)) == "hard_only"
