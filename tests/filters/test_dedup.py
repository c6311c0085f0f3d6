"""enable_host_status_dedup, enable_service_status_dedup, delta_host_status_change_allow."""

from __future__ import annotations

import pytest

from tests.filters.harness import NOW

HOST = "enable_host_status_dedup"
SERVICE = "enable_service_status_dedup"

HOST_CASES = [
    # (settings, last_check - last_hard_state_change, expected)
    ({}, 0, None),
    ({}, 20, None),
    ({}, -20, None),
    ({}, 21, HOST),
    ({}, 300, HOST),
    ({"delta_host_status_change_allow": 60}, 50, None),
    ({"delta_host_status_change_allow": "60"}, 61, HOST),  # B11: settable, B18: as a string
    ({"delta_host_status_change_allow": 0}, 1, HOST),
    ({"enable_host_status_dedup": 0}, 300, None),
    ({"enable_host_status_dedup": "0"}, 300, None),
    ({"enable_service_status_dedup": 0}, 300, HOST),
]


@pytest.mark.parametrize(("settings", "offset", "expected"), HOST_CASES)
def test_host_dedup(harness, bbdo, settings, offset, expected):
    h = harness(**settings)
    values = {"last_check": NOW + offset, "last_hard_state_change": NOW}
    if bbdo == 2:
        values["last_update"] = NOW + offset
    assert h.reason(h.host_status(**values)) == expected


SERVICE_CASES = [
    ({}, 0, None),
    ({}, 1, SERVICE),  # exact equality for services, no delta
    ({"delta_host_status_change_allow": 60}, 1, SERVICE),
    ({"enable_service_status_dedup": 0}, 300, None),
    ({"enable_service_status_dedup": "0"}, 300, None),
    ({"enable_host_status_dedup": 0}, 300, SERVICE),
]


@pytest.mark.parametrize(("settings", "offset", "expected"), SERVICE_CASES)
def test_service_dedup(harness, bbdo, settings, offset, expected):
    h = harness(**settings)
    values = {"last_check": NOW + offset, "last_hard_state_change": NOW}
    if bbdo == 2:
        values["last_update"] = NOW + offset
    assert h.reason(h.service_status(**values)) == expected


def test_bbdo2_last_update_also_counts(harness, bbdo):
    if bbdo == 3:
        pytest.skip("BBDO 3 statuses have no last_update")
    h = harness()
    assert h.reason(h.host_status(last_check=NOW + 100, last_update=NOW + 5)) is None
    assert h.reason(h.service_status(last_check=NOW + 100, last_update=NOW)) is None
    assert h.reason(h.service_status(last_check=NOW + 100, last_update=NOW + 1)) == SERVICE


@pytest.mark.parametrize("kind", ["host_status", "service_status"])
def test_events_that_cannot_be_judged_are_kept(harness, bbdo, kind):
    # The Lua connector raised on these (arithmetic on nil) and lost them.
    h = harness()
    build = getattr(h, kind)
    # No hard state change yet: 0 in BBDO 3, absent in BBDO 2.
    event = build(last_hard_state_change=0, last_check=NOW + 500)
    assert ("last_hard_state_change" in event) == (bbdo == 3)
    assert h.reason(event) is None
    # Never checked.
    event = build(last_check=0, last_hard_state_change=NOW, **({"last_update": 0} if bbdo == 2 else {}))
    assert h.reason(event) is None


def test_dedup_only_concerns_status_events(harness):
    h = harness()
    assert h.reason(h.acknowledgement(entry_time=NOW + 999)) is None
    assert h.reason(h.ba_status()) is None


def test_defaults_send_hard_changes_only_and_soft_states_need_both_switches(harness, bbdo):
    # A SOFT check some minutes after the last hard change (an UP host going DOWN, attempt 1).
    soft = {"state": 1, "state_type": 0, "last_check": NOW + 300, "last_hard_state_change": NOW}
    if bbdo == 2:
        soft["last_update"] = NOW + 300

    def reason(fields, **settings):
        h = harness(**settings)
        return h.reason(h.host_status(**fields))

    assert reason(soft) == HOST  # dedup comes before hard_only
    assert reason(soft, enable_host_status_dedup=0) == "hard_only"
    assert reason(soft, hard_only=0) == HOST
    assert reason(soft, hard_only=0, enable_host_status_dedup=0) is None
    # A repeated HARD check (no change): the defaults do not re-send it.
    assert reason({**soft, "state_type": 1}) == HOST
