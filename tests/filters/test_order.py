"""Filters run in the Lua connector's order: the first that objects names the reason."""

from __future__ import annotations

from centreon_canopsis.core.plugin_manager import BUILTIN_ORDER
from tests.filters.harness import BACKUP, DB, NOW

FILTERS = (
    "anonymous_events",
    "bam_host",
    "name_patterns",
    "states",
    "dedup",
    "state_flags",
    "authors",
    "pollers",
    "severities",
    "groups",
    "bvs",
)


def test_filters_are_asked_in_the_lua_order(harness):
    h = harness()
    asked = [name for name, _ in h.context.plugins.implementations("connector_accept")]
    assert [name for name in asked if name in FILTERS] == list(FILTERS)
    assert [name for name in BUILTIN_ORDER if name in FILTERS] == list(FILTERS)


def test_each_fix_reveals_the_next_filter_of_a_service_status(harness):
    """A service status of db-01/Backup (poller Edge, no group, no severity) failing everything;
    each step removes the first cause and the next filter in the Lua order answers."""
    settings = {
        "accepted_hosts": "^srv",
        "service_status": "0",
        "hard_only": 1,
        "rejected_pollers": "Edge",
        "host_severity_threshold": 1,
        "service_severity_threshold": 1,
        "accepted_hostgroups": "Linux",
        "accepted_servicegroups": "Network",
    }
    fields = {"state": 2, "state_type": 0, "last_check": NOW + 60, "last_hard_state_change": NOW}
    steps = [
        ("accepted_hosts", {"accepted_hosts": "^db"}, {}),
        ("service_status", {"service_status": "0,2"}, {}),
        ("enable_service_status_dedup", {}, {"last_check": NOW}),
        ("hard_only", {}, {"state_type": 1}),
        ("rejected_pollers", {"rejected_pollers": ""}, {}),
        ("host_severity_threshold", {"host_severity_threshold": ""}, {}),
        ("service_severity_threshold", {"service_severity_threshold": ""}, {}),
        ("accepted_hostgroups", {"accepted_hostgroups": ""}, {}),
        ("accepted_servicegroups", {"accepted_servicegroups": ""}, {}),
    ]
    seen = []
    for expected, fix_settings, fix_fields in steps:
        h = harness(**settings)
        event = h.service_status(DB, BACKUP, **fields)
        if h.bbdo == 2:
            event["last_update"] = event["last_check"]
        seen.append(h.reason(event))
        assert seen[-1] == expected, seen
        settings.update(fix_settings)
        fields.update(fix_fields)
    h = harness(**settings)
    assert h.reason(h.service_status(DB, BACKUP, **fields)) is None


def test_ids_and_names_come_first(harness):
    h = harness(enable_bam_host=0, accepted_hosts="^nothing", host_status="0")
    assert h.reason(h.host_status(0, state=2, state_type=0)) == "skip_nil_id"
    assert h.reason(h.host_status(99, state=2, state_type=0)) == "skip_anon_events"
    assert h.reason(h.host_status(17, state=2, state_type=0)) == "enable_bam_host"
    assert h.reason(h.host_status(DB, state=2, state_type=0)) == "accepted_hosts"


def test_a_ba_status_is_checked_for_id_state_downtime_then_views(harness):
    h = harness(ba_status="0", accepted_bvs="Nope")
    assert h.reason(h.ba_status(42, state=2, in_downtime=True)) == "skip_anon_events"
    assert h.reason(h.ba_status(state=2, in_downtime=True)) == "ba_status"
    assert h.reason(h.ba_status(state=0, in_downtime=True)) == "in_downtime"
    assert h.reason(h.ba_status(state=0)) == "accepted_bvs"


def test_an_acknowledgement_checks_service_groups_before_host_groups(harness):
    h = harness(accepted_hostgroups="Linux", accepted_servicegroups="Network")
    assert h.reason(h.acknowledgement(DB, BACKUP)) == "accepted_servicegroups"
    assert h.reason(h.acknowledgement(DB)) == "accepted_hostgroups"


def test_a_third_party_plugin_is_asked_before_the_builtin_filters(harness):
    from centreon_canopsis.core.hookspecs import hookimpl

    class KeepEverything:
        @hookimpl(tryfirst=True)
        def connector_accept(self, event, element, context):
            return True  # accepted at once: the builtin filters are not asked

    h = harness(host_status="0")
    assert h.reason(h.host_status(state=1)) == "host_status"
    h.context.plugins.register(KeepEverything(), name="keep_everything")
    assert h.reason(h.host_status(state=1)) is None
