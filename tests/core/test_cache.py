"""The name cache: fed like Broker's, both protocol forms, persisted across restarts."""

from __future__ import annotations

import orjson
import pytest

from centreon_canopsis.core.cache import Cache
from centreon_canopsis.core.elements import default_registry
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.base import Batch
from tests.support import events as ev
from tests.support.config import make_config
from tests.support.pipeline import deliver
from tests.support.recorder import Recorder

REGISTRY = default_registry()


def fed(events) -> Cache:
    cache = Cache()
    for event in events:
        cache.observe(event, REGISTRY.get(event["category"], event["element"]))
    return cache


@pytest.mark.parametrize("configuration", [ev.v3_configuration, ev.v2_configuration], ids=["bbdo3", "bbdo2"])
def test_names_from_configuration_events(configuration):
    cache = fed(configuration())
    assert cache.poller_name(1) == "Central"
    assert cache.host(15)["name"] == "srv-web-01"
    assert cache.host(15)["notes_url"] == "http://wiki/srv"
    assert cache.service(15, 47)["description"] == "Ping"
    assert cache.hostgroup_names(15) == ["Linux", "Europe"], "sorted by group id, as Broker does"
    assert cache.servicegroup_names(15, 47) == ["Network"]


def test_bbdo2_member_without_group_name_uses_the_group_event():
    events = [ev.event(1, 10, hostgroup_id=9, name="Databases"), ev.event(1, 11, hostgroup_id=9, host_id=15)]
    assert fed(events).hostgroup_names(15) == ["Databases"]


@pytest.mark.parametrize("configuration", [ev.v3_configuration, ev.v2_configuration], ids=["bbdo3", "bbdo2"])
def test_enabled_false_removes(configuration):
    events = configuration()
    host, service = events[1], events[6]
    member = events[4]
    removals = [dict(member, enabled=False), dict(service, enabled=False), dict(host, enabled=False)]
    cache = fed([*events, *removals])
    assert cache.host(15) is None
    assert cache.service(15, 47) is None
    assert cache.hostgroup_names(15) == ["Linux"]


def test_status_events_update_current_state_in_memory():
    cache = fed([*ev.v3_configuration(), ev.v3_service_status(state=1)])
    assert cache.service(15, 47)["state"] == 1
    cache = fed([*ev.v2_configuration(), ev.v2_host_status(state=2)])
    assert cache.host(15)["state"] == 2


def test_severity_from_criticality_level_and_severity_objects():
    criticality = ev.event(
        1, 3, host_id=15, modified=False, name="CRITICALITY_LEVEL", type=0, value="3", default_value=""
    )
    severity = ev.event(1, 33, id=5, action=0, level=2, icon_id=0, name="Major", type=0, poller_id=1)
    service = dict(ev.v3_configuration()[6], severity_id=5)
    cache = fed([criticality, severity, service])
    assert cache.severity(15) == 3, "host: CRITICALITY_LEVEL custom variable (BBDO 2 form)"
    assert cache.severity(15, 47) == 2, "service: its severity object"
    cache.observe(dict(severity, action=1), REGISTRY.get(1, 33))  # DELETE
    assert cache.severity(15, 47) is None


def test_bam_dimensions_and_truncation():
    events = [
        ev.event(6, 30, update_started=True),
        ev.event(6, 22, bv_id=1, bv_name="Business", bv_description=""),
        ev.event(6, 25, ba_id=4, ba_name="Web shop", ba_description="", sla_month_percent_crit=0.0),
        ev.event(6, 23, ba_id=4, bv_id=1),
        ev.event(6, 30, update_started=False),
    ]
    cache = fed(events)
    assert cache.ba(4)["name"] == "Web shop"
    assert cache.bv_names(4) == ["Business"]
    cache.observe(ev.event(6, 30, update_started=True), REGISTRY.get(6, 30))
    assert cache.ba(4) is None and cache.bv_names(4) == []


