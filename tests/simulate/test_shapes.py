"""Event shapes, field for field, against reference/bbdo_fields.json and bbdo.md table 3.3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from centreon_canopsis.core.bbdo import decode_event, encode_event
from centreon_canopsis.standins.broker.fields import SPECS, SPECS_BY_KEY
from centreon_canopsis.standins.broker.shapes import template
from tests.simulate.conftest import SHAPES, busy_run, is_status, object_key

# A copy of reference/bbdo_fields.json (the contract), kept next to the tests.
REFERENCE = json.loads((Path(__file__).parent / "data" / "bbdo_fields.json").read_text())["events"]
HEAD = ["_type", "category", "element"]
# BBDO 2 events a Broker sends that bbdo_fields.json does not list (bbdo.md 3.2 and 4.4).
EXTRA_V2 = {
    (1, 16): [
        "active_host_checks",
        "active_service_checks",
        "check_hosts_freshness",
        "check_services_freshness",
        "event_handlers",
        "flap_detection",
        "instance_id",
        "last_alive",
        "last_command_check",
        "notifications",
        "obsess_over_hosts",
        "obsess_over_services",
        "passive_host_checks",
        "passive_service_checks",
        "global_host_event_handler",
        "global_service_event_handler",
    ],
    (6, 7): [
        "ba_id",
        "ba_name",
        "ba_description",
        "sla_month_percent_crit",
        "sla_month_percent_warn",
        "sla_duration_crit",
        "sla_duration_warn",
    ],
    (6, 9): ["ba_id", "bv_id"],
    (6, 10): ["bv_id", "bv_name", "bv_description"],
    (6, 11): ["update_started"],
}


# What the generator writes for each declared type (readers are more lenient; see the validator).
PYTHON_TYPES = {
    "bool": bool,
    "string": str,
    "double": float,
    "message:BBDOHeader": dict,
    "message:TagInfo": list,
}


def reference_of(event: dict[str, Any]) -> dict[str, Any] | None:
    return REFERENCE.get(f"{event['category']}:{event['element']}")


def test_field_tables_are_the_reference_ones() -> None:
    # fields.py derives its specs from the codec's tables: this checks the translation (types,
    # flags, wire-only and hidden members), the codec's own tests check the tables themselves.
    for key, ref in REFERENCE.items():
        category, element = map(int, key.split(":"))
        spec = SPECS_BY_KEY[(category, element)]
        assert (spec.name, spec.bbdo) == (ref["name"], ref["bbdo"])
        ours = [(f.name, f.type, f.flag) for f in spec.fields]
        theirs = [(f[0], f[1], f[2] if len(f) > 2 else "") for f in ref["fields"]]
        assert ours == theirs, key
        assert [(f.name, f.type) for f in spec.wire_only] == [tuple(f) for f in ref.get("wire_only", [])]
    extra = {(s.category, s.element): [f.name for f in s.fields] for s in SPECS.values()}
    for key in REFERENCE:
        del extra[tuple(map(int, key.split(":")))]
    assert extra == EXTRA_V2


@pytest.mark.parametrize("name", sorted(SPECS))
def test_templates_are_what_the_codec_decodes(name: str) -> None:
    """The defaults of fields.py (the one thing it does not derive) are the codec's, key order included."""
    spec = SPECS[name]
    event = template(spec)
    if spec.bbdo == 3:
        decoded = decode_event(spec.type_id, b"")  # an empty message: every field at its default
    else:
        # As the encoder sends it: flagged fields holding their invalid value are left out.
        invalid = {f.name: 0 if f.flag == "z" else -1 for f in spec.fields if f.flag in ("z", "m")}
        event = {k: v for k, v in event.items() if k not in invalid or v != invalid[k]}
        decoded = decode_event(spec.type_id, encode_event(event)[16:])
    assert decoded == event
    assert list(decoded) == list(event)


