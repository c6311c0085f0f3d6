"""Format files: Lua-compatible templates, without the Lua connector's defects (B7, B8)."""

from __future__ import annotations

import json
import time

import pytest

from centreon_canopsis.core.cli import main
from centreon_canopsis.core.config import ConfigError
from centreon_canopsis.core.pipeline import build_context
from tests.support import events as ev
from tests.support.config import make_config
from tests.support.pipeline import deliver
from tests.support.recorder import Recorder

NO_FILTERS = {"hard_only": 0, "enable_service_status_dedup": 0, "enable_host_status_dedup": 0}


def write(tmp_path, templates) -> str:
    path = tmp_path / "format.json"
    path.write_text(json.dumps(templates))
    return str(path)


def send(tmp_path, templates, events, **settings):
    with Recorder() as recorder:
        deliver(tmp_path, events, recorder, format_file=write(tmp_path, templates), **settings)
    return recorder.events()


def test_a_lua_template_with_macros_keeps_native_types(tmp_path):
    template = {
        "neb_service_status": {
            "event_type": "check",
            "connector": "centreon",
            "connector_name": "{cache.poller}",
            "component": "{cache.host.name}",
            "resource": "{cache.service.description}",
            "state": "{state}",
            "output": "{cache.host.alias}: {short_output}",
            "infos": {
                "address": "{cache.host.address}",
                "check": "{last_check_scdate}",
                "type": "{state_type_sctype}",
                "status": "{state_scstate}",
                "attempts": "{check_attempt_scstring}",
            },
            "hostgroups": "{groups(hg,table,.*)}",
            "hg_inline": "{groups(hg,inline,^Lin)}",
            "missing": "{cache.severity.service}",
            "text_with_missing": "[{cache.severity.service}]",
        }
    }
    [event] = send(tmp_path, template, [*ev.v3_configuration(), ev.v3_service_status(state=2)], **NO_FILTERS)
    assert event == {
        "event_type": "check",
        "connector": "centreon",
        "connector_name": "Central",
        "component": "srv-web-01",
        "resource": "Ping",
        "state": 2,
        "output": "web: CRITICAL - loss 100%",
        "infos": {
            "address": "10.0.0.15",
            "check": time.strftime("%Y-%m-%d %X", time.localtime(1_700_000_200)),
            "type": "HARD",
            "status": "CRITICAL",
            "attempts": "3",
        },
        "hostgroups": ["Linux", "Europe"],
        "hg_inline": "Linux",
        "text_with_missing": "[]",
    }
    # B8: the Lua connector sent "state": "2" (a string), even with _scnumber.


def test_canopsis_macros_keep_the_builtin_mapping(tmp_path):
    template = {
        "neb_service_status": {
            "event_type": "check",
            "connector": "c",
            "connector_name": "{canopsis.connector_name}",
            "component": "{cache.host.alias}",
            "resource": "{canopsis.resource}",
            "state": "{canopsis.state}",
            "output": "{canopsis.output}",
        }
    }
    [event] = send(tmp_path, template, [*ev.v3_configuration(), ev.v3_service_status(state=2)], **NO_FILTERS)
    assert event == {
        "event_type": "check",
        "connector": "c",
        "connector_name": "Central",
        "component": "web",
        "resource": "Ping",
        "state": 3,
        "output": "CRITICAL - loss 100%",
    }


def test_extends_builtin_changes_only_what_it_names_and_keeps_ackremove(tmp_path):
    template = {
        "neb_acknowledgement": {
            "$extends": "builtin",
            "component": "{cache.host.alias}",
            "connector_name": None,
            "ticket": "{comment_data_scshort}",
        }
    }
    events = send(
        tmp_path, template, [*ev.v3_configuration(), ev.v3_ack(), ev.v3_ack(deletion_time=1_700_000_400)]
    )
    assert [e["event_type"] for e in events] == ["ack", "ackremove"]
    assert events[0]["component"] == "web" and "connector_name" not in events[0]
    assert events[0]["ticket"] == "Acknowledged by admin" and events[0]["state"] == 3


def test_jmespath_expressions(tmp_path):
    template = {
        "neb_host_status": {
            "$extends": "builtin",
            "tags": {"$expr": "{site: cache.host.alias, groups: join(',', cache.hostgroups[].group_name)}"},
            "severity": {"$expr": "cache.severity.host"},
        }
    }
    [event] = send(tmp_path, template, [*ev.v3_configuration(), ev.v3_host_status()])
    assert event["tags"] == {"site": "web", "groups": "Linux,Europe"}
    assert "severity" not in event, "a null result leaves the key out"
    assert event["state"] == 3


def test_ba_status_template_is_delivered(tmp_path):
    # B7: with the Lua connector a bam_ba_status template stuck the output until restart.
    template = {
        "bam_ba_status": {
            "event_type": "check",
            "connector": "bam",
            "connector_name": "central",
            "component": "{cache.ba.name}",
            "state": "{state}",
            "output": "{state_scstate}",
            "bvs": "{groups(bv,table,)}",
        }
    }
    dimensions = [
        ev.event(6, 25, ba_id=4, ba_name="Web shop", ba_description=""),
        ev.event(6, 22, bv_id=2, bv_name="E-commerce", bv_description=""),
        ev.event(6, 23, ba_id=4, bv_id=2),
    ]
    status = ev.event(
        6,
        19,
        ba_id=4,
        in_downtime=False,
        last_state_change=1,
        level_acknowledgement=0.0,
        level_downtime=0.0,
        level_nominal=50.0,
        state=1,
        state_changed=True,
        output="",
    )
    [event] = send(
        tmp_path,
        template,
        [*dimensions, status],
        accepted_categories="neb,bam",
        accepted_elements="ba_status",
    )
    assert event == {
        "event_type": "check",
        "connector": "bam",
        "connector_name": "central",
        "component": "Web shop",
        "state": 1,
        "output": "WARNING",
        "bvs": ["E-commerce"],
    }


