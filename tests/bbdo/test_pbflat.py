"""The C accelerator for flat BBDO 3 messages (core/bbdo/_pbflat.c) answers exactly what the
pure-Python decoder answers: the same dict, keys in the same order and values of the same types,
or the same error. Checked on messages of random values, on hand-made wire oddities, and on
mutated, truncated and random payloads (where the C walk must either agree or hand the payload to
the Python decoder)."""

from __future__ import annotations

import os
import struct
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centreon_canopsis.core.bbdo import DecodeError, accel, pb
from centreon_canopsis.core.bbdo.pb import PROTOBUF_TYPES
from tests.bbdo.test_pb_generated import _containers, _shape, messages

FLAT = [t for t in PROTOBUF_TYPES.values() if t.decode is not t.decode_python]
NAMES = [t.name for t in FLAT]
SERVICE_STATUS = PROTOBUF_TYPES[65565]
SERVICE = next(t for t in PROTOBUF_TYPES.values() if t.name == "pb_service")
CUSTOM_VARIABLE = next(t for t in PROTOBUF_TYPES.values() if t.name == "pb_custom_variable")

pytestmark = pytest.mark.skipif(not pb.accelerated(), reason="the C accelerator is not built here")


def outcome(decode, payload):
    try:
        return "dict", _shape(decode(payload))
    except DecodeError as error:
        return "error", str(error)


def same(t, payload) -> None:
    assert outcome(t.decode, payload) == outcome(t.decode_python, payload), payload.hex()


def varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def field(number: int, wire: int, body: bytes) -> bytes:
    return varint(number << 3 | wire) + body


def test_ci_builds_and_uses_the_accelerator():
    """Where CI runs, the extension is compiled, so these tests run on the C code."""
    if os.environ.get("CI"):
        assert pb.accelerated()
    assert {"pb_service_status", "pb_host_status", "pb_downtime", "pb_acknowledgement"} <= set(NAMES)
    assert {"pb_service", "pb_host", "pb_custom_variable", "pb_service_group_member"} <= set(NAMES)
    assert "pb_adaptive_service_status" not in NAMES  # proto3 optional fields stay in Python


