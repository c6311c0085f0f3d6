"""Counters, gauges and histograms of the pipeline, rendered in the Prometheus text format.

Hot paths do not touch this registry per event: the dispatcher and the sender keep local counts
and add them here once per batch.
"""

from __future__ import annotations

import bisect
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .logsafe import log_limited, shown_error

log = logging.getLogger(__name__)

Labels = tuple[tuple[str, str], ...]

# Send latencies: from a loopback sandbox (~1 ms) to a timeout (60 s).
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass(slots=True)
class Histogram:
    buckets: tuple[float, ...] = DEFAULT_BUCKETS
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        if not self.counts:
            self.counts = [0] * (len(self.buckets) + 1)

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value
        self.count += 1


@dataclass(frozen=True, slots=True)
class MetricInfo:
    name: str
    kind: str  # counter, gauge, histogram
    help: str
    labels: tuple[str, ...] = ()


#: Every metric of the connector core: name, kind, labels, help. ``docs/delivery.md`` lists the
#: same; a test checks that what a run exposes is described here. Plugins add theirs with
#: :meth:`Metrics.describe`.
CATALOGUE: tuple[MetricInfo, ...] = (
    # -- input
    MetricInfo("events_received_total", "counter", "Events read from the source (invalid input included)."),
    MetricInfo(
        "events_total",
        "counter",
        "Events processed, by outcome: queued, dropped, error (dead-lettered).",
        ("outcome",),
    ),
    MetricInfo("events_dropped_total", "counter", "Events dropped on purpose, by reason.", ("reason",)),
    MetricInfo(
        "events_invalid_total",
        "counter",
        "Input that was not a valid Broker event, by reason: not_json, line_too_long, not_an_event, "
        "bad_field, stage_error, undecodable.",
        ("reason",),
    ),
    MetricInfo(
        "customer_events_total",
        "counter",
        "With [[customers]]: events per customer (- for the top-level settings) and outcome.",
        ("customer", "outcome"),
    ),
    # -- outbox
    MetricInfo("payloads_queued_total", "counter", "Payloads committed to the outbox.", ("route",)),
    MetricInfo("outbox_items", "gauge", "Payloads waiting in the outbox.", ("lane",)),
    MetricInfo(
        "outbox_oldest_age_seconds",
        "gauge",
        "Age of the oldest payload waiting in a lane (0 when empty).",
        ("lane",),
    ),
    MetricInfo(
        "outbox_max_items", "gauge", "delivery.max_outbox_events: the outbox size that pauses reading."
    ),
    MetricInfo(
        "outbox_commit_duration_seconds", "histogram", "Time of one outbox commit (one source batch)."
    ),
    MetricInfo("outbox_commit_errors_total", "counter", "Outbox commits that failed and were tried again."),
    MetricInfo("backpressure", "gauge", "1 while reading is paused because the outbox is full."),
    MetricInfo("backpressure_pauses_total", "counter", "Times reading was paused by a full outbox."),
    MetricInfo("backpressure_seconds_total", "counter", "Time spent with reading paused by a full outbox."),
    # -- delivery
    MetricInfo(
        "payloads_sent_total", "counter", "Payloads put in a send attempt (retries count again).", ("route",)
    ),
    MetricInfo(
        "payloads_delivered_total", "counter", "Payloads Canopsis accepted (or already had).", ("route",)
    ),
    MetricInfo(
        "payloads_retried_total", "counter", "Payload attempts that failed and will be retried.", ("route",)
    ),
    MetricInfo(
        "payloads_coalesced_total",
        "counter",
        "Pending checks dropped in catch-up because a newer check of the same entity was queued.",
        ("route",),
    ),
    MetricInfo(
        "payloads_dead_lettered_total",
        "counter",
        "Payloads the sender moved to the dead letters.",
        ("route",),
    ),
    MetricInfo(
        "send_failures_total",
        "counter",
        "Payload attempts that failed, by cause: an HTTP status, transport (connection error, timeout), "
        "rejected (refused in a 2xx answer: failed_events), plugin_error, no_sender.",
        ("route", "cause"),
    ),
    MetricInfo(
        "dead_letters_total",
        "counter",
        "Dead letters written, by stage: input, pipeline, delivery.",
        ("stage",),
    ),
    MetricInfo("dead_letters", "gauge", "Dead letters stored now, by stage.", ("stage",)),
    MetricInfo(
        "dead_letters_discarded_total",
        "counter",
        "Dead letters not kept because the stored ones reached delivery.max_dead_letters or "
        "max_dead_letters_mib, by stage.",
        ("stage",),
    ),
    MetricInfo(
        "dead_letters_bytes",
        "gauge",
        "Size of the stored dead letters (bodies and answers), what delivery.max_dead_letters_mib bounds.",
    ),
    MetricInfo(
        "cache_journal_bytes",
        "gauge",
        "Name cache changes committed but not folded into its table yet (folded while the source is idle).",
    ),
    MetricInfo(
        "send_duration_seconds", "histogram", "Time of one send (one HTTP request for events).", ("route",)
    ),
    MetricInfo(
        "delivery_delay_seconds",
        "histogram",
        "From the commit of the oldest payload of a delivered batch to its delivery.",
        ("route",),
    ),
    MetricInfo(
        "canopsis_responses_total",
        "counter",
        "Canopsis answers, by route and HTTP status (error: no answer: connection error, timeout).",
        ("route", "status"),
    ),
    MetricInfo("sender_up", "gauge", "1 while the sender thread of a lane runs.", ("lane",)),
    MetricInfo(
        "sender_errors_total", "counter", "Unexpected errors in a sender loop (database trouble).", ("lane",)
    ),
    MetricInfo(
        "last_delivery_timestamp_seconds",
        "gauge",
        "When a lane last had a payload delivered (Unix time).",
        ("lane",),
    ),
    # -- BBDO source (core/sources/bbdo_metrics.py; per-peer series exist while the peer is connected)
    MetricInfo("bbdo_peers_connected", "gauge", "BBDO peers connected now."),
    MetricInfo(
        "bbdo_connections_accepted_total",
        "counter",
        "TCP connections accepted (or established, connect mode).",
    ),
    MetricInfo(
        "bbdo_connections_closed_total",
        "counter",
        "BBDO connections closed, by reason: peer_closed, stopped, handshake_failed, tls_rejected, "
        "idle_timeout, over_budget, not_allowed, too_many_peers, error, shutdown.",
        ("reason",),
    ),
    MetricInfo("bbdo_handshake_failures_total", "counter", "BBDO handshakes (welcome, TLS) that failed."),
    MetricInfo("bbdo_bytes_received_total", "counter", "Bytes read from BBDO peers."),
    MetricInfo("bbdo_events_received_total", "counter", "BBDO events read (control messages excluded)."),
    MetricInfo(
        "bbdo_decode_errors_total",
        "counter",
        "BBDO input problems, by kind: undecodable, unknown_type, oversized, corrupted (resynchronisations), "
        "split_dropped (split events never finished), truncated (connections ended inside a packet).",
        ("kind",),
    ),
    MetricInfo("bbdo_acks_sent_total", "counter", "Acknowledgements sent to BBDO peers."),
    MetricInfo("bbdo_events_acked_total", "counter", "Events acknowledged to BBDO peers."),
    MetricInfo("bbdo_buffered_bytes", "gauge", "Bytes of unfinished split events held for all peers."),
    MetricInfo(
        "bbdo_peer_info",
        "gauge",
        "1 per connected peer, with its BBDO version and TLS.",
        ("peer", "bbdo_version", "tls"),
    ),
    MetricInfo("bbdo_peer_bytes_received_total", "counter", "Bytes read from a connected peer.", ("peer",)),
    MetricInfo("bbdo_peer_events_received_total", "counter", "Events read from a connected peer.", ("peer",)),
    MetricInfo(
        "bbdo_peer_events_acked_total", "counter", "Events acknowledged to a connected peer.", ("peer",)
    ),
    MetricInfo(
        "bbdo_peer_last_event_age_seconds",
        "gauge",
        "Seconds since a connected peer last sent data.",
        ("peer",),
    ),
    MetricInfo(
        "bbdo_peer_last_ack_timestamp_seconds",
        "gauge",
        "When a connected peer was last acknowledged (Unix time).",
        ("peer",),
    ),
    # -- process
    MetricInfo("ready", "gauge", "1 when /readyz answers 200."),
    MetricInfo("start_time_seconds", "gauge", "When the pipeline started (Unix time)."),
    MetricInfo(
        "build_info",
        "gauge",
        "Always 1; the labels say what runs: the connector's, Python's, pluggy's and protobuf's "
        "versions, and the BBDO path's accelerator (c: compiled and used, python: without it).",
        ("version", "python", "pluggy", "protobuf", "accelerator"),
    ),
    MetricInfo("process_cpu_seconds_total", "counter", "CPU time of the process, user and system."),
    MetricInfo("process_resident_memory_bytes", "gauge", "Resident memory of the process."),
    MetricInfo("process_open_fds", "gauge", "File descriptors the process holds open."),
    MetricInfo("process_start_time_seconds", "gauge", "When the process started (Unix time)."),
    MetricInfo(
        "thread_cpu_seconds_total",
        "counter",
        "CPU time of the process's threads by role (MainThread: decoding in one process, the "
        "stages, commits; bbdo-peer: reading Broker; sender-<lane>: delivery; ...), user and system.",
        ("thread",),
    ),
    MetricInfo("reloads_total", "counter", "Reloads (SIGHUP), by result: applied, refused.", ("result",)),
    MetricInfo("tap_clients", "gauge", "Clients of the tap endpoint connected now."),
    MetricInfo("tap_dropped_total", "counter", "Tap records dropped because a tap client read too slowly."),
)


