"""Exact-name lists: host and service groups, pollers, authors, business views."""

from __future__ import annotations

import pytest

from tests.filters.harness import BACKUP, BAM_HOST, DB, DISK, MAIL_BA, PING, SRV, WEB2, WEB_BA

# (settings, event, expected reason). Host 15 is in Linux and Europe, on poller Central; host 16
# in no group, on Edge; host 18 on a poller whose name is unknown. Service 47 is in Network.
CASES = [
    # host groups
    ({"accepted_hostgroups": "Europe"}, lambda h: h.host_status(SRV), None),
    ({"accepted_hostgroups": "Asia, Europe"}, lambda h: h.host_status(SRV), None),
    ({"accepted_hostgroups": "Europe"}, lambda h: h.host_status(DB), "accepted_hostgroups"),
    ({"accepted_hostgroups": "Euro"}, lambda h: h.host_status(SRV), "accepted_hostgroups"),
    ({"accepted_hostgroups": "europe"}, lambda h: h.host_status(SRV), "accepted_hostgroups"),
    ({"accepted_hostgroups": "Europe"}, lambda h: h.service_status(DB, BACKUP), "accepted_hostgroups"),
    ({"accepted_hostgroups": "Europe"}, lambda h: h.acknowledgement(DB), "accepted_hostgroups"),
    ({"accepted_hostgroups": "Europe"}, lambda h: h.acknowledgement(DB, BACKUP), "accepted_hostgroups"),
    ({"accepted_hostgroups": "Europe"}, lambda h: h.downtime(DB), "accepted_hostgroups"),
    ({"accepted_hostgroups": "Europe"}, lambda h: h.downtime(SRV, PING), None),
    ({"rejected_hostgroups": "Linux"}, lambda h: h.host_status(SRV), "rejected_hostgroups"),
    ({"rejected_hostgroups": "Linux"}, lambda h: h.host_status(DB), None),
    ({"rejected_hostgroups": "Linux"}, lambda h: h.service_status(SRV, DISK), "rejected_hostgroups"),
    ({"rejected_hostgroups": "Linux"}, lambda h: h.downtime(SRV), "rejected_hostgroups"),
    ({"rejected_hostgroups": "Asia"}, lambda h: h.acknowledgement(SRV), None),
    ({"accepted_hostgroups": "Europe"}, lambda h: h.ba_status(), None),
    # service groups
    ({"accepted_servicegroups": "Network"}, lambda h: h.service_status(SRV, PING), None),
    ({"accepted_servicegroups": "Network"}, lambda h: h.service_status(SRV, DISK), "accepted_servicegroups"),
    ({"accepted_servicegroups": "Network"}, lambda h: h.host_status(DB), None),
    ({"accepted_servicegroups": "Network"}, lambda h: h.acknowledgement(SRV, DISK), "accepted_servicegroups"),
    ({"accepted_servicegroups": "Network"}, lambda h: h.acknowledgement(DB), None),
    ({"accepted_servicegroups": "Network"}, lambda h: h.downtime(SRV, DISK), "accepted_servicegroups"),
    ({"accepted_servicegroups": "Network"}, lambda h: h.downtime(DB), None),
    ({"rejected_servicegroups": "Network"}, lambda h: h.service_status(SRV, PING), "rejected_servicegroups"),
    ({"rejected_servicegroups": "Network"}, lambda h: h.service_status(SRV, DISK), None),
    ({"rejected_servicegroups": "Network"}, lambda h: h.acknowledgement(SRV, PING), "rejected_servicegroups"),
    # pollers
    ({"accepted_pollers": "Central"}, lambda h: h.host_status(SRV), None),
    ({"accepted_pollers": "Central"}, lambda h: h.host_status(DB), "accepted_pollers"),
    ({"accepted_pollers": "Central"}, lambda h: h.host_status(WEB2), "accepted_pollers"),  # unknown name
    ({"accepted_pollers": "Central"}, lambda h: h.service_status(DB, BACKUP), "accepted_pollers"),
    ({"accepted_pollers": "Central"}, lambda h: h.acknowledgement(DB), "accepted_pollers"),
    ({"accepted_pollers": "Edge"}, lambda h: h.downtime(DB, BACKUP), None),
    # a rejected list alone works (defect B21: Lua raised on every other event)
    ({"rejected_pollers": "Edge"}, lambda h: h.host_status(SRV), None),
    ({"rejected_pollers": "Edge"}, lambda h: h.host_status(DB), "rejected_pollers"),
    ({"rejected_pollers": "Edge"}, lambda h: h.host_status(WEB2), None),  # unknown name: kept
    ({"rejected_pollers": "Edge"}, lambda h: h.service_status(SRV, PING), None),
    ({"rejected_pollers": "Edge"}, lambda h: h.acknowledgement(DB, BACKUP), "rejected_pollers"),
    ({"rejected_pollers": "Edge"}, lambda h: h.downtime(DB), "rejected_pollers"),
    ({"rejected_pollers": "Central"}, lambda h: h.ba_status(), None),
    # authors (acknowledgements and downtimes only)
    ({"accepted_authors": "admin"}, lambda h: h.acknowledgement(SRV), None),
    ({"accepted_authors": "admin"}, lambda h: h.acknowledgement(SRV, author="bob"), "accepted_authors"),
    ({"accepted_authors": "admin"}, lambda h: h.acknowledgement(SRV, author=""), "accepted_authors"),
    ({"accepted_authors": "admin,bob"}, lambda h: h.downtime(SRV, PING, author="bob"), None),
    ({"accepted_authors": "admin"}, lambda h: h.downtime(SRV, author="Admin"), "accepted_authors"),
    ({"accepted_authors": "bob"}, lambda h: h.host_status(SRV), None),
    ({"rejected_authors": "bob"}, lambda h: h.acknowledgement(SRV, PING, author="bob"), "rejected_authors"),
    ({"rejected_authors": "bob"}, lambda h: h.acknowledgement(SRV, PING), None),
    ({"rejected_authors": "bob"}, lambda h: h.downtime(SRV, author="bob"), "rejected_authors"),
    ({"rejected_authors": "bob"}, lambda h: h.downtime(SRV, author=""), None),
    # business views (BA status only), by the BA's id
    ({"accepted_bvs": "Business"}, lambda h: h.ba_status(MAIL_BA), None),
    ({"accepted_bvs": "Business"}, lambda h: h.ba_status(WEB_BA), "accepted_bvs"),
    ({"accepted_bvs": "Business"}, lambda h: h.host_status(SRV), None),
    ({"rejected_bvs": "Business"}, lambda h: h.ba_status(MAIL_BA), "rejected_bvs"),
    ({"rejected_bvs": "Business"}, lambda h: h.ba_status(WEB_BA), None),  # B21 fixed for BVs too
]


