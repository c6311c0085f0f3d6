"""A scope's metrics: route and lane labels folded, gauges joined to the top level's."""

from __future__ import annotations

from centreon_canopsis.core.customer_scopes import ScopedMetrics
from centreon_canopsis.core.metrics import Metrics


def test_counters_fold_route_and_lane() -> None:
    metrics = Metrics()
    ScopedMetrics(metrics, "acme/").inc("canopsis_responses_total", route="event", status="200")
    assert metrics.value("canopsis_responses_total", route="acme/event", status="200") == 1


def test_scope_gauges_join_the_top_level_ones() -> None:
    metrics = Metrics()
    metrics.gauge_function("g", lambda: [((), 1)])
    ScopedMetrics(metrics, "acme/").gauge_function("g", lambda: [((), 2)])
    ScopedMetrics(metrics, "beta/").gauge_function("g", lambda: [((("lane", "events"),), 3)])
    ScopedMetrics(metrics, "acme/").gauge_function("g", lambda: [((), 4)])  # configured again
    assert metrics.series("g") == {(): 1, (("customer", "acme"),): 4, (("lane", "beta/events"),): 3}
    metrics.gauge_function("g", lambda: [((), 5)])  # the top level again (a reload)...
    ScopedMetrics(metrics, "acme/").gauge_function("g", lambda: [((), 6)])  # ...then its scopes
    assert metrics.series("g") == {(): 5, (("customer", "acme"),): 6, (("lane", "beta/events"),): 3}
