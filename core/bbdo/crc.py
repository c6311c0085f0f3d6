"""CRC-16/X-25, the checksum of BBDO packet headers (reference/bbdo.md 2.1).

Reflected polynomial 0x1021 (0x8408 reflected), init 0xFFFF, final XOR 0xFFFF; check value of
``b"123456789"`` is 0x906E. ``binascii.crc_hqx`` alone is a different CRC (CCITT-FALSE): it is used
on bit-reversed bytes, which gives X-25 (see :func:`crc16_x25`).
"""

from __future__ import annotations

import array
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
#: ``bytes.translate`` table that reverses the bits of every byte.
REVERSED_BYTES = _REVERSED
#: For a header checksum ``c``: the CCITT-FALSE CRC of the bit-reversed bytes that gives X-25 ``c``.
_FROM_X25 = array.array(
    "H", ((_REVERSED[c & 0xFF] ^ 0xFF) << 8 | (_REVERSED[c >> 8] ^ 0xFF) for c in range(65536))
)


def crc16_x25(data: bytes | bytearray | memoryview) -> int:
    """CRC-16/X-25 of ``data``.

    Computed in C, once per packet on the hot path: X-25 is CCITT-FALSE (``binascii.crc_hqx``,
    same polynomial and init) on bit-reversed bytes, with the result bit-reversed and inverted.
    """
    crc = binascii.crc_hqx(bytes(data).translate(_REVERSED), 0xFFFF)
    return (_REVERSED[crc & 0xFF] << 8 | _REVERSED[crc >> 8]) ^ 0xFFFF


def x25_matches(reversed_data: bytes, checksum: int) -> bool:
    """Whether ``checksum`` is the X-25 CRC of the bytes whose bit-reversed copy is
    ``reversed_data`` (``data.translate(REVERSED_BYTES)``).

    For the reassembler, which reverses a whole read at once and then checks each header: no
    per-header translation or result reversal, one C call and one table look-up.
    """
    return binascii.crc_hqx(reversed_data, 0xFFFF) == _FROM_X25[checksum]


def crc16_x25_reference(data: bytes | bytearray | memoryview) -> int:
    """The table-driven definition, which :func:`crc16_x25` must equal (tests)."""
    crc = 0xFFFF
    table = _TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFF
