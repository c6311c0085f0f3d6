"""Delivery in a child process, ``[delivery] process = "child"``: one daemon on two cores.

Python runs one thread at a time per process, so with senders in the daemon's process, reading
Broker (decode, filters, transforms, commits) and delivering (take, HTTP, settle) share one core.
With this setting the daemon's process reads and commits, and a child process started by it runs
the senders on the same outbox (the state database in WAL mode: one writer at a time, readers
never blocked). docs/delivery.md ("Two cores") describes the layout; what it keeps:

* **Order per lane and at-least-once**: only the child sends (one child at a time: it holds
  ``delivery.lock`` in the state directory), with the same take/settle code as the threads; a
  payload leaves the outbox only once settled. A child that dies is started again; what it had
  taken and not settled is sent again, like after a crash.
* **No lost payload**: after each commit the daemon tells the child how many payloads each lane
  gained (a socket pair); the child's senders take from the outbox itself, by id, as threads do.
* **Backpressure, metrics and readiness in the daemon**: the child reports what it removed from
  each lane (the daemon's outbox depth), its lane states and its counters (added to the daemon's
  ``/metrics``) every 0.5 s and after each settle.

The child exits when the daemon's end of the pipe closes (the daemon died), so no sender outlives
its daemon; it ignores SIGINT and SIGTERM (a terminal's Ctrl-C or systemd's stop reach the whole
process group): the daemon stops it in order after its last commit.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from centreon_canopsis.core.child_process import start_child
from centreon_canopsis.core.context import Context
from centreon_canopsis.core.delivery import Delivery, LaneState
from centreon_canopsis.core.model import OutboxItem, Outcome, Result, Route
from centreon_canopsis.core.outbox import Outbox, Settled
from centreon_canopsis.core.secrets import Secret
from centreon_canopsis.core.store import Store, generation

log = logging.getLogger(__name__)

LOCK_NAME = "delivery.lock"
POLL = 0.2  # seconds between the child's own looks for new rows (a missed wake-up costs this much)
REPORT_PERIOD = 0.5  # seconds between two reports of lane states and counters
RESTART_DELAY = 1.0
RECOUNT_PERIOD = 5.0  # seconds between the child's full recounts of the outbox ...
RECOUNT_LIMIT = 100_000  # ... done only while it holds fewer payloads (a count is a scan)
#: Counters the senders keep; the daemon adds the child's increments to its own.
CHILD_COUNTERS = (
    "payloads_sent_total",
    "payloads_delivered_total",
    "payloads_retried_total",
    "payloads_dead_lettered_total",
    "send_failures_total",
    "sender_errors_total",
    "dead_letters_total",
    "dead_letters_discarded_total",
)


def make_delivery(context: Context, outbox: Outbox) -> Delivery:
    """The delivery the configuration asks for: sender threads, or a child process."""
    if context.config.delivery.get("process", "thread") == "child":
        return ChildDelivery(context, outbox)
    return Delivery(context, outbox)


# -- the daemon's side ---------------------------------------------------------------------------


class ChildDelivery(Delivery):
    """Looks like :class:`Delivery` to the pipeline, health and ``status``; the senders run in a child."""

    def __init__(self, context: Context, outbox: Outbox) -> None:
        super().__init__(context, outbox)
        self._process: Any = None
        self._conn: Any = None
        self._send_lock = threading.Lock()
        self._alive = False
        self._counters: dict[tuple[str, Any], float] = {}  # the child's last reported values
        self._supervisor: threading.Thread | None = None
        self._exit_code: int | None = None
        self._told: dict[str, int] = {}  # each lane's depth as last told to the child
        self._removed: dict[str, int] = {}  # removed by the child since then

    def start(self) -> None:
        if self._supervisor is None:
            self._spawn()
            self._supervisor = threading.Thread(target=self._supervise, name="delivery-child", daemon=True)
            self._supervisor.start()
        super().start()  # the outbox watcher (depth recount, oldest items, dead letters) stays here

    def _spawn(self) -> None:
        self._recount()  # before it starts: a child that died may not have reported its last settle
        self._process, self._conn = start_child("centreon_canopsis.core.delivery_child")
        config = self.context.config
        # The validated values go to the child through this private socket, never argv or a file;
        # Secret refuses pickling (so that it never lands on disk by accident): unwrapped here,
        # wrapped again in the child.
        self._conn.send((_unwrap(config._values), config.path))
        self._alive = True
        self._counters.clear()
        log.info("delivery process started (pid %d)", self._process.pid)

    def _recount(self) -> None:
        """Counts the outbox again (a scan: at each start of a child only); the new child counts
        the rows itself when it starts, so nothing is told to it for them."""
        outbox = self.outbox
        with outbox._write_lock:  # no commit between the count and the new depths
            connection = outbox.store.connect()
            try:
                counts = outbox._count(connection)
            finally:
                connection.close()
            with outbox._changed:
                outbox._depth = counts
                outbox._version += 1
                outbox._changed.notify_all()
                self._told = dict(counts)
                self._removed.clear()

    def _supervise(self) -> None:
        """Applies the child's reports; starts it again if it dies while the daemon runs."""
        while True:
            conn, process = self._conn, self._process
            try:
                while True:
                    self._apply(conn.recv())
            except (EOFError, OSError):
                pass
            _wait(process, 5.0)
            self._alive = False
            self._exit_code = process.returncode
            with contextlib.suppress(OSError):
                conn.close()
            if self.stopping.is_set():
                return
            log.error(
                "the delivery process exited (code %s); starting it again in %.0fs, what it had taken "
                "is sent again",
                process.returncode,
                RESTART_DELAY,
            )
            self.context.metrics.inc("sender_errors_total", lane="*")
            if self.stopping.wait(RESTART_DELAY):
                return
            self._spawn()
            self.ensure_senders()

    def _apply(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "removed":
            _, lane, count = message
            _forget(self.outbox, lane, count, self._removed)
        elif kind == "report":
            _, lanes, counters = message
            for lane, values in lanes.items():
                state = self.lane_states.setdefault(lane, LaneState())
                state.last_delivery_at, state.failing_since, state.last_error, state.retry_at = values
            metrics = self.context.metrics
            for name, series in counters.items():
                for labels, value in series:
                    key = (name, labels)
                    before = self._counters.get(key, 0.0)
                    if value > before:
                        metrics.inc(name, value - before, **dict(labels))
                    self._counters[key] = value

    def _tell(self, *message: Any) -> None:
        conn = self._conn
        if conn is None or not self._alive:
            return
        with self._send_lock, contextlib.suppress(OSError, ValueError):
            conn.send(message)

    def ensure_senders(self) -> None:
        """Called after each commit: tells the child how many payloads each lane gained.

        Row ids cannot say it (SQLite reuses the ids of deleted rows); the daemon's own depth can:
        what it gained since the last call, plus what the child removed meanwhile.
        """
        outbox = self.outbox
        with outbox._changed:
            added = {}
            for lane, depth in outbox._depth.items():
                gained = depth - self._told.get(lane, 0) + self._removed.pop(lane, 0)
                self._told[lane] = depth
                if gained > 0:
                    added[lane] = gained
        if added:
            self._tell("add", added)

    def reconfigure(self, context: Context) -> int:
        """A reload: the child swaps in the new configuration the way the threads do (its sends in
        flight finish with the old plugins), and reopens the log file; a child started later
        starts with it. A change of ``[delivery] process`` itself needs a restart."""
        previous = super().reconfigure(context)
        config = context.config
        self._tell("reload", _unwrap(config._values), config.path)
        return previous

    def senders_alive(self) -> dict[str, bool]:
        return dict.fromkeys(self.outbox.lanes(), self._alive)

    def drain(self, timeout: float | None = None) -> bool:
        self._tell("drain")
        return super().drain(timeout)

    def stop(self, timeout: float) -> bool:
        """Asks the child to stop its senders within ``timeout``; True if it did."""
        self.stopping.set()
        self.outbox.wake()
        self._tell("stop", timeout)
        process = self._process
        clean = True
        if process is not None:
            if _wait(process, timeout + 5.0) is None:
                log.warning("the delivery process did not stop in time; ending it (its taken payloads stay)")
                process.kill()
                _wait(process, 5.0)
            clean = process.returncode == 0
        if self._supervisor is not None:
            self._supervisor.join(5.0)
        if self._watcher is not None:
            self._watcher.join(max(0.0, timeout))
        return clean


def _wait(process: subprocess.Popen[bytes], timeout: float) -> int | None:
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        return None


def _forget(outbox: Outbox, lane: str, count: int, removed: dict[str, int]) -> None:
    """The child removed ``count`` payloads of ``lane``: the daemon's depth follows."""
    with outbox._changed:
        removed[lane] = removed.get(lane, 0) + count
        # Not clamped at 0: a report may arrive between a commit and its depth update.
        outbox._depth[lane] = outbox._depth.get(lane, 0) - count
        outbox._version += 1
        outbox._changed.notify_all()


# -- the child's side ----------------------------------------------------------------------------


class ChildOutbox(Outbox):
    """The outbox as the delivery process sees it: the daemon tells what its commits added.

    The depths start from a count and follow the daemon's reports. A row taken before its report
    arrives makes a depth briefly too high, never too low for long: a sender then finds nothing
    to take and waits; a full recount every ``RECOUNT_PERIOD`` (while the outbox is small enough
    for it to be cheap) puts the depths right again.
    """

    def __init__(self, store: Store, report: Any) -> None:
        super().__init__(store, None)
        self._report = report
        self.recount(self._writer)

    def recount(self, connection: sqlite3.Connection) -> None:
        with self._write_lock:
            self._generation = generation(connection)
            counts = self._count(connection)
            connection.commit()
            with self._changed:
                self._depth = counts
                self._version += 1
                self._changed.notify_all()

    def added(self, counts: dict[str, int]) -> None:
        with self._write_lock, self._changed:
            for lane, count in counts.items():
                self._depth[lane] = self._depth.get(lane, 0) + count
            self._version += 1
            self._changed.notify_all()

    def refresh(self, connection: sqlite3.Connection) -> bool:
        current = generation(connection)
        connection.commit()
        if current == self._generation:
            return False
        self.recount(connection)
        return True

    def settle(
        self,
        connection: sqlite3.Connection,
        lane: str,
        items: Sequence[OutboxItem],
        results: Sequence[Result],
        retry_at: float,
        route: Route | None = None,
    ) -> Settled:
        counts = super().settle(connection, lane, items, results, retry_at, route)
        removed = counts[Outcome.DELIVERED] + counts[Outcome.FAILED]
        if removed:
            self._report("removed", lane, removed)
        return counts


def main(argv: list[str]) -> None:
    """``python -m centreon_canopsis.core.delivery_child FD``: FD is the daemon's socket."""
    conn = Connection(int(argv[0]))
    values, path = conn.recv()
    child_main(values, path, conn)


def child_main(values: dict[str, Any], path: str | None, conn: Any) -> None:
    """The delivery process: senders on the daemon's outbox until told to stop or orphaned."""
    from centreon_canopsis.core import interpreter
    from centreon_canopsis.core.config import Config
    from centreon_canopsis.core.logsetup import setup_logging
    from centreon_canopsis.core.pipeline import build_context

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    interpreter.tune()
    config = Config(_wrap(values), path)
    # As the daemon logs (core/cli/common.py): both processes write the same file.
    setup_logging(config.log_level, config.logfile, config.log_format)
    lock = _lock(config.state_dir)  # a child still finishing hands over before this one sends
    send_lock = threading.Lock()

    def report(*message: Any) -> None:
        with send_lock, contextlib.suppress(OSError, ValueError):
            conn.send(message)

    context = build_context(config)
    store = Store(config.state_dir, config.delivery["sqlite_synchronous"], lock=False)
    outbox = ChildOutbox(store, report)
    delivery = Delivery(context, outbox)
    context.plugins.hook.connector_startup(context=context)
    delivery.start()
    reporter = threading.Thread(target=_reports, args=(delivery, report), name="delivery-report", daemon=True)
    reporter.start()
    connection = store.connect()
    timeout = float(config.delivery["shutdown_timeout"])
    last_recount = time.monotonic()
    try:
        while True:
            try:
                message = conn.recv() if conn.poll(POLL) else ("look",)
            except (EOFError, OSError):
                log.warning("the daemon is gone: the delivery process stops")
                break
            kind = message[0]
            if kind == "stop":
                timeout = float(message[1])
                break
            if kind == "add":
                outbox.added(message[1])
            elif kind == "reload":
                context = _reload(delivery, context, Config(_wrap(message[1]), message[2]))
            elif kind == "drain":
                delivery.draining.set()
                outbox.wake()
            elif time.monotonic() - last_recount > RECOUNT_PERIOD and outbox.depth() < RECOUNT_LIMIT:
                outbox.recount(connection)
                last_recount = time.monotonic()
            delivery.ensure_senders()
    finally:
        clean = delivery.stop(timeout)
        context.plugins.hook.connector_shutdown(context=context)
        _report_once(delivery, report)
        connection.close()
        outbox.close()
        lock.close()
    sys.exit(0 if clean else 3)


def _reload(delivery: Delivery, running: Context, config: Any) -> Context:
    """The daemon validated ``config`` and swapped it in: the same here, for the senders."""
    from centreon_canopsis.core.config import ConfigError
    from centreon_canopsis.core.logsetup import notice, setup_logging
    from centreon_canopsis.core.reload import retire, start_context
    from centreon_canopsis.core.secrets import REDACTOR

    setup_logging(config.log_level, config.logfile, config.log_format)  # logrotate moved the file
    try:
        context = start_context(config, running)
    except ConfigError as problem:  # the daemon accepted it: only a plugin's own state could differ
        log.error(
            "the delivery process keeps its previous configuration: %s", REDACTOR.redact(problem.render())
        )
        return running
    previous = delivery.reconfigure(context)
    notice(log, "delivery process (pid %d): configuration reloaded", os.getpid())
    threading.Thread(
        target=retire, args=(delivery, running, previous), name="delivery-reload", daemon=True
    ).start()
    return context


class _SecretValue(tuple):
    """A secret on its way to the child (a private pipe): rebuilt as a Secret there."""

    __slots__ = ()


def _unwrap(value: Any) -> Any:
    if isinstance(value, Secret):
        return _SecretValue((value.reveal(),))
    if isinstance(value, dict):
        return {key: _unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unwrap(item) for item in value]
    return value


def _wrap(value: Any) -> Any:
    if isinstance(value, _SecretValue):
        return Secret(value[0])
    if isinstance(value, dict):
        return {key: _wrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_wrap(item) for item in value]
    return value


def _lock(state_dir: Any) -> Any:
    handle = open(f"{state_dir}/{LOCK_NAME}", "a+")  # noqa: SIM115 - held for the life of the child
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    return handle


def _reports(delivery: Delivery, report: Any) -> None:
    while not delivery.stopping.wait(REPORT_PERIOD):
        _report_once(delivery, report)


def _report_once(delivery: Delivery, report: Any) -> None:
    lanes = {
        lane: (state.last_delivery_at, state.failing_since, state.last_error, state.retry_at)
        for lane, state in list(delivery.lane_states.items())
    }
    metrics = delivery.context.metrics
    counters = {name: list(metrics.series(name).items()) for name in CHILD_COUNTERS}
    report("report", lanes, counters)


__all__ = ["ChildDelivery", "ChildOutbox", "make_delivery"]

if __name__ == "__main__":
    # Through the module's own name, so that its classes are the ones the pickles refer to.
    from centreon_canopsis.core.delivery_child import main as _main

    _main(sys.argv[1:])
