"""Which customer takes an event: the builtin selector (every key must match, first table wins)
and a third-party plugin answering connector_customer first (a CMDB)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from centreon_canopsis.core.config import from_mapping
from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.core.pipeline import Pipeline, build_context
from centreon_canopsis.core.plugin_manager import PluginManager
from centreon_canopsis.core.sources.base import Batch
from tests.customers.helpers import REMOTE_HOST, central_check, configuration, remote_check
from tests.support.events import event, v3_host_status

KEYS = {"canopsis_authkey": "k"}


def lanes(tmp_path: Path, customers: list[dict[str, Any]], events, plugins=(), **top: Any) -> dict[str, int]:
    raw = {
        "canopsis_host": "127.0.0.1",
        "canopsis_port": 1,
        "sending_protocol": "http",
        "canopsis_authkey": "top",
        "state_dir": str(tmp_path / "state"),
        "canopsis_downtime_send_pbh": 0,
        "metrics": {"enabled": False},
        "customers": [{**KEYS, **customer} for customer in customers],
        **top,
    }
    config = from_mapping(raw, env={})
    manager = PluginManager()
    manager.load()
    for index, plugin in enumerate(plugins):
        manager.register(plugin, name=f"test_{index}")
    pipeline = Pipeline(config, build_context(config, manager))
    try:
        pipeline.process_batch(Batch([*configuration(), *events], origin="test"))
        return {lane: pipeline.outbox.depth(lane) for lane in pipeline.outbox.lanes()}
    finally:
        pipeline.close(1)


@pytest.mark.parametrize(
    ("selector", "central", "remote"),
    [
        ({"pollers": "Central"}, True, False),
        ({"hostgroups": "Europe"}, True, False),
        ({"hostgroups": ["Databases", "Nowhere"]}, False, True),
        ({"servicegroups": "Network"}, True, False),
        ({"hosts": "^srv%-web"}, True, False),
        ({"hosts": ["^db", "^nothing"]}, False, True),
        ({"pollers": "Central", "hostgroups": "Databases"}, False, False),  # all keys must match
        ({"bvs": "Sales"}, False, False),  # BA selectors take BA events only
        ({}, False, False),  # no selector: chosen by a plugin only
    ],
)
def test_selectors(tmp_path: Path, selector, central: bool, remote: bool) -> None:
    found = lanes(tmp_path, [{"name": "acme", **selector}], [central_check(), remote_check()])
    assert found.get("acme/events", 0) == central + remote
    assert found.get("events", 0) == 2 - central - remote


def test_servicegroups_do_not_take_host_events(tmp_path: Path) -> None:
    found = lanes(tmp_path, [{"name": "net", "servicegroups": "Network"}], [v3_host_status(state=1)])
    assert found == {"events": 1}


def test_the_first_matching_table_wins(tmp_path: Path) -> None:
    # srv-web-01 is on Central and in Europe: both may take it (a warning), the first does.
    customers = [
        {"name": "first", "pollers": "Central"},
        {"name": "second", "hostgroups": "Europe, Databases"},
    ]
    found = lanes(
        tmp_path, customers, [central_check(), remote_check(), remote_check(last_check=1_700_000_300)]
    )
    assert found == {"first/events": 1, "second/events": 2}


class Cmdb:
    """A third-party selector: the customer of each host comes from an inventory."""

    def __init__(self, owners: dict[int, str]) -> None:
        self.owners = owners

    @hookimpl
    def connector_customer(self, event, element, context) -> str | None:
        return self.owners.get(event.get("host_id"))  # None: let the builtin selector answer


def test_a_plugin_chooses_the_customer(tmp_path: Path) -> None:
    customers = [{"name": "acme"}, {"name": "beta", "pollers": "Central"}]
    found = lanes(
        tmp_path, customers, [central_check(), remote_check()], plugins=[Cmdb({REMOTE_HOST: "acme"})]
    )
    assert found == {"acme/events": 1, "beta/events": 1}


def test_an_unknown_customer_name_is_dropped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    found = lanes(
        tmp_path,
        [{"name": "acme", "pollers": "Central"}],
        [remote_check()],
        plugins=[Cmdb({REMOTE_HOST: "zeta"})],
    )
    assert found.get("events", 0) == 0
    assert "answered zeta" in caplog.text


def test_per_customer_filters(tmp_path: Path) -> None:
    # acme sends soft states and ignores its service WARNINGs; the top level keeps its defaults.
    soft = central_check(state=2, state_type=0)
    warning = central_check(state=1, last_check=1_700_000_300)
    customers = [
        {
            "name": "acme",
            "pollers": "Central",
            "hard_only": 0,
            "enable_service_status_dedup": 0,
            "service_status": "0,2,3",
        }
    ]
    found = lanes(tmp_path, customers, [soft, warning, remote_check(state_type=0)])
    assert found == {"acme/events": 1}


def test_per_customer_accepted_elements(tmp_path: Path) -> None:
    ack = event(
        1,
        45,
        host_id=15,
        service_id=47,
        instance_id=1,
        type=1,
        author="a",
        comment_data="c",
        sticky=True,
        notify_contacts=False,
        entry_time=1_700_000_250,
        deletion_time=0,
        persistent_comment=False,
        state=2,
    )
    customers = [{"name": "acme", "pollers": "Central", "accepted_elements": "service_status"}]
    found = lanes(tmp_path, customers, [ack, central_check()])
    assert found == {"acme/events": 1}


class BrokenCmdb:
    @hookimpl
    def connector_customer(self, event, element, context):
        if event.get("host_id") == REMOTE_HOST:
            raise RuntimeError("CMDB down")
        return [1]  # not even a name: unhashable


def test_a_selecting_plugin_that_raises_does_not_stop_the_stream(tmp_path: Path) -> None:
    found = lanes(
        tmp_path,
        [{"name": "acme", "pollers": "Central"}],
        [remote_check(), central_check()],
        plugins=[BrokenCmdb()],
    )
    assert found == {}
    connection = sqlite3.connect(tmp_path / "state" / "connector.db")
    reasons = [row[0] for row in connection.execute("SELECT reason FROM dead_letters ORDER BY id")]
    connection.close()
    assert len(reasons) == 2  # kept to replay once the plugin is fixed
    assert reasons[0].startswith("plugin test_0 raised in connector_customer: RuntimeError: CMDB down")
    assert reasons[1].startswith("plugin ") and "TypeError" in reasons[1]


@pytest.mark.parametrize(("views", "taken"), [("E-commerce", True), ("Sales, HR", False)])
def test_business_views_take_ba_status(tmp_path: Path, views: str, taken: bool) -> None:
    from tests.core.test_ba_status import ba_status, dimensions

    found = lanes(
        tmp_path,
        [{"name": "shop", "bvs": views}],
        [*dimensions(3), ba_status(3, 2), central_check()],
        accepted_categories="neb,bam",
        accepted_elements="host_status,service_status,ba_status",
    )
    assert found == ({"shop/events": 1, "events": 1} if taken else {"events": 2})
