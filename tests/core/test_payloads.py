"""Payloads, field for field, against lua-connector.md 3.2-3.4 and appendix A."""

from __future__ import annotations

import pytest

from tests.support import events as ev
from tests.support.pipeline import deliver
from tests.support.recorder import Recorder

# Appendix A of lua-connector.md (real outputs of the Lua connector for BBDO 3 events).
HOST_DOWN = {
    "action_url": "",
    "component": "srv-web-01",
    "connector": "centreon-stream",
    "connector_name": "Central",
    "event_type": "check",
    "host_id": "15",
    "hostgroups": ["Linux", "Europe"],
    "long_output": "DOWN - host unreachable\nline2\nline3",
    "notes_url": "http://wiki/srv",
    "output": "DOWN - host unreachable",
    "source_type": "component",
    "state": 3,
    "timestamp": 1700000100,
}
SERVICE_CRITICAL = {
    "action_url": "",
    "component": "srv-web-01",
    "connector": "centreon-stream",
    "connector_name": "Central",
    "event_type": "check",
    "host_id": "15",
    "hostgroups": ["Linux", "Europe"],
    "long_output": "CRITICAL - loss 100%",
    "notes_url": "",
    "output": "CRITICAL - loss 100%",
    "resource": "Ping",
    "service_id": "47",
    "servicegroups": ["Network"],
    "source_type": "resource",
    "state": 3,
    "timestamp": 1700000200,
}
SERVICE_ACK = {
    "author": "admin",
    "component": "srv-web-01",
    "connector": "centreon-stream",
    "connector_name": "Central",
    "event_type": "ack",
    "long_output": "Acknowledged by admin",
    "output": "Acknowledged by admin",
    "resource": "Ping",
    "source_type": "resource",
    "state": 3,
    "timestamp": 1700000300,
}
# Filters are the filter plugins' business; here every status event must reach the mapping.
NO_FILTERS = {"hard_only": 0, "enable_host_status_dedup": 0, "enable_service_status_dedup": 0}


@pytest.fixture
def recorder():
    with Recorder() as server:
        yield server


def test_bbdo3_stream_gives_the_reference_payloads_in_one_bulk_request(tmp_path, recorder):
    stream = [
        *ev.v3_configuration(),
        ev.v3_host_status(),
        ev.v3_service_status(),
        ev.v3_ack(),
        ev.v3_ack(deletion_time=1_700_000_400),
    ]
    deliver(tmp_path, stream, recorder)
    assert len(recorder.requests) == 1, "the four payloads travel in one request"
    request = recorder.requests[0]
    assert request.method == "POST" and request.path == "/api/v4/event"
    assert request.headers["x-canopsis-authkey"] == "test-authkey-5f3c2a"
    assert request.headers["content-type"] == "application/json"
    removal = dict(SERVICE_ACK, event_type="ackremove")
    assert request.json() == [HOST_DOWN, SERVICE_CRITICAL, SERVICE_ACK, removal]


def test_bbdo2_stream_gives_the_same_payloads(tmp_path, recorder):
    # BBDO 2: output holds every line, an active ack has no deletion_time key (defect B2 fixed).
    stream = [
        *ev.v2_configuration(),
        ev.v2_host_status(),
        ev.v2_service_status(),
        ev.v2_ack(),
        ev.v2_ack(deletion_time=1_700_000_400),
    ]
    deliver(tmp_path, stream, recorder)
    removal = dict(SERVICE_ACK, event_type="ackremove")
    assert recorder.events() == [HOST_DOWN, SERVICE_CRITICAL, SERVICE_ACK, removal]


@pytest.mark.parametrize(
    "make_ack",
    [
        pytest.param(lambda **kw: ev.v3_ack(service=False, **kw), id="bbdo3-service_id-0"),
        pytest.param(lambda **kw: ev.v2_ack(service=False, **kw), id="bbdo2-no-service_id"),
    ],
)
def test_host_acknowledgement_is_an_ack_on_the_component(tmp_path, recorder, make_ack):
    # Defect B1: the Lua connector crashed on BBDO 3 host acks (service_id = 0).
    # "resource": "" as the Lua connector sends it on BBDO 2 host acks (issue 14, item 1).
    removed = make_ack(state=1, deletion_time=1_700_000_400)
    deliver(tmp_path, [*ev.v3_configuration(), make_ack(state=1), removed], recorder)
    host_ack = {
        "resource": "",
        "author": "admin",
        "component": "srv-web-01",
        "connector": "centreon-stream",
        "connector_name": "Central",
        "event_type": "ack",
        "long_output": "Acknowledged by admin",
        "output": "Acknowledged by admin",
        "source_type": "component",
        "state": 3,
        "timestamp": 1700000300,
    }
    assert recorder.events() == [host_ack, dict(host_ack, event_type="ackremove")]


