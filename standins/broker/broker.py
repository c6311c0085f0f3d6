"""The simulated Broker: a seeded, self-consistent stream of Centreon Broker events.

``SimulatedBroker(...).events()`` yields event dicts in the JSON-lines form of
reference/broker-events-json.md: first each poller's configuration burst (and BAM's, on the
central), then runtime events in time order: check results, operator acknowledgements and
downtimes, flapping, BA status changes, heartbeats and occasional Engine reloads. ``truth()``
tells what the stream implies once read to the end. The generator only builds dicts: writing them
somewhere (file, TCP) is the caller's business.
"""

from __future__ import annotations

import dataclasses
import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass

from centreon_canopsis.standins.broker import bam, checks, outputs
from centreon_canopsis.standins.broker.acknowledgements import (
    Acknowledgement,
    comment_text,
    removal_event_due,
)
from centreon_canopsis.standins.broker.checks import HARD, OK, Rates
from centreon_canopsis.standins.broker.clock import Scheduler
from centreon_canopsis.standins.broker.downtimes import (
    CANCEL_BEFORE_START,
    CANCEL_RUNNING,
    NATURAL_END,
    Downtime,
)
from centreon_canopsis.standins.broker.shapes import Encoder, Event
from centreon_canopsis.standins.broker.topology import (
    BusinessActivity,
    Host,
    Monitored,
    Poller,
    Service,
    Topology,
    build_topology,
)
from centreon_canopsis.standins.broker.truth import GroundTruth, truth_of
from centreon_canopsis.standins.broker.versions import BROKER_VERSIONS, forms_for

log = logging.getLogger(__name__)

# Timed actions.
_CHECK_HOST = 1
_CHECK_SERVICE = 2
_HEARTBEAT = 3
_ACK = 4
_ACK_REMOVE = 5
_DOWNTIME_ADD = 6
_DOWNTIME_START = 7
_DOWNTIME_END = 8
_DOWNTIME_CANCEL = 9
_BA_RESULT = 10
_RELOAD = 11

_DOWNTIME_COMMENTS = ("Planned maintenance", "Patching", "Hardware replacement", "Network works", "Migration")


@dataclass(frozen=True, slots=True)
class SimulationOptions:
    """Everything that shapes a stream. The same options give byte-identical streams."""

    seed: int = 1
    hosts: int = 20
    services_per_host: int = 5
    pollers: int = 2
    #: Runtime events to emit after the configuration bursts (the last step may add a few more).
    events: int = 10_000
    bas: int = 3
    bbdo: int = 3
    broker_version: str = "24.10"
    start: int = 1_700_000_000
    #: Per check of a healthy service: probability that an incident starts (hosts: a quarter).
    problem_rate: float = 0.01
    #: Per hard problem: probability that an operator acknowledges it.
    ack_rate: float = 0.3
    #: Per check: probability that a downtime gets scheduled on the object.
    downtime_rate: float = 0.002
    #: Per check of a healthy service: probability that a flapping period starts (hosts: a quarter).
    flapping_rate: float = 0.002
    #: Seconds between Engine reloads (0: never).
    reload_interval: int = 4 * 3600
    #: Seconds between two ``instance_status`` heartbeats of a poller.
    heartbeat_interval: int = 60

    def __post_init__(self) -> None:
        for name in ("hosts", "pollers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        for name in ("services_per_host", "events", "bas", "reload_interval", "start"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, not {getattr(self, name)}")
        if self.heartbeat_interval < 1:
            raise ValueError(f"heartbeat_interval must be at least 1, not {self.heartbeat_interval}")
        for name in ("problem_rate", "ack_rate", "downtime_rate", "flapping_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")
        if self.problem_rate + self.flapping_rate > 1.0:
            raise ValueError("problem_rate + flapping_rate must not exceed 1")
        if self.bbdo not in (2, 3):
            raise ValueError(f"bbdo must be 2 or 3, not {self.bbdo}")
        if self.broker_version not in BROKER_VERSIONS:
            raise ValueError(
                f"broker_version must be one of {', '.join(BROKER_VERSIONS)}, not {self.broker_version}"
            )


