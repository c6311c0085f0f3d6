"""The compact name cache: look-ups stay current, the state round-trips, older states load,
hostile ids are not learnt."""

from __future__ import annotations

import sqlite3

import orjson

from centreon_canopsis.core.cache import HOST_FIELDS, SERVICE_FIELDS, Cache
from centreon_canopsis.core.elements import default_registry
from tests.support import events as ev

REGISTRY = default_registry()


def feed(cache: Cache, *events) -> Cache:
    for event in events:
        cache.observe(event, REGISTRY.get(event["category"], event["element"]))
    return cache


def database(cache: Cache | None = None) -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.execute(Cache.SCHEMA)
    connection.execute(Cache.JOURNAL_SCHEMA)
    if cache is not None:
        cache.save(connection)
        cache.mark_saved()
    return connection


def loaded(connection: sqlite3.Connection) -> Cache:
    cache = Cache()
    cache.load(connection)
    return cache


def test_a_looked_up_record_follows_later_status_and_configuration_events():
    cache = feed(Cache(), *ev.v3_configuration())
    before = cache.service(15, 47)
    feed(cache, ev.v3_service_status(state=2))
    assert cache.service(15, 47)["state"] == 2
    feed(cache, dict(ev.v3_configuration()[6], description="Ping v6"))
    assert cache.service(15, 47)["description"] == "Ping v6"
    assert cache.service(15, 47)["state"] == 2, "the status stays when the configuration changes"
    assert before["description"] == "Ping"


def test_a_field_the_configuration_event_leaves_out_keeps_its_value():
    cache = feed(Cache(), *ev.v2_configuration())
    host = {key: value for key, value in ev.v2_configuration()[1].items() if key != "notes_url"}
    feed(cache, dict(host, alias="renamed"))
    assert cache.host(15)["alias"] == "renamed"
    assert cache.host(15)["notes_url"] == "http://wiki/srv"


def test_the_state_round_trips():
    cache = feed(Cache(), *ev.v3_configuration(), ev.v3_service_status(state=1))
    again = loaded(database(cache))
    assert again.host(15) == {key: value for key, value in cache.host(15).items() if key in HOST_FIELDS}
    assert again.service(15, 47)["description"] == "Ping"
    assert "state" not in again.service(15, 47), "status is not persisted"
    assert again.hostgroup_names(15) == ["Linux", "Europe"]
    assert again.servicegroup_names(15, 47) == ["Network"]
    assert again.counts() == cache.counts()
    assert not again.dirty


def test_an_older_state_with_json_objects_loads():
    connection = database()
    rows = [
        (
            "host",
            "15",
            {"host_id": 15, "name": "srv-web-01", "notes_url": "http://wiki/srv", "instance_id": 1},
        ),
        ("service", "15:47", {"host_id": 15, "service_id": 47, "description": "Ping", "severity_id": 3}),
        ("host_member", "15", {"9": "Linux", "2": "Europe"}),
        ("service_member", "15:47", {"4": "Network"}),
        ("criticality", "15:0", 5),
        ("severity", "0:3", {"level": 2, "name": "Low"}),
        ("instance", "1", "Central"),
    ]
    connection.executemany(
        "INSERT INTO cache_objects VALUES (?, ?, ?)", [(k, key, orjson.dumps(v)) for k, key, v in rows]
    )
    cache = loaded(connection)
    assert cache.host(15) == {
        "host_id": 15,
        "name": "srv-web-01",
        "notes_url": "http://wiki/srv",
        "instance_id": 1,
    }
    assert cache.service(15, 47) == {"host_id": 15, "service_id": 47, "description": "Ping", "severity_id": 3}
    assert cache.hostgroup_names(15) == ["Europe", "Linux"], "by group id"
    assert cache.servicegroup_names(15, 47) == ["Network"]
    assert cache.severity(15) == 5 and cache.severity(15, 47) == 2
    assert cache.poller_name(1) == "Central"


def test_ids_beyond_32_bits_are_not_learnt_and_do_not_collide():
    service = ev.v3_configuration()[6]
    cache = feed(Cache(), service)
    hostile = [dict(service, service_id=47 + (1 << 32)), dict(service, service_id=-1, description="x")]
    feed(cache, *hostile, dict(ev.v3_service_status(state=2), service_id=47 + (1 << 32)))
    assert cache.service(15, 47)["description"] == "Ping" and "state" not in cache.service(15, 47)
    assert cache.service(15, 47 + (1 << 32)) is None and cache.service(15, -1) is None
    assert cache.counts()["services"] == 1


