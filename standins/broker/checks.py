"""Check results and Engine's soft/hard state logic, flap detection and notification counters.

The state machine follows Nagios/Centreon Engine semantics (broker-events-json.md section 5):

* a problem is SOFT from attempt 1 until ``check_attempt`` reaches ``max_check_attempts``, then
  HARD with ``last_hard_state_change`` = that check;
* a HARD problem changing severity is a new hard change; a HARD problem recovering is a hard
  change; a SOFT problem recovering ("soft recovery") keeps ``last_hard_state_change``;
* an OK result is always HARD with attempt 1; repeated results change nothing but ``last_check``;
* the first check of an object initialises ``last_state_change`` and ``last_hard_state_change``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from centreon_canopsis.standins.broker.topology import Host, Monitored, Service

OK = 0
WARNING = 1
CRITICAL = 2
UNKNOWN = 3
PENDING = 4
SOFT = 0
HARD = 1

# Flap detection as Engine does it: 21 results, recent changes weigh more (0.75 to 1.25), global
# thresholds of 5 % (stop) and 20 % (start) as in the stock Engine configuration.
HISTORY = 21
LOW_FLAP_THRESHOLD = 5.0
HIGH_FLAP_THRESHOLD = 20.0
_WEIGHT_STEP = 0.5 / (HISTORY - 2)


@dataclass(frozen=True, slots=True)
class Rates:
    """Probabilities per check of a healthy object (problem, flapping) and per event (acks...)."""

    problem: float = 0.01
    ack: float = 0.3
    downtime: float = 0.002
    flapping: float = 0.002


@dataclass(slots=True)
class Outcome:
    state_changed: bool
    hard_changed: bool


def apply_result(obj: Monitored, result: int, now: int) -> Outcome:
    """Fold one check result into ``obj`` the way Engine does."""
    first = not obj.checked
    previous = obj.state
    obj.checked = True
    obj.last_check = now
    obj.last_time[result] = now
    state_changed = first or result != previous
    hard_changed = first
    if first:
        obj.last_state_change = now
        obj.last_hard_state_change = now
    if result == OK:
        if previous != OK and not first:
            obj.last_state_change = now
            if obj.state_type == HARD:
                obj.last_hard_state_change = now
                hard_changed = True
        obj.state_type = HARD
        obj.check_attempt = 1
        obj.last_hard_state = OK
    elif previous == OK or first:
        obj.last_state_change = now
        obj.check_attempt = 1
        if obj.max_check_attempts <= 1:
            obj.state_type = HARD
            obj.last_hard_state = result
            obj.last_hard_state_change = now
            hard_changed = True
        else:
            obj.state_type = SOFT
    elif obj.state_type == SOFT:
        obj.check_attempt += 1
        if result != previous:
            obj.last_state_change = now
        if obj.check_attempt >= obj.max_check_attempts:
            obj.check_attempt = obj.max_check_attempts
            obj.state_type = HARD
            obj.last_hard_state = result
            obj.last_hard_state_change = now
            hard_changed = True
    elif result != previous:  # HARD problem changing severity
        obj.last_state_change = now
        obj.last_hard_state = result
        obj.last_hard_state_change = now
        hard_changed = True
    obj.state = result
    _record_for_flapping(obj, result)
    return Outcome(state_changed, hard_changed)


def _record_for_flapping(obj: Monitored, result: int) -> None:
    history = obj.history
    history.append(result)
    if len(history) > HISTORY:
        del history[0]
    if len(history) >= 2 and history[-1] != history[-2]:
        obj.checks_since_change = 0
    else:
        obj.checks_since_change += 1
    if obj.checks_since_change >= HISTORY:
        # No change left in the window: skip the weighted sum (the common case).
        obj.percent_state_change = 0.0
    else:
        curved = 0.0
        for x in range(1, len(history)):
            if history[x] != history[x - 1]:
                curved += 0.75 + (x - 1) * _WEIGHT_STEP
        obj.percent_state_change = round(curved * 100.0 / (HISTORY - 1), 2)
    if not obj.flapping and obj.percent_state_change >= HIGH_FLAP_THRESHOLD:
        obj.flapping = True
    elif obj.flapping and obj.percent_state_change < LOW_FLAP_THRESHOLD:
        obj.flapping = False


def update_notifications(obj: Monitored, outcome: Outcome, now: int) -> None:
    """Engine notifies on hard problems unless acknowledged, in downtime or flapping."""
    if not outcome.hard_changed or obj.state_type != HARD:
        return
    if obj.state != OK:
        if obj.ack is None and not obj.downtimes and not obj.flapping:
            obj.notification_number += 1
            obj.last_notification = now
    elif obj.notification_number:
        obj.last_notification = now  # the recovery notification
        obj.notification_number = 0


def next_check_delay(obj: Monitored) -> int:
    if obj.state != OK and obj.state_type == SOFT:
        return obj.retry_interval * 60
    return obj.check_interval * 60


def _draw(
    obj: Monitored, rng: random.Random, problem_rate: float, flapping_rate: float, states: tuple
) -> int:
    """Next result of an object left to itself: mostly OK, sometimes an incident or a flap."""
    if obj.flap_left > 0:
        obj.flap_left -= 1
        return obj.flap_state if obj.flap_left % 2 else OK
    if obj.incident_left > 0:
        obj.incident_left -= 1
        if obj.incident_state == WARNING and rng.random() < 0.15:
            obj.incident_state = CRITICAL  # a hard WARNING that worsens: new hard state change
        return obj.incident_state
    draw = rng.random()
    if draw < problem_rate:
        obj.incident_state = states[int(rng.random() * len(states))]
        if obj.max_check_attempts > 1 and rng.random() < 0.35:
            length = rng.randint(1, obj.max_check_attempts - 1)  # recovers while still SOFT
        else:
            length = obj.max_check_attempts + rng.randint(0, 12)
        obj.incident_left = length - 1
        return obj.incident_state
    if draw < problem_rate + flapping_rate:
        obj.flap_state = states[int(rng.random() * len(states))]
        obj.flap_left = 2 * rng.randint(4, 7) - 1
        return obj.flap_state
    return OK


_SERVICE_PROBLEMS = (WARNING, WARNING, WARNING, WARNING, CRITICAL, CRITICAL, CRITICAL, CRITICAL, UNKNOWN)
_HOST_PROBLEMS = (1,)  # DOWN; UNREACHABLE needs parent hosts, which the estate does not have


def draw_host_result(host: Host, rng: random.Random, rates: Rates) -> int:
    if host.virtual:
        return OK
    return _draw(host, rng, rates.problem / 4, rates.flapping / 4, _HOST_PROBLEMS)


def draw_service_result(service: Service, rng: random.Random, rates: Rates) -> int:
    host = service.host
    assert host is not None
    result = _draw(service, rng, rates.problem, rates.flapping, _SERVICE_PROBLEMS)
    if host.checked and host.state != OK:
        # The host does not answer: network checks fail, agent checks time out.
        return CRITICAL if service.network else UNKNOWN
    return result
