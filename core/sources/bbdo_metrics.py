"""The BBDO source's figures in ``/metrics``: computed when scraped, nothing on the hot path.

The sessions keep plain integer counters (per read and per batch, not per event); this module
turns them into gauge functions of the registry. Per-peer series exist while the peer is
connected and past its handshake (the label is ``host:port`` of that connection).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .bbdo import BBDOSource

#: decode error kind (label) -> counter of BBDOCounters
DECODE_ERRORS = {
    "undecodable": "events_undecodable",
    "unknown_type": "events_unknown",
    "oversized": "events_oversized",
    "corrupted": "resyncs",
    "split_dropped": "partials_dropped",
    "truncated": "truncated_streams",
}

#: metric -> counter of BBDOCounters, for the plain totals
TOTALS = {
    "bbdo_connections_accepted_total": "connections",
    "bbdo_handshake_failures_total": "handshake_failures",
    "bbdo_bytes_received_total": "bytes_received",
    "bbdo_events_received_total": "events_received",
    "bbdo_acks_sent_total": "acks_sent",
    "bbdo_events_acked_total": "events_acked",
}


def register_metrics(source: BBDOSource, metrics: Any) -> None:
    for name, counter in TOTALS.items():
        metrics.gauge_function(name, lambda counter=counter: [((), source.counters[counter])])
    metrics.gauge_function("bbdo_peers_connected", lambda: [((), source.counters["active_peers"])])
    metrics.gauge_function("bbdo_buffered_bytes", lambda: [((), source.budget.held)])

    def closed() -> list[tuple[tuple[tuple[str, str], ...], float]]:
        reasons = dict(source.closed_by_reason)  # a copy: peers' threads add reasons meanwhile
        return [((("reason", reason),), count) for reason, count in sorted(reasons.items())]

    def decode_errors() -> list[tuple[tuple[tuple[str, str], ...], float]]:
        counters = source.counters
        return [((("kind", kind),), counters[counter]) for kind, counter in DECODE_ERRORS.items()]

    metrics.gauge_function("bbdo_connections_closed_total", closed)
    metrics.gauge_function("bbdo_decode_errors_total", decode_errors)

    def per_peer(field: str, transform: Any = None) -> Any:
        def read() -> list[tuple[tuple[tuple[str, str], ...], float]]:
            rows = []
            for peer in source.peers():
                if not peer["handshake_done"]:
                    continue  # a scanner or a peer in its handshake gets no series of its own
                value = peer[field]
                if transform is not None:
                    value = transform(value)
                    if value is None:
                        continue
                rows.append(((("peer", peer["peer"]),), value))
            return rows

        return read

    def info() -> list[tuple[tuple[tuple[str, str], ...], float]]:
        return [
            (
                (
                    ("bbdo_version", p["bbdo_version"]),
                    ("peer", p["peer"]),
                    ("tls", "yes" if p["tls"] else "no"),
                ),
                1,
            )
            for p in source.peers()
            if p["handshake_done"]
        ]

    metrics.gauge_function("bbdo_peer_info", info)
    metrics.gauge_function("bbdo_peer_bytes_received_total", per_peer("bytes_received"))
    metrics.gauge_function("bbdo_peer_events_received_total", per_peer("events_received"))
    metrics.gauge_function("bbdo_peer_events_acked_total", per_peer("events_acked"))
    metrics.gauge_function(
        "bbdo_peer_last_event_age_seconds",
        per_peer("last_event_at", lambda at: round(time.time() - at, 3) if at else None),
    )
    metrics.gauge_function(
        "bbdo_peer_last_ack_timestamp_seconds", per_peer("last_ack_at", lambda at: at or None)
    )
