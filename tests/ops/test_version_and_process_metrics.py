"""``--version``, ``version``, ``build_info`` and the ``process_*`` metrics."""

from __future__ import annotations

import os
import platform
import time
from importlib.metadata import version

from centreon_canopsis.core.bbdo import framing, pb
from centreon_canopsis.core.cli.status import parse_metrics
from centreon_canopsis.core.metrics import Metrics
from centreon_canopsis.core.process_metrics import register_process_metrics
from tests.delivery.helpers import cli

PREFIX = "centreon_canopsis_"


def test_version_option_and_command_print_the_same_line():
    decoder = "c" if pb.accelerated() and framing._USUAL_PACKETS is not None else "python"
    expected = (
        f"centreon-canopsis {version('centreon-canopsis-connector')} (Python {platform.python_version()}, "
        f"pluggy {version('pluggy')}, protobuf {version('protobuf')}, accelerator {decoder})"
    )
    for args in (["--version"], ["version"]):
        done = cli(*args)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == expected


def test_build_info_and_process_metrics_describe_this_process():
    metrics = Metrics()
    register_process_metrics(metrics)
    samples = parse_metrics(metrics.render())
    [(labels, value)] = samples[PREFIX + "build_info"]
    assert value == 1
    assert labels == {
        "version": version("centreon-canopsis-connector"),
        "python": platform.python_version(),
        "pluggy": version("pluggy"),
        "protobuf": version("protobuf"),
        "accelerator": "c" if pb.accelerated() and framing._USUAL_PACKETS is not None else "python",
    }
    cpu = samples[PREFIX + "process_cpu_seconds_total"][0][1]
    times = os.times()
    assert 0 < cpu <= times.user + times.system + 0.01
    rss = samples[PREFIX + "process_resident_memory_bytes"][0][1]
    assert 10 * 2**20 < rss < 4 * 2**30
    fds = samples[PREFIX + "process_open_fds"][0][1]
    assert fds == len(os.listdir("/proc/self/fd")) or abs(fds - len(os.listdir("/proc/self/fd"))) <= 1
    started = samples[PREFIX + "process_start_time_seconds"][0][1]
    assert time.time() - 24 * 3600 < started <= time.time()
    # Described in the catalogue, with their kinds, like every other metric.
    text = metrics.render()
    assert f"# TYPE {PREFIX}process_cpu_seconds_total counter" in text
    assert f"# TYPE {PREFIX}process_resident_memory_bytes gauge" in text
