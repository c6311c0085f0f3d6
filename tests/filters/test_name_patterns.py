"""accepted_hosts and accepted_services, with and without split patterns."""

from __future__ import annotations

import logging

import pytest

from tests.filters.harness import BACKUP, DB, DISK, PING, SRV, WEB2

H, S = "accepted_hosts", "accepted_services"

# Hosts: 15 srv-web-01, 16 db-01, 18 web-02. Services of 15: 47 Ping, 48 "Disk /".
CASES = [
    ({H: "^srv"}, lambda h: h.host_status(SRV), None),
    ({H: "^srv"}, lambda h: h.host_status(DB), H),
    ({H: "web"}, lambda h: h.host_status(SRV), None),  # unanchored, like string.match
    ({H: "web"}, lambda h: h.host_status(WEB2), None),
    ({H: "^web%-%d+$"}, lambda h: h.host_status(WEB2), None),
    ({H: "^web%-%d+$"}, lambda h: h.host_status(SRV), H),
    ({H: "srv-web"}, lambda h: h.host_status(SRV), H),  # Lua's '-' is not a hyphen
    ({H: "srv%-web"}, lambda h: h.host_status(SRV), None),
    ({H: "^db"}, lambda h: h.service_status(SRV, PING), H),  # the host pattern applies to services
    ({H: "^db"}, lambda h: h.acknowledgement(SRV), H),
    ({H: "^db"}, lambda h: h.acknowledgement(DB, BACKUP), None),
    ({H: "^db"}, lambda h: h.downtime(SRV, PING), H),
    ({H: "^db"}, lambda h: h.ba_status(), None),
    # several patterns
    ({H: "^db,^srv"}, lambda h: h.host_status(SRV), H),  # one pattern without split
    ({H: "^db,^srv", f"{H}_enable_split_pattern": 1}, lambda h: h.host_status(SRV), None),
    ({H: "^db,^srv", f"{H}_enable_split_pattern": "1"}, lambda h: h.host_status(DB), None),
    ({H: "^db,^srv", f"{H}_enable_split_pattern": 1}, lambda h: h.host_status(WEB2), H),
    ({H: "^db, ^srv", f"{H}_enable_split_pattern": 1}, lambda h: h.host_status(SRV), None),
    (
        {H: "^db|^srv", f"{H}_enable_split_pattern": 1, f"{H}_split_character": "|"},
        lambda h: h.host_status(SRV),
        None,
    ),
    ({H: "^db|^srv", f"{H}_enable_split_pattern": 1}, lambda h: h.host_status(SRV), H),
    # the names the Centreon documentation gives these parameters
    (
        {H: "^db;^srv", "accepted_hosts_enable_split": 1, "accepted_hosts_split_characters": ";"},
        lambda h: h.host_status(SRV),
        None,
    ),
    # services
    ({S: "^Pi"}, lambda h: h.service_status(SRV, PING), None),
    ({S: "^Pi"}, lambda h: h.service_status(SRV, DISK), S),
    ({S: "^Disk /$"}, lambda h: h.service_status(SRV, DISK), None),
    ({S: "^Pi"}, lambda h: h.host_status(DB), None),
    ({S: "^Pi"}, lambda h: h.acknowledgement(SRV, DISK), S),
    ({S: "^Pi"}, lambda h: h.acknowledgement(SRV), None),  # host acknowledgement: no service
    ({S: "^Pi"}, lambda h: h.downtime(SRV, DISK), S),
    ({S: "^Pi"}, lambda h: h.downtime(DB), None),
    ({S: "Ping,Disk", f"{S}_enable_split_pattern": 1}, lambda h: h.service_status(SRV, DISK), None),
    ({S: "Ping,Disk", f"{S}_enable_split_pattern": 1}, lambda h: h.service_status(DB, BACKUP), S),
    # host first, then service
    ({H: "^db", S: "^Pi"}, lambda h: h.service_status(SRV, DISK), H),
    ({H: "^srv", S: "^Pi"}, lambda h: h.service_status(SRV, DISK), S),
]


@pytest.mark.parametrize(("settings", "build", "expected"), CASES)
def test_name_patterns(harness, settings, build, expected):
    h = harness(**settings)
    assert h.reason(build(h)) == expected


def test_unknown_objects_are_matched_by_id(harness):
    h = harness(skip_anon_events=0, accepted_hosts="^99$", accepted_services="^5$")
    assert h.reason(h.host_status(99)) is None
    assert h.reason(h.service_status(99, 5)) is None
    assert h.reason(h.service_status(99, 6)) == S


def test_a_suspicious_hyphen_is_logged_at_start_up(harness, caplog):
    with caplog.at_level(logging.WARNING):
        harness(accepted_hosts="srv-web-01")
    assert "accepted_hosts: in pattern 'srv-web-01', 'v-w'" in caplog.text
    assert "write '%-' to match a hyphen" in caplog.text
