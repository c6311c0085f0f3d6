"""Control messages: welcome (version exchange), ack and stop (reference/bbdo.md 2.3, 2.4).

Two welcome forms exist: ``version_response`` (2:1, a mapped event; Broker sends it when its own
``bbdo_version`` is 3.0.0 or lower) and ``pb_welcome`` (2:7, protobuf; above 3.0.0). An acceptor
answers with the form it received; only the majors must match. Acks: always send the legacy
``ack`` (2:2), understood by every Broker since 22.10; read both forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .errors import DecodeError
from .framing import frame_event
from .ids import ACK, PB_ACK, PB_STOP, PB_WELCOME, STOP, VERSION_RESPONSE, type_name
from .mapped import MAPPED_TYPES
from .pb import PROTOBUF_TYPES

_VERSION_RESPONSE = MAPPED_TYPES[VERSION_RESPONSE]
_ACK = MAPPED_TYPES[ACK]
_STOP = MAPPED_TYPES[STOP]
_PB_WELCOME = PROTOBUF_TYPES[PB_WELCOME]
_PB_ACK = PROTOBUF_TYPES[PB_ACK]
_PB_STOP = PROTOBUF_TYPES[PB_STOP]

#: Extension names Broker knows; we only ever advertise "TLS", and only when TLS is configured.
TLS = "TLS"
COMPRESSION = "COMPRESSION"


def parse_version(version: str) -> tuple[int, int, int]:
    """``"3.0.1"`` -> (3, 0, 1); a missing minor or patch is 0."""
    match = re.fullmatch(r"\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*", version)
    if match is None:
        raise ValueError(f"BBDO version {version!r} is not like '3.0.0'")
    major, minor, patch = (int(g or 0) for g in match.groups())
    return major, minor, patch


@dataclass(frozen=True, slots=True)
class Welcome:
    """What one side says in the version exchange."""

    major: int
    minor: int = 0
    patch: int = 0
    extensions: tuple[str, ...] = ()
    #: True for pb_welcome (2:7), False for version_response (2:1).
    protobuf: bool = False
    poller_id: int = 0
    poller_name: str = ""

    @property
    def version(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    @classmethod
    def for_version(cls, version: str, extensions: tuple[str, ...] = (), **kwargs: object) -> Welcome:
        """The welcome Broker sends for a configured ``bbdo_version`` (pb_welcome above 3.0.0)."""
        numbers = parse_version(version)
        return cls(*numbers, extensions=extensions, protobuf=numbers > (3, 0, 0), **kwargs)  # type: ignore[arg-type]

    def reply(self, extensions: tuple[str, ...] = ()) -> Welcome:
        """An acceptor's answer: same form, same version, our own extension list."""
        return replace(self, extensions=extensions, poller_id=0, poller_name="")

    def encode(self, *, source_id: int = 0, destination_id: int = 0) -> bytes:
        ext = " ".join(self.extensions)
        if self.protobuf:
            payload = _PB_WELCOME.encode(
                {
                    "version": {"major": self.major, "minor": self.minor, "patch": self.patch},
                    "extensions": ext,
                    "poller_id": self.poller_id,
                    "poller_name": self.poller_name,
                }
            )
            return frame_event(PB_WELCOME, payload, source_id=source_id, destination_id=destination_id)
        payload = _VERSION_RESPONSE.encode(
            {"major": self.major, "minor": self.minor, "patch": self.patch, "extensions": ext}
        )
        return frame_event(VERSION_RESPONSE, payload, source_id=source_id, destination_id=destination_id)


def parse_welcome(event_id: int, payload: bytes) -> Welcome:
    """Reads either welcome form; raises DecodeError for anything else."""
    if event_id == VERSION_RESPONSE:
        d = _VERSION_RESPONSE.decode(payload)  # trailing bytes are ignored, as Broker does
        return Welcome(d["major"], d["minor"], d["patch"], tuple(d["extensions"].split()), False)
    if event_id == PB_WELCOME:
        d = _PB_WELCOME.decode(payload)
        v = d["version"]
        return Welcome(
            v["major"],
            v["minor"],
            v["patch"],
            tuple(d["extensions"].split()),
            True,
            d["poller_id"],
            d["poller_name"],
        )
    raise DecodeError(f"expected a welcome (version_response or pb_welcome), got {type_name(event_id)}")


def encode_ack(count: int, *, protobuf: bool = False, source_id: int = 0, destination_id: int = 0) -> bytes:
    """An ack of ``count`` events (legacy 2:2 unless ``protobuf``)."""
    if protobuf:
        payload = _PB_ACK.encode({"acknowledged_events": count})
        return frame_event(PB_ACK, payload, source_id=source_id, destination_id=destination_id)
    payload = _ACK.encode({"acknowledged_events": count})
    return frame_event(ACK, payload, source_id=source_id, destination_id=destination_id)


def parse_ack(event_id: int, payload: bytes) -> int:
    """Number of events an ack or pb_ack acknowledges."""
    if event_id == ACK:
        return _ACK.decode(payload)["acknowledged_events"]
    if event_id == PB_ACK:
        return _PB_ACK.decode(payload)["acknowledged_events"]
    raise DecodeError(f"expected an ack, got {type_name(event_id)}")


def encode_stop(*, protobuf: bool = True, poller_id: int = 0, source_id: int = 0) -> bytes:
    """``pb_stop`` (23.04+, the default) or the legacy empty ``stop`` (22.10)."""
    if protobuf:
        return frame_event(PB_STOP, _PB_STOP.encode({"poller_id": poller_id}), source_id=source_id)
    return frame_event(STOP, b"", source_id=source_id)


def parse_stop(event_id: int, payload: bytes) -> int:
    """The poller id of a stop message (0 for the legacy form)."""
    if event_id == STOP:
        return 0
    if event_id == PB_STOP:
        return _PB_STOP.decode(payload)["poller_id"]
    raise DecodeError(f"expected a stop, got {type_name(event_id)}")
