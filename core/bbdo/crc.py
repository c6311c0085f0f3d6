"""CRC-16/X-25, the checksum of BBDO packet headers (reference/bbdo.md 2.1).

Reflected polynomial 0x1021 (0x8408 reflected), init 0xFFFF, final XOR 0xFFFF; check value of
``b"123456789"`` is 0x906E. ``binascii.crc_hqx`` alone is a different CRC (CCITT-FALSE): it is used
on bit-reversed bytes, which gives X-25 (see :func:`crc16_x25`).
"""

from __future__ import annotations

import binascii


def _make_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _make_table()


_REVERSED = bytes(int(f"{byte:08b}"[::-1], 2) for byte in range(256))


def crc16_x25(data: bytes | bytearray | memoryview) -> int:
    """CRC-16/X-25 of ``data``.

    Computed in C, once per packet on the hot path: X-25 is CCITT-FALSE (``binascii.crc_hqx``,
    same polynomial and init) on bit-reversed bytes, with the result bit-reversed and inverted.
    """
    crc = binascii.crc_hqx(bytes(data).translate(_REVERSED), 0xFFFF)
    return (_REVERSED[crc & 0xFF] << 8 | _REVERSED[crc >> 8]) ^ 0xFFFF


def crc16_x25_reference(data: bytes | bytearray | memoryview) -> int:
    """The table-driven definition, which :func:`crc16_x25` must equal (tests)."""
    crc = 0xFFFF
    table = _TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFF
