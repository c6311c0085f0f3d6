"""The AMQP sender normalises and refuses events as the Canopsis API and engine-fifo would: held
against the sandbox's own rules (its API checks, then engine-fifo's) on the same events."""

from __future__ import annotations

import copy

import pytest

from centreon_canopsis.plugins.builtin.canopsis.amqp_events import Refused, RoutingKey, normalise
from centreon_canopsis.standins.canopsis.auth import User
from centreon_canopsis.standins.canopsis.events import EventChecker
from centreon_canopsis.standins.canopsis.fifo import drop_reason
from centreon_canopsis.standins.canopsis.versions import parse_version

BASE = {"event_type": "check", "connector": "centreon", "connector_name": "central", "component": "h1"}
USER = {"author": "centreon", "user_id": "centreon"}  # set: the API would fill them in otherwise

CASES = [
    {},
    {"resource": "cpu"},
    {"resource": "cpu", "source_type": "component"},  # rewritten
    {"state": "2"},
    {"state": "+1"},
    {"state": "2.5"},
    {"state": "two"},
    {"state": None},
    {"state": True},
    {"state": 1.0},
    {"long_output": 12},  # becomes ""
    {"output": 12},
    {"perf_data": ["x"]},
    {"tags": {"a": "b"}},
    {"tags": {"a": 1}},
    {"timestamp": "1700000000"},
    {"component": ""},
    {"component": 3},
    {"resource": 3},
    {"connector": ""},
    {"connector_name": None},
    {"event_type": "ack", "component": ""},
    {"event_type": "ack", "output": "ok"},
    {"event_type": "ackremove", "resource": "cpu"},
    {"event_type": "declareticket"},
    {"event_type": "nonsense"},
    {"event_type": 5},
    {"source_type": 5},
]


def sandbox_verdict(event: dict, line: str = "24.04") -> dict | None:
    """What the sandbox publishes and engine-fifo keeps, or None when either refuses it."""
    profile = parse_version(line)
    user = User("centreon", "pw", "key", frozenset(), roles=("admin",))
    checker = EventChecker(profile)
    event = copy.deepcopy(event)
    if not checker.check(event, user):
        return None
    if drop_reason(event, profile.fifo_types | {"declareticket"}) is not None:
        return None
    return event


@pytest.mark.parametrize("change", CASES, ids=[str(case) for case in CASES])
def test_normalised_like_the_api_and_refused_like_canopsis(change):
    event = {**BASE, "state": 2, **USER, **change}
    if event.get("event_type") not in ("check",) and "state" not in change:
        event.pop("state")
    expected = sandbox_verdict(event)
    try:
        ours = normalise(copy.deepcopy(event))
    except Refused:
        ours = None
    if expected is not None:
        expected.pop("role", None)  # the API adds the user's role to ack events; no user over AMQP
    assert ours == expected


def test_refusals_say_why():
    with pytest.raises(Refused, match="connector_name is missing"):
        normalise({"event_type": "check", "connector": "c", "component": "h", "state": 0})
    with pytest.raises(Refused, match="cannot create check event for connector"):
        normalise({"event_type": "check", "connector": "c", "connector_name": "n", "state": 0})
    with pytest.raises(Refused, match="state 'two' is not an integer"):
        normalise({**BASE, "state": "two"})


def test_the_routing_key_is_canopsis_documented_one():
    key = RoutingKey("{connector}.{connector_name}.{event_type}.{source_type}.{component}[.{resource}]")
    assert key.render(normalise({**BASE, "state": 0})) == "centreon.central.check.component.h1"
    assert (
        key.render(normalise({**BASE, "state": 0, "resource": "cpu"}))
        == "centreon.central.check.resource.h1.cpu"
    )
    with pytest.raises(Refused, match=r"routing key of 267 bytes \(AMQP allows 255\)"):
        key.render(normalise({**BASE, "state": 0, "component": "h" * 234}))
    with pytest.raises(ValueError, match="unbalanced"):
        RoutingKey("{connector}[.{resource}")


def test_validate_warns_when_amqp_is_set_but_its_sender_is_disabled(tmp_path):
    from centreon_canopsis.core import config as config_module
    from centreon_canopsis.core.plugin_manager import PluginManager
    from centreon_canopsis.core.validation import plugin_warnings

    raw = {"canopsis_host": "h", "canopsis_authkey": "k" * 8, "state_dir": str(tmp_path)}
    amqp = {"amqp": {"url": "amqp://u@127.0.0.1/canopsis"}}
    for extra, expected in (
        (
            {**amqp, "plugins": {"disable": ["amqp_sender"]}},
            ["amqp.url is set but amqp_sender is not loaded"],
        ),
        (amqp, []),
        ({"plugins": {"disable": ["canopsis_sender"]}}, ["no other plugin implements connector_send"]),
    ):
        config = config_module.from_mapping({**raw, **extra}, env={})
        plugins = PluginManager()
        plugins.load(disabled=config.plugins["disable"])
        warnings = plugin_warnings(config, plugins)
        assert len(warnings) == len(expected) and all(e in w for e, w in zip(expected, warnings, strict=True))


def test_unreadable_tls_files_are_configuration_errors(tmp_path):
    from centreon_canopsis.core import config as config_module
    from centreon_canopsis.core.config import ConfigError
    from centreon_canopsis.core.pipeline import build_context

    raw = {
        "canopsis_host": "h",
        "canopsis_authkey": "k" * 8,
        "state_dir": str(tmp_path),
        "amqp": {"url": "amqps://u@127.0.0.1/canopsis", "ca_file": str(tmp_path / "missing-ca.pem")},
    }
    config = config_module.from_mapping(raw, env={})
    with pytest.raises(ConfigError, match=r"amqp\.ca_file = .*missing-ca\.pem' cannot be read"):
        build_context(config)
