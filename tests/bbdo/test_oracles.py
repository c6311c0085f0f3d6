"""Byte-level oracles from reference/bbdo.md (sections 2 and 8)."""

from __future__ import annotations

import binascii

from hypothesis import given
from hypothesis import strategies as st

from centreon_canopsis.core.bbdo import (
    Reassembler,
    Welcome,
    crc16_x25,
    decode_event,
    encode_ack,
    encode_event,
    frame_event,
    pack_header,
    parse_ack,
    parse_welcome,
    unpack_header,
)
from centreon_canopsis.core.bbdo.crc import REVERSED_BYTES, crc16_x25_reference, x25_matches
from centreon_canopsis.core.bbdo.handshake import encode_stop, parse_stop
from centreon_canopsis.core.bbdo.ids import PB_STOP, STOP, VERSION_RESPONSE

SERVICE = {"category": 1, "element": 23, "host_id": 12345, "service_id": 18, "output": "Bonjour"}
SERVICE["last_time_ok"] = 0x55667788


def header_crc(data: bytes) -> int:
    return int.from_bytes(data[:2], "big")


def test_crc_check_value_and_not_crc_hqx() -> None:
    assert crc16_x25(b"123456789") == 0x906E
    assert binascii.crc_hqx(b"123456789", 0xFFFF) != 0x906E  # the trap bbdo.md warns about
    assert crc16_x25(bytes.fromhex("002800010009")) == 0x0A23  # documentation example


def test_neb_service_oracle() -> None:
    data = encode_event(SERVICE)
    assert len(data) == 276
    header = unpack_header(data)
    assert header.size == 260 and header.event_id == 0x00010017
    assert header.checksum == 33491 and header.valid
    assert data[91:95] == (12345).to_bytes(4, "big")  # host_id
    assert data[150:154] == bytes.fromhex("55667788")  # low word of last_time_ok
    assert data[265:273] == b"Bonjour\0"
    assert decode_event(header.event_id, data[16:])["host_id"] == 12345


def test_split_service_oracle() -> None:
    data = encode_event({**SERVICE, "output": "A" * 70000})
    assert len(data) == 70285
    first = unpack_header(data)
    second = unpack_header(data, 16 + 0xFFFF)
    assert (first.size, first.checksum) == (0xFFFF, 48152)
    assert (second.size, second.checksum) == (4718, 10233)
    events = Reassembler().feed(data)
    assert len(events) == 1 and events[0].offset == 0
    assert decode_event(events[0].event_id, events[0].payload)["output"] == "A" * 70000


def test_documented_handshake_frames() -> None:
    assert Welcome.for_version("3.0.0").encode() == bytes.fromhex(
        "57f6 0007 00020001 00000000 00000000 0003 0000 0000 00"
    )
    assert Welcome.for_version("3.0.1").encode() == bytes.fromhex(
        "f644 0006 00020007 00000000 00000000 0a04 0803 1801"
    )
    assert encode_ack(1000) == bytes.fromhex("8f06 0004 00020002 00000000 00000000 000003e8")
    assert encode_ack(1000, protobuf=True) == bytes.fromhex("7375 0003 00020008 00000000 00000000 08e807")


def test_map_client_version_response_with_trailing_bytes() -> None:
    # tests/broker/map_client.py: version_response 2.0.0 "TLS", src = dst = 1, 4 extra zero bytes.
    payload = bytes.fromhex("0002 0000 0000") + b"TLS\0" + b"\0\0\0\0"
    header = pack_header(len(payload), VERSION_RESPONSE, 1, 1)
    assert header_crc(header) == 0x65FE
    (event,) = Reassembler().feed(header + payload)
    welcome = parse_welcome(event.event_id, event.payload)
    assert (welcome.version, welcome.extensions, welcome.protobuf) == ("2.0.0", ("TLS",), False)


# 66 bytes standing for a pasted Ethernet + IPv4 + TCP header (with options).
GARBAGE_66 = bytes.fromhex(
    "0242ac110002 0242ac110003 0800"
    "4500 00a1 1c46 4000 4006 b1e6 ac110003 ac110002"
    "d4c2 1616 5f3a 9c21 2b7e 11d0 8018 01f6 5a1c 0000 0101 080a 0012 d687 0012 d687"
)


def test_map_client_types_pb_welcome_after_garbage() -> None:
    # tests/broker/map_client_types.py: pb_welcome 3.0.1, poller 1 "JavaMap", src 1 dst 0.
    assert len(GARBAGE_66) == 66
    frame = Welcome(3, 0, 1, (), True, 1, "JavaMap").encode(source_id=1)
    assert header_crc(frame) == 0xBF93
    reassembler = Reassembler()
    (event,) = reassembler.feed(GARBAGE_66 + frame)
    assert event.offset == 66 and event.source_id == 1
    assert reassembler.stats.corrupted_bytes == 66 and reassembler.stats.resyncs == 1
    welcome = parse_welcome(event.event_id, event.payload)
    assert (welcome.version, welcome.poller_id, welcome.poller_name) == ("3.0.1", 1, "JavaMap")


def test_ack_and_stop_both_forms() -> None:
    for protobuf in (False, True):
        (event,) = Reassembler().feed(encode_ack(123456, protobuf=protobuf))
        assert parse_ack(event.event_id, event.payload) == 123456
    (legacy,) = Reassembler().feed(encode_stop(protobuf=False))
    assert legacy.event_id == STOP and legacy.payload == b"" and parse_stop(STOP, b"") == 0
    (pb,) = Reassembler().feed(encode_stop(poller_id=42))
    assert pb.event_id == PB_STOP and parse_stop(PB_STOP, pb.payload) == 42


def test_empty_payload_is_one_empty_packet() -> None:
    assert frame_event(STOP, b"") == pack_header(0, STOP)


@given(st.binary(min_size=0, max_size=64))
def test_x25_matches_is_the_x25_check_on_reversed_bytes(data: bytes) -> None:
    # The reassembler's per-header check (one bit-reversed copy per read) against the definition.
    expected = crc16_x25_reference(data)
    assert crc16_x25(data) == expected
    assert x25_matches(data.translate(REVERSED_BYTES), expected)
    assert not x25_matches(data.translate(REVERSED_BYTES), expected ^ 0x0100)
