"""The Grafana dashboard and the Prometheus alerts use only metrics the connector exposes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from centreon_canopsis.core.metrics import CATALOGUE

MONITORING = Path(__file__).resolve().parents[2] / "packaging" / "monitoring"
NAME = re.compile(r"\bcentreon_canopsis_([a-z0-9_]+)")
HISTOGRAM_SERIES = ("_bucket", "_sum", "_count")


def catalogue() -> dict[str, str]:
    """Every metric name the connector can expose, with its kind."""
    return {info.name: info.kind for info in CATALOGUE}


def used(text: str) -> set[str]:
    return set(NAME.findall(text))


def unknown(names: set[str], known: dict[str, str]) -> set[str]:
    missing = set()
    for name in names:
        base = next((name.removesuffix(s) for s in HISTOGRAM_SERIES if name.endswith(s)), name)
        if name in known or (base != name and known.get(base) == "histogram"):
            continue
        missing.add(name)
    return missing


def test_the_dashboard_uses_known_metrics_only():
    text = (MONITORING / "grafana-dashboard.json").read_text()
    dashboard = json.loads(text)
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert len(exprs) >= 15
    names = used("\n".join(exprs))
    assert {
        "outbox_items",
        "dead_letters",
        "canopsis_responses_total",
        "send_duration_seconds_bucket",
    } <= names
    assert not unknown(names, catalogue())


def test_the_alerts_use_known_metrics_only():
    text = (MONITORING / "alerts.yml").read_text()
    alerts = re.findall(r"- alert: (\w+)", text)
    assert {
        "CentreonCanopsisBrokerDisconnected",
        "CentreonCanopsisBrokerSilent",
        "CentreonCanopsisOutboxGrowing",
        "CentreonCanopsisOldPayload",
        "CentreonCanopsisDeadLetters",
        "CentreonCanopsisDeadLettersDiscarded",
        "CentreonCanopsisCanopsisErrors",
    } <= set(alerts)
    assert len(re.findall(r"^\s+expr:", text, re.M)) == len(alerts)
    assert not unknown(used(text), catalogue())


def test_the_check_can_fail():
    assert unknown({"outbox_itemz", "dead_letters_bucket", "send_duration_seconds_sum"}, catalogue()) == {
        "outbox_itemz",
        "dead_letters_bucket",
    }
