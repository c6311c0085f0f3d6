"""Ground truth: what a stream implies about every object once it has been read to the end.

The simulator builds it from its own state (``truth_of``); the validator rebuilds it from the
events alone (``validator.truth_from_stream``). End-to-end tests compare what Canopsis ends up
holding with it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from centreon_canopsis.standins.broker.topology import Host, Monitored, Topology

PENDING = 4


@dataclass(frozen=True, slots=True)
class ObjectTruth:
    """A host (``service_id`` 0) or a service, as the last events about it describe it."""

    host_id: int
    service_id: int
    name: str  # host name, or service description
    host_name: str
    poller_id: int
    state: int  # PENDING (4) while never checked
    state_type: int  # 0 SOFT, 1 HARD
    last_hard_state: int
    last_hard_state_change: int
    last_check: int
    acknowledged: bool
    acknowledgement_type: int  # 0 NONE, 1 NORMAL, 2 STICKY
    scheduled_downtime_depth: int
    downtimes: tuple[int, ...]  # engine-local ids of downtimes started and not ended
    scheduled_downtimes: tuple[int, ...]  # added, not started yet
    flapping: bool


@dataclass(frozen=True, slots=True)
class BaTruth:
    ba_id: int
    name: str
    state: int  # 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
    level_nominal: float
    in_downtime: bool


@dataclass(frozen=True, slots=True)
class GroundTruth:
    #: The clock at the last event (not compared: a replay only sees the times events carry).
    time: int = field(compare=False)
    pollers: dict[int, str]
    hosts: dict[int, ObjectTruth]
    services: dict[tuple[int, int], ObjectTruth]
    bas: dict[int, BaTruth]
    removed_services: tuple[tuple[int, int], ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy (service keys become ``"host_id:service_id"``)."""
        return {
            "time": self.time,
            "pollers": {str(k): v for k, v in self.pollers.items()},
            "hosts": {str(k): asdict(v) for k, v in self.hosts.items()},
            "services": {f"{h}:{s}": asdict(v) for (h, s), v in self.services.items()},
            "bas": {str(k): asdict(v) for k, v in self.bas.items()},
            "removed_services": [list(k) for k in self.removed_services],
        }


def _object_truth(obj: Monitored, host: Host, service_id: int, name: str) -> ObjectTruth:
    ack_type = obj.ack_type
    return ObjectTruth(
        host_id=host.host_id,
        service_id=service_id,
        name=name,
        host_name=host.name,
        poller_id=obj.poller.instance_id,
        state=obj.state if obj.checked else PENDING,
        state_type=obj.state_type if obj.checked else 1,
        last_hard_state=obj.last_hard_state,
        last_hard_state_change=obj.last_hard_state_change,
        last_check=obj.last_check,
        acknowledged=ack_type != 0,
        acknowledgement_type=ack_type,
        scheduled_downtime_depth=len(obj.downtimes),
        downtimes=tuple(sorted(d.id for d in obj.downtimes)),
        scheduled_downtimes=tuple(sorted(d.id for d in obj.scheduled_downtimes)),
        flapping=obj.flapping,
    )


def truth_of(topology: Topology, now: int) -> GroundTruth:
    """The truth of the simulator's current state."""
    hosts: dict[int, ObjectTruth] = {}
    services: dict[tuple[int, int], ObjectTruth] = {}
    removed: list[tuple[int, int]] = []
    for host in topology.hosts:
        if host.enabled:
            hosts[host.host_id] = _object_truth(host, host, 0, host.name)
    for service in topology.services:
        assert service.host is not None
        if not service.enabled:
            removed.append(service.key)
            continue
        services[service.key] = _object_truth(service, service.host, service.service_id, service.description)
    bas = {
        ba.ba_id: BaTruth(ba.ba_id, ba.name, ba.state, ba.level_nominal, ba.in_downtime)
        for ba in topology.bas
    }
    return GroundTruth(
        time=now,
        pollers={p.instance_id: p.name for p in topology.pollers},
        hosts=hosts,
        services=services,
        bas=bas,
        removed_services=tuple(sorted(removed)),
    )
