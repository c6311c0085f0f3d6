"""The ingest fast paths give exactly what the general paths give, on a whole simulated stream."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from centreon_canopsis.core.bbdo.codec import BBDOCodec
from centreon_canopsis.standins.broker import SimulatedBroker, SimulationOptions

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stream():
    options = SimulationOptions(events=4000, hosts=30, services_per_host=5, downtime_rate=0.05, bbdo=3)
    return list(SimulatedBroker(options).events())


def test_protobuf_decode_equals_the_listfields_reference(stream):
    codec = BBDOCodec()
    checked = 0
    for event in stream:
        type_id, payload, mapped = codec.encode_payload(event)
        if mapped:
            continue
        event_type = codec.types[type_id]
        message = event_type.message_cls.FromString(payload)
        fast = event_type.codec.to_dict(message, event_type._prefix)
        reference = event_type.codec.to_dict_slow(message, event_type._prefix)
        assert fast == reference
        assert list(fast) == list(reference), "same key order"
        checked += 1
    assert checked > 4000


def test_no_private_pluggy_api():
    """pluggy's private modules may change in any release (issue 11)."""
    offenders = []
    for folder in ("core", "plugins", "standins"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pluggy._"):
                    offenders.append(f"{path.relative_to(ROOT)}: from {node.module} import ...")
                if isinstance(node, ast.Import):
                    offenders += [
                        f"{path}: import {a.name}" for a in node.names if a.name.startswith("pluggy._")
                    ]
    assert offenders == []


def test_header_checksum_in_c_equals_the_table_definition():
    import random

    from centreon_canopsis.core.bbdo.crc import crc16_x25, crc16_x25_reference

    rng = random.Random(11)
    assert crc16_x25(b"123456789") == 0x906E
    for size in range(0, 64):
        data = bytes(rng.randrange(256) for _ in range(size))
        assert crc16_x25(data) == crc16_x25_reference(data)
        assert crc16_x25(bytearray(data)) == crc16_x25(memoryview(data)) == crc16_x25_reference(data)
