"""contrib.perf_data: the perfdata of checks in ``perf_data``, units Canopsis keeps, the rest
converted or left out and counted; against the sandbox, and the conversions one by one."""

from __future__ import annotations

import pytest

from centreon_canopsis.plugins.contrib.perf_data import DEFAULT_UNITS, convert
from tests.support.events import v3_configuration, v3_host_status, v3_service_status

PLUGINS = {"load": ["centreon_canopsis.plugins.contrib.perf_data"]}
ALLOWED = frozenset(DEFAULT_UNITS)


def test_checks_carry_perf_data_in_allowed_units(connector, canopsis_sandbox) -> None:
    harness = connector(plugins_table=PLUGINS)
    harness.send(
        [
            *v3_configuration(),
            v3_host_status(state=1, perfdata="rta=0.5ms;100;500;0 pl=100%"),
            v3_service_status(state=2, perfdata="'used space'=2.5GB;3;4;0;10 rate=3Bps uptime=2h"),
        ]
    )
    checks = {
        event.get("resource", "-"): event
        for event in canopsis_sandbox.received_events()
        if event["event_type"] == "check"
    }
    assert checks["-"]["perf_data"] == "rta=0.5ms;100;500;0 pl=100%"
    assert checks["Ping"]["perf_data"] == "'used space'=2560MB;3072;4096;0;10240 uptime=7200s"
    metrics = harness.context.metrics
    assert metrics.value("perf_data_dropped_total") == 1
    assert metrics.value("perf_data_converted_total") == 2


def test_a_check_without_perfdata_has_no_field(connector, canopsis_sandbox) -> None:
    harness = connector(plugins_table=PLUGINS)
    harness.send([*v3_configuration(), v3_service_status(state=2, perfdata="")])
    (check,) = [e for e in canopsis_sandbox.received_events() if e["event_type"] == "check"]
    assert "perf_data" not in check


def test_allowed_units_are_settable(connector, canopsis_sandbox) -> None:
    harness = connector(plugins_table={**PLUGINS, "perf_data": {"allowed_units": ["%", "s", "Bps"]}})
    harness.send([*v3_configuration(), v3_service_status(state=2, perfdata="rate=3Bps t=5ms pl=1%")])
    (check,) = [e for e in canopsis_sandbox.received_events() if e["event_type"] == "check"]
    assert check["perf_data"] == "rate=3Bps pl=1%"  # ms is not allowed there and has no conversion to s


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("t=1500ns", "t=1.5us"),
        ("t=2min;1:2", "t=120s;60:120"),
        ("t=1d", "t=86400s"),
        ("m=3KiB m2=1MiB m3=1TiB", "m=3KB m2=1MB m3=1TB"),
        ("s=1PB", "s=1024TB"),
        ("temp=98.6°F;@100", "temp=37°C;@37.77777778"),
        ("temp=300K", "temp=26.85°C"),
        ("load1=1.5;2;3", "load1=1.5;2;3"),
        ("'it''s'=5s", "'it''s'=5s"),
        ("'a=b'=1c", "'a=b'=1c"),
        ("x=1;;;0;", "x=1;;;0"),
    ],
)
def test_conversions(given: str, sent: str) -> None:
    assert convert(given, ALLOWED)[0] == sent


@pytest.mark.parametrize("given", ["x=abc", "x=3Bps", "=5", "x=nan", "x=1furlong"])
def test_what_cannot_be_sent_is_left_out_and_counted(given: str) -> None:
    text, _, dropped, reasons = convert(given + " ok=1", ALLOWED)
    assert (text, dropped) == ("ok=1", 1) and reasons