@pytest.mark.parametrize(("bbdo", "version"), SHAPES)
def test_protobuf_events_carry_exactly_their_fields_in_order(bbdo: int, version: str) -> None:
    _, events = busy_run(bbdo, version)
    checked = 0
    for event in events:
        ref = reference_of(event)
        if ref is None or ref["bbdo"] != 3:
            continue
        expected = [f[0] for f in ref["fields"] if f[2:] != ["optional"] or f[0] in event]
        assert list(event) == HEAD + expected, ref["name"]
        assert event["_type"] == event["category"] << 16 | event["element"]
        for name, typ, *_ in ref["fields"]:
            if name in event:
                assert type(event[name]) is PYTHON_TYPES.get(typ, int), (ref["name"], name)
        checked += 1
    assert checked > 0 or bbdo == 2


@pytest.mark.parametrize(("bbdo", "version"), SHAPES)
def test_mapped_events_never_carry_an_invalid_value_or_an_unknown_field(bbdo: int, version: str) -> None:
    _, events = busy_run(bbdo, version)
    for event in events:
        ref = reference_of(event)
        key = (event["category"], event["element"])
        if ref is None:
            if key in EXTRA_V2:
                assert list(event) == HEAD + EXTRA_V2[key]
            continue
        if ref["bbdo"] != 2:
            continue
        fields = ref["fields"] + ref.get("wire_only", [])
        names = [f[0] for f in fields]
        assert list(event)[:3] == HEAD
        assert list(event)[3:] == [n for n in names if n in event], ref["name"]
        for name, typ, *flag in ref["fields"]:
            if name in event:
                assert type(event[name]) is PYTHON_TYPES.get(typ, int), (ref["name"], name)
            if flag == ["z"]:
                assert event.get(name, 1) != 0, (ref["name"], name)
            elif flag == ["m"]:
                assert event.get(name, 0) != -1, (ref["name"], name)
            else:
                assert name in event, (ref["name"], name)


def _v2(*elements: int) -> set[tuple[int, int]]:
    return {(1, e) for e in elements}


_NEB_V2 = _v2(1, 3, 5, 10, 11, 12, 14, 15, 16, 21, 22, 23, 24)
_BAM_V2 = {(6, 1), (6, 7), (6, 9), (6, 10), (6, 11)}
_BAM_PB = {(6, 19), (6, 22), (6, 23), (6, 25), (6, 30)}
_SEVERITY = {(1, 33)}
_PB_CORE = _v2(27, 29, 30, 32)  # host/service configuration and status
EXPECTED_ELEMENTS = {
    (2, "22.10"): _NEB_V2 | _SEVERITY | _BAM_V2,
    (2, "23.04"): _NEB_V2 | _SEVERITY | _BAM_PB,
    (2, "23.10"): _NEB_V2 | _SEVERITY | _BAM_PB,
    (2, "24.04"): _NEB_V2 | _SEVERITY | _BAM_PB,
    (2, "24.10"): _NEB_V2 | _SEVERITY | _BAM_PB,
    (3, "22.10"): _PB_CORE | _SEVERITY | _v2(1, 3, 5, 10, 11, 15, 16, 21, 22) | _BAM_V2,
    (3, "23.04"): _PB_CORE | _SEVERITY | _v2(36, 37, 42, 44, 45, 10, 11, 21, 22) | _BAM_PB,
    (3, "23.10"): _PB_CORE | _SEVERITY | _v2(36, 37, 42, 44, 45, 10, 11, 21, 22) | _BAM_PB,
    (3, "24.04"): _PB_CORE | _SEVERITY | _v2(36, 37, 42, 44, 45, 49, 50, 51, 52, 55, 56) | _BAM_PB,
    (3, "24.10"): _PB_CORE | _SEVERITY | _v2(36, 37, 42, 44, 45, 49, 50, 51, 52, 55, 56) | _BAM_PB,
}


@pytest.mark.parametrize(("bbdo", "version"), SHAPES)
def test_each_version_sends_the_forms_of_table_3_3(bbdo: int, version: str) -> None:
    _, events = busy_run(bbdo, version)
    assert {(e["category"], e["element"]) for e in events} == EXPECTED_ELEMENTS[(bbdo, version)]


