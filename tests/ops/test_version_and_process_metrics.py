"""``--version``, ``version``, ``build_info`` and the ``process_*`` metrics."""

from __future__ import annotations

import os
import platform
import time
from importlib.metadata import version

from centreon_canopsis.core import cache
from centreon_canopsis.core.bbdo import framing, pb
from centreon_canopsis.core.cli.status import parse_metrics
from centreon_canopsis.core.metrics import Metrics
from centreon_canopsis.core.process_metrics import register_process_metrics
from tests.delivery.helpers import cli

# "c" only when every accelerator runs: the BBDO path's two and the pipeline thread's.
ALL_C = pb.accelerated() and framing._USUAL_PACKETS is not None and cache._SPEEDUPS is not None

PREFIX = "centreon_canopsis_"


def test_version_option_and_command_print_the_same_line():
    decoder = "c" if ALL_C else "python"
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
        "accelerator": "c" if ALL_C else "python",
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


def test_thread_cpu_is_counted_by_role_and_only_grows():
    """A busy thread's CPU shows under its role (a peer's address left out of the label), and is
    still counted once the thread ended."""
    import threading

    from centreon_canopsis.core.process_metrics import ThreadCPU, thread_role

    assert thread_role("bbdo-peer-10.0.0.5:41234") == "bbdo-peer"
    assert thread_role("Thread-7 (process_request_thread)") == "other"
    assert thread_role("sender-pbehaviors") == "sender-pbehaviors"

    go, stop = threading.Event(), threading.Event()

    def spin():
        go.set()
        while time.thread_time() < 0.3 and not stop.is_set():
            pass

    cpu = ThreadCPU()
    before = dict(cpu.read()).get((("thread", "bbdo-peer"),), 0.0)
    worker = threading.Thread(target=spin, name="bbdo-peer-127.0.0.1:5669")
    worker.start()
    go.wait(5)
    deadline = time.monotonic() + 10
    while True:  # the kernel's ticks: read until they show the spin
        during = dict(cpu.read()).get((("thread", "bbdo-peer"),), 0.0)
        if during - before >= 0.1 or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    stop.set()
    worker.join()
    after = dict(cpu.read())
    assert during - before >= 0.1, "the spinning thread's CPU is counted under bbdo-peer"
    assert after[(("thread", "bbdo-peer"),)] >= during, "an ended thread keeps its count"
    assert not any("127.0.0.1" in labels[0][1] for labels in after), after
    assert after[(("thread", "MainThread"),)] > 0


def test_thread_cpu_is_in_the_exposition():
    metrics = Metrics()
    register_process_metrics(metrics)
    samples = parse_metrics(metrics.render())
    roles = {labels["thread"] for labels, _ in samples[PREFIX + "thread_cpu_seconds_total"]}
    assert "MainThread" in roles
    assert f"# TYPE {PREFIX}thread_cpu_seconds_total counter" in metrics.render()


def test_a_thread_that_ends_between_two_reads_is_counted_whole_when_it_says_so():
    """A Broker peer's session may start and end between two scrapes: it reports its CPU as it
    ends (thread_finished), so none of it is lost."""
    import threading

    from centreon_canopsis.core.process_metrics import ThreadCPU, thread_finished

    def spin_then_finish():
        try:
            while time.thread_time() < 0.2:
                pass
        finally:
            thread_finished()

    cpu = ThreadCPU()
    before = dict(cpu.read()).get((("thread", "bbdo-peer"),), 0.0)
    worker = threading.Thread(target=spin_then_finish, name="bbdo-peer-192.0.2.1:5669")
    worker.start()
    worker.join()
    counted = dict(cpu.read())[(("thread", "bbdo-peer"),)] - before
    assert 0.2 <= counted < 0.5, counted
    assert dict(cpu.read())[(("thread", "bbdo-peer"),)] - before == counted, "counted once"


def test_a_thread_read_after_reporting_its_end_but_before_exiting_is_counted_once():
    import threading

    from centreon_canopsis.core.process_metrics import ThreadCPU, thread_finished

    reported, leave = threading.Event(), threading.Event()
    used = []

    def spin_report_then_wait():
        while time.thread_time() < 0.2:
            pass
        thread_finished()
        used.append(time.thread_time())
        reported.set()
        leave.wait(10)  # still alive while the next read runs

    cpu = ThreadCPU()
    role = (("thread", "bbdo-peer"),)
    before = dict(cpu.read()).get(role, 0.0)
    worker = threading.Thread(target=spin_report_then_wait, name="bbdo-peer-192.0.2.7:5669")
    worker.start()
    reported.wait(10)
    while_alive = dict(cpu.read())[role] - before
    leave.set()
    worker.join()
    after_exit = dict(cpu.read())[role] - before
    assert abs(while_alive - used[0]) < 0.05, (while_alive, used)  # not its /proc count on top
    assert after_exit == while_alive, "not counted twice once it exits"
