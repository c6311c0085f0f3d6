"""``centreon-canopsis status``: the figures of a connector, for a person.

Reads the state database beside the daemon, without taking its lock (the outbox, the dead
letters, the sources' positions), and, when the daemon's metrics endpoint answers, its counters
since start and its readiness.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path
from typing import Any

import orjson

from centreon_canopsis.core.cli.common import add_config_argument
from centreon_canopsis.core.cli.exitcodes import OK
from centreon_canopsis.core.cli.formatting import age, cut, print_json
from centreon_canopsis.core.cli.statedb import open_state
from centreon_canopsis.core.config import Config
from centreon_canopsis.core.endpoint_auth import EndpointAuth
from centreon_canopsis.core.outbox import dead_letters_full
from centreon_canopsis.core.store import METRICS_URL_NAME, daemon_pid, dead_letter_totals

ENDPOINT_TIMEOUT = 2.0
_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>[^}]*)\})?\s+(?P<value>\S+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "status",
        help="print the outbox, dead letters, source positions and counters of a connector",
        description="Reads the state database (safe while the daemon runs: no lock is taken) and, "
        "when it answers, the daemon's metrics endpoint.",
    )
    add_config_argument(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output (JSON)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    opened = open_state(args)
    if isinstance(opened, int):
        return opened
    config, connection = opened
    with closing(connection):
        report = collect(connection, config)
    if args.json:
        print_json(report)
    else:
        render(report)
    return OK


def collect(connection: sqlite3.Connection, config: Config) -> dict[str, Any]:
    now = time.time()
    pid = daemon_pid(config.state_dir)
    lanes = []
    # One read transaction: the daemon deletes and adds rows between our queries, and one
    # snapshot keeps the figures consistent (the head of a lane cannot vanish under us).
    connection.execute("BEGIN")
    for lane, items, first in connection.execute(
        "SELECT lane, COUNT(*), MIN(id) FROM outbox GROUP BY lane ORDER BY lane"
    ).fetchall():
        enqueued_at, attempts, next_attempt_at, last_error = connection.execute(
            "SELECT enqueued_at, attempts, next_attempt_at, last_error FROM outbox WHERE id = ?", (first,)
        ).fetchone()
        lanes.append(
            {
                "lane": lane,
                "items": items,
                "oldest_age_seconds": round(now - enqueued_at, 1),
                "head_attempts": attempts,
                "next_attempt_in_seconds": round(max(0.0, next_attempt_at - now), 1),
                "last_error": last_error,
            }
        )
    dead = [
        {"stage": stage, "route": route, "count": n, "oldest_age_seconds": round(now - oldest, 1)}
        for stage, route, n, oldest in connection.execute(
            "SELECT stage, route, COUNT(*), MIN(failed_at) FROM dead_letters GROUP BY stage, route "
            "ORDER BY stage, route"
        )
    ]
    _, dead_bytes = dead_letter_totals(connection)
    sources = [
        {"source": source, "position": position, "updated_age_seconds": round(now - updated_at, 1)}
        for source, position, updated_at in connection.execute(
            "SELECT source, position, updated_at FROM source_positions ORDER BY source"
        )
    ]
    connection.commit()
    report: dict[str, Any] = {
        "state_dir": str(config.state_dir),
        "daemon": {"running": pid is not None, "pid": pid},
        "outbox": {"items": sum(lane["items"] for lane in lanes), "lanes": lanes},
        "dead_letters": _dead_letters(config, dead, dead_bytes),
        "sources": sources,
        "endpoint": None,
    }
    url = endpoint_url(config)
    if url and pid is not None:
        report["endpoint"] = fetch_endpoint(url, EndpointAuth.from_config(config.metrics).header())
    return report


def _dead_letters(config: Config, groups: list[dict[str, Any]], size: int) -> dict[str, Any]:
    count = sum(row["count"] for row in groups)
    limit, mib = int(config.delivery["max_dead_letters"]), int(config.delivery["max_dead_letters_mib"])
    return {
        "count": count,
        "bytes": size,
        "max": limit,
        "max_mib": mib,
        # Why new dead letters are discarded now ("" when there is room).
        "full": dead_letters_full(count, size, limit, mib << 20),
        "groups": groups,
    }


def endpoint_url(config: Config) -> str | None:
    """Where the daemon serves its metrics: as it wrote it, else as configured."""
    try:
        return (Path(config.state_dir) / METRICS_URL_NAME).read_text().strip() or None
    except OSError:
        pass
    settings = config.metrics
    if not settings["enabled"] or not settings["port"]:
        return None
    host = settings["host"]
    return f"http://{f'[{host}]' if ':' in host else host}:{settings['port']}"


def fetch_endpoint(url: str, authorization: str | None = None) -> dict[str, Any]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    if authorization:
        opener.addheaders = [("Authorization", authorization)]
    found: dict[str, Any] = {"url": url}
    try:
        with opener.open(url + "/metrics", timeout=ENDPOINT_TIMEOUT) as answer:
            found["metrics"] = summarize(parse_metrics(answer.read().decode()))
        try:
            with opener.open(url + "/readyz", timeout=ENDPOINT_TIMEOUT) as answer:
                found["readiness"] = orjson.loads(answer.read())
        except urllib.error.HTTPError as answer:  # 503: not ready, with the reasons
            found["readiness"] = orjson.loads(answer.read())
    except (OSError, ValueError) as problem:
        found["error"] = str(getattr(problem, "reason", problem))
    return found


def parse_metrics(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """The samples of a Prometheus text exposition, by name (prefix kept)."""
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match is None:
            continue
        labels = dict(_LABEL.findall(match.group("labels") or ""))
        samples.setdefault(match.group("name"), []).append((labels, float(match.group("value"))))
    return samples


def summarize(samples: dict[str, list[tuple[dict[str, str], float]]]) -> dict[str, Any]:
    def total(name: str, **wanted: str) -> float:
        return sum(
            value
            for labels, value in samples.get(f"centreon_canopsis_{name}", [])
            if all(labels.get(key) == expected for key, expected in wanted.items())
        )

    def by(name: str, label: str) -> dict[str, float]:
        found: dict[str, float] = {}
        for labels, value in samples.get(f"centreon_canopsis_{name}", []):
            if label in labels:
                found[labels[label]] = found.get(labels[label], 0) + value
        return found

    return {
        "events_received": total("events_received_total"),
        "events_queued": total("events_total", outcome="queued"),
        "events_dropped": total("events_total", outcome="dropped"),
        "events_dropped_by_reason": by("events_dropped_total", "reason"),
        "events_failed": total("events_total", outcome="error"),
        "events_invalid": total("events_invalid_total"),
        "payloads_sent": total("payloads_sent_total"),
        "payloads_delivered": total("payloads_delivered_total"),
        "payloads_retried": total("payloads_retried_total"),
        "payloads_dead_lettered": total("payloads_dead_lettered_total"),
        "canopsis_answers": by("canopsis_responses_total", "status"),
        "backpressure": bool(total("backpressure")),
        "backpressure_seconds": total("backpressure_seconds_total"),
        "uptime_seconds": round(time.time() - total("start_time_seconds"), 1)
        if total("start_time_seconds")
        else None,
        "bbdo_peers": bbdo_peers(samples),
    }


def bbdo_peers(samples: dict[str, list[tuple[dict[str, str], float]]]) -> list[dict[str, Any]]:
    """The connected BBDO peers, from the per-peer series of the BBDO source."""
    peers: dict[str, dict[str, Any]] = {}
    for labels, _ in samples.get("centreon_canopsis_bbdo_peer_info", []):
        peers[labels["peer"]] = {
            "peer": labels["peer"],
            "bbdo_version": labels.get("bbdo_version", ""),
            "tls": labels.get("tls") == "yes",
            "events_received": 0,
            "events_acked": 0,
            "last_event_age_seconds": None,
            "last_ack_age_seconds": None,
        }
    fields = {
        "bbdo_peer_events_received_total": "events_received",
        "bbdo_peer_events_acked_total": "events_acked",
        "bbdo_peer_last_event_age_seconds": "last_event_age_seconds",
    }
    for name, key in fields.items():
        for labels, value in samples.get(f"centreon_canopsis_{name}", []):
            if labels.get("peer") in peers:
                peers[labels["peer"]][key] = value if key.endswith("seconds") else int(value)
    for labels, value in samples.get("centreon_canopsis_bbdo_peer_last_ack_timestamp_seconds", []):
        if labels.get("peer") in peers:
            peers[labels["peer"]]["last_ack_age_seconds"] = round(max(0.0, time.time() - value), 1)
    return sorted(peers.values(), key=lambda peer: peer["peer"])


def render(report: dict[str, Any]) -> None:
    daemon = report["daemon"]
    running = f"running (pid {daemon['pid']})" if daemon["running"] else "not running"
    print(f"connector:     {running}; state in {report['state_dir']}")
    endpoint = report["endpoint"]
    if endpoint is not None:
        if "error" in endpoint:
            print(f"endpoint:      {endpoint['url']} does not answer ({endpoint['error']})")
        else:
            readiness = endpoint.get("readiness") or {}
            failing = [
                f"{name}: {check['detail']}"
                for name, check in (readiness.get("checks") or {}).items()
                if not check.get("ok")
            ]
            state = "ready" if readiness.get("ready") else "NOT READY (" + "; ".join(failing) + ")"
            print(f"endpoint:      {endpoint['url']}: {state}")
    outbox = report["outbox"]
    print(f"outbox:        {outbox['items']} payloads waiting")
    for lane in outbox["lanes"]:
        line = f"  {lane['lane']:<12} {lane['items']:>9}  oldest {age(lane['oldest_age_seconds'])}"
        if lane["head_attempts"]:
            line += f", head tried {lane['head_attempts']} times"
            if lane["next_attempt_in_seconds"]:
                line += f", next in {age(lane['next_attempt_in_seconds'])}"
            if lane["last_error"]:
                line += f": {cut(lane['last_error'], 80)}"
        print(line)
    dead = report["dead_letters"]
    hint = "  (centreon-canopsis deadletters list)" if dead["count"] else ""
    if dead["full"]:
        hint = f"  FULL ({dead['full']}): new ones are discarded; deadletters list, then purge"
    print(f"dead letters:  {dead['count']}{hint}")
    for group in dead["groups"]:
        print(
            f"  {group['stage']:<9} {group['route'] or '-':<18} {group['count']:>7}  "
            f"oldest {age(group['oldest_age_seconds'])}"
        )
    for source in report["sources"]:
        print(
            f"source:        {source['source']} at {source['position']} "
            f"(committed {age(source['updated_age_seconds'])} ago)"
        )
    if endpoint is not None and "metrics" in endpoint:
        _render_counters(endpoint["metrics"])


def _render_counters(figures: dict[str, Any]) -> None:
    n = {key: int(value) for key, value in figures.items() if isinstance(value, float | int)}
    uptime = figures["uptime_seconds"]
    print(f"since start{f' ({age(uptime)} ago)' if uptime is not None else ''}:")
    print(
        f"  events:      {n['events_received']} received, {n['events_queued']} queued, "
        f"{n['events_dropped']} dropped, {n['events_failed']} failed in a plugin, "
        f"{n['events_invalid']} invalid"
    )
    if figures["events_dropped_by_reason"]:
        reasons = sorted(figures["events_dropped_by_reason"].items())
        print("  dropped by:  " + ", ".join(f"{reason} {count:.0f}" for reason, count in reasons))
    print(
        f"  payloads:    {n['payloads_sent']} sent, {n['payloads_delivered']} delivered, "
        f"{n['payloads_retried']} retried, {n['payloads_dead_lettered']} dead-lettered"
    )
    answers = ", ".join(
        f"{status}: {count:.0f}" for status, count in sorted(figures["canopsis_answers"].items())
    )
    print(f"  Canopsis:    {answers or 'no request yet'}")
    for peer in figures.get("bbdo_peers", []):
        acked = peer["last_ack_age_seconds"]
        print(
            f"  peer:        {peer['peer']} BBDO {peer['bbdo_version'] or '?'}"
            f"{' TLS' if peer['tls'] else ''}: "
            f"{peer['events_received']} events, {peer['events_acked']} acknowledged"
            + (f", last ack {age(acked)} ago" if acked is not None else ", no ack yet")
        )
    paused = "PAUSED (outbox full)" if figures["backpressure"] else "reading"
    print(f"  source:      {paused}; {n['backpressure_seconds']}s paused by backpressure in all")
