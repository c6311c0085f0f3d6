"""Format files against the Lua connector (issue 14 items 3 and 4): Centreon's documented macros,
Lua 5.3's writing of numbers, and validation of macro names."""

from __future__ import annotations

import json
import math
import time

import pytest

from centreon_canopsis.core.config import ConfigError
from centreon_canopsis.core.pipeline import build_context
from centreon_canopsis.plugins.builtin.format_file.lua_text import lua_number_text
from tests.core.test_ba_status import BAM, ba_status, dimensions
from tests.support import events as ev
from tests.support.config import make_config
from tests.support.pipeline import deliver
from tests.support.recorder import Recorder

NO_FILTERS = {"hard_only": 0, "enable_service_status_dedup": 0, "enable_host_status_dedup": 0}

FLOATS = [
    100.0,
    0.0,
    -0.0,
    40.0,
    0.1,
    2.5,
    1 / 3,
    1e14,
    1e15,
    1e16,
    2.0**53,
    123456789012345678.0,
    99999999999999.0,
    0.000001,
    1e-5,
    1e100,
    -1.5e-300,
    math.inf,
    -math.inf,
    12345678.9,
]


def send(tmp_path, templates, events, **settings):
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "format.json"
    path.write_text(json.dumps(templates))
    with Recorder() as recorder:
        deliver(tmp_path, events, recorder, format_file=str(path), **settings)
    return recorder.events()


def test_floats_are_written_like_lua_5_3_tostring():
    lua53 = pytest.importorskip("lupa.lua53")
    tostring = lua53.LuaRuntime().eval("function(x) return tostring(x) end")
    gsub = lua53.LuaRuntime().eval("function(x) return (string.gsub('v={v}', '{v}', x)) end")
    for value in FLOATS:
        assert lua_number_text(value) == tostring(value), value
        assert f"v={lua_number_text(value)}" == gsub(value), value


def test_ba_template_with_centreon_documented_macros(tmp_path):
    # Issue 14 item 3: {cache.ba.ba_name} gave nothing, the component disappeared, every BA
    # payload was refused. Item 4: floats inside a text as Lua writes them ("40.0", "0.0").
    template = {
        "bam_ba_status": {
            "event_type": "check",
            "connector": "centreon",
            "connector_name": "bam",
            "component": "{cache.ba.ba_name}",
            "state": "{canopsis.state}",
            "output": "BA {ba_id} level {level_nominal} ack {level_acknowledgement} dt {level_downtime}",
            "description": "{cache.ba.ba_description}",
            "id": "{cache.ba.ba_id}",
            "status": "{state_scstate}",
            "bvs": "{groups(bv,table,.*)}",
            "bv_line": "{groups(bv,inline,.*)}",
        }
    }
    for bbdo in (2, 3):
        [event] = send(tmp_path / str(bbdo), template, [*dimensions(bbdo), ba_status(bbdo, 2)], **BAM)
        # The Lua connector crashed on {state_scstate} and {groups(bv,...)} with a BA template.
        assert event == {
            "event_type": "check",
            "connector": "centreon",
            "connector_name": "bam",
            "component": "Web shop",
            "state": 3,
            "output": "BA 4 level 40.0 ack 0.0 dt 0.0",
            "description": "shop",
            "id": 4,
            "status": "CRITICAL",
            "bvs": ["E-commerce"],
            "bv_line": "E-commerce",
        }, bbdo


def test_every_documented_service_macro_resolves(tmp_path):
    # The macros of Centreon's sc_macros.md and templating.md, on a BBDO 3 service status.
    template = {
        "neb_service_status": {
            "event_type": "check",
            "connector": "c",
            "connector_name": "{cache.instance.name}",
            "component": "{cache.host.name}",
            "resource": "{cache.service.description}",
            "state": "{state}",
            "output": "{output_scshort}",
            "values": {
                "service_id": "{service_id}",
                "host_id": "{host_id}",
                "output": "{output}",
                "last_check": "{last_check}",
                "state_type": "{state_type}",
                "address": "{cache.host.address}",
                "alias": "{cache.host.alias}",
                "notes_url": "{cache.service.notes_url}",
                "last_time_critical": "{cache.service.last_time_critical}",
                "last_time_critical_date": "{cache.service.last_time_critical_scdate}",
                "instance_id": "{cache.instance.id}",
                "type": "{state_type_sctype}",
                "status": "{state_scstate}",
                "acknowledged": "{acknowledged_scstring}",
                "pct": "pct={percent_state_change}%",
                "hostgroups": "{groups(hg,table,.*)}",
                "servicegroups": "{groups(sg,inline,^Net.*)}",
            },
        }
    }
    [event] = send(tmp_path, template, [*ev.v3_configuration(), ev.v3_service_status()], **NO_FILTERS)
    assert event["component"] == "srv-web-01"
    assert event["resource"] == "Ping"
    assert event["connector_name"] == "Central"
    assert event["values"] == {
        "service_id": 47,
        "host_id": 15,
        "output": "CRITICAL - loss 100%",
        "last_check": 1_700_000_200,
        "state_type": 1,
        "address": "10.0.0.15",
        "alias": "web",
        "notes_url": "",
        "last_time_critical": 1_700_000_200,
        "last_time_critical_date": time.strftime("%Y-%m-%d %X", time.localtime(1_700_000_200)),
        "instance_id": 1,
        "type": "HARD",
        "status": "CRITICAL",
        "acknowledged": "false",
        "pct": "pct=0.0%",
        "hostgroups": ["Linux", "Europe"],
        "servicegroups": "Network",
    }


@pytest.mark.parametrize(
    ("templates", "message"),
    [
        (
            {"neb_service_status": {"component": "h", "output": "{outptu}"}},
            "neb_service_status.output: unknown macro {outptu}: the event has no field 'outptu'; "
            "did you mean 'output'?",
        ),
        (
            {"neb_service_status": {"component": "h", "x": "{cache.host.nmae}"}},
            "unknown cache macro {cache.host.nmae}; did you mean 'name'?",
        ),
        (
            {"bam_ba_status": {"component": "{cache.ba.ba_nme}"}},
            "unknown cache macro {cache.ba.ba_nme}; did you mean 'ba_name'?",
        ),
        (
            {"bam_ba_status": {"event_type": "check", "output": "{output}"}},
            "bam_ba_status: a check template needs a component",
        ),
        (
            {"neb_host_status": {"event_type": "check", "component": ""}},
            "neb_host_status.component: must be a non-empty string",
        ),
        (
            {"neb_host_status": {"component": "{cache.host.perfdata}"}},
            "unknown cache macro {cache.host.perfdata}",
        ),
    ],
)
def test_validation_rejects_unknown_macros_and_checks_without_component(tmp_path, templates, message):
    path = tmp_path / "format.json"
    path.write_text(json.dumps(templates))
    config = make_config(tmp_path, format_file=str(path), **BAM)
    with pytest.raises(ConfigError) as caught:
        build_context(config)
    assert any(message in error for error in caught.value.errors), caught.value.errors


def test_an_ack_template_needs_no_component_check(tmp_path):
    path = tmp_path / "format.json"
    path.write_text(json.dumps({"neb_acknowledgement": {"event_type": "ack", "output": "{comment_data}"}}))
    build_context(make_config(tmp_path, format_file=str(path)))