@pytest.mark.parametrize(("host_state", "expected"), [(0, 0), (1, 3), (2, 2)])
def test_host_state_mapping(tmp_path, recorder, host_state, expected):
    deliver(tmp_path, [*ev.v3_configuration(), ev.v3_host_status(state=host_state)], recorder, **NO_FILTERS)
    assert recorder.events()[0]["state"] == expected


@pytest.mark.parametrize(("service_state", "expected"), [(0, 0), (1, 1), (2, 3), (3, 2)])
def test_service_state_mapping(tmp_path, recorder, service_state, expected):
    deliver(
        tmp_path, [*ev.v3_configuration(), ev.v3_service_status(state=service_state)], recorder, **NO_FILTERS
    )
    assert recorder.events()[0]["state"] == expected


def test_pending_state_sends_nothing(tmp_path, recorder):
    pipeline = deliver(
        tmp_path,
        [*ev.v3_configuration(), ev.v3_service_status(state=4)],
        recorder,
        service_status="0,1,2,3,4",
        **NO_FILTERS,
    )
    assert recorder.events() == []
    assert pipeline.context.metrics.value("events_dropped_total", reason="no_payload") == 1


def test_ack_states_follow_host_and_service_mappings(tmp_path, recorder):
    stream = [*ev.v3_configuration(), ev.v3_ack(state=3), ev.v3_ack(service=False, state=2)]
    deliver(tmp_path, stream, recorder)
    assert [e["state"] for e in recorder.events()] == [2, 2]


def test_connector_name_custom(tmp_path, recorder):
    deliver(
        tmp_path,
        [*ev.v3_configuration(), ev.v3_host_status()],
        recorder,
        connector_name_type="custom",
        connector_name="my-central",
        connector="centreon-prod",
    )
    event = recorder.events()[0]
    assert (event["connector"], event["connector_name"]) == ("centreon-prod", "my-central")


def test_unknown_poller_name_falls_back_to_connector_name(tmp_path, recorder):
    config_events = [e for e in ev.v3_configuration() if e["element"] != 44]  # no instance event
    deliver(tmp_path, [*config_events, ev.v3_host_status()], recorder)
    assert recorder.events()[0]["connector_name"] == "centreon-stream-central"


def test_groups_sorted_on_request(tmp_path, recorder):
    deliver(
        tmp_path, [*ev.v3_configuration(), ev.v3_service_status()], recorder, canopsis_sort_list_hostgroups=1
    )
    assert recorder.events()[0]["hostgroups"] == ["Europe", "Linux"]


def test_groups_in_broker_order_by_default(tmp_path, recorder):
    deliver(tmp_path, [*ev.v2_configuration(), ev.v2_service_status()], recorder)
    event = recorder.events()[0]
    assert event["hostgroups"] == ["Linux", "Europe"]
    assert event["servicegroups"] == ["Network"]


def test_no_groups_is_an_empty_list(tmp_path, recorder):
    config_events = [e for e in ev.v3_configuration() if e["element"] not in (50, 52)]
    deliver(tmp_path, [*config_events, ev.v3_service_status()], recorder)
    event = recorder.events()[0]
    assert (event["hostgroups"], event["servicegroups"]) == ([], [])


def test_use_severity_as_state_with_criticality_custom_variable(tmp_path, recorder):
    criticality = ev.event(
        1,
        37,
        header={"conf_version": 0},
        host_id=15,
        service_id=47,
        modified=False,
        name="CRITICALITY_LEVEL",
        update_time=0,
        value="2",
        default_value="",
        enabled=True,
        password=False,
        type=1,
    )
    stream = [*ev.v3_configuration(), criticality, ev.v3_service_status(), ev.v3_host_status()]
    deliver(tmp_path, stream, recorder, use_severity_as_state=1)
    service, host = recorder.events()
    assert service["state"] == 2, "the service's severity level replaces the mapped state"
    assert host["state"] == 3, "the host has no severity: mapped state"


