"""BBDO 2 (mapped) codec: wire types, invalid-value semantics, traps of bbdo.md 3.2."""

from __future__ import annotations

import math
import struct

import pytest

from centreon_canopsis.core.bbdo import DecodeError, EncodeError, decode_event, encode_event
from centreon_canopsis.core.bbdo.mapped import MAPPED_TYPES
from centreon_canopsis.core.bbdo.mapped_tables import MAPPED_EVENTS

from .samples import EVENTS, MAPPED_KEYS, prefix, sample_event, split_key


def payload_of(event: dict) -> bytes:
    return encode_event(event)[16:]


@pytest.mark.parametrize("key", MAPPED_KEYS)
def test_tables_match_the_contract(key: str) -> None:
    """Lua fields, their order, types and flags, and the wire-only fields are those of bbdo_fields.json."""
    spec = EVENTS[key]
    t = MAPPED_TYPES[split_key(key)[0] << 16 | split_key(key)[1]]
    assert t.name == spec["name"]
    lua = [[f.name, f.wire_type, *([f.flag] if f.flag else [])] for f in t.fields if f.visibility == "lua"]
    assert lua == spec["fields"]
    wire = [[f.name, f.wire_type] for f in t.fields if f.visibility == "wire"]
    assert wire == spec.get("wire_only", [])
    assert list(t.keys) == [f[0] for f in spec["fields"]] + [f[0] for f in spec.get("wire_only", [])]


EXTRA = {(1, 16), (6, 7), (6, 9), (6, 10), (6, 11)}  # 22.10 / BBDO 2 events outside the contract


def test_every_contract_event_has_a_table() -> None:
    assert {split_key(k) for k in MAPPED_KEYS} | EXTRA | {(2, 1), (2, 2), (2, 3)} == set(MAPPED_EVENTS)


def test_events_outside_the_contract_round_trip() -> None:
    relation = {"category": 6, "element": 9, "ba_id": 3, "bv_id": 4}
    assert decode_event(393225, payload_of(relation)) == {"_type": 393225, **relation}
    dimension = {"category": 6, "element": 7, "ba_id": 3, "ba_name": "Web", "ba_description": "d"}
    decoded = decode_event(393223, payload_of(dimension))
    assert decoded["ba_name"] == "Web" and decoded["sla_month_percent_crit"] == 0.0
    status = decode_event(
        65552, payload_of({"category": 1, "element": 16, "instance_id": 0, "last_alive": 5})
    )
    assert "instance_id" not in status and status["last_alive"] == 5


@pytest.mark.parametrize("key", MAPPED_KEYS)
def test_sample_round_trip_in_declaration_order(key: str) -> None:
    event = sample_event(key)
    decoded = decode_event(event["_type"], payload_of(event))
    assert decoded == event
    assert list(decoded) == list(event)


def test_invalid_values_are_absent() -> None:
    ack = {"category": 1, "element": 1, "type": 0, "host_id": 15, "entry_time": 1_700_000_000}
    decoded = decode_event(65537, payload_of(ack))
    # host ack: no service_id; active: no deletion_time; instance_id 0: absent.
    assert "service_id" not in decoded and "deletion_time" not in decoded and "instance_id" not in decoded
    assert decoded["host_id"] == 15 and decoded["entry_time"] == 1_700_000_000
    # Missing flagged fields go on the wire as their invalid value: 0 for z, -1 for m.
    payload = payload_of(ack)
    author_end = payload.index(0, 2)
    comment_end = payload.index(0, author_end + 1)
    deletion_time = struct.unpack_from(">q", payload, comment_end + 1)[0]
    assert deletion_time == -1
    downtime = decode_event(65541, payload_of({"category": 1, "element": 5, "host_id": 3}))
    assert "actual_start_time" not in downtime and "start_time" not in downtime
    assert downtime["duration"] == 0 and downtime["internal_id"] == 0  # not flagged: always there


def test_zero_time_present_when_not_flagged_and_minus_one_kept_for_z() -> None:
    status = decode_event(
        393217, payload_of({"category": 6, "element": 1, "ba_id": 0, "last_state_change": -1})
    )
    assert status["ba_id"] == 0 and status["last_state_change"] == -1
    host_status = decode_event(65550, payload_of({"category": 1, "element": 14, "last_check": -1}))
    assert host_status["last_check"] == -1  # z only hides 0


