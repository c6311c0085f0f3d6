"""Downtime events in both protocol forms, and a connector run against the Canopsis sandbox.

The downtime lifecycle follows broker-events-json.md section 5: the same id and entry_time in
every event; BBDO 3 shows "not set" times as -1, BBDO 2 leaves them out (and a host downtime's
service_id, and a 0 triggered_by).
"""

from __future__ import annotations

import contextlib
import socket
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.base import Batch
from centreon_canopsis.standins.canopsis import Sandbox
from tests.support.config import AUTHKEY, make_config
from tests.support.events import HOST_ID, POLLER_ID, SERVICE_ID, event, v2_configuration, v3_configuration

ENTRY = 1_700_000_000
START = ENTRY + 60
END = START + 3600
COMMENT = "Planned maintenance"
REASON = "Centreon_downtime"
TYPE = "Default maintenance"


def configuration(bbdo: int) -> list[dict[str, Any]]:
    return v3_configuration() if bbdo == 3 else v2_configuration()


@dataclass
class Downtime:
    """One downtime; each method returns the event cbmod sends at that step."""

    bbdo: int = 3
    service: bool = True
    id: int = 8
    instance_id: int = POLLER_ID
    entry_time: int = ENTRY
    start_time: int = START
    end_time: int = END
    author: str = "admin"
    comment: str = COMMENT
    fixed: bool = True
    actual_start_time: int = -1
    actual_end_time: int = -1
    deletion_time: int = -1
    started: bool = False
    cancelled: bool = False

    @property
    def pbehavior_id(self) -> str:
        service_id = SERVICE_ID if self.service else 0
        return f"centreon-downtime-{self.instance_id}-{self.id}-{HOST_ID}-{service_id}-{self.entry_time}"

    @property
    def entity(self) -> str:
        return "Ping/srv-web-01" if self.service else "srv-web-01"

    def add(self) -> dict[str, Any]:
        return self.event()

    def start(self, at: int | None = None) -> dict[str, Any]:
        self.started = True
        self.actual_start_time = at or self.start_time
        return self.event()

    def stop(self, at: int | None = None, cancelled: bool = False) -> dict[str, Any]:
        self.actual_end_time = at or self.end_time
        self.cancelled = cancelled
        return self.event()

    def delete(self, at: int | None = None) -> dict[str, Any]:
        if not self.started:
            self.cancelled = True
        self.deletion_time = at or (
            self.actual_end_time if self.actual_end_time != -1 else self.start_time - 1
        )
        return self.event()

    def event(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "instance_id": self.instance_id,
            "host_id": HOST_ID,
            "service_id": SERVICE_ID if self.service else 0,
            "author": self.author,
            "comment_data": self.comment,
            "type": 1 if self.service else 2,
            "duration": self.end_time - self.start_time,
            "triggered_by": 0,
            "entry_time": self.entry_time,
            "actual_start_time": self.actual_start_time,
            "actual_end_time": self.actual_end_time,
            "start_time": self.start_time,
            "deletion_time": self.deletion_time,
            "end_time": self.end_time,
            "started": self.started,
            "cancelled": self.cancelled,
            "fixed": self.fixed,
        }
        if self.bbdo == 3:
            return event(1, 36, id=self.id, **values)
        values["internal_id"] = self.id
        for key in ("actual_start_time", "actual_end_time", "deletion_time", "start_time", "end_time"):
            if values[key] == -1:
                del values[key]  # invalid_on_minus_one
        for key in ("service_id", "triggered_by", "instance_id"):
            if values[key] == 0:
                del values[key]  # invalid_on_zero
        return event(1, 5, **values)


def downtime_config(state_dir: Path | str, port: int = 1, **settings: Any):
    """``make_config`` with downtimes on (the shared helper turns them off for recorder tests)."""
    settings.setdefault("canopsis_downtime_send_pbh", 1)
    # These tests speak of one request per call; bulk mode (the default) has its own tests.
    settings.setdefault("canopsis_downtime_bulk", 0)
    return make_config(state_dir, port, **settings)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Connector:
    """A real pipeline (plugins, SQLite outbox, HTTP sender) pointed at a port."""

    def __init__(self, state_dir: Path, port: int, **settings: Any) -> None:
        self.config = downtime_config(state_dir, port, **settings)
        self.pipeline = Pipeline(self.config)
        self.state_dir = state_dir

    def __enter__(self) -> Connector:
        self.pipeline.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.pipeline.close(5)

    @property
    def context(self):
        return self.pipeline.context

    @property
    def lookups(self):
        return self.context.state["pbehavior_lookups"]

    def feed(self, events: Iterable[dict[str, Any]]) -> None:
        self.pipeline.process_batch(Batch([dict(e) for e in events], origin="test"))

    def drain(self, timeout: float = 15.0) -> bool:
        return self.pipeline.drain(timeout)

    def depth(self) -> int:
        return self.pipeline.outbox.depth()

    def dead_letters(self) -> list[tuple[Any, ...]]:
        with contextlib.closing(sqlite3.connect(self.state_dir / "connector.db")) as db:
            return db.execute("SELECT route, key, status, reason FROM dead_letters ORDER BY id").fetchall()


@contextlib.contextmanager
def sandbox(version: str = "24.04", port: int = 0) -> Iterator[Sandbox]:
    with Sandbox(port=port, authkey=AUTHKEY, canopsis_version=version, resolve_delay=0, seed=7) as box:
        yield box


def api(box: Sandbox, method: str, path: str, **kwargs: Any) -> requests.Response:
    """A call to the sandbox as its root user (to arrange Canopsis's state)."""
    return requests.request(
        method, box.url + path, headers={"x-canopsis-authkey": AUTHKEY}, timeout=5, **kwargs
    )


def pbehavior_requests(box: Sandbox) -> list[tuple[str, str, str, int]]:
    """``(method, path, query, status)`` of every call on pbehaviors and comments, in order."""
    return [
        (r["method"], r["path"], r["query"], r["status"])
        for r in box.requests()
        if "/pbehaviors" in r["path"] or "/pbehavior-comments" in r["path"]
    ]


def by_id(box: Sandbox) -> dict[str, dict[str, Any]]:
    return {p["_id"]: p for p in box.pbehaviors()}
