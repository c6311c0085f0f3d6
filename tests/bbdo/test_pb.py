"""BBDO 3 (protobuf) codec: message tables, defaults, uint64, optional fields, BaStatus numberings."""

from __future__ import annotations

import pytest
from google.protobuf.descriptor import FieldDescriptor as FD

from centreon_canopsis.core.bbdo import BBDOCodec, DecodeError, decode_event, encode_event
from centreon_canopsis.core.bbdo.pb import BA_STATUS_V23, PROTOBUF_TYPES, ba_status_is_v23
from centreon_canopsis.core.bbdo.proto import bam_pb2, neb_pb2

from .samples import EVENTS, PROTOBUF_KEYS, prefix, sample_event, split_key

_PB_TYPES = {
    FD.TYPE_BOOL: "bool",
    FD.TYPE_INT32: "int32",
    FD.TYPE_UINT32: "uint32",
    FD.TYPE_INT64: "int64",
    FD.TYPE_UINT64: "uint64",
    FD.TYPE_DOUBLE: "double",
    FD.TYPE_BYTES: "string",  # text declared as bytes on purpose (lenient UTF-8)
    FD.TYPE_ENUM: "enum",
}


def type_id(key: str) -> int:
    category, element = split_key(key)
    return category << 16 | element


def payload_of(event: dict, codec: BBDOCodec | None = None) -> bytes:
    return (codec.encode(event) if codec else encode_event(event))[16:]


@pytest.mark.parametrize("key", PROTOBUF_KEYS)
def test_messages_match_the_contract(key: str) -> None:
    spec = EVENTS[key]
    t = PROTOBUF_TYPES[type_id(key)]
    assert t.name == spec["name"]
    got = []
    for number, fd in enumerate(t.message_cls.DESCRIPTOR.fields, 1):
        assert fd.number == number  # bbdo.md 4.4: numbered in declaration order
        kind = f"message:{fd.message_type.name}" if fd.type == FD.TYPE_MESSAGE else _PB_TYPES[fd.type]
        flags = (
            ["repeated"]
            if fd.is_repeated
            else ["optional"]
            if fd.has_presence and fd.type != FD.TYPE_MESSAGE
            else []
        )
        got.append([fd.name, kind, *flags])
    assert got == spec["fields"]


@pytest.mark.parametrize("key", PROTOBUF_KEYS)
def test_sample_round_trip_in_declaration_order(key: str) -> None:
    event = sample_event(key)
    decoded = decode_event(event["_type"], payload_of(event))
    assert decoded == event
    assert list(decoded) == list(event)


@pytest.mark.parametrize("key", PROTOBUF_KEYS)
def test_empty_payload_gives_every_default(key: str) -> None:
    decoded = decode_event(type_id(key), b"")
    fields = [f for f in EVENTS[key]["fields"] if "optional" not in f[2:]]
    assert list(decoded) == [*prefix(key), *(f[0] for f in fields)]
    for name, kind, *_flags in fields:
        expected = {
            "message:BBDOHeader": {"conf_version": 0},
            "message:TagInfo": [],
            "string": "",
            "bool": False,
            "double": 0.0,
        }.get(kind, 0)
        assert decoded[name] == expected and type(decoded[name]) is type(expected), name


def test_mutable_defaults_are_not_shared() -> None:
    first = decode_event(type_id("1:37"), b"")
    first["header"]["conf_version"] = 9
    assert decode_event(type_id("1:37"), b"")["header"] == {"conf_version": 0}
    host = decode_event(type_id("1:30"), b"")
    host["tags"].append(1)
    assert decode_event(type_id("1:30"), b"")["tags"] == []


def test_uint64_max_downtime_times_read_minus_one() -> None:
    msg = neb_pb2.Downtime(
        id=3, host_id=1, actual_start_time=2**64 - 1, actual_end_time=2**64 - 1, deletion_time=5
    )
    decoded = decode_event(type_id("1:36"), msg.SerializeToString())
    assert decoded["actual_start_time"] == -1 and decoded["actual_end_time"] == -1
    assert decoded["deletion_time"] == 5 and decoded["id"] == 3
    # and back: -1 is written as 2**64-1
    back = neb_pb2.Downtime.FromString(payload_of(decoded))
    assert back.actual_start_time == 2**64 - 1


