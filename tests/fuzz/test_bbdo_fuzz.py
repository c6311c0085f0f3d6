"""Hostile BBDO peers against a running daemon while a real Broker streams, bounded in time.

Random bytes, welcomes followed by garbage, valid streams mutated or cut anywhere, oversized
events, split events abandoned or finished, peers that say nothing: for ``FUZZ_SECONDS`` (15 in
CI; ``FUZZ_SECONDS=600`` for the 10-minute run of issue 10), four threads open such connections.
Afterwards the daemon still runs, every event of the good Broker reached Canopsis, the peak RSS
stayed under 400 MB, nothing raised, and the log stayed small (per-peer lines are rate-limited).
"""

from __future__ import annotations

import os
import random
import threading
from pathlib import Path

import pytest

from centreon_canopsis.core.bbdo import Welcome, encode_event, frame_event
from centreon_canopsis.core.bbdo.budget import MiB
from centreon_canopsis.standins.broker.hostile import (
    SERVICE_STATUS,
    open_unfinished_events,
    send_bytes,
    silent_peer,
    split_packets,
)
from centreon_canopsis.standins.broker.peer import BrokerPeer
from tests.core.test_bbdo_observability import metric
from tests.delivery.helpers import configuration, statuses, wait_until

from .bbdo_support import FUZZ_SECONDS, RSS_BOUND, bbdo_scene, until

COUNT = 3000
WELCOMES = [Welcome.for_version(v).encode() for v in ("2.0.0", "3.0.0", "3.0.1")]
# A valid stream to mutate: events of another host, with no sequence number in their output.
STREAM = b"".join(
    encode_event({"category": 1, "element": 29, "host_id": 9, "service_id": i, "output": "x" * (i % 300)})
    for i in range(60)
)


def hostile(rng: random.Random, address: tuple[str, int], big: list[int]) -> str:
    """Opens one hostile connection; returns its kind."""
    kind = rng.choice(
        [
            "random",
            "after-welcome",
            "mutated",
            "truncated",
            "abandoned",
            "finished-split",
            "silent",
            "oversized",
        ]
    )
    welcome = rng.choice(WELCOMES)
    if kind == "oversized" and big[0] >= 3:  # 17 MiB each: a few are enough
        kind = "random"
    if kind == "random":
        send_bytes(address, rng.randbytes(rng.randint(0, 4000)), linger=rng.random() * 0.2)
    elif kind == "after-welcome":
        send_bytes(address, welcome + rng.randbytes(rng.randint(0, 20000)), linger=rng.random() * 0.2)
    elif kind == "mutated":
        data = bytearray(STREAM)
        for _ in range(rng.randint(1, 40)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        send_bytes(address, welcome + bytes(data))
    elif kind == "truncated":
        send_bytes(address, welcome + STREAM[: rng.randrange(len(STREAM))])
    elif kind == "abandoned":
        open_unfinished_events(address, events=rng.randint(1, 4), size=rng.randint(1, 40) * MiB)
    elif kind == "finished-split":
        payload = rng.randbytes(rng.randint(70_000, 300_000))  # garbage that spans packets
        send_bytes(address, welcome + frame_event(SERVICE_STATUS, payload, mapped=False) + STREAM[:500])
    elif kind == "silent":
        silent_peer(address, hold=rng.random() * 3, welcome=rng.random() < 0.5)
    elif kind == "oversized":  # larger than max_event_size: discarded, counted
        big[0] += 1
        send_bytes(
            address, welcome + split_packets(17 * MiB // 0xFFFF + 2) + frame_event(SERVICE_STATUS, b"end")
        )
    return kind


@pytest.mark.timeout(FUZZ_SECONDS + 300)
def test_hostile_peers_never_stop_a_broker_stream(tmp_path: Path) -> None:
    seed = int(os.environ.get("FUZZ_SEED", random.randrange(1 << 30)))
    with bbdo_scene(tmp_path, handshake_timeout=1.0) as scene:
        broker = BrokerPeer(
            [*configuration(), *statuses(COUNT)], port=scene.port, send_chunk=2048, reconnect_timeout=120
        ).start()
        kinds: dict[str, int] = {}
        big = [0]
        lock = threading.Lock()

        def worker(index: int) -> None:
            rng = random.Random(seed + index)
            for _ in until(FUZZ_SECONDS):
                kind = hostile(rng, scene.address, big)
                with lock:
                    kinds[kind] = kinds.get(kind, 0) + 1

        workers = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(FUZZ_SECONDS + 120)
        assert scene.running(), f"seed {seed}"
        report = broker.join(120)
        assert report.complete, f"seed {seed}: {report}"
        wait_until(lambda: scene.delivered() >= set(range(COUNT)), 60, f"every good event (seed {seed})")
        peak = scene.memory()["VmHWM"]
        assert peak < RSS_BOUND, f"seed {seed}: peak RSS {peak / MiB:.0f} MiB"
        connections = sum(kinds.values())
        assert connections >= 20, kinds
        # (a connection may be refused by a full listen backlog: most are accepted)
        assert metric(scene.daemon, "bbdo_connections_accepted_total") >= connections * 0.9
        assert metric(scene.daemon, "bbdo_buffered_bytes") == 0
        log = scene.daemon.log()
        assert "Traceback" not in log and " ERROR " not in log, f"seed {seed}"
        per_peer = sum("127.0.0.1:" in line for line in log.splitlines())
        # each kind of per-peer line (about 20 kinds): 5 a minute, whatever the number of connections
        assert per_peer <= 100 * (1 + FUZZ_SECONDS // 60), f"{per_peer} per-peer lines for {kinds}"
        assert per_peer < connections
        print(
            f"seed {seed}: {FUZZ_SECONDS:g} s, {connections} hostile connections {kinds}; "
            f"peak RSS {peak / MiB:.0f} MiB; {COUNT} good events delivered; {per_peer} per-peer log lines"
        )
