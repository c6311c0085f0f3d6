"""The BBDO source in a child process, ``[source] process = "child"``: reading Broker on a core of its own.

Python runs one thread at a time per process. With the BBDO source in the daemon's process, its
session threads (socket reads, framing, decoding: about a third of the daemon's CPU per event) and
the pipeline (cache, filters, transforms, commits) take turns on one core. With this setting a
child process runs the sessions and hands the decoded batches to the daemon over a socket pair;
the daemon's process keeps only the pipeline (and, with ``[delivery] process = "child"``, not even
the senders). docs/delivery.md ("Two cores") describes the layouts and their figures.

What it keeps:

* **Acknowledgements after the commit only**: a batch's ``on_commit`` in the daemon sends its
  number back; the child then calls the session's own ``on_commit``, which acknowledges Broker.
  Nothing is acknowledged that the daemon did not commit.
* **Backpressure**: the daemon reads the socket only when the pipeline asks for a batch; when it
  stops, the socket pair fills, the child's queue fills and its sessions stop reading Broker, as
  in one process.
* **A child that dies** is started again: its peers were dropped with it, Broker connects again and
  sends what was not acknowledged. Batches handed over but not committed are simply sent again.
* **Metrics**: the child reports its counters and peers every 0.5 s; the daemon exposes them under
  the same names as the in-process source (core/sources/bbdo_metrics.py).

Batches travel as ``marshal`` (the fastest serializer for plain dicts, about 1.7 µs per event
against 5-6 µs to decode the BBDO payload): both ends are this program, on a private socket pair,
so nothing untrusted is unmarshalled. An event marshal cannot carry goes as a pickle.

The child exits when the daemon's end of the pair closes (the daemon died); it ignores SIGINT and
SIGTERM (a terminal's Ctrl-C or systemd's stop reach the whole process group): the daemon stops it.
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any

from .. import interpreter
from ..bbdo.diag import BBDOCounters
from ..bbdo.session import OffsetLabels
from ..bbdo.settings import BBDOSettings
from ..child_process import start_child
from ..logsafe import log_limited
from ..logsetup import notice, setup_logging
from .base import Batch, Rejected
from .bbdo import BBDOSource
from .bbdo_metrics import register_metrics

log = logging.getLogger(__name__)

_POLL = 0.2  # seconds between two looks at the closing flag while nothing comes
REPORT_PERIOD = 0.5  # seconds between two reports of the child's counters and peers
START_TIMEOUT = 30.0  # seconds for a new child to bind (or connect-loop start) and say so
STOP_TIMEOUT = 15.0  # seconds for the child to close its peers before it is killed
RESTART_DELAY = 1.0
_MARSHAL, _PICKLE = b"M", b"P"


def _dumps(message: tuple[Any, ...]) -> bytes:
    try:
        return _MARSHAL + marshal.dumps(message)
    except ValueError:  # a type marshal does not know (a plugin-made value, say): slower, still safe
        return _PICKLE + pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


def _loads(data: bytes) -> Any:
    # Only ever bytes from our own child or daemon, over a socket pair nobody else holds.
    if data[:1] == _MARSHAL:
        return marshal.loads(data[1:])
    return pickle.loads(data[1:])


class SourceStartError(Exception):
    """The child could not start the source; ``oserror`` tells which exception the daemon raises."""


class _Held:
    """What bbdo_metrics reads as ``source.budget.held``."""

    held = 0


# -- the daemon's side ---------------------------------------------------------------------------


class ChildBBDOSource:
    """A :class:`~centreon_canopsis.core.sources.base.Source` whose BBDO sessions run in a child process."""

    def __init__(
        self, settings: BBDOSettings, *, name: str = "bbdo", log_settings: tuple[Any, ...] = (1, "", "text")
    ) -> None:
        self.name = name
        self.settings = settings
        self.log_settings = log_settings
        self.address: tuple[str, int] | None = None
        self.on_idle: Callable[[], None] | None = None
        self.budget = _Held()
        self.closed_by_reason: dict[str, int] = {}
        self.restarts = 0
        self._counters: dict[str, int] = {**BBDOCounters().as_dict(), "active_peers": 0}
        self._counters_before: dict[str, int] = {}  # totals of the children that died
        self._peers: list[dict[str, Any]] = []
        self._ready: deque[Batch] = deque()  # read by pending(), not yet yielded
        self._closing = threading.Event()
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._started = False

    # -- Source protocol -------------------------------------------------------------------------

    def start(self) -> None:
        """Starts the child and waits until it listens (errors surface here, as in one process)."""
        with self._lock:
            if self._started:
                return
            self._started = True
        self._spawn()

    def batches(self, resume: str | None = None) -> Iterator[Batch]:
        """Batches from the child, in its order, until :meth:`close`; ``resume`` is ignored (Broker
        replays what was not acknowledged)."""
        self.start()
        while not self._closing.is_set():
            if self._ready:
                yield self._ready.popleft()
                continue
            conn = self._conn
            try:
                if conn is None or not conn.poll(_POLL):
                    if self.on_idle is not None:
                        self.on_idle()
                    continue
                message = _loads(conn.recv_bytes())
            except (EOFError, OSError):
                if self._closing.is_set():
                    break
                self._restart()
                continue
            if message[0] == "batch":
                yield self._batch(conn, message)
            else:
                self._apply(message)

    def pending(self) -> bool:
        """A batch is ready (read now, so that reports in between do not count)."""
        if self._ready:
            return True
        conn = self._conn
        try:
            while conn is not None and conn.poll(0):
                message = _loads(conn.recv_bytes())
                if message[0] == "batch":
                    self._ready.append(self._batch(conn, message))
                    return True
                self._apply(message)
        except (EOFError, OSError):  # the child is gone: batches() sees it and starts another
            pass
        return False

    def close(self) -> None:
        """Stops the child (it drops its peers; unacknowledged events stay with Broker)."""
        self._closing.set()
        self._stop_child(STOP_TIMEOUT)

    # -- what the metrics, status and tests read ---------------------------------------------------

    @property
    def counters(self) -> dict[str, int]:
        before = self._counters_before
        return {key: value + before.get(key, 0) for key, value in self._counters.items()} | {
            "active_peers": self._counters.get("active_peers", 0)
        }

    def peers(self) -> list[dict[str, Any]]:
        return list(self._peers)

    def register_metrics(self, metrics: Any) -> None:
        register_metrics(self, metrics)  # type: ignore[arg-type]

    @property
    def closed(self) -> bool:
        return self._closing.is_set()

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None else None

    # -- internals ---------------------------------------------------------------------------------

    def _batch(self, conn: Connection, message: tuple[Any, ...]) -> Batch:
        _, number, events, offsets, rejected, origin = message
        return Batch(
            events=events,
            position=None,
            on_commit=lambda: self._committed(conn, number),
            origin=origin,
            labels=OffsetLabels(offsets),
            rejected=[Rejected(*entry) if len(entry) > 2 else tuple(entry) for entry in rejected],
            typed=True,  # decoded by the child's BBDO decoder, marshal keeps the types
        )

    def _committed(self, conn: Connection, number: int) -> None:
        """The batch is in the outbox: the child may acknowledge it. A child that died since then
        is not told: its Broker sends those events again (at least once)."""
        if conn is not self._conn:
            return
        with self._send_lock, contextlib.suppress(OSError, ValueError):
            conn.send_bytes(_dumps(("commit", number)))

    def reopen_log(self, *log_settings: Any) -> None:
        """A reload: the reader process opens the log file again (logrotate moved it), at the
        level and format of the new configuration; a reader started later starts with them."""
        self.log_settings = log_settings
        conn = self._conn
        if conn is not None:
            with self._send_lock, contextlib.suppress(OSError, ValueError):
                conn.send_bytes(_dumps(("log", *log_settings)))

    def _apply(self, message: tuple[Any, ...]) -> None:
        if message[0] == "report":
            _, counters, held, closed, peers = message
            self._counters = counters
            self.budget.held = held
            self.closed_by_reason = closed
            self._peers = peers

    def _spawn(self) -> None:
        process, conn = start_child("centreon_canopsis.core.sources.bbdo_child")
        conn.send((self.settings, self.log_settings))
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while True:
                if not conn.poll(max(0.0, deadline - time.monotonic())):
                    raise SourceStartError(f"the BBDO reader process did not start in {START_TIMEOUT:.0f} s")
                answer = _loads(conn.recv_bytes())
                if answer[0] == "started":
                    self.address = tuple(answer[1]) if answer[1] else None  # type: ignore[assignment]
                    break
                if answer[0] == "failed":
                    _, kind, errno, text = answer
                    raise OSError(errno, text) if kind == "OSError" else ValueError(text)
                self._apply(answer)
        except (EOFError, OSError, ValueError, SourceStartError) as problem:
            conn.close()
            _reap(process, 5.0)
            if isinstance(problem, EOFError):
                code = process.returncode
                raise OSError(f"the BBDO reader process exited at start (code {code})") from None
            raise
        self._conn, self._process = conn, process
        log.info("BBDO reader process started (pid %d)", process.pid)

    def _restart(self) -> None:
        """The child died (or its socket broke): its peers are gone; start another one."""
        process = self._process
        code = _reap(process, 5.0) if process is not None else None
        self._retire_counters()
        if self.address is not None and self.settings.mode == "listen":  # port 0: keep the one bound
            self.settings = replace(self.settings, port=self.address[1])
        log_limited(
            log,
            logging.ERROR,
            "bbdo-child-exit",
            "the BBDO reader process exited (code %s); starting it again: Broker reconnects and sends "
            "what was not acknowledged",
            code,
        )
        while not self._closing.is_set():
            if self._closing.wait(RESTART_DELAY):
                return
            try:
                self._spawn()
                self.restarts += 1
                return
            except (OSError, ValueError, SourceStartError) as problem:
                log_limited(log, logging.ERROR, "bbdo-child-start", "cannot start the reader: %s", problem)

    def _retire_counters(self) -> None:
        """A dead child's counters stay in the totals (they are counters: never go back)."""
        for key, value in self._counters.items():
            if key != "active_peers":
                self._counters_before[key] = self._counters_before.get(key, 0) + value
        self._counters = {key: 0 for key in self._counters}
        self._peers = []
        self._ready.clear()  # the dead child cannot acknowledge them: Broker sends them again
        self.budget.held = 0
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
        self._conn = None

    def _stop_child(self, timeout: float) -> None:
        conn, process = self._conn, self._process
        if conn is not None:
            with self._send_lock, contextlib.suppress(OSError, ValueError):
                conn.send_bytes(_dumps(("close",)))
                # Closed at once: a child blocked handing over a batch (backpressure) sees it too.
                conn.close()
        if process is not None:
            _reap(process, timeout)


