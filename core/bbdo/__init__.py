"""BBDO, Centreon Broker's wire protocol: framing, BBDO 2 and 3 codecs, handshake, Broker stand-in.

Public API:

* :func:`decode_event` / :func:`encode_event` and :class:`BBDOCodec` (Broker-version aware);
* :class:`Reassembler` (bytes -> :class:`RawEvent`) and :func:`frame_event` (payload -> packets);
* :class:`Welcome`, :func:`encode_ack`, :func:`parse_ack`, :func:`encode_stop`, :func:`parse_stop`;
* :func:`crc16_x25`, :func:`pack_header`, :func:`unpack_header`;
* the Broker stand-in that drives them from the other side is in ``standins/broker/peer.py``.
"""

from .codec import BBDOCodec, ba_status_numbering, decode_event, encode_event
from .crc import crc16_x25
from .diag import BBDOCounters
from .errors import BBDOError, DecodeError, EncodeError, UnknownEventError
from .framing import RawEvent, Reassembler, frame_event
from .handshake import Welcome, encode_ack, encode_stop, parse_ack, parse_stop, parse_welcome
from .header import HEADER_SIZE, MAX_PACKET_SIZE, PacketHeader, pack_header, unpack_header
from .ids import make_type, split_type

__all__ = [
    "HEADER_SIZE",
    "MAX_PACKET_SIZE",
    "BBDOCodec",
    "BBDOCounters",
    "BBDOError",
    "DecodeError",
    "EncodeError",
    "PacketHeader",
    "RawEvent",
    "Reassembler",
    "UnknownEventError",
    "Welcome",
    "ba_status_numbering",
    "crc16_x25",
    "decode_event",
    "encode_ack",
    "encode_event",
    "encode_stop",
    "frame_event",
    "make_type",
    "pack_header",
    "parse_ack",
    "parse_stop",
    "parse_welcome",
    "split_type",
    "unpack_header",
]