def test_the_pure_python_switch_turns_it_off():
    code = "from centreon_canopsis.core.bbdo import pb; print(pb.accelerated())"
    env = {**os.environ, accel.PURE_PYTHON_ENV: "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


@pytest.mark.parametrize("t", FLAT, ids=NAMES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_messages_decode_alike(t, data):
    payload = data.draw(messages(t.message_cls.DESCRIPTOR)).SerializeToString()
    assert t.decode(payload) is not None
    same(t, payload)


@pytest.mark.parametrize("t", FLAT, ids=NAMES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_payloads_decode_or_fail_alike(t, data):
    payload = bytearray(data.draw(messages(t.message_cls.DESCRIPTOR)).SerializeToString())
    for _ in range(data.draw(st.integers(1, 4))):
        action = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        where = data.draw(st.integers(0, len(payload)))
        if action == "flip" and payload:
            payload[min(where, len(payload) - 1)] ^= data.draw(st.integers(1, 255))
        elif action == "insert":
            payload[where:where] = data.draw(st.binary(min_size=1, max_size=11))
        elif action == "delete" and payload:
            del payload[min(where, len(payload) - 1)]
        else:
            del payload[where:]
    same(t, bytes(payload))


@pytest.mark.parametrize("t", FLAT, ids=NAMES)
@settings(max_examples=200, deadline=None)
@given(payload=st.binary(max_size=64))
def test_random_bytes_decode_or_fail_alike(t, payload):
    same(t, payload)


# Field numbers of pb_service_status (neb.proto): 1 host_id (uint64), 5 state (enum),
# 14 output (bytes), 18 percent_state_change (double), 3 checked (bool), 24 check_attempt (int32).
ODDITIES = {
    "empty": b"",
    "last one wins": field(5, 0, varint(1)) + field(5, 0, varint(2)),
    "negative enum, 10-byte varint": field(5, 0, varint(-3)),
    "enum past 32 bits": field(5, 0, varint(2**40 + 7)),
    "uint64 past 2**63": field(1, 0, varint(2**64 - 1)),
    "bool from a large varint": field(3, 0, varint(2**35)),
    "int32 past 32 bits": field(24, 0, varint(2**33 + 5)),
    "double nan": field(18, 1, struct.pack("<d", float("nan"))),
    "double -0.0": field(18, 1, struct.pack("<d", -0.0)),
    "invalid UTF-8": field(14, 2, varint(4) + b"\xff\xfe\xed\xa0"),
    "empty text": field(14, 2, varint(0)),
    "wrong wire type": field(5, 2, varint(1) + b"\x01"),
    "wire type 5 for a varint": field(5, 5, b"\x01\x00\x00\x00"),
    "unknown field number": field(200, 0, varint(1)),
    "field number 0": field(0, 0, varint(1)),
    "group start": field(5, 3, b""),
    "wire type 7": field(5, 7, b""),
    "truncated varint": field(1, 0, b"\x80\x80"),
    "11-byte varint": field(1, 0, b"\xff" * 10 + b"\x01"),
    "10th byte over 1": field(1, 0, b"\xff" * 9 + b"\x02"),
    "length past the end": field(14, 2, varint(50) + b"short"),
    "huge length": field(14, 2, varint(2**63) + b"x"),
    "double cut short": field(18, 1, b"\x00\x00\x00"),
    "tag past 32 bits": varint(2**35 | 0) + varint(1),
    "good then garbage": field(5, 0, varint(2)) + b"\xff",
}


@pytest.mark.parametrize("payload", list(ODDITIES.values()), ids=list(ODDITIES))
def test_wire_oddities_decode_or_fail_alike(payload):
    same(SERVICE_STATUS, payload)


def test_values_are_read_as_protobuf_reads_them():
    event = SERVICE_STATUS.decode(
        field(5, 0, varint(-3)) + field(1, 0, varint(2**64 - 1)) + field(14, 2, varint(3) + b"ok\xff")
    )
    assert (event["state"], event["host_id"], event["output"]) == (-3, -1, "ok\ufffd")
    assert event["_type"] == 65565 and event["category"] == 1 and event["element"] == 29


def test_other_payload_types_go_to_the_python_decoder():
    payload = field(5, 0, varint(2))
    for other in (bytearray(payload), memoryview(payload)):
        assert outcome(SERVICE_STATUS.decode, other) == outcome(SERVICE_STATUS.decode_python, other)


def test_each_event_is_a_new_dict():
    payload = field(5, 0, varint(2))
    first, second = SERVICE_STATUS.decode(payload), SERVICE_STATUS.decode(payload)
    assert first == second and first is not second
    first["state"] = 9
    assert SERVICE_STATUS.decode(payload)["state"] == 2


TAG = field(1, 0, varint(7)) + field(2, 0, varint(3))  # TagInfo: id 7, type 3
# pb_service: 84 tags (repeated TagInfo), 1 host_id; pb_custom_variable: 1 header (BBDOHeader).
SUB_MESSAGES = {
    "no tags": field(1, 0, varint(5)),
    "two tags": field(84, 2, varint(len(TAG)) + TAG) + field(84, 2, varint(2) + field(1, 0, varint(9))),
    "an empty tag": field(84, 2, varint(0)),
    "a tag cut short": field(84, 2, varint(len(TAG)) + TAG[:-1]),
    "a tag with an unknown field": field(84, 2, varint(2) + field(9, 0, varint(1))),
    "a tag with a wrong wire type": field(84, 2, varint(2) + field(1, 2, varint(0))),
    "a tag sent as a varint": field(84, 0, varint(1)),
    "a tag length past the end": field(84, 2, varint(40) + TAG),
    "tags inside a tag": field(84, 2, varint(len(TAG) + 2) + field(84, 2, varint(0)) + TAG),
}
HEADERS = {
    "a header": field(1, 2, varint(2) + field(1, 0, varint(4))),
    "an empty header": field(1, 2, varint(0)),
    "a header sent twice (merged)": field(1, 2, varint(2) + field(1, 0, varint(4))) + field(1, 2, varint(0)),
    "a header with a big conf_version": field(1, 2, varint(6) + field(1, 0, varint(2**33 + 1))),
    "a header cut short": field(1, 2, varint(2) + field(1, 0, b"\x80")),
}


@pytest.mark.parametrize("payload", list(SUB_MESSAGES.values()), ids=list(SUB_MESSAGES))
def test_tags_decode_or_fail_alike(payload):
    same(SERVICE, payload)


@pytest.mark.parametrize("payload", list(HEADERS.values()), ids=list(HEADERS))
def test_headers_decode_or_fail_alike(payload):
    same(CUSTOM_VARIABLE, payload)


def test_tags_and_headers_are_new_per_event():
    """A sub-message's default (an empty tag list, a header dict) is never shared between events
    or with the template: appending to one event's tags leaves the next event's empty."""
    for t, payload in ((SERVICE, field(1, 0, varint(5))), (CUSTOM_VARIABLE, b"")):
        first, second = t.decode(payload), t.decode(payload)
        assert not {id(c) for c in _containers(first)} & {id(c) for c in _containers(second)}
    tagged = SERVICE.decode(SUB_MESSAGES["two tags"])
    assert tagged["tags"] == [{"id": 7, "type": 3}, {"id": 9, "type": 0}]
    SERVICE.decode(b"")["tags"].append({"id": 1})
    assert SERVICE.decode(b"")["tags"] == []
    CUSTOM_VARIABLE.decode(b"")["header"]["conf_version"] = 8
    assert CUSTOM_VARIABLE.decode(b"")["header"] == {"conf_version": 0}


def test_a_spec_is_checked_once_and_decode_takes_only_checked_specs():
    from centreon_canopsis.core.bbdo import _pbflat

    with pytest.raises(ValueError):
        _pbflat.check_spec(({}, ("a",), b"\x01\x01", (None,), ()))  # sizes differ
    with pytest.raises(ValueError):
        _pbflat.check_spec(({}, (None, "tags"), b"\x00\x09", (None, None), ()))  # no sub-spec
    with pytest.raises(ValueError):
        sub = ({}, (None, "id"), b"\x00\x02", (None, None), ())
        _pbflat.check_spec(({}, (None, "tags"), b"\x00\x09", (None, sub), ()))  # not in fresh
    with pytest.raises(ValueError, match="PyCapsule"):
        _pbflat.decode(({}, (), b"", (), ()), lambda payload: None, b"")  # a tuple, not a checked spec
