"""Event dicts <-> BBDO payloads, whichever protocol form the event type uses.

:class:`BBDOCodec` picks the BBDO 2 (mapped) or BBDO 3 (protobuf) form from the event type id when
decoding and from ``(category, element)`` when encoding. Its only setting is the Broker version,
which selects the ``pb_ba_status`` numbering (23.04/23.10 vs 24.04+; "auto" guesses per event).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from .errors import EncodeError, UnknownEventError
from .framing import frame_event
from .ids import make_type
from .mapped import MAPPED_TYPES, MappedEventType
from .pb import BA_STATUS, BA_STATUS_V23, PROTOBUF_TYPES, ProtobufEventType, ba_status_is_v23

DEFAULT_BROKER_VERSION = "24.10"
_PB_BA_STATUS = BA_STATUS.event_id


class EventType(Protocol):
    category: int
    element: int
    name: str
    event_id: int

    def decode(self, payload: bytes) -> dict[str, Any]: ...

    def encode(self, event: Mapping[str, Any]) -> bytes: ...


def ba_status_numbering(broker_version: str | None) -> str:
    """ "v23" for Broker 23.04/23.10 (and older), "v24" for 24.04+, "auto" when unknown."""
    if not broker_version or broker_version == "auto":
        return "auto"
    match = re.match(r"^\s*(\d+)\.(\d+)", broker_version)
    if match is None:
        raise ValueError(f"broker_version {broker_version!r} is not like '24.10' or 'auto'")
    return "v23" if (int(match.group(1)), int(match.group(2))) < (24, 4) else "v24"


class BBDOCodec:
    """Decodes payloads into event dicts and encodes event dicts into packets."""

    def __init__(self, broker_version: str | None = DEFAULT_BROKER_VERSION) -> None:
        self.broker_version = broker_version
        self.numbering = ba_status_numbering(broker_version)
        self.types: dict[int, EventType] = {**MAPPED_TYPES, **PROTOBUF_TYPES}
        if self.numbering == "v23":
            self.types[_PB_BA_STATUS] = BA_STATUS_V23
        self._decoders = {event_id: t.decode for event_id, t in self.types.items()}
        if self.numbering == "auto":
            self._decoders[_PB_BA_STATUS] = self._decode_ba_status_auto

    @property
    def decoders(self) -> Mapping[int, Callable[[bytes], dict[str, Any]]]:
        """Type id -> its decoder (what :meth:`decode` calls), for a loop that decodes many
        events; not to be changed."""
        return self._decoders

    def knows(self, event_id: int) -> bool:
        return event_id in self._decoders

    def form(self, event_id: int) -> str | None:
        """``"mapped"`` (BBDO 2) or ``"pb"`` (BBDO 3, protobuf) for a known type, else None."""
        kind = self.types.get(event_id)
        if kind is None:
            return None
        return "mapped" if isinstance(kind, MappedEventType) else "pb"

    def decode(self, event_id: int, payload: bytes) -> dict[str, Any]:
        """The event dict of a payload; raises UnknownEventError or DecodeError."""
        decoder = self._decoders.get(event_id)
        if decoder is None:
            raise UnknownEventError(event_id)
        return decoder(payload)

    @staticmethod
    def _decode_ba_status_auto(payload: bytes) -> dict[str, Any]:
        return (BA_STATUS_V23 if ba_status_is_v23(payload) else BA_STATUS).decode(payload)

    def event_type(self, event: Mapping[str, Any]) -> EventType:
        try:
            event_id = make_type(int(event["category"]), int(event["element"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise EncodeError(f"event has no usable category/element: {exc}") from exc
        t = self.types.get(event_id)
        if t is None:
            raise EncodeError(str(UnknownEventError(event_id)))
        return t

    def encode_payload(self, event: Mapping[str, Any]) -> tuple[int, bytes, bool]:
        """(type id, payload, is_mapped) of an event dict; keys the type does not have are ignored."""
        t = self.event_type(event)
        return t.event_id, t.encode(event), isinstance(t, MappedEventType)

    def encode(self, event: Mapping[str, Any], *, source_id: int = 0, destination_id: int = 0) -> bytes:
        """The packets of an event dict, split as Broker splits that form of event."""
        event_id, payload, mapped = self.encode_payload(event)
        return frame_event(
            event_id, payload, source_id=source_id, destination_id=destination_id, mapped=mapped
        )


_DEFAULT = BBDOCodec()


def decode_event(event_id: int, payload: bytes) -> dict[str, Any]:
    """Decodes with the default codec (Broker 24.10 numbering)."""
    return _DEFAULT.decode(event_id, payload)


def encode_event(event: Mapping[str, Any], *, source_id: int = 0, destination_id: int = 0) -> bytes:
    """Encodes an event dict into packets with the default codec (Broker 24.10 numbering)."""
    return _DEFAULT.encode(event, source_id=source_id, destination_id=destination_id)


__all__ = [
    "BBDOCodec",
    "EventType",
    "MappedEventType",
    "ProtobufEventType",
    "ba_status_numbering",
    "decode_event",
    "encode_event",
]
