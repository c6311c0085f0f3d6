"""The demo: a simulated Broker, the connector and a Canopsis stand-in, end to end, on loopback.

The simulated Broker speaks BBDO to the connector's listener (the real wire path), the connector
runs its full pipeline (cache, filters, mappings, durable outbox, bulk HTTP), and the sandbox plays
Canopsis. Then the demo shows what Canopsis holds and compares it with what the simulated stream
implies.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, TextIO

from centreon_canopsis.core import deadletters
from centreon_canopsis.core.cli.progress import drain
from centreon_canopsis.core.config import from_mapping, split_list
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.bbdo import BBDOSource
from centreon_canopsis.plugins.builtin.mapping import HOST_STATES, SERVICE_STATES
from centreon_canopsis.standins.broker import GroundTruth, SimulatedBroker
from centreon_canopsis.standins.broker.peer import BrokerPeer
from centreon_canopsis.standins.canopsis import Sandbox

log = logging.getLogger(__name__)

STATE_NAMES = {0: "ok", 1: "minor", 2: "major", 3: "critical"}
STATUS_NAMES = {0: "off", 1: "ongoing", 2: "stealthy", 3: "flapping", 4: "cancelled", 5: "noevents"}


@dataclass
class DemoOptions:
    hosts: int = 20
    services_per_host: int = 5
    pollers: int = 2
    events: int = 5000
    seed: int = 1
    bbdo: int = 3
    broker_version: str = "24.10"
    canopsis_version: str = "24.04"
    settings: dict[str, Any] = field(default_factory=dict)  # extra connector parameters
    #: "http" (POST /api/v4/event) or "amqp" (through the RabbitMQ at ``amqp_url``, which the
    #: sandbox consumes like engine-fifo).
    transport: str = "http"
    amqp_url: str = ""


@dataclass
class DemoResult:
    events: int
    acknowledged: int
    delivered: bool
    dead_letters: int
    alarms: list[dict[str, Any]]
    truth: GroundTruth
    metrics: Any
    sandbox_summary: dict[str, Any]
    expected_problems: int
    matching_problems: int
    stale_alarms: list[str]  # problems in Canopsis that Centreon no longer has
    elapsed: float

    @property
    def ok(self) -> bool:
        return (
            self.delivered
            and self.acknowledged == self.events
            and self.dead_letters == 0
            and not self.stale_alarms
        )


def run_demo(options: DemoOptions, progress: bool = False) -> DemoResult:
    started = time.monotonic()
    state_dir = tempfile.mkdtemp(prefix="centreon-canopsis-demo-")
    # The same seed gives the same stream from any start: measure its span, then end it now, so
    # that downtimes running at the end of the stream are active pbehaviors in Canopsis.
    shape = dict(
        seed=options.seed,
        hosts=options.hosts,
        services_per_host=options.services_per_host,
        pollers=options.pollers,
        events=options.events,
        bbdo=options.bbdo,
        broker_version=options.broker_version,
    )
    probe = SimulatedBroker(**shape, start=0)
    for _ in probe.events():
        pass
    broker = SimulatedBroker(**shape, start=int(time.time()) - probe.truth().time - 60)
    events = list(broker.events())
    truth = broker.truth()
    bbdo_version = "3.0.0" if options.bbdo == 3 else "2.0.0"
    amqp = options.transport == "amqp"
    amqp_settings: dict[str, Any] = {}
    sandbox_amqp: dict[str, Any] = {}
    if amqp:
        if not options.amqp_url:
            raise ValueError("--transport amqp needs an AMQP URL (--amqp-url or CANOPSIS_AMQP_URL)")
        sandbox_amqp = {
            "amqp_url": options.amqp_url,
            "amqp_queue": f"centreon-canopsis-demo-{uuid.uuid4().hex[:8]}",
        }
        amqp_settings = {"amqp": {"url": options.amqp_url}}
    try:
        with Sandbox(
            port=0, canopsis_version=options.canopsis_version, seed=options.seed, **sandbox_amqp
        ) as sandbox:
            if sandbox.amqp is not None and not sandbox.amqp.connected.wait(30):
                raise RuntimeError("the sandbox could not consume from RabbitMQ")
            raw: dict[str, Any] = {
                **sandbox.connector_settings(),
                **amqp_settings,
                "state_dir": state_dir,
                "source": {
                    "type": "bbdo",
                    "mode": "listen",
                    "host": "127.0.0.1",
                    "port": 0,
                    "bbdo_version": bbdo_version,
                    "broker_version": options.broker_version,
                },
                "metrics": {"enabled": False},
                # BAM too: the central Broker computes BAs, and the Lua connector could not send them.
                "accepted_categories": "neb,bam",
                "accepted_elements": "host_status,service_status,acknowledgement,downtime,ba_status",
                **options.settings,
            }
            config = from_mapping(raw, env={})
            pipeline = Pipeline(config)
            source = BBDOSource.from_config(config.source)
            source.start()
            peer = BrokerPeer(
                events,
                mode="client",
                port=source.address[1],
                bbdo_version=bbdo_version,
                broker_version=options.broker_version,
            )
            runner = threading.Thread(target=pipeline.run, args=(source,), name="demo-pipeline", daemon=True)
            runner.start()
            peer.start()
            _wait_for_broker(peer, len(events), progress)
            report = peer.join(30)
            delivered = drain(pipeline, 60, progress, "connector -> Canopsis")
            pipeline.request_stop()
            runner.join(10)
            pipeline.close(5)
            if sandbox.amqp is not None:
                # Confirmed by RabbitMQ is not yet consumed: wait until the sandbox has them all.
                published = pipeline.context.metrics.value("payloads_delivered_total", route="event")
                deadline = time.monotonic() + 60
                while sandbox.amqp.consumed < published and time.monotonic() < deadline:
                    time.sleep(0.05)
                sandbox.amqp.stop()
                sandbox.amqp.delete_queue()
            connection = pipeline.store.connect()
            dead = deadletters.count(connection, deadletters.Filters())
            connection.close()
            alarms = sandbox.alarms(opened=True)
            summary = sandbox.summary()
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)
    expected, matching, stale = compare(truth, alarms, config)
    return DemoResult(
        events=len(events),
        acknowledged=report.acknowledged,
        delivered=delivered,
        dead_letters=dead,
        alarms=alarms,
        truth=truth,
        metrics=pipeline.context.metrics,
        sandbox_summary=summary,
        expected_problems=expected,
        matching_problems=matching,
        stale_alarms=stale,
        elapsed=time.monotonic() - started,
    )


def _wait_for_broker(peer: BrokerPeer, total: int, progress: bool) -> None:
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="ev", desc="Broker -> connector", file=sys.stderr)
    deadline = time.monotonic() + 60
    done = 0
    while peer.acknowledged < total and time.monotonic() < deadline:
        time.sleep(0.05)
        if bar is not None:
            bar.update(peer.acknowledged - done)
            done = peer.acknowledged
    if bar is not None:
        bar.update(peer.acknowledged - done)
        bar.close()


def compare(truth: GroundTruth, alarms: list[dict[str, Any]], config) -> tuple[int, int, list[str]]:
    """Objects in a hard problem state per the stream, how many Canopsis shows with that state,
    and the Canopsis problems of objects that are OK in Centreon (stale alarms)."""
    by_entity = {alarm["entity"]["_id"]: alarm["v"]["state"]["val"] for alarm in alarms}
    expected = matching = 0
    watched_services = "service_status" in split_list(config.accepted_elements)
    watched_hosts = "host_status" in split_list(config.accepted_elements)
    for host in truth.hosts.values():
        if watched_hosts and host.last_hard_state:
            expected += 1
            matching += by_entity.get(host.name) == HOST_STATES.get(host.last_hard_state)
    for service in truth.services.values():
        if watched_services and service.last_hard_state:
            expected += 1
            entity = f"{service.name}/{service.host_name}"
            matching += by_entity.get(entity) == SERVICE_STATES.get(service.last_hard_state)
    problems = {host.name for host in truth.hosts.values() if host.last_hard_state}
    problems |= {f"{s.name}/{s.host_name}" for s in truth.services.values() if s.last_hard_state}
    names = {ba.name for ba in truth.bas.values()}
    stale = sorted(
        entity
        for entity, state in by_entity.items()
        if state > 0 and entity not in problems and entity not in names
    )
    return expected, matching, stale


def render(result: DemoResult, out: TextIO | None = None, rows: int = 15) -> None:
    """What Canopsis holds now, as a person wants to see it."""
    out = out or sys.stdout
    metrics = result.metrics
    dropped = {
        dict(labels)["reason"]: int(count) for labels, count in metrics.series("events_dropped_total").items()
    }
    delivered = int(sum(metrics.series("payloads_delivered_total").values()))
    requests = sum(result.sandbox_summary.get("status_counts", {}).values())
    print(
        f"Simulated Broker: {result.events} events sent over BBDO, {result.acknowledged} acknowledged "
        f"by the connector",
        file=out,
    )
    useful = {reason: count for reason, count in dropped.items() if reason != "not_accepted"}
    amqp_messages = result.sandbox_summary.get("counters", {}).get("amqp_messages", 0)
    if amqp_messages:
        print(f"RabbitMQ: {amqp_messages} events published with confirms, consumed by engine-fifo", file=out)
    print(
        f"Connector: {delivered} payloads delivered to Canopsis in {requests} requests; "
        f"{result.dead_letters} dead letters; filtered out: "
        + (
            ", ".join(f"{count} {reason}" for reason, count in sorted(useful.items(), key=lambda kv: -kv[1]))
            or "none"
        )
        + f" (plus {dropped.get('not_accepted', 0)} configuration and other events not sent)",
        file=out,
    )
    alarms = sorted(result.alarms, key=lambda a: (-a["v"]["state"]["val"], a["entity"]["_id"]))
    active = [a for a in alarms if a["v"]["state"]["val"] > 0]
    acked = sum(1 for a in active if a["v"].get("ack"))
    maintenance = sum(1 for a in alarms if a["v"].get("pbehavior_info"))
    print(
        f"\nCanopsis alarms in progress: {len(active)} with a problem ({acked} acknowledged, {maintenance} "
        f"under a pbehavior), {len(alarms) - len(active)} recovered (Canopsis resolves them a minute later)",
        file=out,
    )
    table = [("component", "resource", "state", "status", "ack", "pbehavior", "output")]
    for alarm in active[:rows]:
        value = alarm["v"]
        info = value.get("pbehavior_info") or {}
        table.append(
            (
                value.get("component", ""),
                value.get("resource", "") or "-",
                STATE_NAMES.get(value["state"]["val"], str(value["state"]["val"])),
                STATUS_NAMES.get(value["status"]["val"], str(value["status"]["val"])),
                (value.get("ack") or {}).get("a", "") or "-",
                info.get("type_name", "") or "-",
                (value.get("output") or "")[:40],
            )
        )
    widths = [max(len(str(row[i])) for row in table) for i in range(len(table[0]))]
    for row in table:
        print(
            "  " + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)),
            file=out,
        )
    if len(active) > rows:
        print(f"  ... and {len(active) - rows} more", file=out)
    print(
        f"\nCentreon has {result.expected_problems} hosts and services in a hard problem state; "
        f"{result.matching_problems} of them show in Canopsis with the same state.",
        file=out,
    )
    if result.matching_problems < result.expected_problems:
        print(
            "  The others changed state while acknowledged, in downtime or flapping, which the default "
            "filters (acknowledged = 0, in_downtime = 0, flapping = 0) do not send.",
            file=out,
        )
    if result.stale_alarms:
        print(
            f"  STALE: {len(result.stale_alarms)} alarms show a problem Centreon no longer has: "
            + ", ".join(result.stale_alarms[:5]),
            file=out,
        )
    else:
        print("  No alarm in Canopsis shows a problem that Centreon no longer has.", file=out)
    verdict = (
        "OK: every event acknowledged to Broker, every payload delivered, no stale alarm"
        if result.ok
        else "PROBLEM"
    )
    print(f"\n{verdict} ({result.elapsed:.1f}s)", file=out)