def test_names_survive_a_restart(tmp_path):
    with Recorder() as recorder:
        deliver(tmp_path, ev.v3_configuration(), recorder)  # first run: configuration only
        assert recorder.requests == []
        # Second run, same state_dir: Broker does not resend configuration on reconnection.
        deliver(tmp_path, [ev.v3_service_status()], recorder)
        event = recorder.events()[0]
    assert (event["component"], event["resource"], event["connector_name"]) == (
        "srv-web-01",
        "Ping",
        "Central",
    )
    assert event["hostgroups"] == ["Linux", "Europe"] and event["servicegroups"] == ["Network"]


def test_removals_survive_a_restart(tmp_path):
    deliver(tmp_path, ev.v3_configuration())
    deliver(tmp_path, [dict(ev.v3_configuration()[4], enabled=False)])
    pipeline = Pipeline(make_config(tmp_path / "state"))
    try:
        assert pipeline.context.cache.hostgroup_names(15) == ["Linux"]
        assert pipeline.context.cache.counts()["hosts"] == 1
    finally:
        pipeline.close(1)


def test_unknown_host_is_dropped_by_default(tmp_path):
    with Recorder() as recorder:
        pipeline = deliver(tmp_path, [ev.v3_service_status()], recorder)
    assert recorder.requests == []
    assert pipeline.context.metrics.value("events_dropped_total", reason="skip_anon_events") == 1


def test_unknown_host_is_sent_with_ids_when_skip_anon_events_is_0(tmp_path):
    # Defect B14: in Lua, skip_anon_events = 0 had no effect (the poller check dropped the event).
    with Recorder() as recorder:
        deliver(tmp_path, [ev.v3_service_status()], recorder, skip_anon_events=0)
    event = recorder.events()[0]
    assert (event["component"], event["resource"], event["connector_name"]) == (
        "15",
        "47",
        "centreon-stream-central",
    )


def journal_kinds(connection) -> list[str]:
    """The kinds of the objects in the name cache journal, in the order written per entry."""
    entries = connection.execute("SELECT value FROM cache_journal ORDER BY id").fetchall()
    return sorted(kind for (value,) in entries for kind, _, _ in orjson.loads(value))


def test_cache_write_is_in_the_batch_transaction_then_folded_into_its_table(tmp_path):
    pipeline = Pipeline(make_config(tmp_path))
    expected = {
        "instance": 1,
        "host": 1,
        "service": 1,
        "hostgroup": 2,
        "servicegroup": 1,
        "host_member": 1,
        "service_member": 1,
    }
    try:
        pipeline.process_batch(Batch(ev.v3_configuration()))
        connection = pipeline.store.connect()
        assert journal_kinds(connection) == sorted(k for k, n in expected.items() for _ in range(n))
        assert connection.execute("SELECT COUNT(*) FROM cache_objects").fetchone() == (0,)
        waiting = pipeline.context.cache.journal_bytes
        assert waiting > 0
        assert f"centreon_canopsis_cache_journal_bytes {waiting}\n" in pipeline.context.metrics.render()
        assert pipeline.outbox.fold_cache() > 0  # what an idle source does
        rows = dict(connection.execute("SELECT kind, COUNT(*) FROM cache_objects GROUP BY kind").fetchall())
        assert rows == expected
        assert journal_kinds(connection) == []
        assert pipeline.context.cache.journal_bytes == 0
        assert "centreon_canopsis_cache_journal_bytes 0\n" in pipeline.context.metrics.render()
        assert pipeline.outbox.fold_cache() == 0
        connection.close()
    finally:
        pipeline.close(1)


def test_cache_changes_survive_a_failed_commit(tmp_path):
    pipeline = Pipeline(make_config(tmp_path))
    try:
        host = ev.v3_configuration()[1]
        pipeline.dispatcher.process(host, host["_type"])

        def disk_full(connection):
            raise OSError("disk full")

        with pytest.raises(OSError):
            pipeline.outbox.commit(also=disk_full)  # rolled back
        assert pipeline.context.cache.journal_bytes == 0
        pipeline.outbox.commit()  # the retry writes what the failed commit did not
        connection = pipeline.store.connect()
        assert journal_kinds(connection) == ["host"]
        connection.close()
    finally:
        pipeline.close(1)
