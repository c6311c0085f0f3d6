"""host/service_severity_threshold and their operators (settable here: defect B11)."""

from __future__ import annotations

import pytest

from tests.filters.harness import BACKUP, DB, DISK, PING, SRV

HT, ST = "host_severity_threshold", "service_severity_threshold"

# Host 15 has severity 2, service 47 severity 3; host 16 and service 48 none.
OPERATORS = [
    # (operator, threshold, passes for severity 2): threshold <operator> severity
    (">=", 2, True),
    (">=", 1, False),
    (">", 3, True),
    (">", 2, False),
    ("<=", 2, True),
    ("<=", 3, False),
    ("<", 1, True),
    ("<", 2, False),
    ("==", 2, True),
    ("==", 3, False),
    ("~=", 3, True),
    ("~=", 2, False),
    ("!=", 1, True),
    ("!=", 2, False),
]


@pytest.mark.parametrize(("operator", "threshold", "passes"), OPERATORS)
def test_host_operators(harness, operator, threshold, passes):
    h = harness(host_severity_threshold=threshold, host_severity_operator=operator)
    assert h.reason(h.host_status(SRV)) == (None if passes else HT)


@pytest.mark.parametrize(("operator", "threshold", "passes"), OPERATORS)
def test_service_operators(harness, operator, threshold, passes):
    h = harness(service_severity_threshold=threshold + 1, service_severity_operator=operator)
    assert h.reason(h.service_status(SRV, PING)) == (None if passes else ST)


CASES = [
    ({}, lambda h: h.host_status(DB), None),  # no threshold: no filter
    ({HT: ""}, lambda h: h.host_status(DB), None),
    ({HT: 5}, lambda h: h.host_status(DB), HT),  # no severity: dropped, as in Lua
    ({HT: "2"}, lambda h: h.host_status(SRV), None),  # B18: as a string
    ({HT: 1}, lambda h: h.service_status(SRV, PING), HT),
    ({HT: 5}, lambda h: h.service_status(DB, BACKUP), HT),
    ({ST: 3}, lambda h: h.service_status(SRV, PING), None),
    ({ST: 3}, lambda h: h.service_status(SRV, DISK), ST),
    ({ST: 3}, lambda h: h.host_status(DB), None),
    ({HT: 1, ST: 1}, lambda h: h.service_status(SRV, PING), HT),  # host first
    ({HT: 2, ST: 1}, lambda h: h.service_status(SRV, PING), ST),
    # acknowledgements: the host, and the service of a service acknowledgement
    ({HT: 5}, lambda h: h.acknowledgement(DB), HT),
    ({HT: 5}, lambda h: h.acknowledgement(SRV, PING), None),
    ({ST: 5}, lambda h: h.acknowledgement(SRV, DISK), ST),
    ({ST: 5}, lambda h: h.acknowledgement(DB), None),
    # downtimes: the service only; host severity is not checked
    ({HT: 5}, lambda h: h.downtime(DB), None),
    ({HT: 5}, lambda h: h.downtime(DB, BACKUP), None),
    ({ST: 5}, lambda h: h.downtime(SRV, DISK), ST),
    ({ST: 3, "service_severity_operator": "=="}, lambda h: h.downtime(SRV, PING), None),
    ({HT: 0, ST: 0}, lambda h: h.ba_status(), None),
]


@pytest.mark.parametrize(("settings", "build", "expected"), CASES)
def test_severity_filters(harness, settings, build, expected):
    h = harness(**settings)
    assert h.reason(build(h)) == expected


def test_severity_changes_apply_at_once(harness):
    h = harness(host_severity_threshold=3)
    assert h.reason(h.host_status(DB)) == HT
    h.feed(h.make("custom_variable", host_id=DB, name="CRITICALITY_LEVEL", value="1", enabled=True))
    assert h.reason(h.host_status(DB)) is None
