"""A real pipeline (plugin manager, name cache, dispatcher, SQLite outbox) to run filters on.

Events are built in both protocol forms from the simulator's field lists (every BBDO 3 field
present with its default; BBDO 2 mapped names with zero/-1 fields left out), around one
topology fed to the name cache through configuration events, as Broker sends them:

- pollers 1 "Central" and 2 "Edge"; poller 3 has no instance event (name unknown);
- host 15 "srv-web-01" (poller 1, host groups Linux and Europe, severity 2) with services
  47 "Ping" (group Network, severity 3) and 48 "Disk /" (no group, no severity);
- host 16 "db-01" (poller 2, no group, no severity) with service 60 "Backup";
- host 17 "_Module_BAM_1" (poller 1), BAM's virtual host, with service 100 "ba_5";
- host 18 "web-02" (poller 3);
- BA 5 "Mail BA" in business view "Business"; BA 6 "Web BA" in no view.

The downtime plugin is disabled: its own accept (start and end detection) is tested with it;
here downtime events go through the filters only.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from centreon_canopsis.core.dispatcher import DROPPED, ERROR, QUEUED
from centreon_canopsis.core.events import check_event
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.standins.broker.fields import SPECS
from centreon_canopsis.standins.broker.shapes import template
from tests.support.config import make_config

Event = dict[str, Any]

NOW = 1_700_000_100
PASSED_REASONS = frozenset({"no_transform", "no_payload"})  # went through every filter

SRV, DB, BAM_HOST, WEB2 = 15, 16, 17, 18
PING, DISK, BACKUP, BA_SERVICE = 47, 48, 60, 100
MAIL_BA, WEB_BA = 5, 6


def make(bbdo: int, kind: str, **values: Any) -> Event:
    """A ``kind`` event in its BBDO 2 or BBDO 3 form, ``values`` set on top of the defaults."""
    name = kind if bbdo == 2 else f"pb_{kind}"
    spec = SPECS[name]
    event = template(spec)
    for field in spec.wire_only:  # Lua does not see them; only set when a test gives them
        if field.name not in values:
            del event[field.name]
    unknown = set(values) - set(event) - {f.name for f in spec.wire_only}
    assert not unknown, f"{name} has no field {sorted(unknown)}"
    event.update(values)
    if bbdo == 2:
        for field in spec.fields:
            if (field.flag == "z" and event.get(field.name) == 0) or (
                field.flag == "m" and event.get(field.name) == -1
            ):
                del event[field.name]
    return event


class Harness:
    """One pipeline on ``tmp_path``, fed with the topology, for one protocol form."""

    def __init__(self, tmp_path: Path, bbdo: int, **settings: Any) -> None:
        settings.setdefault("accepted_categories", "neb,bam")
        settings.setdefault(
            "accepted_elements", "host_status,service_status,acknowledgement,downtime,ba_status"
        )
        plugins = dict(settings.pop("plugins", {}))
        plugins.setdefault("disable", ["downtime"])
        self.bbdo = bbdo
        self.config = make_config(tmp_path / "state", plugins=plugins, **settings)
        self.pipeline = Pipeline(self.config)
        self.dispatcher = self.pipeline.dispatcher
        self.context = self.pipeline.context
        self.feed(*self.topology())

    def close(self) -> None:
        self.pipeline.close(1)

    # -- running events --------------------------------------------------------------------

    def feed(self, *events: Event) -> None:
        for event in events:
            self.dispatcher.process(event, check_event(event))

    def reason(self, event: Event) -> str | None:
        """None if the event went through every filter, else the reason it was dropped for."""
        before = Counter(self.dispatcher.dropped)
        outcome = self.dispatcher.process(dict(event), check_event(dict(event)))
        assert outcome != ERROR, f"a plugin raised on {event}"
        if outcome == QUEUED:
            return None
        assert outcome == DROPPED
        (reason,) = (Counter(self.dispatcher.dropped) - before).keys()
        return None if reason in PASSED_REASONS else reason

    # -- events ----------------------------------------------------------------------------

    def make(self, kind: str, **values: Any) -> Event:
        return make(self.bbdo, kind, **values)

    def host_status(self, host_id: int = SRV, **values: Any) -> Event:
        """A HARD check that made the last hard state change (passes the default filters)."""
        return self._status("host_status", host_id=host_id, **values)

    def service_status(self, host_id: int = SRV, service_id: int = PING, **values: Any) -> Event:
        return self._status("service_status", host_id=host_id, service_id=service_id, **values)

    def _status(self, kind: str, **values: Any) -> Event:
        fields: dict[str, Any] = {
            "state": 0,
            "state_type": 1,
            "checked": True,
            "last_check": NOW,
            "last_hard_state_change": NOW,
            "last_state_change": NOW,
            "output": "OK - fine",
        }
        if self.bbdo == 2:
            fields["last_update"] = NOW
        fields.update(values)
        return self.make(kind, **fields)

    def acknowledgement(self, host_id: int = SRV, service_id: int = 0, **values: Any) -> Event:
        fields: dict[str, Any] = {
            "host_id": host_id,
            "service_id": service_id,
            "instance_id": self.topology_poller(host_id),
            "type": 1 if service_id else 0,
            "author": "admin",
            "comment_data": "on it",
            "entry_time": NOW,
            "deletion_time": 0 if self.bbdo == 3 else -1,
            "state": 2 if service_id else 1,
            "sticky": True,
        }
        fields.update(values)
        return self.make("acknowledgement", **fields)

    def downtime(self, host_id: int = SRV, service_id: int = 0, **values: Any) -> Event:
        """A downtime that has just started."""
        fields: dict[str, Any] = {
            "host_id": host_id,
            "service_id": service_id,
            "instance_id": self.topology_poller(host_id),
            "type": 1 if service_id else 2,
            "author": "admin",
            "comment_data": "maintenance",
            "entry_time": NOW - 60,
            "start_time": NOW,
            "end_time": NOW + 3600,
            "actual_start_time": NOW,
            "actual_end_time": -1,
            "deletion_time": -1,
            "duration": 3600,
            "fixed": True,
            "started": True,
        }
        fields["id" if self.bbdo == 3 else "internal_id"] = 8
        fields.update(values)
        return self.make("downtime", **fields)

    def ba_status(self, ba_id: int = MAIL_BA, **values: Any) -> Event:
        fields: dict[str, Any] = {"ba_id": ba_id, "state": 0, "in_downtime": False}
        fields.update(values)
        return self.make("ba_status", **fields)

    # -- the topology ----------------------------------------------------------------------

    @staticmethod
    def topology_poller(host_id: int) -> int:
        return {SRV: 1, DB: 2, BAM_HOST: 1, WEB2: 3}.get(host_id, 1)

    def topology(self) -> list[Event]:
        v3 = self.bbdo == 3
        events = [
            self.make("instance", instance_id=1, name="Central", running=True),
            self.make("instance", instance_id=2, name="Edge", running=True),
        ]
        for host_id, name in (
            (SRV, "srv-web-01"),
            (DB, "db-01"),
            (BAM_HOST, "_Module_BAM_1"),
            (WEB2, "web-02"),
        ):
            events.append(
                self.make(
                    "host",
                    host_id=host_id,
                    name=name,
                    instance_id=self.topology_poller(host_id),
                    enabled=True,
                )
            )
        for host_id, service_id, description in (
            (SRV, PING, "Ping"),
            (SRV, DISK, "Disk /"),
            (DB, BACKUP, "Backup"),
            (BAM_HOST, BA_SERVICE, "ba_5"),
        ):
            events.append(
                self.make(
                    "service", host_id=host_id, service_id=service_id, description=description, enabled=True
                )
            )
        for group_id, name in ((1, "Linux"), (2, "Europe")):
            member: dict[str, Any] = {"hostgroup_id": group_id, "host_id": SRV, "enabled": True}
            member["name" if v3 else "group_name"] = name
            events.append(self.make("host_group_member", **member))
        member = {"servicegroup_id": 3, "host_id": SRV, "service_id": PING, "enabled": True}
        member["name" if v3 else "group_name"] = "Network"
        events.append(self.make("service_group_member", **member))
        for host_id, service_id, level in ((SRV, 0, 2), (SRV, PING, 3)):
            events.append(
                self.make(
                    "custom_variable",
                    host_id=host_id,
                    service_id=service_id,
                    name="CRITICALITY_LEVEL",
                    value=str(level),
                    type=1 if service_id else 0,
                    enabled=True,
                )
            )
        events += [
            self.make("dimension_ba_event", ba_id=MAIL_BA, ba_name="Mail BA"),
            self.make("dimension_ba_event", ba_id=WEB_BA, ba_name="Web BA"),
            self.make("dimension_bv_event", bv_id=7, bv_name="Business"),
            self.make("dimension_ba_bv_relation_event", ba_id=MAIL_BA, bv_id=7),
        ]
        return events