@pytest.mark.parametrize(("settings", "build", "expected"), CASES)
def test_name_lists(harness, settings, build, expected):
    h = harness(**settings)
    assert h.reason(build(h)) == expected


def test_poller_of_an_unknown_host_comes_from_the_event(harness):
    # skip_anon_events = 0 lets the event through; acknowledgements carry instance_id.
    h = harness(skip_anon_events=0, rejected_pollers="Edge")
    assert h.reason(h.acknowledgement(99, instance_id=2)) == "rejected_pollers"
    assert h.reason(h.acknowledgement(99, instance_id=1)) is None
    assert h.reason(h.host_status(99)) is None  # no poller at all: a rejected list keeps it
    h = harness(skip_anon_events=0, accepted_pollers="Central")
    assert h.reason(h.host_status(99)) == "accepted_pollers"


def test_group_changes_apply_at_once(harness, bbdo):
    h = harness(accepted_hostgroups="Europe")
    assert h.reason(h.host_status(DB)) == "accepted_hostgroups"
    member = {
        "hostgroup_id": 2,
        "host_id": DB,
        "enabled": True,
        "name" if bbdo == 3 else "group_name": "Europe",
    }
    h.feed(h.make("host_group_member", **member))
    assert h.reason(h.host_status(DB)) is None
    h.feed(h.make("host_group_member", **{**member, "enabled": False}))
    assert h.reason(h.host_status(DB)) == "accepted_hostgroups"


def test_a_poller_named_later_is_recognised(harness):
    h = harness(accepted_pollers="Remote")
    assert h.reason(h.host_status(WEB2)) == "accepted_pollers"
    h.feed(h.make("instance", instance_id=3, name="Remote", running=True))
    assert h.reason(h.host_status(WEB2)) is None


def test_bam_host_events_check_their_own_groups(harness):
    h = harness(enable_bam_host=1, accepted_hostgroups="Europe")
    assert h.reason(h.service_status(BAM_HOST, 100)) == "accepted_hostgroups"