def _reap(process: subprocess.Popen[bytes], timeout: float) -> int | None:
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


# -- the child's side ----------------------------------------------------------------------------


def main(argv: list[str]) -> None:
    """``python -m centreon_canopsis.core.sources.bbdo_child FD``: FD is the daemon's socket."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    interpreter.tune()
    conn = Connection(int(argv[0]))
    try:
        settings, log_settings = conn.recv()
    except (EOFError, OSError):
        sys.exit(1)
    setup_logging(*log_settings)
    sys.exit(child_main(settings, conn))


def child_main(settings: BBDOSettings, conn: Connection) -> int:
    """Runs the sessions and hands their batches to the daemon until told to close or orphaned."""
    send_lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        data = _dumps(message)
        with send_lock:
            conn.send_bytes(data)

    try:
        source = BBDOSource(settings)  # TLS material is loaded here: its errors are start errors
        source.start()
    except (OSError, ValueError) as problem:
        errno = getattr(problem, "errno", None) or 0
        text = getattr(problem, "strerror", None) if isinstance(problem, OSError) else None
        with contextlib.suppress(OSError):
            send(("failed", type(problem).__name__ if isinstance(problem, OSError) else "ValueError",
                  errno, text or str(problem)))  # fmt: skip
        return 3
    send(("started", list(source.address) if source.address else None))
    waiting: dict[int, Callable[[], None] | None] = {}  # batch number -> the session's on_commit
    lock = threading.Lock()

    def commands() -> None:
        """The daemon's orders: a batch committed (acknowledge it), close, or gone (close)."""
        try:
            while True:
                message = _loads(conn.recv_bytes())
                if message[0] == "commit":
                    with lock:
                        on_commit = waiting.pop(message[1], None)
                    if on_commit is not None:
                        on_commit()
                elif message[0] == "log":
                    setup_logging(*message[1:])
                    notice(log, "BBDO reader process (pid %d): log file reopened", os.getpid())
                elif message[0] == "close":
                    break
        except (EOFError, OSError):
            log.warning("the daemon is gone: the BBDO reader process stops")
        source.close()

    def reports() -> None:
        while not source.closed:
            with contextlib.suppress(OSError, ValueError):
                send(_report(source))
            time.sleep(REPORT_PERIOD)

    threading.Thread(target=commands, name="bbdo-commands", daemon=True).start()
    threading.Thread(target=reports, name="bbdo-reports", daemon=True).start()
    number = 0
    try:
        for batch in source.batches(None):
            number += 1
            with lock:
                waiting[number] = batch.on_commit
            offsets = list(list.__iter__(batch.labels))  # the ints, not the "offset N" labels
            rejected = [tuple(entry) for entry in batch.rejected]
            send(("batch", number, batch.events, offsets, rejected, batch.origin))
    except (OSError, ValueError):  # the daemon closed its end
        source.close()
    return 0


def _report(source: BBDOSource) -> tuple[Any, ...]:
    return ("report", source.counters, source.budget.held, dict(source.closed_by_reason), source.peers())


__all__ = ["ChildBBDOSource"]

if __name__ == "__main__":
    # Through the module's own name, so that pickled settings refer to the same classes.
    from centreon_canopsis.core.sources.bbdo_child import main as _main

    _main(sys.argv[1:])
