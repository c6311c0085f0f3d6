"""BBDO, Centreon Broker's wire protocol: framing, BBDO 2 and 3 codecs, handshake, Broker stand-in.

Public API:

* :func:`decode_event` / :func:`encode_event` and :class:`BBDOCodec` (Broker-version aware);
* :class:`Reassembler` (bytes -> :class:`RawEvent`) and :func:`frame_event` (payload -> packets);
* :class:`Welcome`, :func:`encode_ack`, :func:`parse_ack`, :func:`encode_stop`, :func:`parse_stop`;
* :func:`crc16_x25`, :func:`pack_header`, :func:`unpack_header`;
* the Broker stand-in that drives them from the other side is in ``standins/broker/peer.py``.
"""

from importlib import import_module
from typing import Any

#: Public name -> the submodule that defines it. Imported on first use (PEP 562), so that a part
#: of the daemon that needs one small module (``peers`` for address lists) does not load the
#: protobuf runtime and compile every decoder.
_WHERE = {
    "BBDOCodec": "codec",
    "ba_status_numbering": "codec",
    "decode_event": "codec",
    "encode_event": "codec",
    "crc16_x25": "crc",
    "BBDOCounters": "diag",
    "BBDOError": "errors",
    "DecodeError": "errors",
    "EncodeError": "errors",
    "UnknownEventError": "errors",
    "RawEvent": "framing",
    "Reassembler": "framing",
    "frame_event": "framing",
    "Welcome": "handshake",
    "encode_ack": "handshake",
    "encode_stop": "handshake",
    "parse_ack": "handshake",
    "parse_stop": "handshake",
    "parse_welcome": "handshake",
    "HEADER_SIZE": "header",
    "MAX_PACKET_SIZE": "header",
    "PacketHeader": "header",
    "pack_header": "header",
    "unpack_header": "header",
    "make_type": "ids",
    "split_type": "ids",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


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
