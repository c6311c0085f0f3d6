"""Delivery over AMQP (RabbitMQ, publisher confirms) beside HTTP, BBDO over TCP in, one run.

Usage: ``python benchmarks/amqp_pipeline.py --amqp-url amqp://user:password@127.0.0.1/canopsis
[--events 50000] [--transport both|http|amqp] [--default-filters]``
(the URL defaults to ``$CANOPSIS_TEST_AMQP_URL``, which ``bash .ci/rabbitmq`` prints).

For each transport, in a fresh process of its own (so that CPU and peak RSS are the connector's):

1. a seeded simulated Broker stream (``centreon-canopsis simulate``) is played by the Broker
   peer, in another process, over BBDO 3 on TCP into the connector's listener (``[source]
   type = "bbdo"``): the real wire path, Broker acknowledgements included;
2. the connector runs its whole pipeline (cache, filters, mappings, SQLite outbox with
   ``synchronous = full``) and delivers either with ``POST /api/v4/event`` (HTTP) or by
   publishing to RabbitMQ with confirms (AMQP: ``[amqp] url``);
3. the Canopsis sandbox runs in a third process; over AMQP it consumes its queue bound to the
   exchange, as engine-fifo would.

Printed per transport: the input rate (events acknowledged to Broker), the delivery rate
(payloads HTTP-accepted or broker-confirmed until the outbox is empty), the rate at which the
sandbox had them all (end to end), the connector process's CPU per event and per payload, and its
peak RSS. Filters are off by default so that every check becomes a payload (delivery is what is
compared); ``--default-filters`` keeps them. No pass/fail: this is a measurement.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))

from harness import ALL_ELEMENTS, FILTERS_OFF, Sandbox, connector_raw, generate  # noqa: E402


def peer(port: int, stream: Path) -> int:
    """The Broker side, in its own process: plays the stream over BBDO and waits for the acks."""
    from centreon_canopsis.standins.broker.peer import BrokerPeer

    with open(stream, "rb") as handle:
        events = [orjson.loads(line) for line in handle]
    broker = BrokerPeer(events, mode="client", port=port, bbdo_version="3.0.0", broker_version="24.10")
    broker.start()
    report = broker.join(600)
    print(orjson.dumps({"acknowledged": report.acknowledged}).decode(), flush=True)
    return 0


def one(transport: str, stream: Path, lines: int, url: str, every_event: bool) -> dict[str, Any]:
    """One transport, in this process: the connector; the sandbox and the peer in children."""
    import pika

    from centreon_canopsis.core import config as config_module
    from centreon_canopsis.core.logsetup import setup_logging
    from centreon_canopsis.core.pipeline import Pipeline
    from centreon_canopsis.core.sources.bbdo import BBDOSource

    work = Path(tempfile.mkdtemp(prefix=f"ccc-bench-{transport}-"))
    exchange = f"bench.{uuid.uuid4().hex[:8]}"
    queue = f"{exchange}.fifo"
    amqp_args: list[str] = []
    if transport in ("amqp", "http+rabbitmq"):
        connection = pika.BlockingConnection(pika.URLParameters(url))
        connection.channel().exchange_declare(exchange, "topic", durable=True)
        connection.close()
        amqp_args = ["--amqp-url", url, "--amqp-exchange", exchange, "--amqp-queue", queue]
        if transport == "http+rabbitmq":  # the API publishes to RabbitMQ, engine-fifo consumes
            amqp_args.append("--amqp-publish")
    sandbox = Sandbox(*amqp_args, stop_timeout=20)
    try:
        raw = connector_raw(
            work / "state",
            sandbox.port,
            **ALL_ELEMENTS,
            source={"type": "bbdo", "mode": "listen", "host": "127.0.0.1", "port": 0},
            metrics={"enabled": False},
        )
        if every_event:
            raw |= FILTERS_OFF
        if transport == "amqp":
            raw["amqp"] = {"url": url, "exchange": exchange}
        config = config_module.from_mapping(raw, env={})
        setup_logging(config.log_level, config.logfile)
        pipeline = Pipeline(config)
        source = BBDOSource.from_config(config.source)
        source.start()
        if transport == "amqp":
            publisher = pipeline.context.plugins.get_plugin("amqp_sender")
            time.sleep(0)  # the publisher starts with the pipeline below
        runner = threading.Thread(target=pipeline.run, args=(source,), name="bench-pipeline", daemon=True)
        cpu_started = _cpu()
        runner.start()
        if transport == "amqp":
            deadline = time.monotonic() + 30
            while publisher.publisher is None or not publisher.publisher.state.connected:
                if time.monotonic() > deadline:
                    raise RuntimeError("the connector did not connect to RabbitMQ")
                time.sleep(0.01)
        started = time.perf_counter()
        broker = subprocess.Popen(
            [sys.executable, str(HERE), "--peer", str(source.address[1]), str(stream)],
            stdout=subprocess.PIPE,
            text=True,
        )
        out, _ = broker.communicate(timeout=900)
        acknowledged = orjson.loads(out.strip().splitlines()[-1])["acknowledged"]
        read = time.perf_counter() - started
        drained = pipeline.drain(900)
        delivered_at = time.perf_counter() - started
        metrics = pipeline.context.metrics
        payloads = metrics.value("payloads_delivered_total", route="event")
        counter = "events_received" if transport == "http" else "amqp_messages"
        deadline = time.monotonic() + 300
        while sandbox.get("state")["counters"].get(counter, 0) < payloads and time.monotonic() < deadline:
            time.sleep(0.02)
        consumed_at = time.perf_counter() - started
        cpu = _cpu() - cpu_started
        pipeline.request_stop()
        runner.join(30)
        pipeline.close(10)
        state = sandbox.get("state")
    finally:
        sandbox.stop()
        if transport != "http":
            connection = pika.BlockingConnection(pika.URLParameters(url))
            channel = connection.channel()
            channel.queue_delete(queue)
            channel.exchange_delete(exchange)
            connection.close()
        shutil.rmtree(work, ignore_errors=True)
    return {
        "transport": transport,
        "events": lines,
        "acknowledged": acknowledged,
        "payloads": payloads,
        "input_s": read,
        "delivered_s": delivered_at,
        "consumed_s": consumed_at,
        "drained": drained,
        "cpu_s": cpu,
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "sandbox": state["counters"],
        "alarms": state.get("alarms_open"),
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--peer":
        return peer(int(argv[1]), Path(argv[2]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--amqp-url", default=os.environ.get("CANOPSIS_TEST_AMQP_URL", ""))
    parser.add_argument(
        "--transport",
        choices=("both", "all", "http", "http+rabbitmq", "amqp"),
        default="both",
        help="both: http and amqp; all: also http+rabbitmq (the sandbox's API publishes each event to "
        "RabbitMQ without confirms, as Canopsis's does, and consumes it back like engine-fifo)",
    )
    parser.add_argument("--events", type=int, default=50_000, help="runtime events to simulate")
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--services-per-host", type=int, default=10)
    parser.add_argument("--default-filters", action="store_true", help="keep hard_only, dedup...")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: one transport, JSON out
    parser.add_argument("--stream", help=argparse.SUPPRESS)
    parser.add_argument("--lines", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        result = one(args.one, Path(args.stream), args.lines, args.amqp_url, not args.default_filters)
        print(orjson.dumps(result).decode())
        return 0
    transports = {"both": ["http", "amqp"], "all": ["http", "http+rabbitmq", "amqp"]}.get(
        args.transport, [args.transport]
    )
    if transports != ["http"] and not args.amqp_url:
        parser.error("--amqp-url (or CANOPSIS_TEST_AMQP_URL) is needed for the AMQP transport")
    work = Path(tempfile.mkdtemp(prefix="ccc-bench-stream-"))
    try:
        stream = work / "events.jsonl"
        lines = generate(stream, args.events, args.hosts, args.services_per_host)
        mode = "default filters" if args.default_filters else "filters off: every check is a payload"
        print(f"stream: {lines:,} Broker events over BBDO 3 on TCP ({args.events:,} runtime), {mode}")
        for transport in transports:
            command = [
                sys.executable,
                str(HERE),
                "--one",
                transport,
                "--stream",
                str(stream),
                "--lines",
                str(lines),
            ]
            command += ["--amqp-url", args.amqp_url] + (["--default-filters"] if args.default_filters else [])
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"{transport}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
                return 1
            report(orjson.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def report(r: dict[str, Any]) -> None:
    names = {
        "http": "HTTP (POST /api/v4/event; the sandbox applies events at once)",
        "http+rabbitmq": "HTTP, the sandbox's API publishing to RabbitMQ as Canopsis's does (no confirms)",
        "amqp": "AMQP (RabbitMQ, publisher confirms)",
    }
    payloads = r["payloads"]
    cpu = r["cpu_s"]
    drained = "" if r["drained"] else ", NOT DRAINED"
    print(f"\n{names[r['transport']]}")
    print(f"  input:      {r['acknowledged'] / r['input_s']:,.0f} events/s acked ({r['input_s']:.2f} s)")
    print(
        f"  delivered:  {payloads / r['delivered_s']:,.0f} payloads/s ({payloads:,.0f} payloads; "
        f"outbox empty after {r['delivered_s']:.2f} s{drained})"
    )
    print(
        f"  end to end: {payloads / r['consumed_s']:,.0f} payloads/s in Canopsis "
        f"(all there after {r['consumed_s']:.2f} s)"
    )
    print(
        f"  CPU:        {cpu:.2f} s in the connector process, {cpu / r['events'] * 1e6:.1f} us/event, "
        f"{cpu / max(payloads, 1) * 1e6:.1f} us/payload"
    )
    print(f"  peak RSS:   {r['rss_mib']:.0f} MiB (connector process)")
    print(f"  sandbox:    {r['alarms']} alarms open; counters {r['sandbox']}")


if __name__ == "__main__":
    sys.exit(main())
