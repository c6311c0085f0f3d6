"""contrib.enrich: host alias, chosen custom variables, severity and categories from the name
cache, as extra fields or as tags, against the sandbox; the cache keeps them across restarts."""

from __future__ import annotations

import sqlite3
from typing import Any

from centreon_canopsis.core.cache import Cache
from tests.support.events import HOST_ID, POLLER_ID, SERVICE_ID, event, v3_configuration, v3_service_status

PLUGINS = {"load": ["centreon_canopsis.plugins.contrib.enrich"]}


def variable(name: str, value: str, service_id: int = 0, **fields: Any) -> dict[str, Any]:
    values = dict(
        host_id=HOST_ID,
        service_id=service_id,
        name=name,
        value=value,
        enabled=True,
        password=False,
        type=1 if service_id else 0,
        modified=False,
        update_time=1_700_000_000,
        default_value=value,
    )
    values.update(fields)
    return event(1, 37, **values)


def inventory() -> list[dict[str, Any]]:
    configuration = v3_configuration()
    for record in configuration:
        if record["element"] == 30:  # the host: a severity and a category
            record["severity_id"] = 5
            record["tags"] = [{"id": 1, "type": 1}, {"id": 7, "type": 3}]
    return [
        *configuration,
        event(1, 33, id=5, type=1, level=2, name="High", icon_id=0, action=0, poller_id=[POLLER_ID]),
        event(1, 34, id=7, type=3, name="Critical-Infra", action=0, poller_id=POLLER_ID),
        variable("SITE", "Paris"),
        variable("CUST_CONTRACT", "gold"),
        variable("CUST_SECRET", "hunter2", password=True),
        variable("OTHER", "not chosen"),
        variable("SITE", "Paris-2", service_id=SERVICE_ID),
    ]


SETTINGS = {"custom_variables": ["SITE"], "custom_variable_patterns": ["^CUST_"]}


def checks(sandbox) -> list[dict[str, Any]]:
    return [e for e in sandbox.received_events() if e["event_type"] == "check"]


def test_extra_fields(connector, canopsis_sandbox) -> None:
    harness = connector(plugins_table={**PLUGINS, "enrich": SETTINGS})
    harness.send([*inventory(), v3_service_status(state=2)])
    (check,) = checks(canopsis_sandbox)
    assert check["host_alias"] == "web"
    assert check["SITE"] == "Paris-2"  # the service's variable wins over the host's
    assert check["CUST_CONTRACT"] == "gold"
    assert "CUST_SECRET" not in check and "OTHER" not in check
    assert (check["severity_level"], check["severity_name"]) == (2, "High")
    assert "categories" not in check  # a service category was not given; the host's is the host's
    harness.send([v3_service_status(state=0, last_check=1_700_000_300)])
    assert "hunter2" not in str(canopsis_sandbox.received_events())


def test_tags(connector, canopsis_sandbox) -> None:
    from tests.support.events import v3_host_status

    harness = connector(plugins_table={**PLUGINS, "enrich": {**SETTINGS, "into": "tags"}})
    harness.send([*inventory(), v3_host_status(state=1)])
    (check,) = checks(canopsis_sandbox)
    assert check["tags"] == {
        "host_alias": "web",
        "SITE": "Paris",
        "CUST_CONTRACT": "gold",
        "severity_level": "2",
        "severity_name": "High",
        "Critical-Infra": "",
    }
    (alarm,) = canopsis_sandbox.alarms()
    assert "SITE: Paris" in alarm["tags"]


def test_the_cache_keeps_chosen_variables_across_restarts(tmp_path) -> None:
    cache = Cache()
    cache.keep_custom_variable = lambda name: name == "SITE"
    handler = cache.observe
    from centreon_canopsis.core.elements import default_registry

    registry = default_registry()
    for record in inventory():
        handler(record, registry.by_type[record["_type"]])
    connection = sqlite3.connect(tmp_path / "cache.db")
    connection.execute(Cache.SCHEMA)
    connection.execute(Cache.JOURNAL_SCHEMA)
    cache.save(connection)
    connection.commit()
    for stored in ("the journal", "the rows"):
        restored = Cache()
        restored.load(connection)
        assert restored.custom_variables(HOST_ID) == {"SITE": "Paris"}, stored
        assert restored.category_names(HOST_ID) == ["Critical-Infra"], stored
        assert restored.severity_name(HOST_ID) == "High", stored
        cache.fold(connection, 10)
        connection.commit()
    assert connection.execute("SELECT COUNT(*) FROM cache_journal").fetchone() == (0,)


def test_a_customer_has_its_own_settings(connector, canopsis_sandbox) -> None:
    customers = [
        {
            "name": "acme",
            "pollers": "Central",
            "plugins": {"enrich": {"custom_variables": ["SITE"], "into": "tags"}},
        }
    ]
    harness = connector(plugins_table={**PLUGINS, "enrich": SETTINGS}, customers=customers)
    harness.send([*inventory(), v3_service_status(state=2)])
    (check,) = checks(canopsis_sandbox)
    assert check["tags"]["SITE"] == "Paris-2" and "CUST_CONTRACT" not in check["tags"]
    assert "SITE" not in check  # the top-level settings (fields) did not apply


def test_customer_plugin_settings_are_validated(connector) -> None:
    import pytest

    from centreon_canopsis.core.config import ConfigError

    customers = [
        {"name": "acme", "pollers": "Central", "plugins": {"enrich": {"into": "nowhere"}, "load": ["x"]}}
    ]
    with pytest.raises(ConfigError) as raised:
        connector(plugins_table=PLUGINS, customers=customers)
    assert raised.value.errors[0].startswith("customers[0] (acme): plugins.load cannot be set per customer")
    with pytest.raises(ConfigError) as raised:
        connector(
            plugins_table=PLUGINS, customers=[{**customers[0], "plugins": {"enrich": {"into": "nowhere"}}}]
        )
    assert raised.value.errors == [
        "customers[0] (acme): plugins.enrich.into: 'nowhere' is not one of ['fields', 'tags']"
    ]


def test_each_scope_wish_is_kept_once() -> None:
    from centreon_canopsis.plugins.contrib.enrich import keep_for

    cache = Cache()
    keep_for(cache, "", lambda name: name == "SITE")
    keep_for(cache, "acme", lambda name: name == "ROOM")
    keep_for(cache, "", lambda name: name == "CITY")  # the top level configured again (a reload)
    keep = cache.keep_custom_variable
    assert [keep(name) for name in ("SITE", "ROOM", "CITY")] == [False, True, True]
    assert len(keep.wishes) == 2
