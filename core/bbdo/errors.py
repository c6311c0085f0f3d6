"""Errors of the BBDO codec."""

from __future__ import annotations


class BBDOError(Exception):
    """Base of every BBDO codec error."""


class DecodeError(BBDOError):
    """A payload of a known event type does not parse."""


class UnknownEventError(BBDOError):
    """No decoder or encoder for this event type id."""

    def __init__(self, event_id: int) -> None:
        super().__init__(f"unknown event type {event_id >> 16}:{event_id & 0xFFFF} (0x{event_id:08x})")
        self.event_id = event_id


class EncodeError(BBDOError, ValueError):
    """An event dict cannot be written on the wire (bad value, unknown type)."""
