"""Undecodable BBDO events kept as ``input`` dead letters, and decoded again by ``deadletters retry``.

An event of a known type whose payload does not parse (:class:`~.errors.DecodeError`), or on
which the decoder raises (a bug), is acknowledged to Broker like every event, so Broker will
never send it again: its payload is kept, as the body of an ``input`` dead letter, in a JSON
envelope that ``deadletters show`` prints and that ``deadletters retry`` decodes again with the
decoder of the day (after an upgrade that fixed it)::

    {"bbdo_event_id": 65565, "bbdo_type": "pb_service_status", "bbdo_codec": "pb",
     "bbdo_source_id": 1, "payload_size": 3, "payload_base64": "////"}

``bbdo_codec`` is ``mapped`` (BBDO 2) or ``pb`` (BBDO 3, protobuf). The envelope has no
``category``, ``element`` or ``_type``: it is not an event, and nothing takes it for one.

At most :data:`RAW_KEEP` bytes of a payload are kept (Broker's events take a few KiB, a split
one with a long output some 70 KiB; ``max_event_size_mib`` lets a peer send up to 16 MiB): a
longer payload keeps its start, for a look, and cannot be decoded again. Oversized events (their
payload was discarded while reading) and events of unknown types (skipped by design) keep nothing.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

import orjson

from ..logsafe import shown
from ..sources.base import Rejected
from .errors import DecodeError, UnknownEventError
from .ids import type_name

if TYPE_CHECKING:  # the codec loads protobuf: only its users import it
    from .codec import BBDOCodec
    from .framing import RawEvent

#: Payload bytes kept per undecodable event: bounds what a peer's bad events cost on disk
#: (about 4/3 of it as base64), yet keeps any real Broker event whole.
RAW_KEEP = 256 << 10
CODECS = ("mapped", "pb")


class CannotDecodeAgain(ValueError):
    """The envelope cannot be decoded again whatever the decoder (its payload was cut, say)."""


class StillUndecodable(Exception):
    """Today's decoder fails on the kept payload too; ``str()`` is the new reason."""


def reason(exc: Exception, event_id: int) -> str:
    """Why an event of type ``event_id`` did not decode, as the dead letter and the log say it."""
    if isinstance(exc, DecodeError):
        return f"undecodable BBDO event: {shown(str(exc))}"
    if isinstance(exc, UnknownEventError):
        return f"no decoder for BBDO event type {type_name(event_id)}"
    return f"decoder failure on {type_name(event_id)}: {shown(exc)}"


def rejected(raw: RawEvent, exc: Exception, codec: BBDOCodec) -> Rejected:
    """The :class:`Rejected` entry of an undecodable event, its payload kept in an envelope."""
    payload = raw.payload or b""
    why = reason(exc, raw.event_id)
    if len(payload) > RAW_KEEP:
        why += f" (first {RAW_KEEP} of {len(payload)} bytes kept)"
    return Rejected(f"offset {raw.offset}", why, envelope(raw.event_id, raw.source_id, payload, codec))


def envelope(event_id: int, source_id: int, payload: bytes, codec: BBDOCodec) -> bytes:
    kind = codec.types.get(event_id)
    return orjson.dumps(
        {
            "bbdo_event_id": event_id,
            "bbdo_type": kind.name if kind is not None else type_name(event_id),
            "bbdo_codec": codec.form(event_id),
            "bbdo_source_id": source_id,
            "payload_size": len(payload),
            "payload_base64": base64.b64encode(payload[:RAW_KEEP]).decode("ascii"),
        }
    )


def is_envelope(value: Any) -> bool:
    """True for a dead letter's body made by :func:`envelope` (and parsed from JSON)."""
    return (
        isinstance(value, dict)
        and value.get("bbdo_codec") in CODECS
        and value.get("bbdo_event_id").__class__ is int
        and isinstance(value.get("payload_base64"), str)
    )


def decode_again(value: dict[str, Any], codec: BBDOCodec) -> dict[str, Any]:
    """The event of an envelope, decoded with ``codec``; raises :class:`CannotDecodeAgain` or
    :class:`StillUndecodable`."""
    event_id = value["bbdo_event_id"]
    try:
        payload = base64.b64decode(value["payload_base64"], validate=True)
    except (binascii.Error, ValueError) as error:
        raise CannotDecodeAgain(f"payload_base64 is not base64 ({error})") from None
    size = value.get("payload_size")
    if size.__class__ is int and len(payload) < size:
        raise CannotDecodeAgain(
            f"only the first {len(payload)} of its {size} bytes were kept: it cannot be decoded again"
        )
    form = codec.form(event_id)
    if form is not None and form != value["bbdo_codec"]:
        raise CannotDecodeAgain(
            f"kept as a {value['bbdo_codec']} event, but type {type_name(event_id)} is {form} now"
        )
    try:
        return codec.decode(event_id, payload)
    except Exception as error:  # a decoder bug must not stop the retry of the others
        raise StillUndecodable(reason(error, event_id)) from error