class SimulatedBroker:
    """A seeded generator of Broker event streams, with the ground truth they imply.

    Pass a :class:`SimulationOptions` or its fields as keywords. Each call of :meth:`events`
    starts over from the seed, so a broker object can be replayed.
    """

    def __init__(self, options: SimulationOptions | None = None, **kwargs: object) -> None:
        if options is not None and kwargs:
            raise TypeError("give either options or keyword arguments, not both")
        self.options = options if options is not None else SimulationOptions(**kwargs)  # type: ignore[arg-type]
        self.forms = forms_for(self.options.bbdo, self.options.broker_version)
        self.encoder = Encoder(self.forms)
        self.rates = Rates(
            problem=self.options.problem_rate,
            ack=self.options.ack_rate,
            downtime=self.options.downtime_rate,
            flapping=self.options.flapping_rate,
        )
        self.config_events = 0
        self.runtime_events = 0
        self._reset()

    # -- public ----------------------------------------------------------------------------------

    def events(self) -> Iterator[Event]:
        """Yield the whole stream: configuration bursts, then runtime events until the budget."""
        self._reset()
        options = self.options
        for event in self._initial_configuration():
            self.config_events += 1
            yield event
        self._schedule_start()
        clock = self.clock
        out = self._out
        handlers = self._handlers
        budget = options.events
        while self.runtime_events < budget and clock:
            action, subject = clock.pop()
            handlers[action](subject)
            if out:
                self.runtime_events += len(out)
                self._last_event_time = clock.now
                yield from out
                out.clear()
        log.debug("simulated %d configuration and %d runtime events", self.config_events, self.runtime_events)

    def truth(self) -> GroundTruth:
        """What the events yielded so far imply (complete once ``events()`` is exhausted)."""
        return truth_of(self.topology, self._last_event_time)

    # -- set-up ----------------------------------------------------------------------------------

    def _reset(self) -> None:
        options = self.options
        self.topology: Topology = build_topology(
            random.Random(f"topology:{options.seed}"),
            hosts=options.hosts,
            services_per_host=options.services_per_host,
            pollers=options.pollers,
            bas=options.bas,
        )
        self.rng = random.Random(f"runtime:{options.seed}")
        self.clock = Scheduler(options.start)
        self._out: list[Event] = []
        self._last_event_time = options.start
        # cbmod's memory of the last acknowledgement event per object, one per poller process.
        self._cbmod_acks: dict[int, dict[tuple[int, int], Acknowledgement]] = {
            p.instance_id: {} for p in self.topology.pollers
        }
        self.config_events = 0
        self.runtime_events = 0
        self._handlers = {
            _CHECK_HOST: self._check_host,
            _CHECK_SERVICE: self._check_service,
            _HEARTBEAT: self._heartbeat,
            _ACK: self._acknowledge,
            _ACK_REMOVE: self._remove_acknowledgement,
            _DOWNTIME_ADD: self._add_downtime,
            _DOWNTIME_START: self._start_downtime,
            _DOWNTIME_END: self._end_downtime,
            _DOWNTIME_CANCEL: self._cancel_downtime,
            _BA_RESULT: self._ba_result,
            _RELOAD: self._reload,
        }

    def _emit(self, event: Event) -> None:
        self._out.append(event)

    def _initial_configuration(self) -> Iterator[Event]:
        now = self.options.start
        for poller in self.topology.pollers:
            poller.start_time = now
            poller.running = True
            yield self.encoder.instance(poller, running=True, now=now)
            yield from self._poller_configuration(poller, now)
        if self.topology.bas:
            yield from self._bam_configuration(now)

    def _poller_configuration(
        self, poller: Poller, now: int, removed: Service | None = None
    ) -> Iterator[Event]:
        """What cbmod sends when an Engine starts: severities, hosts, services, variables, groups."""
        enc = self.encoder
        topo = self.topology
        hosts = [h for h in topo.hosts if h.poller is poller and h.enabled]
        services = [s for h in hosts for s in h.services if s.enabled]
        for severity in topo.severities:
            yield enc.severity(severity, poller)
        for host in hosts:
            yield enc.host(host, now)
        for service in services:
            yield enc.service(service, now)
        if removed is not None:
            yield enc.service(removed, now, enabled=False)
        for host in hosts:
            for name, value in host.custom_variables:
                yield enc.custom_variable(host, name, value, now)
        for service in services:
            for name, value in service.custom_variables:
                yield enc.custom_variable(service, name, value, now)
        if removed is not None:
            for name, _ in removed.custom_variables:
                yield enc.custom_variable(removed, name, "", now, enabled=False)
        for group in topo.host_groups:
            members = [h for h in group.members if h.poller is poller and h.enabled]
            if members:
                yield enc.host_group(group, poller)
                for host in members:
                    yield enc.host_group_member(group, host)
        for sgroup in topo.service_groups:
            smembers = [s for s in sgroup.members if s.poller is poller and s.enabled]
            gone = removed is not None and removed in sgroup.members
            if smembers or gone:
                yield enc.service_group(sgroup, poller)
                for service in smembers:
                    yield enc.service_group_member(sgroup, service)
                if gone:
                    assert removed is not None
                    yield enc.service_group_member(sgroup, removed, enabled=False)

    def _bam_configuration(self, now: int) -> Iterator[Event]:
        """The central cbd loading the BAM configuration, then the first status of every BA."""
        enc = self.encoder
        topo = self.topology
        yield enc.truncate_signal(True)
        for bv in topo.bvs:
            yield enc.dimension_bv(bv)
        for ba in topo.bas:
            yield enc.dimension_ba(ba)
        for ba in topo.bas:
            for bv in ba.bvs:
                yield enc.dimension_ba_bv(ba, bv)
        yield enc.truncate_signal(False)
        for ba in topo.bas:
            ba.last_state_change = now
            bam.apply(ba, bam.compute(ba), now)
            yield enc.ba_status(ba, state_changed=False)

    def _schedule_start(self) -> None:
        options = self.options
        clock = self.clock
        rng = self.rng
        start = options.start
        # Engine spreads the first checks over one check interval.
        for host in self.topology.hosts:
            clock.at(start + rng.randint(1, host.check_interval * 60), _CHECK_HOST, host)
        for service in self.topology.services:
            if service.active_checks:
                clock.at(start + rng.randint(1, service.check_interval * 60), _CHECK_SERVICE, service)
        for ba in self.topology.bas:
            clock.at(start + 2, _BA_RESULT, ba)
        for index, poller in enumerate(self.topology.pollers):
            clock.at(start + options.heartbeat_interval + index, _HEARTBEAT, poller)
        if options.reload_interval:
            clock.at(start + options.reload_interval, _RELOAD)

    # -- checks ----------------------------------------------------------------------------------

    def _timing(self, obj: Monitored) -> None:
        x = self.rng.random()
        obj.latency = round(0.001 + x * 0.25, 3)
        obj.execution_time = round(0.02 + (1.0 - x) * 1.2, 3)

    def _check_host(self, host: Host) -> None:
        if not host.enabled:
            return
        rng = self.rng
        now = self.clock.now
        result = checks.draw_host_result(host, rng, self.rates)
        host.output, host.long_output, host.perfdata = outputs.host_output(rng, host.address, result)
        self._timing(host)
        self._after_result(host, result, now)
        self.clock.at(host.next_check, _CHECK_HOST, host)

    def _check_service(self, service: Service) -> None:
        if not service.enabled:
            return
        rng = self.rng
        now = self.clock.now
        result = checks.draw_service_result(service, rng, self.rates)
        host = service.host
        assert host is not None
        if host.checked and host.state != OK:
            texts = outputs.unreachable_output(service.network, host.address)
        else:
            texts = outputs.service_output(rng, service.family, host.address, result)
        service.output, service.long_output, service.perfdata = texts
        self._timing(service)
        self._after_result(service, result, now)
        self.clock.at(service.next_check, _CHECK_SERVICE, service)

    def _after_result(self, obj: Monitored, result: int, now: int) -> None:
        """Fold a result in, send the status, and let operators and BAM react."""
        previous = obj.state
        outcome = checks.apply_result(obj, result, now)
        obj.next_check = now + checks.next_check_delay(obj) if obj.active_checks else 0
        ack = obj.ack
        # Engine drops an acknowledgement on recovery, and a non-sticky one on any state change.
        if ack is not None and (obj.state == OK or (not ack.sticky and obj.state != previous)):
            obj.ack = None
        checks.update_notifications(obj, outcome, now)
        self._emit(self.encoder.status(obj, now))
        self._after_status(obj)
        if outcome.hard_changed:
            self._recompute_bas(obj)
            problem = obj.state != OK and obj.state_type == HARD and obj.ack is None
            if problem and self._operable(obj) and self.rng.random() < self.rates.ack:
                self.clock.at(now + self.rng.randint(30, 900), _ACK, obj)
        if (
            self.rates.downtime
            and self.rng.random() < self.rates.downtime
            and self._operable(obj)
            and not obj.downtimes
            and not obj.scheduled_downtimes
        ):
            self.clock.at(now + self.rng.randint(5, 300), _DOWNTIME_ADD, obj)

    @staticmethod
    def _operable(obj: Monitored) -> bool:
        """Objects operators act on: not the BAM module host and its BA services."""
        if isinstance(obj, Host):
            return not obj.virtual
        return isinstance(obj, Service) and not obj.internal_id

    def _after_status(self, obj: Monitored) -> None:
        """cbmod after any status: re-send a remembered acknowledgement as removed when due."""
        key = obj.key
        cache = self._cbmod_acks[obj.poller.instance_id]
        remembered = cache.get(key)
        if remembered is None or obj.ack is not None:
            return
        del cache[key]
        state = obj.state if obj.checked else 4
        if removal_event_due(remembered, state):
            removed = dataclasses.replace(remembered, deletion_time=self.clock.now)
            self._emit(self.encoder.acknowledgement(removed))

    def _heartbeat(self, poller: Poller) -> None:
        now = self.clock.now
        self._emit(self.encoder.instance_status(poller, now))
        self.clock.at(now + self.options.heartbeat_interval, _HEARTBEAT, poller)

    # -- acknowledgements ------------------------------------------------------------------------

    def _acknowledge(self, obj: Monitored) -> None:
        if not obj.enabled or obj.ack is not None or obj.state == OK or obj.state_type != HARD:
            return  # recovered or already acknowledged meanwhile
        rng = self.rng
        now = self.clock.now
        ack = Acknowledgement(
            target=obj,
            instance_id=obj.poller.instance_id,
            author=rng.choice(self.topology.authors),
            comment=comment_text(rng.randrange(100), rng.randint(10000, 99999)),
            sticky=rng.random() < 0.6,
            notify_contacts=rng.random() < 0.5,
            persistent_comment=rng.random() < 0.3,
            entry_time=now,
            state=obj.state,
        )
        obj.ack = ack
        self._emit(self.encoder.acknowledgement(ack))
        self._cbmod_acks[obj.poller.instance_id][obj.key] = dataclasses.replace(ack)
        self._emit(self.encoder.attribute_status(obj, now, ack=True))
        self._recompute_bas(obj)
        if rng.random() < 0.25:
            self.clock.at(now + rng.randint(300, 3600), _ACK_REMOVE, ack)

    def _remove_acknowledgement(self, ack: Acknowledgement) -> None:
        obj = ack.target
        if obj.ack is not ack or not obj.enabled:
            return  # already gone with a recovery or a state change
        obj.ack = None
        self._emit(self.encoder.attribute_status(obj, self.clock.now, ack=True))
        self._after_status(obj)
        self._recompute_bas(obj)

    # -- downtimes -------------------------------------------------------------------------------

    def _add_downtime(self, obj: Monitored) -> None:
        if not obj.enabled or obj.downtimes or obj.scheduled_downtimes:
            return
        rng = self.rng
        now = self.clock.now
        immediate = rng.random() < 0.5
        start = now if immediate else now + 60 * rng.randint(10, 120)
        duration = rng.choice((900, 1800, 3600, 5400, 7200))
        end = start + duration
        draw = rng.random()
        if not immediate and draw < 0.2:
            fate, cancel_time = CANCEL_BEFORE_START, now + rng.randint(1, start - now - 1)
        elif draw < 0.4:
            fate, cancel_time = CANCEL_RUNNING, start + rng.randint(60, duration - 60)
        else:
            fate, cancel_time = NATURAL_END, 0
        targets: list[Monitored] = [obj]
        if isinstance(obj, Host) and rng.random() < 0.5:
            # "Set downtime for hosts services too": one more downtime per service.
            targets += [
                s for s in obj.services if s.enabled and not s.downtimes and not s.scheduled_downtimes
            ]
        author = rng.choice(self.topology.authors)
        comment = _DOWNTIME_COMMENTS[rng.randrange(len(_DOWNTIME_COMMENTS))]
        poller = obj.poller
        created = []
        for target in targets:
            downtime = Downtime(
                id=poller.next_downtime_id,
                instance_id=poller.instance_id,
                target=target,
                author=author,
                comment=comment,
                entry_time=now,
                start_time=start,
                end_time=end,
                fate=fate,
                cancel_time=cancel_time,
            )
            poller.next_downtime_id += 1
            target.scheduled_downtimes.append(downtime)
            created.append(downtime)
            self._emit(self.encoder.downtime(downtime))
        for downtime in created:
            self.clock.at(start, _DOWNTIME_START, downtime)
            if fate == NATURAL_END:
                self.clock.at(end, _DOWNTIME_END, downtime)
            else:
                self.clock.at(cancel_time, _DOWNTIME_CANCEL, downtime)

    def _start_downtime(self, downtime: Downtime) -> None:
        if downtime.deletion_time != -1:
            return  # cancelled before it started
        target = downtime.target
        now = self.clock.now
        downtime.start(now)
        target.scheduled_downtimes.remove(downtime)
        target.downtimes.append(downtime)
        self._emit(self.encoder.downtime(downtime))
        self._emit(self.encoder.attribute_status(target, now, depth=True))
        self._after_status(target)
        self._recompute_bas(target)

    def _stop_downtime(self, downtime: Downtime, *, cancelled: bool) -> None:
        target = downtime.target
        now = self.clock.now
        downtime.stop(now, cancelled=cancelled)
        target.downtimes.remove(downtime)
        self._emit(self.encoder.downtime(downtime))
        self._emit(self.encoder.attribute_status(target, now, depth=True))
        self._after_status(target)
        downtime.delete(now)
        self._emit(self.encoder.downtime(downtime))
        self._recompute_bas(target)

    def _end_downtime(self, downtime: Downtime) -> None:
        self._stop_downtime(downtime, cancelled=False)

    def _cancel_downtime(self, downtime: Downtime) -> None:
        if downtime.started:
            self._stop_downtime(downtime, cancelled=True)
            return
        downtime.delete(self.clock.now)
        downtime.target.scheduled_downtimes.remove(downtime)
        self._emit(self.encoder.downtime(downtime))

    # -- BAM -------------------------------------------------------------------------------------

    def _recompute_bas(self, obj: Monitored) -> None:
        if not isinstance(obj, Service) or not obj.bas:
            return
        now = self.clock.now
        for ba in obj.bas:
            changed, state_changed = bam.apply(ba, bam.compute(ba), now)
            if changed:
                self._emit(self.encoder.ba_status(ba, state_changed=state_changed))
            if state_changed and ba.service is not None:
                # BAM hands the new state to Engine as a passive result of the BA's service.
                self.clock.at(now + 2, _BA_RESULT, ba)

    def _ba_result(self, ba: BusinessActivity) -> None:
        service = ba.service
        if service is None:
            return
        now = self.clock.now
        service.output = bam.output(ba)
        service.long_output = ""
        service.perfdata = (
            f"BA_Level={ba.level_nominal:g}%;{ba.level_warning:g};{ba.level_critical:g};0;100 "
            f"BA_Downtime={100.0 - ba.level_downtime:g}%;;;0;100"
        )
        self._after_result(service, ba.state, now)

    # -- reloads ---------------------------------------------------------------------------------

    def _reload(self, _: None) -> None:
        """An Engine restarts with a new configuration in which one service is gone."""
        now = self.clock.now
        candidates = [p for p in self.topology.pollers if not self._has_downtimes(p)]
        if not candidates:
            # cbmod would re-announce existing downtimes as new: wait until there are none.
            self.clock.at(now + 600, _RELOAD)
            return
        poller = candidates[self.rng.randrange(len(candidates))]
        enc = self.encoder
        self._emit(enc.instance(poller, running=False, now=now))
        poller.pid = self.rng.randint(1000, 65000)
        poller.start_time = now
        self._emit(enc.instance(poller, running=True, now=now))
        self._cbmod_acks[poller.instance_id].clear()  # a new cbmod process remembers nothing
        removed = self._pick_removal(poller)
        if removed is not None:
            removed.enabled = False
            assert removed.host is not None
            log.debug(
                "reload of %s removes service %s/%s", poller.name, removed.host.name, removed.description
            )
        self._out.extend(self._poller_configuration(poller, now, removed))
        if removed is not None:
            removed.groups.clear()
            for group in self.topology.service_groups:
                if removed in group.members:
                    group.members.remove(removed)
        self.clock.at(now + self.options.reload_interval, _RELOAD)

    def _has_downtimes(self, poller: Poller) -> bool:
        for host in self.topology.hosts:
            if host.poller is poller:
                if host.downtimes or host.scheduled_downtimes:
                    return True
                if any(s.downtimes or s.scheduled_downtimes for s in host.services):
                    return True
        return False

    def _pick_removal(self, poller: Poller) -> Service | None:
        services = [
            s for s in self.topology.services if s.poller is poller and s.enabled and not s.internal_id
        ]
        total = sum(1 for s in self.topology.services if s.poller is poller and not s.internal_id)
        if len(services) * 2 <= total:
            return None  # keep at least half of the poller's services
        fit = [s for s in services if s.ack is None and not s.bas]
        return fit[self.rng.randrange(len(fit))] if fit else None
