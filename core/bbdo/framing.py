"""Packets on the wire: splitting a payload into packets and reassembling a byte stream.

reference/bbdo.md 2.1 (resynchronisation) and 2.2 (splitting). A payload larger than one packet
travels as packets of exactly 0xFFFF bytes ("more follows") then a shorter one, all with the same
(id, source_id, destination_id). Mapped (BBDO 2) events whose size is an exact multiple of 0xFFFF
end with an empty packet; protobuf events do not (a Broker quirk), so a reader must also time out
partial events that never end.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from . import accel
from .budget import DEFAULT_MAX_EVENT_SIZE, BudgetExceeded, BufferBudget
from .crc import REVERSED_BYTES, crc16_x25, x25_matches
from .diag import LogLimiter
from .header import HEADER_STRUCT, pack_header
from .ids import HEADER_SIZE, MAX_PACKET_SIZE, type_name

log = logging.getLogger(__name__)


#: Broker purges its partial buffers when more than a handful are pending.
DEFAULT_MAX_PENDING = 4
DEFAULT_PARTIAL_TIMEOUT = 60.0


def frame_event(
    event_id: int,
    payload: bytes,
    *,
    source_id: int = 0,
    destination_id: int = 0,
    mapped: bool = True,
) -> bytes:
    """Header(s) + payload of one event, split into packets the way Broker writes them.

    ``mapped`` selects the BBDO 2 behaviour (a payload that is an exact, non-zero multiple of 0xFFFF
    gets a final empty packet); protobuf payloads (``mapped=False``) do not get one.
    """
    size = len(payload)
    if size < MAX_PACKET_SIZE:
        return pack_header(size, event_id, source_id, destination_id) + payload
    out = []
    full = pack_header(MAX_PACKET_SIZE, event_id, source_id, destination_id)
    start = 0
    while size - start >= MAX_PACKET_SIZE:
        out.append(full)
        out.append(payload[start : start + MAX_PACKET_SIZE])
        start += MAX_PACKET_SIZE
    if start < size or mapped:
        out.append(pack_header(size - start, event_id, source_id, destination_id))
        out.append(payload[start:])
    return b"".join(out)


class RawEvent(NamedTuple):
    """One complete event read from the stream, before decoding."""

    event_id: int
    source_id: int
    destination_id: int
    #: The reassembled payload; None when it was larger than the limit and was discarded.
    payload: bytes | None
    #: Stream offset of the header of its first packet (for log lines).
    offset: int


#: ``_framing.packets`` when the C accelerator was built and is not switched off.
_USUAL_PACKETS: Callable[..., tuple[list[RawEvent], int]] | None = getattr(
    accel.load(accel.FRAMING), "packets", None
)


#: Builds a RawEvent from a tuple without NamedTuple's Python-level ``__new__`` (the hot loop).
_raw = tuple.__new__


@dataclass(slots=True)
class _Partial:
    offset: int
    last_seen: float
    size: int = 0
    parts: list[bytes] = field(default_factory=list)
    oversized: bool = False
    held: int = 0  # bytes of ``parts``, counted against the budgets


@dataclass(slots=True)
class ReassemblyStats:
    packets: int = 0
    corrupted_bytes: int = 0
    resyncs: int = 0
    partials_dropped: int = 0
    oversized_events: int = 0
    split_bytes: int = 0  # payload bytes of completed split events (sizes batches for the queue)


class Reassembler:
    """Turns the bytes of one BBDO stream into :class:`RawEvent` objects.

    On a header checksum mismatch it drops one byte and tries again, like Broker; it keeps at most
    ``max_pending`` partial events, forgets partials idle for ``partial_timeout`` seconds, and never
    holds more than ``max_event_size`` bytes for one event. The bytes of unfinished events count
    against ``peer_limit`` and the ``budget`` shared by every peer: going over either raises
    :class:`BudgetExceeded` (the caller drops the peer and calls :meth:`release`).
    """

    def __init__(
        self,
        label: str = "stream",
        *,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        max_pending: int = DEFAULT_MAX_PENDING,
        partial_timeout: float = DEFAULT_PARTIAL_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
        warn: LogLimiter | None = None,
        peer_limit: int | None = None,
        budget: BufferBudget | None = None,
        accelerated: bool | None = None,
    ) -> None:
        self.label = label
        self.max_event_size = max_event_size
        self.peer_limit = peer_limit
        self.budget = budget
        self.held = 0  # bytes of unfinished split events
        self.max_pending = max_pending
        self.partial_timeout = partial_timeout
        self.stats = ReassemblyStats()
        self._clock = clock
        self._warn = warn or LogLimiter(log)
        self._buf = bytearray()
        self._base = 0  # stream offset of _buf[0]
        self._partials: dict[tuple[int, int, int], _Partial] = {}
        self._corrupt_since = -1  # stream offset where the current run of bad bytes started
        # ``accelerated=False``: the pure-Python loop only (the reference, for the tests)
        self._usual_packets = _USUAL_PACKETS if accelerated is not False else None

    @property
    def offset(self) -> int:
        """Stream offset of the first byte not consumed yet."""
        return self._base

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete packet."""
        return len(self._buf)

    @property
    def pending_events(self) -> int:
        """Split events started but not finished."""
        return len(self._partials)

    def feed(self, data: bytes) -> list[RawEvent]:
        """Adds bytes from the stream; returns the events they complete, in stream order."""
        buf = self._buf
        buf += data
        out: list[RawEvent] = []
        pos = 0
        end = len(buf)
        if end < HEADER_SIZE:
            return out
        unpack = HEADER_STRUCT.unpack_from
        checksum, size = unpack(buf, 0)[:2]
        if end - HEADER_SIZE < size and checksum == crc16_x25(buf[2:HEADER_SIZE]):
            # Still one unfinished packet: no copy of it per read (a peer trickling).
            if self._partials:
                self.expire()
            return out
        # The hot loop, once per packet: the usual packets go through _framing.c when it is
        # built; the others (and all of them without it) through the Python below, which checks
        # each header on one bit-reversed copy of the read (crc.x25_matches) and slices the
        # payloads from one bytes copy of it.
        whole = bytes(buf)
        reversed_bytes = b""  # made when several packets need the Python loop (most reads: never)
        partials = self._partials
        stats = self.stats
        packets = 0
        usual = self._usual_packets
        while end - pos >= HEADER_SIZE:
            if usual is not None and not partials and self._corrupt_since < 0:
                # The usual packets in C (_framing.c); it stops at one this loop must handle.
                events, pos = usual(whole, pos, self._base, RawEvent)
                out += events
                packets += len(events)
                if end - pos < HEADER_SIZE:
                    break
            checksum, size, event_id, source_id, destination_id = unpack(whole, pos)
            if usual is not None and not partials and self._corrupt_since < 0:
                # Where the C loop stopped, usually a packet the read has not finished: its
                # header alone is reversed, not the whole read (about 64 KiB each time).
                header = whole[pos + 2 : pos + HEADER_SIZE].translate(REVERSED_BYTES)
            else:
                if not reversed_bytes:
                    reversed_bytes = whole.translate(REVERSED_BYTES)
                header = reversed_bytes[pos + 2 : pos + HEADER_SIZE]
            if not x25_matches(header, checksum):
                if self._corrupt_since < 0:
                    self._corrupt_since = self._base + pos
                    self._warn.warning(
                        "corrupt",
                        "%s: corrupted data at offset %d (bad header checksum), resynchronising",
                        self.label,
                        self._corrupt_since,
                    )
                stats.corrupted_bytes += 1  # counted now: the stream may end before a resync
                pos += 1
                continue
            start = pos + HEADER_SIZE
            if end - start < size:
                break  # wait for the rest of the payload
            if self._corrupt_since >= 0:
                skipped = self._base + pos - self._corrupt_since
                stats.resyncs += 1
                self._warn.warning(
                    "corrupt",
                    "%s: skipped %d corrupted bytes, resuming at offset %d",
                    self.label,
                    skipped,
                    self._base + pos,
                )
                self._corrupt_since = -1
            packets += 1
            if size < MAX_PACKET_SIZE and not partials:  # the usual packet: a whole event
                out.append(
                    _raw(
                        RawEvent,
                        (event_id, source_id, destination_id, whole[start : start + size], self._base + pos),
                    )
                )
            else:
                event = self._packet(
                    event_id, source_id, destination_id, whole[start : start + size], self._base + pos
                )
                if event is not None:
                    out.append(event)
            pos = start + size
        stats.packets += packets
        if pos:
            del buf[:pos]
            self._base += pos
        if partials:
            self.expire()
        return out

    def _packet(
        self, event_id: int, source_id: int, destination_id: int, payload: bytes, offset: int
    ) -> RawEvent | None:
        key = (event_id, source_id, destination_id)
        partial = self._partials.get(key)
        if partial is None:
            if len(payload) < MAX_PACKET_SIZE:
                return RawEvent(event_id, source_id, destination_id, payload, offset)
            partial = self._start_partial(key, offset)
        partial.last_seen = self._clock()
        partial.size += len(payload)
        if not partial.oversized:
            if partial.size > self.max_event_size:
                partial.oversized = True
                partial.parts.clear()
                self._warn.warning(
                    "oversized",
                    "%s: event %s at offset %d exceeds %d bytes, discarding it",
                    self.label,
                    type_name(event_id),
                    partial.offset,
                    self.max_event_size,
                )
                self._free(partial)
            else:
                self._hold(partial, len(payload))
                partial.parts.append(payload)
        if len(payload) == MAX_PACKET_SIZE:
            return None
        del self._partials[key]
        if partial.oversized:
            self._free(partial)
            self.stats.oversized_events += 1
            return RawEvent(event_id, source_id, destination_id, None, partial.offset)
        self.stats.split_bytes += partial.size
        payload = b"".join(partial.parts)
        self._free(partial)
        return RawEvent(event_id, source_id, destination_id, payload, partial.offset)

    def _hold(self, partial: _Partial, size: int) -> None:
        """Counts ``size`` more bytes of an unfinished event, or raises BudgetExceeded."""
        if self.peer_limit is not None and self.held + size > self.peer_limit:
            raise BudgetExceeded(
                f"unfinished split events would hold {self.held + size} bytes, over the per-peer "
                f"limit of {self.peer_limit} (peer_buffer_limit)"
            )
        if self.budget is not None and not self.budget.reserve(size):
            raise BudgetExceeded(
                f"unfinished split events of all peers would hold more than {self.budget.total_limit} "
                f"bytes (total_buffer_limit); this peer holds {self.held}"
            )
        self.held += size
        partial.held += size

    def _free(self, partial: _Partial) -> None:
        if partial.held:
            self.held -= partial.held
            if self.budget is not None:
                self.budget.release(partial.held)
            partial.held = 0
        partial.parts.clear()

    def release(self) -> None:
        """Forgets every unfinished event and gives its bytes back (the peer is gone)."""
        for partial in self._partials.values():
            self._free(partial)
        self._partials.clear()
        self._buf = bytearray()

    def _start_partial(self, key: tuple[int, int, int], offset: int) -> _Partial:
        if len(self._partials) >= self.max_pending:
            oldest_key = min(self._partials, key=lambda k: self._partials[k].last_seen)
            self._drop(oldest_key, "too many split events pending")
        partial = _Partial(offset=offset, last_seen=self._clock())
        self._partials[key] = partial
        return partial

    def expire(self, now: float | None = None) -> None:
        """Forgets split events that received nothing for ``partial_timeout`` seconds."""
        now = self._clock() if now is None else now
        limit = now - self.partial_timeout
        for key in [k for k, p in self._partials.items() if p.last_seen < limit]:
            self._drop(key, f"no continuation for {self.partial_timeout:g} s")

    def _drop(self, key: tuple[int, int, int], why: str) -> None:
        partial = self._partials.pop(key)
        self._free(partial)
        self.stats.partials_dropped += 1
        self._warn.warning(
            "partial",
            "%s: dropping split event %s started at offset %d (%d bytes): %s",
            self.label,
            type_name(key[0]),
            partial.offset,
            partial.size,
            why,
        )