def test_adaptive_optional_fields_only_when_set() -> None:
    msg = neb_pb2.AdaptiveServiceStatus(host_id=1, service_id=2, notification_number=0)
    decoded = decode_event(type_id("1:55"), msg.SerializeToString())
    assert decoded == {
        **prefix("1:55"),
        "host_id": 1,
        "service_id": 2,
        "type": 0,
        "internal_id": 0,
        "notification_number": 0,
    }
    assert "scheduled_downtime_depth" not in decoded and "acknowledgement_type" not in decoded
    host = decode_event(type_id("1:56"), neb_pb2.AdaptiveHostStatus(host_id=4).SerializeToString())
    assert host == {**prefix("1:56"), "host_id": 4}


def test_enums_are_ints_and_open() -> None:
    msg = neb_pb2.HostStatus(host_id=1, state=4, acknowledgement_type=2)  # 4 = pending, not in the enum
    decoded = decode_event(type_id("1:32"), msg.SerializeToString())
    assert decoded["state"] == 4 and decoded["acknowledgement_type"] == 2


def test_invalid_utf8_is_decoded_leniently() -> None:
    payload = neb_pb2.ServiceStatus(host_id=1, output=b"caf\xe9 ok").SerializeToString()
    assert decode_event(type_id("1:29"), payload)["output"] == "caf\ufffd ok"


def test_unknown_fields_are_skipped() -> None:
    payload = neb_pb2.ServiceStatus(host_id=1).SerializeToString() + bytes.fromhex("f80601")  # field 111
    assert decode_event(type_id("1:29"), payload)["host_id"] == 1


def test_garbage_raises_decode_error() -> None:
    with pytest.raises(DecodeError):
        decode_event(type_id("1:29"), b"\x0a\xff\xff")


BA_FIELDS = {
    "ba_id": 42,
    "in_downtime": True,
    "last_state_change": 1_700_000_000,
    "level_acknowledgement": 10.5,
    "level_downtime": 0.0,
    "level_nominal": 80.0,
    "state": 2,
    "state_changed": True,
    "output": "BA critical",
}


def test_ba_status_numberings() -> None:
    raw = {**BA_FIELDS, "output": BA_FIELDS["output"].encode()}
    v24 = bam_pb2.BaStatus(**raw).SerializeToString()
    v23 = bam_pb2.BaStatusV23(**raw).SerializeToString()
    expected = {**prefix("6:19"), **BA_FIELDS}
    assert BBDOCodec("24.10").decode(type_id("6:19"), v24) == expected
    assert BBDOCodec("24.04").decode(type_id("6:19"), v24) == expected
    assert BBDOCodec("23.10").decode(type_id("6:19"), v23) == expected
    assert BBDOCodec("23.04").decode(type_id("6:19"), v23) == expected
    auto = BBDOCodec("auto")
    assert auto.decode(type_id("6:19"), v24) == expected
    assert auto.decode(type_id("6:19"), v23) == expected
    # the wrong numbering gives wrong values, which is why the version matters
    assert BBDOCodec("24.10").decode(type_id("6:19"), v23)["ba_id"] != 42
    # encoding follows the configured numbering
    assert BBDOCodec("23.10").encode(expected)[16:] == v23
    assert BA_STATUS_V23.decode(v23) == expected


def test_ba_status_detection_rule() -> None:
    assert not ba_status_is_v23(bam_pb2.BaStatus(ba_id=1).SerializeToString())
    assert ba_status_is_v23(bam_pb2.BaStatusV23(ba_id=1).SerializeToString())
    assert ba_status_is_v23(bam_pb2.BaStatusV23(ba_id=1, output=b"x").SerializeToString())
    assert ba_status_is_v23(b"")
    assert ba_status_is_v23(b"\xff")  # garbage: no field 1 seen; the parser decides what is valid


def test_broker_version_is_checked() -> None:
    with pytest.raises(ValueError):
        BBDOCodec("latest")
