"""Event type ids and the few BBDO constants every module needs (reference/bbdo.md 2.1, 2.4, 4.2)."""

from __future__ import annotations

HEADER_SIZE = 16
#: Largest payload of one packet; a packet of exactly this size means "more follows".
MAX_PACKET_SIZE = 0xFFFF

CATEGORY_NEB = 1
CATEGORY_BBDO = 2
CATEGORY_BAM = 6


def make_type(category: int, element: int) -> int:
    """Broker's event type id (``_type``): ``category << 16 | element``."""
    return category << 16 | element


def split_type(event_id: int) -> tuple[int, int]:
    """(category, element) of an event type id."""
    return event_id >> 16, event_id & 0xFFFF


def type_name(event_id: int) -> str:
    """``category:element`` with the hex id, for log lines."""
    return f"{event_id >> 16}:{event_id & 0xFFFF} (0x{event_id:08x})"


# Control messages (category 2), handled inside the BBDO layer and never counted as events.
VERSION_RESPONSE = make_type(CATEGORY_BBDO, 1)
ACK = make_type(CATEGORY_BBDO, 2)
STOP = make_type(CATEGORY_BBDO, 3)
PB_WELCOME = make_type(CATEGORY_BBDO, 7)
PB_ACK = make_type(CATEGORY_BBDO, 8)
PB_STOP = make_type(CATEGORY_BBDO, 9)

WELCOMES = frozenset({VERSION_RESPONSE, PB_WELCOME})
ACKS = frozenset({ACK, PB_ACK})
STOPS = frozenset({STOP, PB_STOP})


def is_control(event_id: int) -> bool:
    """True for category-2 messages (welcome, ack, stop and any future control element)."""
    return event_id >> 16 == CATEGORY_BBDO