def test_use_severity_as_state_ignores_severity_objects_like_lua(tmp_path, recorder):
    # Issue 14 item 2: Broker's get_severity reads only the CRITICALITY_LEVEL custom variable, so
    # the Lua connector sends the mapped state for a host that only refers to a severity object.
    severity = ev.event(1, 33, id=7, action=0, level=4, icon_id=1, name="sev-4", type=1, poller_id=1)
    config_events = ev.v3_configuration()
    config_events[1]["severity_id"] = 7
    deliver(tmp_path, [severity, *config_events, ev.v3_host_status()], recorder, use_severity_as_state="1")
    assert recorder.events()[0]["state"] == 3


def test_use_severity_objects_takes_the_severity_object_level(tmp_path, recorder):
    severity = ev.event(1, 33, id=7, action=0, level=4, icon_id=1, name="sev-4", type=1, poller_id=1)
    config_events = ev.v3_configuration()
    config_events[1]["severity_id"] = 7
    stream = [severity, *config_events, ev.v3_host_status()]
    deliver(tmp_path, stream, recorder, use_severity_as_state="1", use_severity_objects=1)
    assert recorder.events()[0]["state"] == 4


def test_severity_ignored_by_default(tmp_path, recorder):
    severity = ev.event(1, 33, id=7, action=0, level=4, icon_id=1, name="sev-4", type=1, poller_id=1)
    config_events = ev.v3_configuration()
    config_events[1]["severity_id"] = 7
    deliver(tmp_path, [severity, *config_events, ev.v3_host_status()], recorder)
    assert recorder.events()[0]["state"] == 3


def test_timestamp_falls_back_to_last_update(tmp_path, recorder):
    status = ev.v2_host_status()
    del status["last_check"]
    deliver(tmp_path, [*ev.v2_configuration(), status], recorder)
    assert recorder.events()[0]["timestamp"] == 1_700_000_101


def test_host_without_urls_sends_empty_strings(tmp_path, recorder):
    config_events = ev.v2_configuration()
    del config_events[1]["notes_url"], config_events[1]["action_url"]
    deliver(tmp_path, [*config_events, ev.v2_host_status()], recorder)
    event = recorder.events()[0]
    assert (event["notes_url"], event["action_url"]) == ("", "")  # the Lua connector sent "nil"


def test_service_without_urls_leaves_them_out(tmp_path, recorder):
    config_events = ev.v2_configuration()
    del config_events[6]["notes_url"], config_events[6]["action_url"]
    deliver(tmp_path, [*config_events, ev.v2_service_status()], recorder)
    assert "notes_url" not in recorder.events()[0] and "action_url" not in recorder.events()[0]


def test_output_is_the_first_line_and_long_output_everything(tmp_path, recorder):
    status = ev.v3_service_status(output="WARNING - 3 errors\r", long_output="error 1\nerror 2")
    deliver(tmp_path, [*ev.v3_configuration(), status], recorder)
    event = recorder.events()[0]
    assert event["output"] == "WARNING - 3 errors"
    assert event["long_output"] == "WARNING - 3 errors\r\nerror 1\nerror 2"


def test_output_size_limit_cuts_on_a_character_boundary(tmp_path, recorder):
    status = ev.v3_service_status(output="CRITICAL – température élevée", long_output="")
    deliver(tmp_path, [*ev.v3_configuration(), status], recorder, output_size_limit=12)
    event = recorder.events()[0]
    # "CRITICAL " is 9 bytes, "–" 3 more: 12 bytes exactly; the next byte would split "t"? no: cut after "–".
    assert event["output"] == "CRITICAL –"
    assert event["long_output"] == "CRITICAL – température élevée", "long_output is never cut"


def test_output_size_limit_never_splits_a_multibyte_character(tmp_path, recorder):
    status = ev.v3_service_status(output="é" * 10, long_output="")
    deliver(tmp_path, [*ev.v3_configuration(), status], recorder, output_size_limit="5")
    assert recorder.events()[0]["output"] == "éé"  # 4 bytes; a 5th would be half of an "é"


def test_ids_are_strings(tmp_path, recorder):
    deliver(tmp_path, [*ev.v3_configuration(), ev.v3_service_status()], recorder)
    event = recorder.events()[0]
    assert event["host_id"] == "15" and event["service_id"] == "47"
