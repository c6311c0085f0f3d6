"""Everything the sandbox holds in memory, behind one lock, plus the inspection views."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import orjson

from centreon_canopsis.standins.canopsis.alarms import AlarmEngine
from centreon_canopsis.standins.canopsis.auth import Authenticator, User
from centreon_canopsis.standins.canopsis.catalog import Catalog
from centreon_canopsis.standins.canopsis.clock import Clock
from centreon_canopsis.standins.canopsis.events import EventChecker
from centreon_canopsis.standins.canopsis.faults import FaultInjector
from centreon_canopsis.standins.canopsis.fifo import drop_reason, event_time
from centreon_canopsis.standins.canopsis.ids import IdSource
from centreon_canopsis.standins.canopsis.journal import Journal
from centreon_canopsis.standins.canopsis.pbehaviors import PbehaviorStore
from centreon_canopsis.standins.canopsis.versions import VersionProfile


def _copy(obj: Any) -> Any:
    """A deep copy cheap enough for large inspections (everything here is JSON data)."""
    return orjson.loads(orjson.dumps(obj))


class SandboxState:
    def __init__(
        self,
        profile: VersionProfile,
        auth: Authenticator,
        root: User,
        clock: Clock,
        seed: int | None,
        resolve_delay: float,
        cancel_resolve_delay: float,
        journal_maxlen: int,
        allow_change_severity_to_info: bool,
        allow_double_ack: bool,
        edition: str = "community",
    ) -> None:
        self.edition = edition
        self.lock = threading.RLock()
        self.profile = profile
        self.auth = auth
        self.root = root
        self.clock = clock
        self.seed = seed
        self.resolve_delay = resolve_delay
        self.initial_resolve_delay = resolve_delay
        self.cancel_resolve_delay = cancel_resolve_delay
        self.allow_change_severity_to_info = allow_change_severity_to_info
        self.allow_double_ack = allow_double_ack
        self.journal = Journal(journal_maxlen)
        self.faults = FaultInjector(seed)
        self.maintenance = False
        self.version_updated = int(clock.now())
        self.checker = EventChecker(profile, allow_change_severity_to_info)
        #: Set by the AMQP stand-in in ``amqp_publish`` mode: the API publishes the events it
        #: accepted to RabbitMQ, as Canopsis's does, and engine-fifo (the consumer) applies them.
        self.publish: Callable[[list[Any]], list[Any]] | None = None
        self._build()

    def _build(self) -> None:
        now = self.clock.now()
        self.ids = IdSource(self.seed)
        self.catalog = Catalog(self.profile, self.ids, self.root, now)
        self.pbehaviors = PbehaviorStore(self.profile, self.ids, self.catalog)
        self.engine = AlarmEngine(
            self.ids, self.resolve_delay, self.cancel_resolve_delay, self.allow_double_ack
        )
        self.engine.resolver = self.pbehaviors.info_for
        self._pbh_generation = -1
        self._pbh_boundary = float("inf")

    def reset(self) -> None:
        """Back to a fresh install: no entities, alarms, pbehaviors; default reasons/types; no faults.

        The clock offset and the resolve delay go back to their initial values too; users stay.
        """
        with self.lock:
            self.clock.reset()
            self.resolve_delay = self.initial_resolve_delay
            self._build()
            self.journal.clear()
            self.faults.clear()
            self.maintenance = False

    # --- time ---------------------------------------------------------------------------------------
    def tick(self, now: float | None = None) -> float:
        """Applies what became due (resolutions, pbehavior starts/ends); lock must be held."""
        now = self.clock.now() if now is None else now
        pbh = self.pbehaviors
        if pbh.generation != self._pbh_generation or now >= self._pbh_boundary:
            pbh.refresh_active(now)
            self._pbh_generation = pbh.generation
            self._pbh_boundary = pbh.next_boundary(now)
            self.engine.recompute_pbehaviors(now)
        self.engine.tick(now)
        return now

    def set_resolve_delay(self, seconds: float) -> None:
        with self.lock:
            self.resolve_delay = float(seconds)
            self.engine.set_resolve_delay(seconds)

    # --- /event ---------------------------------------------------------------------------------------
    def ingest(self, events: list[Any], user: User, now: float, body: bytes) -> tuple[list[Any], list[Any]]:
        """API checks, then the engines, for one request's events; returns (sent, failed)."""
        journal = self.journal
        journal.record_body(len(events), body)
        check = self.checker.check
        faults = self.faults
        sent: list[Any] = []
        failed: list[Any] = []
        for ev in events:
            if check(ev, user) and not (faults.has_event_faults and faults.event_fails(ev)):
                sent.append(ev)
            else:
                failed.append(ev)
        if self.publish is not None:
            unpublished = self.publish(sent)  # a publish error puts the event in failed_events
            if unpublished:
                sent = [ev for ev in sent if not any(ev is u for u in unpublished)]
                failed += unpublished
        journal.failed.extend(failed)
        journal.published.extend(sent)
        counters = journal.counters
        counters["events_received"] += len(events)
        counters["events_sent"] += len(sent)
        counters["events_failed"] += len(failed)
        if self.publish is not None:
            return sent, failed
        fifo_types = self.profile.fifo_types
        apply = self.engine.apply
        dropped = 0
        for ev in sent:
            reason = drop_reason(ev, fifo_types)
            if reason is None:
                reason = apply(ev, event_time(ev, now), now)
            if reason is not None:
                journal.dropped.append({"event": ev, "reason": reason})
                dropped += 1
        if dropped:
            counters["events_dropped"] += dropped
        return sent, failed

    def consume(self, events: list[Any], journaled: frozenset[int] = frozenset()) -> None:
        """engine-fifo on messages from RabbitMQ (the sandbox's AMQP consumer): no API checks.

        ``journaled``: positions of the events the sandbox's own API published (already in the
        journal)."""
        with self.lock:
            now = self.tick()
            journal = self.journal
            counters = journal.counters
            counters["amqp_messages"] += len(events)
            fifo_types = self.profile.fifo_types
            apply = self.engine.apply
            for position, ev in enumerate(events):
                if type(ev) is not dict or type(ev.get("event_type")) is not str:
                    journal.dropped.append({"event": ev, "reason": "cannot decode event"})
                    counters["events_dropped"] += 1
                    continue
                if position not in journaled:
                    journal.published.append(ev)
                reason = drop_reason(ev, fifo_types)
                if reason is None:
                    reason = apply(ev, event_time(ev, now), now)
                if reason is not None:
                    journal.dropped.append({"event": ev, "reason": reason})
                    counters["events_dropped"] += 1

    # --- inspection (copies, safe to keep and modify) -----------------------------------------------------
    def alarms(self, opened: bool | None = True) -> list[dict[str, Any]]:
        with self.lock:
            now = self.tick()
            return _copy([self.engine.render(a, now) for a in self.engine.select(opened)])

    def entities(self) -> list[dict[str, Any]]:
        with self.lock:
            self.tick()
            return _copy(list(self.engine.entities.values()))

    def pbehavior_list(self) -> list[dict[str, Any]]:
        with self.lock:
            now = self.tick()
            e = self.engine
            return _copy(
                [
                    self.pbehaviors.render(p, now, e.pbh_counts, e.pbh_last_alarm, True)
                    for p in self.pbehaviors.items.values()
                ]
            )

    def reasons(self) -> list[dict[str, Any]]:
        with self.lock:
            return _copy([self.catalog.render_reason(r) for r in self.catalog.reasons.values()])

    def types(self) -> list[dict[str, Any]]:
        with self.lock:
            return _copy([self.catalog.render_type(t) for t in self.catalog.types.values()])

    def comments(self) -> list[dict[str, Any]]:
        with self.lock:
            return _copy(
                [dict(c, pbehavior=p["_id"]) for p in self.pbehaviors.items.values() for c in p["comments"]]
            )

    def journal_view(self, name: str) -> list[Any]:
        if name == "received":
            with self.lock:
                bodies = self.journal.received_bodies()
            return self.journal.decode_received(bodies)  # fresh objects, decoded without the lock
        with self.lock:
            return _copy(list(getattr(self.journal, name)))

    def summary(self) -> dict[str, Any]:
        with self.lock:
            now = self.tick()
            e = self.engine
            return {
                "version": self.profile.full,
                "now": now,
                "clock_offset": self.clock.offset,
                "resolve_delay": self.resolve_delay,
                "maintenance": self.maintenance,
                "entities": len(e.entities),
                "alarms": len(e.alarms),
                "alarms_open": len(e.open_by_entity),
                "pbehaviors": len(self.pbehaviors.items),
                "reasons": len(self.catalog.reasons),
                "types": len(self.catalog.types),
                "counters": dict(self.journal.counters),
                "status_counts": {str(k): n for k, n in sorted(self.journal.status_counts.items())},
                "faults": self.faults.list(),
            }
