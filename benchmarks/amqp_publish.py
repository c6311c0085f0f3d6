"""The AMQP publisher alone: persistent messages with publisher confirms into a durable queue.

Usage: ``python benchmarks/amqp_publish.py [--amqp-url URL] [--messages 20000] [--batch 1000]
[--in-flight 1]`` (the URL defaults to ``$CANOPSIS_TEST_AMQP_URL``).

What RabbitMQ on this machine can confirm, without the outbox, the pipeline or a consumer: the
ceiling of the AMQP transport here. ``--in-flight 2`` keeps two confirm rounds in flight (two
threads publishing batches) instead of one, to see whether the round trips or the broker set the
pace. Prints messages/s, the publisher's CPU per message and its peak RSS. A queue and an exchange
of its own are declared and deleted.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import threading
import time
import uuid
from urllib.parse import unquote, urlsplit

import orjson
import pika

from centreon_canopsis.plugins.builtin.canopsis.amqp_publisher import (
    CONFIRMED,
    Message,
    Publisher,
    connection_parameters,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--amqp-url", default=os.environ.get("CANOPSIS_TEST_AMQP_URL", ""))
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--in-flight", type=int, default=1, choices=(1, 2, 4))
    args = parser.parse_args()
    if not args.amqp_url:
        parser.error("--amqp-url (or CANOPSIS_TEST_AMQP_URL) is needed")
    exchange = f"bench.{uuid.uuid4().hex[:8]}"
    queue = f"{exchange}.q"
    admin = pika.BlockingConnection(pika.URLParameters(args.amqp_url))
    channel = admin.channel()
    channel.exchange_declare(exchange, "topic", durable=True)
    channel.queue_declare(queue, durable=True)
    channel.queue_bind(queue, exchange, "#")
    parts = urlsplit(args.amqp_url)
    bare = args.amqp_url.replace(f":{parts.password}@", "@") if parts.password else args.amqp_url
    parameters = connection_parameters(bare, unquote(parts.password or ""), heartbeat=30, connect_timeout=10)
    publisher = Publisher(parameters, exchange)
    publisher.start()
    try:
        if not publisher.wait_connected(20):
            print(f"cannot connect: {publisher.state.last_error}", file=sys.stderr)
            return 3
        event = {
            "event_type": "check",
            "connector": "centreon",
            "connector_name": "central",
            "component": "host-001",
            "resource": "svc-01",
            "source_type": "resource",
            "state": 2,
            "output": "CRITICAL - packet loss 100%",
        }
        body = orjson.dumps(event)
        key = "centreon.central.check.resource.host-001.svc-01"
        messages = [Message(key, body, str(index)) for index in range(args.messages)]
        failures: list[str] = []

        def worker(first: int) -> None:
            step = args.batch * args.in_flight
            for start in range(first * args.batch, len(messages), step):
                results = publisher.publish(messages[start : start + args.batch], 60)
                failures.extend(reason for outcome, reason in results if outcome != CONFIRMED)

        cpu = time.process_time()
        started = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(index,)) for index in range(args.in_flight)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
    finally:
        publisher.stop()
        channel.queue_delete(queue)
        channel.exchange_delete(exchange)
        admin.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.messages:,} persistent messages, batches of {args.batch}, "
        f"{args.in_flight} round(s) in flight: {args.messages / elapsed:,.0f} confirmed/s ({elapsed:.2f} s); "
        f"publisher CPU {cpu / args.messages * 1e6:.1f} us/message; peak RSS {rss:.0f} MiB"
        + (f"; {len(failures)} NOT confirmed: {failures[0]}" if failures else "")
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