class Metrics:
    """A small, thread-safe metrics registry."""

    def __init__(self, namespace: str = "centreon_canopsis") -> None:
        self.namespace = namespace
        self._lock = threading.Lock()
        self._info: dict[str, MetricInfo] = {}
        self._values: dict[str, dict[Labels, float]] = {}
        self._histograms: dict[str, dict[Labels, Histogram]] = {}
        self._gauge_functions: dict[str, Callable[[], Iterable[tuple[Labels, float]]]] = {}
        for info in CATALOGUE:
            self._info[info.name] = info

    def describe(self, name: str, kind: str, help: str, labels: tuple[str, ...] = ()) -> None:
        self._info.setdefault(name, MetricInfo(name, kind, help, labels))

    def described(self) -> dict[str, MetricInfo]:
        return dict(self._info)

    def inc(self, name: str, value: float = 1, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            series = self._values.setdefault(name, {})
            series[key] = series.get(key, 0) + value

    def set(self, name: str, value: float, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._values.setdefault(name, {})[key] = value

    def observe(self, name: str, value: float, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            series = self._histograms.setdefault(name, {})
            histogram = series.get(key)
            if histogram is None:
                histogram = series[key] = Histogram()
            histogram.observe(value)

    def gauge_function(self, name: str, function: Callable[[], Iterable[tuple[Labels, float]]]) -> None:
        """A gauge computed when read (outbox depth, age of its oldest item)."""
        with self._lock:
            self._gauge_functions[name] = function

    def value(self, name: str, **labels: str) -> float:
        """One series' current value (0 when never set): for tests and ``status``."""
        key = tuple(sorted(labels.items()))
        if name in self._gauge_functions:
            return dict(self._gauge_functions[name]()).get(key, 0)
        with self._lock:
            return self._values.get(name, {}).get(key, 0)

    def series(self, name: str) -> dict[Labels, float]:
        if name in self._gauge_functions:
            return dict(self._gauge_functions[name]())
        with self._lock:
            return dict(self._values.get(name, {}))

    def histogram(self, name: str, **labels: str) -> Histogram | None:
        with self._lock:
            return self._histograms.get(name, {}).get(tuple(sorted(labels.items())))

    def render(self) -> str:
        """The Prometheus text exposition format (version 0.0.4)."""
        lines: list[str] = []
        with self._lock:
            values = {name: dict(series) for name, series in self._values.items()}
            histograms = {name: dict(series) for name, series in self._histograms.items()}
            functions = list(self._gauge_functions.items())
        for name, function in functions:
            # They read other threads' state: one that fails (a bug, a race) leaves its series
            # out of this scrape, never the whole answer.
            try:
                values[name] = dict(function())
            except Exception as error:
                log_limited(log, logging.ERROR, f"gauge:{name}", "metric %s left out of this scrape: %s",
                            name, shown_error(error, 300))  # fmt: skip
        for name in sorted(set(values) | set(histograms) | set(self._info)):
            info = self._info.get(name)
            full = f"{self.namespace}_{name}"
            kind = info.kind if info else ("histogram" if name in histograms else "gauge")
            if info:
                lines.append(f"# HELP {full} {info.help}")
            lines.append(f"# TYPE {full} {kind}")
            for labels, value in sorted(values.get(name, {}).items()):
                lines.append(f"{full}{_labels(labels)} {_number(value)}")
            for labels, histogram in sorted(histograms.get(name, {}).items()):
                cumulative = 0
                for bound, count in zip((*histogram.buckets, float("inf")), histogram.counts, strict=True):
                    cumulative += count
                    le = "+Inf" if bound == float("inf") else _number(bound)
                    lines.append(f"{full}_bucket{_labels((*labels, ('le', le)))} {cumulative}")
                lines.append(f"{full}_sum{_labels(labels)} {_number(histogram.total)}")
                lines.append(f"{full}_count{_labels(labels)} {histogram.count}")
        return "\n".join(lines) + "\n"


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    body = ",".join(f'{key}="{_escape(value)}"' for key, value in labels)
    return "{" + body + "}"


def _escape(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