def test_many_look_ups_stay_correct_past_the_table_of_recent_ones():
    from centreon_canopsis.core import cache as module

    service = ev.v3_configuration()[6]
    cache = feed(
        Cache(), *(dict(service, service_id=n, description=f"s{n}") for n in range(1, module.VIEWS_MAX + 10))
    )
    for n in range(1, module.VIEWS_MAX + 10):
        assert cache.service(15, n)["description"] == f"s{n}"
    feed(cache, dict(ev.v3_service_status(state=1), service_id=3))
    assert cache.service(15, 3)["state"] == 1


def rows_not_read(monkeypatch):
    def fail(self, connection):
        raise AssertionError("the rows were read")

    monkeypatch.setattr(Cache, "_load_rows", fail)


def test_a_snapshot_loads_the_same_cache_then_the_journal_after_it_until_a_fold_retires_it(monkeypatch):
    cache = feed(Cache(), *ev.v3_configuration())
    connection = database(cache)
    connection.execute(Cache.SNAPSHOT_SCHEMA)
    assert cache.write_snapshot(connection)
    with monkeypatch.context() as patch:
        rows_not_read(patch)
        again = loaded(connection)
    assert again.service(15, 47) == {
        key: value for key, value in cache.service(15, 47).items() if key in SERVICE_FIELDS
    }
    assert again.hostgroup_names(15) == ["Linux", "Europe"]
    assert not again.write_snapshot(connection), "the stored snapshot is current"
    feed(again, dict(ev.v3_configuration()[6], description="Ping v6"))
    again.save(connection)
    connection.commit()
    again.mark_saved()
    # The snapshot stays; the change is in the journal after its mark, replayed on top of it.
    with monkeypatch.context() as patch:
        rows_not_read(patch)
        assert loaded(connection).service(15, 47)["description"] == "Ping v6"
    assert again.fold(connection, 10) > 0
    connection.commit()
    assert connection.execute("SELECT COUNT(*) FROM cache_snapshot").fetchone() == (0,)
    assert loaded(connection).service(15, 47)["description"] == "Ping v6"  # from the rows now
    assert again.write_snapshot(connection)
    with monkeypatch.context() as patch:
        rows_not_read(patch)
        assert loaded(connection).service(15, 47)["description"] == "Ping v6"


def test_rows_changed_by_another_hand_are_read_instead_of_the_snapshot():
    cache = feed(Cache(), *ev.v3_configuration())
    connection = database(cache)
    connection.execute(Cache.SNAPSHOT_SCHEMA)
    assert cache.write_snapshot(connection)
    connection.execute("INSERT INTO cache_objects VALUES ('instance', '7', ?)", (orjson.dumps("Poller 7"),))
    assert loaded(connection).poller_name(7) == "Poller 7"


def test_a_snapshot_of_another_format_or_unreadable_falls_back_to_the_rows():
    cache = feed(Cache(), *ev.v3_configuration())
    connection = database(cache)
    connection.execute(Cache.SNAPSHOT_SCHEMA)
    connection.execute("INSERT INTO cache_snapshot VALUES (1, 'marshal 0 python 2.7 cache 1', x'00')")
    assert loaded(connection).service(15, 47)["description"] == "Ping"
    from centreon_canopsis.core.cache import SNAPSHOT_FORMAT

    connection.execute("UPDATE cache_snapshot SET format = ?, value = x'ff00'", (SNAPSHOT_FORMAT,))
    assert loaded(connection).service(15, 47)["description"] == "Ping"


def test_a_clean_stop_writes_the_snapshot_and_the_next_start_reads_it(tmp_path, monkeypatch):
    from centreon_canopsis.core.pipeline import Pipeline
    from tests.support.config import make_config
    from tests.support.pipeline import deliver

    deliver(tmp_path, ev.v3_configuration())
    pipeline = Pipeline(make_config(tmp_path / "state"))
    try:
        connection = pipeline.store.connect()
        assert connection.execute("SELECT format FROM cache_snapshot").fetchone() is not None
        connection.close()
        pipeline.close(1)
        rows_not_read(monkeypatch)
        pipeline = Pipeline(make_config(tmp_path / "state"))
        assert pipeline.context.cache.service(15, 47)["description"] == "Ping"
    finally:
        pipeline.close(1)


