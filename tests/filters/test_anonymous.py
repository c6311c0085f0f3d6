"""skip_nil_id and skip_anon_events (defect B14 fixed: 0 really lets unknown objects through)."""

from __future__ import annotations

import pytest

from tests.filters.harness import DISK, MAIL_BA, NOW, SRV


def _without(event, *fields):
    return {key: value for key, value in event.items() if key not in fields}


CASES = [
    ({}, lambda h: _without(h.host_status(), "host_id"), "skip_nil_id"),
    ({}, lambda h: h.host_status(0), "skip_nil_id"),
    ({}, lambda h: _without(h.service_status(), "service_id"), "skip_nil_id"),
    ({}, lambda h: _without(h.ba_status(), "ba_id"), "skip_nil_id"),
    ({"skip_nil_id": 0}, lambda h: _without(h.host_status(), "host_id"), None),
    ({}, lambda h: h.host_status(99), "skip_anon_events"),
    ({}, lambda h: h.service_status(SRV, 999), "skip_anon_events"),
    ({}, lambda h: h.acknowledgement(99), "skip_anon_events"),
    ({}, lambda h: h.acknowledgement(SRV, 999), "skip_anon_events"),
    ({}, lambda h: h.downtime(SRV, 999), "skip_anon_events"),
    ({}, lambda h: h.ba_status(42), "skip_anon_events"),
    ({"skip_anon_events": 0}, lambda h: h.host_status(99), None),
    ({"skip_anon_events": "0"}, lambda h: h.service_status(99, 1), None),
    ({"skip_anon_events": 0}, lambda h: h.acknowledgement(SRV, 999), None),
    ({"skip_anon_events": 0}, lambda h: h.ba_status(42), None),
    ({}, lambda h: h.service_status(SRV, DISK), None),
    ({}, lambda h: h.ba_status(MAIL_BA), None),
]


@pytest.mark.parametrize(("settings", "build", "expected"), CASES)
def test_anonymous_events(harness, settings, build, expected):
    h = harness(**settings)
    assert h.reason(build(h)) == expected


def test_the_end_of_a_downtime_of_an_unknown_host_is_kept(harness):
    # Deleted by ids: a host removed from Centreon during its downtime must not leave the pbehavior.
    h = harness()
    ended = h.downtime(host_id=999, actual_end_time=NOW + 500, deletion_time=NOW + 500)
    assert h.reason(ended) is None
    running = h.downtime(host_id=999)
    assert h.reason(running) == "skip_anon_events"
