"""host_status, service_status, ba_status, ack_*_status and dt_*_status (with B9 fixed)."""

from __future__ import annotations

import logging

import pytest

from centreon_canopsis.core.config import ConfigError
from tests.filters.harness import BACKUP, DB, DISK, PING, WEB_BA

CASES = [
    # (settings, event, expected reason or None)
    ({}, lambda h: h.host_status(state=0), None),
    ({}, lambda h: h.host_status(state=2), None),
    ({"host_status": "0,1"}, lambda h: h.host_status(state=2), "host_status"),
    ({"host_status": " 2 , 1 "}, lambda h: h.host_status(state=2), None),
    ({}, lambda h: h.service_status(state=3), None),
    ({"service_status": "0,2"}, lambda h: h.service_status(state=1), "service_status"),
    ({"service_status": "0,2"}, lambda h: h.service_status(state=2), None),
    ({"service_status": "0,1,2,3"}, lambda h: h.service_status(state=4), "service_status"),
    ({}, lambda h: h.ba_status(state=2), None),
    ({}, lambda h: h.ba_status(state=3), "ba_status"),
    ({"ba_status": "3"}, lambda h: h.ba_status(ba_id=WEB_BA, state=3), None),
    # Acknowledgements: their own lists, the status lists when empty.
    ({"host_status": "0"}, lambda h: h.acknowledgement(state=1), "host_status"),
    ({"host_status": "0", "ack_host_status": "1"}, lambda h: h.acknowledgement(state=1), None),
    ({"ack_host_status": "1"}, lambda h: h.acknowledgement(state=2), "ack_host_status"),
    ({"ack_service_status": "2"}, lambda h: h.acknowledgement(service_id=PING, state=2), None),
    (
        {"ack_service_status": "2"},
        lambda h: h.acknowledgement(service_id=PING, state=1),
        "ack_service_status",
    ),
    ({"service_status": "0,1"}, lambda h: h.acknowledgement(service_id=PING, state=2), "service_status"),
    # A host acknowledgement is judged by the host list even with a service list set.
    ({"ack_service_status": "3"}, lambda h: h.acknowledgement(state=1), None),
    # Status lists do not apply to other elements.
    ({"host_status": "1"}, lambda h: h.service_status(state=0), None),
    ({"service_status": "1"}, lambda h: h.host_status(state=0), None),
]


@pytest.mark.parametrize(("settings", "build", "expected"), CASES)
def test_accepted_states(harness, settings, build, expected):
    h = harness(**settings)
    assert h.reason(build(h)) == expected


# -- downtimes: the current state of their object (defect B9 fixed) ---------------------------


def test_a_downtime_on_a_host_that_is_up_is_kept(harness):
    # Lua derived the state from last_time_* and skipped UP: this downtime was lost.
    h = harness()
    h.feed(h.host_status(state=0))
    assert h.reason(h.downtime()) is None


def test_a_downtime_on_a_service_that_is_ok_is_kept(harness):
    h = harness()
    h.feed(h.service_status(state=0))
    assert h.reason(h.downtime(service_id=PING)) is None


@pytest.mark.parametrize(("current", "expected"), [(0, "dt_host_status"), (1, None), (2, "dt_host_status")])
def test_dt_host_status_reads_the_current_state(harness, current, expected):
    h = harness(dt_host_status="1")
    h.feed(h.host_status(state=current))
    assert h.reason(h.downtime()) == expected


@pytest.mark.parametrize(("current", "expected"), [(0, "dt_service_status"), (2, None)])
def test_dt_service_status_reads_the_current_state(harness, current, expected):
    h = harness(dt_service_status="2")
    h.feed(h.service_status(state=current))
    assert h.reason(h.downtime(service_id=PING)) == expected


def test_the_state_follows_the_latest_status(harness):
    h = harness(dt_service_status="2")
    h.feed(h.service_status(service_id=DISK, state=2), h.service_status(service_id=DISK, state=0))
    assert h.reason(h.downtime(service_id=DISK)) == "dt_service_status"


def test_empty_dt_lists_use_the_status_lists(harness):
    h = harness(host_status="1", service_status="2")
    h.feed(h.host_status(host_id=DB, state=0), h.service_status(host_id=DB, service_id=BACKUP, state=0))
    assert h.reason(h.downtime(host_id=DB)) == "host_status"
    assert h.reason(h.downtime(host_id=DB, service_id=BACKUP)) == "service_status"


def test_a_downtime_whose_state_is_not_known_yet_is_kept(harness):
    h = harness(dt_host_status="1", dt_service_status="2", skip_anon_events=0)
    assert h.reason(h.downtime(host_id=99)) is None
    assert h.reason(h.downtime(host_id=99, service_id=5)) is None


def test_host_state_of_a_service_downtime_does_not_matter(harness):
    h = harness(dt_host_status="1")
    h.feed(h.host_status(state=0), h.service_status(state=0))
    assert h.reason(h.downtime(service_id=PING)) is None


def test_b9_workaround_values_are_ignored_with_a_warning(harness, caplog):
    with caplog.at_level(logging.WARNING):
        h = harness(dt_host_status="1,nil,N/A")
    assert "defect B9" in caplog.text
    h.feed(h.host_status(state=0))
    assert h.reason(h.downtime()) == "dt_host_status"


# -- invalid values stop start-up --------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"host_status": "0,x"}, "host_status = '0,x': 'x' is not a state"),
        ({"host_status": "3"}, "host_status = '3': '3' is not a state; expected numbers among 0 (UP)"),
        ({"service_status": "0,5"}, "service_status = '0,5': '5' is not a state"),
        ({"ba_status": "4"}, "ba_status = '4': '4' is not a state"),
        ({"ack_host_status": "UP"}, "ack_host_status = 'UP': 'UP' is not a state"),
        ({"dt_service_status": "-1"}, "dt_service_status = '-1': '-1' is not a state"),
        ({"service_status": ""}, "service_status = '' accepts no state"),
        ({"host_status": "nil"}, "host_status = 'nil': 'nil' is not a state"),
    ],
)
def test_invalid_state_lists_stop_start_up(harness, settings, message):
    with pytest.raises(ConfigError) as caught:
        harness(**settings)
    assert any(message in error for error in caught.value.errors), caught.value.errors


def test_every_invalid_state_list_is_reported_at_once(harness):
    with pytest.raises(ConfigError) as caught:
        harness(host_status="9", service_status="x", dt_host_status="y")
    assert [error.split(" ")[0] for error in caught.value.errors] == [
        "host_status",
        "service_status",
        "dt_host_status",
    ]