def test_objects_with_tags_still_share_one_tuple_and_keep_their_categories():
    """BBDO 3 objects carry ``tags`` (a list of dicts): kept as hashable pairs, so services made
    from one template still share their tuple, and category names survive a restart."""
    configuration = ev.v3_configuration()
    service = next(e for e in configuration if e.get("service_id") == 47 and "description" in e)
    tags = [{"id": 7, "type": 2}, {"id": "bad", "type": 2}]
    twins = [dict(service, service_id=sid, tags=tags) for sid in (101, 102)]
    category = {"_type": 1 << 16 | 34, "category": 1, "element": 34, "id": 7, "type": 2, "name": "Web"}
    cache = feed(Cache(), *configuration, *twins, category)  # pb_tag: a service category
    rows = cache.services.rows
    assert rows[15 << 32 | 101] is rows[15 << 32 | 102], "identical services share one tuple"
    assert cache.service(15, 101)["tags"] == ((2, 7),)
    assert cache.category_names(15, 101) == ["Web"]
    again = loaded(database(cache))
    assert again.category_names(15, 102) == ["Web"]
    assert again.services.rows[15 << 32 | 101] is again.services.rows[15 << 32 | 102]


def test_each_status_path_keeps_the_field_by_field_rule():
    """copy_status has fast paths (the usual fields in one call, an object's event with
    `acknowledged`); each must give what the rule says: a field the event carries replaces the
    stored one, any other stays."""
    cache = feed(Cache(), *ev.v3_configuration())
    services = cache.services
    key = (15 << 32) | 47
    service = next(e for e in ev.v3_configuration() if e.get("service_id") == 47 and "description" in e)
    status = ev.v3_service_status(state=2)
    partial = {k: v for k, v in status.items() if k != "last_check"}  # not every usual field
    whole = {**status, **service}  # a pb_service: its fields and every usual status field
    steps = [
        dict(whole, acknowledged=True, state=1),  # an object's event: usual fields + acknowledged
        status,  # the usual fields only
        dict(status, acknowledged=False, last_time_up=7),  # a field of the other kind: field by field
        partial,
        dict(whole, acknowledged=False, last_time_ok=99),
        dict(service, acknowledged=True),  # a BBDO 2 object: no status field but acknowledged
    ]
    for event in steps:
        old = services.status.get(key) or (None,) * len(services.status_fields)
        expected = tuple(
            event.get(field, value) for field, value in zip(services.status_fields, old, strict=True)
        )
        feed(cache, event)
        assert services.status[key] == expected, event


def test_host_status_paths_and_ids_written_as_strings_keep_the_rule():
    """The status handlers read int ids inline; ids written as strings (BBDO 2 JSON dumps), and
    host statuses, must give what the field-by-field rule says too."""
    cache = feed(Cache(), *ev.v3_configuration())
    hosts, services = cache.hosts, cache.services
    host_status = ev.v3_host_status(state=1)
    service_status = ev.v3_service_status(state=2)
    steps = [
        (hosts, 15, host_status),
        (hosts, 15, dict(host_status, host_id="15", state=2, last_check=5)),
        (hosts, 15, dict(host_status, acknowledged=True)),  # a field beyond the usual ones
        (hosts, 15, {k: v for k, v in host_status.items() if k != "state_type"}),
        (services, (15 << 32) | 47, dict(service_status, host_id="15", service_id="47", state=3)),
        (services, (15 << 32) | 47, dict(service_status, host_id=15.0, state=1)),
    ]
    for objects, key, event in steps:
        old = objects.status.get(key) or (None,) * len(objects.status_fields)
        expected = tuple(
            event.get(field, value) for field, value in zip(objects.status_fields, old, strict=True)
        )
        feed(cache, event)
        assert objects.status[key] == expected, event
    feed(cache, dict(host_status, host_id=99))  # an unknown host: nothing stored
    assert 99 not in hosts.status
