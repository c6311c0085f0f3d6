"""Counters of a BBDO stream and a guard against log floods from a misbehaving peer."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields

from ..logsafe import log_limited


@dataclass(slots=True)
class BBDOCounters:
    """What a BBDO source saw; the metrics layer reads :meth:`as_dict`.

    Every field is a plain cumulative count; ``active_peers`` is the only gauge.
    """

    connections: int = 0  # TCP connections accepted or established
    active_peers: int = 0
    handshakes: int = 0  # welcome exchanges completed
    handshake_failures: int = 0  # no valid welcome in time, wrong first message, TLS failure
    version_mismatches: int = 0  # peer major differs from the configured one
    bytes_received: int = 0
    events_received: int = 0  # non-control events, decodable or not (what acks count)
    events_decoded: int = 0
    events_undecodable: int = 0  # known type whose payload did not parse
    events_unknown: int = 0  # type id we have no decoder for
    events_oversized: int = 0  # reassembled payload above the size limit, discarded
    control_messages: int = 0
    corrupted_bytes: int = 0  # bytes skipped while resynchronising on a bad checksum
    resyncs: int = 0  # times a valid header was found again after corrupted bytes
    partials_dropped: int = 0  # split events never completed (stale, or too many pending)
    truncated_streams: int = 0  # connections that ended in the middle of a packet
    batches: int = 0
    acks_sent: int = 0
    events_acked: int = 0
    stops_received: int = 0
    idle_timeouts: int = 0
    peer_errors: int = 0  # sessions ended by a socket error or a protocol violation
    budget_drops: int = 0  # peers dropped for holding too many bytes of unfinished split events
    tls_rejections: int = 0  # peers without an acceptable certificate (missing, other CA, other name)

    def add(self, other: BBDOCounters) -> None:
        """Adds every field of ``other`` into this one."""
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class LogLimiter:
    """Warnings about a peer's input, rate-limited per kind of problem across every peer.

    A peer sending garbage (or many peers, or one reconnecting in a loop) must not fill the disk
    with log lines: each kind gets a few lines a minute (:func:`~..logsafe.log_limited`, which
    says how many it held back); the counters still see everything.
    """

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger

    def warning(self, kind: str, msg: str, *args: object) -> None:
        log_limited(self._logger, logging.WARNING, f"bbdo:{kind}", msg, *args)
