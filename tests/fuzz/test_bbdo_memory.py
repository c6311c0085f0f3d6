"""Issue 10 item 2, measured on a running daemon: peers opening split events that never end.

Before the budgets, 4 connections each opening 4 unfinished 60 MiB events took the daemon from
45 to 1,010 MiB, and three rounds to 1,984 MiB, kept after the peers left
(``python benchmarks/bbdo_memory.py``). With the default budgets the peak must stay under 400 MB
whatever the peers do, the peers over budget are dropped, and a Broker streaming meanwhile loses
nothing.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from centreon_canopsis.core.bbdo.budget import MiB
from centreon_canopsis.standins.broker.hostile import open_unfinished_events
from centreon_canopsis.standins.broker.peer import BrokerPeer
from tests.core.test_bbdo_observability import metric
from tests.delivery.helpers import configuration, statuses, wait_until

from .bbdo_support import RSS_BOUND, bbdo_scene

COUNT = 2000


def attack(address: tuple[str, int], connections: int, events: int, size: int) -> None:
    threads = [
        threading.Thread(
            target=open_unfinished_events,
            args=(address,),
            kwargs={"events": events, "size": size, "hold": 0.5},
        )
        for _ in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)


@pytest.mark.timeout(600)  # a loaded machine: 960 MiB sent per round
def test_unfinished_split_events_cannot_exhaust_memory(tmp_path: Path) -> None:
    with bbdo_scene(tmp_path) as scene:
        broker = BrokerPeer(
            [*configuration(), *statuses(COUNT)], port=scene.port, send_chunk=4096, reconnect_timeout=60
        ).start()
        for _ in range(3):  # the reproduction: 3 rounds of 4 x 4 x 60 MiB
            attack(scene.address, connections=4, events=4, size=60 * MiB)
            assert scene.running()
        attack(scene.address, connections=60, events=4, size=16 * MiB)  # many peers, each under its own limit
        assert scene.running()
        peak = scene.memory()["VmHWM"]
        assert peak < RSS_BOUND, f"peak RSS {peak / MiB:.0f} MiB"
        report = broker.join(120)
        assert report.complete
        wait_until(lambda: scene.delivered() >= set(range(COUNT)), 60, "every event of the good Broker")
        drops = metric(scene.daemon, "bbdo_connections_closed_total", reason="over_budget")
        assert drops >= 12  # the 60 MiB events: every one of those peers went over its budget
        assert metric(scene.daemon, "bbdo_buffered_bytes") == 0  # everything given back
        log = scene.daemon.log()
        assert "dropping the peer" in log and "_buffer_limit" in log and "Traceback" not in log
        assert log.count("dropping the peer") <= 12  # rate-limited (5 a minute per kind, 2 kinds)