def test_forms_differ_but_the_story_is_the_same() -> None:
    # The semantics do not depend on the shape: event i of one form is event i of the other.
    _, mapped = busy_run(2, "22.10")
    _, protobuf = busy_run(3, "24.10")
    assert len(mapped) == len(protobuf)
    joined = 0
    for v2, v3 in zip(mapped, protobuf, strict=True):
        if is_status(v2) and is_status(v3):
            assert object_key(v2) == object_key(v3)
            for name in ("state", "state_type", "check_attempt", "last_check", "last_hard_state_change"):
                assert v2.get(name, 0) == v3[name], name
            assert "long_output" not in v2
            if v3["output"]:
                assert v2["output"] == v3["output"] + "\n" + v3["long_output"]
                joined += bool(v3["long_output"])
            assert v2["last_update"] >= v3["last_check"]
        elif v3["element"] in (55, 56):
            assert is_status(v2)
            assert object_key(v2) == object_key(v3)
    assert joined > 0


def test_protobuf_specifics() -> None:
    _, events = busy_run(3, "24.10")
    instances = [e for e in events if e["category"] == 1 and e["element"] == 44 and e["category"] == 1]
    assert instances[0]["header"] == {"conf_version": 0}
    assert instances[0]["header"] is not instances[1]["header"]
    host = next(e for e in events if e["category"] == 1 and e["element"] == 30)
    members = [
        e for e in events if e["category"] == 1 and e["element"] == 50 and e["host_id"] == host["host_id"]
    ]
    assert host["tags"] == [{"id": m["hostgroup_id"], "type": 1} for m in members]
    assert type(host["check_interval"]) is int and type(host["retry_interval"]) is float
    assert host["state"] == 4 and host["state_type"] == 1 and host["checked"] is False
    ack = next(e for e in events if e["category"] == 1 and e["element"] == 45 and e["type"] == 0)
    assert ack["service_id"] == 0 and ack["deletion_time"] == 0
    added = next(e for e in events if e["category"] == 1 and e["element"] == 36 and not e["started"])
    assert (added["actual_start_time"], added["actual_end_time"], added["deletion_time"]) == (-1, -1, -1)
    adaptive = [e for e in events if e["category"] == 1 and e["element"] in (55, 56)]
    assert all(len({"acknowledgement_type", "scheduled_downtime_depth"} & set(e)) == 1 for e in adaptive)
    assert all("notification_number" not in e for e in adaptive)
    bam = [e for e in events if e["category"] == 6]
    assert [e["update_started"] for e in bam if e["element"] == 30] == [True, False]
    assert all(e["output"].startswith("Status is ") for e in bam if e["element"] == 19)


def test_mapped_specifics() -> None:
    _, events = busy_run(2, "22.10")
    host_ack = next(e for e in events if e["category"] == 1 and e["element"] == 1 and e["type"] == 0)
    assert "service_id" not in host_ack and "deletion_time" not in host_ack
    service_ack = next(e for e in events if e["category"] == 1 and e["element"] == 1 and e["type"] == 1)
    assert service_ack["service_id"] > 0
    added = next(
        e
        for e in events
        if e["category"] == 1 and e["element"] == 5 and not e["started"] and "deletion_time" not in e
    )
    assert not {"actual_start_time", "actual_end_time", "triggered_by"} & set(added)
    assert added["internal_id"] > 0 and "id" not in added
    host = next(e for e in events if e["category"] == 1 and e["element"] == 12)
    assert type(host["check_interval"]) is float
    assert "last_check" not in host  # never checked: 0, invalid_on_zero
    instance = next(e for e in events if e["category"] == 1 and e["element"] == 15)
    assert "end_time" not in instance and instance["running"] is True
    member = next(e for e in events if e["category"] == 1 and e["element"] == 11)
    group = next(
        e
        for e in events
        if e["category"] == 1 and e["element"] == 10 and e["hostgroup_id"] == member["hostgroup_id"]
    )
    assert (member["group_name"], member["enabled"], "name" in member) == (group["name"], True, False)
    variable = next(e for e in events if e["category"] == 1 and e["element"] == 3)
    assert variable["enabled"] is True and "header" not in variable
    service = next(e for e in events if e["category"] == 1 and e["element"] == 23)
    hosts = {e["host_id"]: e["name"] for e in events if e["element"] == 12}
    assert service["host_name"] == hosts[service["host_id"]]
    assert "is_volatile" not in service and service["volatile"] is False