def test_host_status_has_no_next_notification_on_the_wire() -> None:
    t = MAPPED_TYPES[65550]
    assert len(t.fields) == 41
    assert "next_host_notification" not in t.keys and "next_notification" not in t.keys
    service_status = MAPPED_TYPES[65560]
    assert len(service_status.fields) == 46 and "next_notification" in service_status.keys


def test_service_status_wire_only_strings_sit_mid_payload() -> None:
    event = {
        "category": 1,
        "element": 24,
        "host_id": 7,
        "host_name": "srv-01",
        "service_description": "Ping",
        "output": "OK",
    }
    payload = payload_of(event)
    assert payload.index(b"srv-01\0") < payload.index(b"Ping\0") < payload.index(b"OK\0")
    decoded = decode_event(65560, payload)
    assert decoded["host_name"] == "srv-01" and decoded["service_description"] == "Ping"
    assert list(decoded)[-2:] == ["host_name", "service_description"]


def test_unnamed_trailing_fields() -> None:
    ack = payload_of({"category": 1, "element": 1})
    assert ack[-1:] == b"\0"  # notify_only_if_not_already_acknowledged, written as false
    assert len(decode_event(65537, ack + b"extra")) == len(decode_event(65537, ack))
    downtime = payload_of({"category": 1, "element": 5, "comment_data": "x"})
    assert downtime.endswith(b"x\0\0\0")  # comment then the unnamed short come_from
    # The unnamed fields are decoded and dropped, never shown.
    assert "come_from" not in decode_event(65541, downtime)
    assert "notify_only_if_not_already_acknowledged" not in decode_event(65537, ack)


def test_downtime_duration_is_eight_bytes() -> None:
    decoded = decode_event(65541, payload_of({"category": 1, "element": 5, "duration": 2**40}))
    assert decoded["duration"] == 2**40


def test_wire_only_enabled_defaults_to_true() -> None:
    decoded = decode_event(65546, payload_of({"category": 1, "element": 10, "hostgroup_id": 4, "name": "g"}))
    assert decoded == {**prefix("1:10"), "hostgroup_id": 4, "name": "g", "enabled": True, "poller_id": 0}


def test_doubles_are_printf_text() -> None:
    payload = payload_of({"category": 6, "element": 1, "ba_id": 1, "level_nominal": 99.5})
    assert b"99.500000\0" in payload
    assert b"0.000000\0" in payload
    huge = payload_of({"category": 6, "element": 1, "level_nominal": 1e40})
    texts = huge[13:].split(b"\0")
    assert all(len(t) <= 31 for t in texts)  # Broker's 32-byte buffer


def test_lenient_double_and_string_decoding() -> None:
    t = MAPPED_TYPES[393217]
    base = bytearray(payload_of({"category": 6, "element": 1, "ba_id": 2}))
    # ba_id(4) in_downtime(1) last_state_change(8) then three doubles
    doubles_at = 13
    tail = base[doubles_at:].split(b"\0", 3)[3]
    for text, expected in [(b"nan", math.nan), (b"-inf", -math.inf), (b"12abc", 12.0), (b"junk", 0.0)]:
        payload = bytes(base[:doubles_at]) + text + b"\0" + b"1.5\0" + b"2\0" + tail
        decoded = t.decode(payload)
        value = decoded["level_acknowledgement"]
        assert (math.isnan(value) and math.isnan(expected)) or value == expected
        assert decoded["level_downtime"] == 1.5 and decoded["level_nominal"] == 2.0
    bad_utf8 = payload_of({"category": 1, "element": 10, "hostgroup_id": 1, "name": "X"}).replace(
        b"X", b"\xff\xfe"
    )
    assert decode_event(65546, bad_utf8)["name"] == "\ufffd\ufffd"
    nan_ba = decode_event(393217, payload_of({"category": 6, "element": 1, "level_nominal": math.nan}))
    assert math.isnan(nan_ba["level_nominal"])


def test_truncated_payloads_raise_decode_error() -> None:
    payload = payload_of(sample_event("1:24"))
    for cut in (0, 1, 20, len(payload) // 2, len(payload) - 1):
        with pytest.raises(DecodeError):
            decode_event(65560, payload[:cut])


def test_encode_rejects_what_the_wire_cannot_carry() -> None:
    with pytest.raises(EncodeError):
        encode_event({"category": 1, "element": 10, "name": "a\0b"})
    with pytest.raises(EncodeError):
        encode_event({"category": 1, "element": 10, "hostgroup_id": -1})
    with pytest.raises(EncodeError):
        encode_event({"category": 1, "element": 99})
