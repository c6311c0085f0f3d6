"""The Prometheus exposition: our hand-rendered text against ``prometheus-client``.

Usage: ``python benchmarks/metrics_exposition.py [--scrapes 2000] [--batches 200000]``
(``pip install prometheus-client`` first; it is not a dependency of the connector).

Both registries hold the same series as a busy connector: every core metric, 3 routes, 2 lanes,
10 drop reasons, 8 answer statuses, 3 latency histograms. Two costs are measured:

- a scrape: rendering the whole text (``Metrics.render`` / ``generate_latest``);
- the hot path: what the pipeline and a sender add once per batch (4 counter increments and 2
  histogram observations), with the per-batch local counts both ways.

It prints the time per scrape and per batch, the CPU per event at 1,000 events per batch, the
size of the text and the peak memory. No pass/fail: this is a measurement.
"""

from __future__ import annotations

import argparse
import resource
import time

from centreon_canopsis.core.metrics import Metrics

ROUTES = ("event", "pbehavior.create", "pbehavior.delete")
LANES = ("events", "pbehaviors")
REASONS = tuple(f"reason_{n}" for n in range(10))
STATUSES = ("200", "400", "401", "404", "500", "502", "503", "error")
EVENTS_PER_BATCH = 1000


def ours() -> tuple[Metrics, callable]:
    metrics = Metrics()
    for route in ROUTES:
        for name in ("payloads_queued_total", "payloads_sent_total", "payloads_delivered_total"):
            metrics.inc(name, 10, route=route)
        for status in STATUSES:
            metrics.inc("canopsis_responses_total", 1, route=route, status=status)
        for value in (0.003, 0.02, 0.4):
            metrics.observe("send_duration_seconds", value, route=route)
            metrics.observe("delivery_delay_seconds", value, route=route)
    for reason in REASONS:
        metrics.inc("events_dropped_total", 5, reason=reason)
    for lane in LANES:
        metrics.set("sender_up", 1, lane=lane)
    metrics.gauge_function("outbox_items", lambda: [((("lane", lane),), 3) for lane in LANES])

    def batch() -> None:
        metrics.inc("events_received_total", EVENTS_PER_BATCH)
        metrics.inc("events_total", 900, outcome="queued")
        metrics.inc("payloads_queued_total", 900, route="event")
        metrics.inc("payloads_delivered_total", 900, route="event")
        metrics.observe("outbox_commit_duration_seconds", 0.004)
        metrics.observe("send_duration_seconds", 0.02, route="event")

    return metrics, batch


def theirs():
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
    from prometheus_client.core import GaugeMetricFamily

    from centreon_canopsis.core.metrics import CATALOGUE, DEFAULT_BUCKETS

    registry = CollectorRegistry()
    made = {}
    for info in CATALOGUE:
        name = f"centreon_canopsis_{info.name}"
        if info.name == "outbox_items":
            continue
        if info.kind == "counter":
            made[info.name] = Counter(name.removesuffix("_total"), info.help, info.labels, registry=registry)
        elif info.kind == "histogram":
            made[info.name] = Histogram(
                name, info.help, info.labels, registry=registry, buckets=DEFAULT_BUCKETS
            )
        else:
            # prometheus-client reserves "<counter>" for "<counter>_total": our gauge
            # dead_letters (next to the counter dead_letters_total) needs another name there.
            if info.name == "dead_letters":
                name += "_stored"
            made[info.name] = Gauge(name, info.help, info.labels, registry=registry)

    class OutboxCollector:
        def collect(self):
            family = GaugeMetricFamily("centreon_canopsis_outbox_items", "Payloads waiting.", labels=["lane"])
            for lane in LANES:
                family.add_metric([lane], 3)
            yield family

    registry.register(OutboxCollector())
    for route in ROUTES:
        for name in ("payloads_queued_total", "payloads_sent_total", "payloads_delivered_total"):
            made[name].labels(route=route).inc(10)
        for status in STATUSES:
            made["canopsis_responses_total"].labels(route=route, status=status).inc()
        for value in (0.003, 0.02, 0.4):
            made["send_duration_seconds"].labels(route=route).observe(value)
            made["delivery_delay_seconds"].labels(route=route).observe(value)
    for reason in REASONS:
        made["events_dropped_total"].labels(reason=reason).inc(5)
    for lane in LANES:
        made["sender_up"].labels(lane=lane).set(1)

    def batch() -> None:
        made["events_received_total"].inc(EVENTS_PER_BATCH)
        made["events_total"].labels(outcome="queued").inc(900)
        made["payloads_queued_total"].labels(route="event").inc(900)
        made["payloads_delivered_total"].labels(route="event").inc(900)
        made["outbox_commit_duration_seconds"].observe(0.004)
        made["send_duration_seconds"].labels(route="event").observe(0.02)

    from prometheus_client import generate_latest

    return (lambda: generate_latest(registry)), batch


def timed(function, times: int) -> float:
    started = time.process_time()
    for _ in range(times):
        function()
    return (time.process_time() - started) / times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scrapes", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=200_000)
    args = parser.parse_args()
    metrics, our_batch = ours()
    render, their_batch = theirs()
    rows = [
        ("hand-rendered (core/metrics.py)", lambda: metrics.render().encode(), our_batch),
        ("prometheus-client", render, their_batch),
    ]
    print(f"{'exposition':<34} {'scrape':>10} {'text':>9} {'per batch':>10} {'CPU/event':>10}")
    for label, scrape, batch in rows:
        size = len(scrape())
        per_scrape = timed(scrape, args.scrapes)
        per_batch = timed(batch, args.batches)
        print(
            f"{label:<34} {per_scrape * 1e6:8.0f}us {size:8d}B {per_batch * 1e6:8.2f}us "
            f"{per_batch / EVENTS_PER_BATCH * 1e9:8.1f}ns"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB (both registries)")


if __name__ == "__main__":
    main()