OUTPUT_TEMPLATE = {
    "neb_service_status": {
        "$extends": "builtin",
        "output": "{output}",
        "short": "{output_scshort}",
        "line": "[{output_scshort}]",
    }
}


def test_output_macros_with_bbdo3_are_the_first_line_as_in_lua(tmp_path):
    # Issue 14 items 5 and 6: Lua's {output} is the event's output (BBDO 3: the first line).
    status = ev.v3_service_status(output="CRITICAL - disk", long_output="/var 99%\n/tmp 98%")
    [event] = send(
        tmp_path,
        OUTPUT_TEMPLATE,
        [*ev.v3_configuration(), status],
        output_line_break_replacement_character=" | ",
        **NO_FILTERS,
    )
    assert (event["output"], event["short"], event["line"]) == (
        "CRITICAL - disk",
        "CRITICAL - disk",  # the Lua connector sent the macro text "{output_scshort}" here
        "[CRITICAL - disk]",
    )
    assert event["long_output"] == "CRITICAL - disk\n/var 99%\n/tmp 98%"


def test_output_macros_with_bbdo2(tmp_path):
    status = ev.v2_service_status(output="CRITICAL - disk\n/var 99%\n/tmp 98%")
    [event] = send(
        tmp_path,
        OUTPUT_TEMPLATE,
        [*ev.v2_configuration(), status],
        output_line_break_replacement_character=" | ",
        **NO_FILTERS,
    )
    assert event["output"] == "CRITICAL - disk | /var 99% | /tmp 98%"  # Lua kept the line breaks
    assert event["short"] == "CRITICAL - disk\n/var 99%"  # before the last line break, as Lua
    assert event["line"] == "[CRITICAL - disk\n/var 99%]"


def test_elements_without_a_template_keep_the_builtin_mapping(tmp_path):
    template = {"neb_host_status": {"$extends": "builtin", "component": "{cache.host.alias}"}}
    events = send(
        tmp_path,
        template,
        [*ev.v3_configuration(), ev.v3_host_status(), ev.v3_service_status()],
        **NO_FILTERS,
    )
    assert [e["component"] for e in events] == ["web", "srv-web-01"]


@pytest.mark.parametrize(
    ("templates", "message"),
    [
        (
            {"neb_servce_status": {"a": 1}},
            "neb_servce_status: unknown element 'servce_status' in neb; did you mean",
        ),
        ({"neb_downtime": {"a": 1}}, "neb_downtime: downtimes become pbehaviors"),
        (
            {"neb_host_status": {"c": "{cache.hots.name}"}},
            "neb_host_status.c: unknown cache macro {cache.hots.name}",
        ),
        ({"neb_host_status": {"c": {"$expr": "cache.[["}}}, "neb_host_status.c: invalid JMESPath expression"),
        ({"neb_host_status": {"c": "{groups(hg,table,[a)}"}}, "neb_host_status.c: groups(hg,table,...):"),
        ({"foo_bar": {"a": 1}}, "top level: 'foo_bar' is not valid"),
        ({"neb_host_status": {"$extends": "parent"}}, "neb_host_status/$extends: 'builtin' was expected"),
        ({"neb_host_status": []}, "neb_host_status: [] is not of type 'object'"),
    ],
)
def test_problems_stop_start_up_with_their_place(tmp_path, templates, message):
    config = make_config(tmp_path, format_file=write(tmp_path, templates))
    with pytest.raises(ConfigError) as caught:
        build_context(config)
    assert any(message in error for error in caught.value.errors), caught.value.errors


def test_every_problem_is_reported_at_once(tmp_path):
    templates = {"neb_host_status": {"a": "{cache.x}", "b": {"$expr": "[["}}, "neb_downtime": {"a": 1}}
    with pytest.raises(ConfigError) as caught:
        build_context(make_config(tmp_path, format_file=write(tmp_path, templates)))
    assert len(caught.value.errors) == 4  # the three, and a check without component


def test_unreadable_or_broken_file(tmp_path):
    with pytest.raises(ConfigError) as caught:
        build_context(make_config(tmp_path, format_file=str(tmp_path / "nope.json")))
    assert "cannot be read: No such file or directory" in caught.value.errors[0]
    (tmp_path / "bad.json").write_text("{nope")
    with pytest.raises(ConfigError) as caught:
        build_context(make_config(tmp_path, format_file=str(tmp_path / "bad.json")))
    assert "is not valid JSON" in caught.value.errors[0]


def test_validate_reports_format_file_problems(tmp_path, capsys):
    path = write(tmp_path, {"neb_downtime": {"a": 1}})
    config = tmp_path / "c.toml"
    config.write_text(f'canopsis_host = "c"\ncanopsis_authkey = "k3y"\nformat_file = "{path}"\n')
    assert main(["validate", "-c", str(config)]) == 2
    assert "downtimes become pbehaviors" in capsys.readouterr().err
