"""The 16-byte big-endian packet header (reference/bbdo.md 2.1).

``checksum | size | id | source_id | destination_id``; the checksum covers the 14 bytes after it,
never the payload.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from .crc import crc16_x25
from .ids import HEADER_SIZE, MAX_PACKET_SIZE

#: The whole header, for readers that unpack it in one go.
HEADER_STRUCT = struct.Struct(">HHIII")
_BODY = struct.Struct(">HIII")  # the checksummed part


class PacketHeader(NamedTuple):
    checksum: int
    size: int
    event_id: int
    source_id: int
    destination_id: int

    @property
    def valid(self) -> bool:
        """True when the checksum matches the other header fields."""
        return self.checksum == crc16_x25(_BODY.pack(*self[1:]))


def pack_header(size: int, event_id: int, source_id: int = 0, destination_id: int = 0) -> bytes:
    """The 16 header bytes of a packet carrying ``size`` payload bytes."""
    if not 0 <= size <= MAX_PACKET_SIZE:
        raise ValueError(f"packet payload size {size} out of 0..{MAX_PACKET_SIZE}")
    body = _BODY.pack(size, event_id, source_id, destination_id)
    return crc16_x25(body).to_bytes(2, "big") + body


def unpack_header(data: bytes | bytearray | memoryview, offset: int = 0) -> PacketHeader:
    """Reads a header at ``offset`` (at least 16 bytes must be there); check ``.valid``."""
    return PacketHeader(*HEADER_STRUCT.unpack_from(data, offset))


__all__ = ["HEADER_SIZE", "HEADER_STRUCT", "MAX_PACKET_SIZE", "PacketHeader", "pack_header", "unpack_header"]
