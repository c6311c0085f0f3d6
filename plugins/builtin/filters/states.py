"""Accepted states per element (lua-connector.md 2.3, 4.2 to 4.5):

- ``host_status``, ``service_status``, ``ba_status``: the state of status events;
- ``ack_host_status``, ``ack_service_status``: the ``state`` of acknowledgements (empty: the
  status list);
- ``dt_host_status``, ``dt_service_status``: the *current* state of the host or service a
  downtime is about (empty: the status list).

Downtimes do not carry a state. The Lua connector derived one from the ``last_time_*`` fields
and never found UP or OK (defect B9), so downtimes of objects that were never down were lost.
Here it is the object's current ``state`` in the name cache, kept up to date by the status
events; UP and OK count like the others. While the cache does not know that state yet (no
status seen since the object appeared), the downtime is kept: losing a maintenance window is
worse than sending one more.

A dropped event's reason is the parameter whose list was applied (``host_status`` for an
acknowledgement when ``ack_host_status`` is empty).
"""

from __future__ import annotations

import logging

from centreon_canopsis.core.cache import Cache
from centreon_canopsis.core.config import Config, split_list
from centreon_canopsis.core.events import as_int
from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.plugins.builtin.filters.base import (
    Check,
    Event,
    KindChecks,
    by_service,
    config_error,
    in_c,
    table,
)
from centreon_canopsis.plugins.builtin.mapping import BA_STATE_NAMES, HOST_STATE_NAMES, SERVICE_STATE_NAMES

log = logging.getLogger(__name__)

HOST_STATES = HOST_STATE_NAMES
SERVICE_STATES = SERVICE_STATE_NAMES
BA_STATES = BA_STATE_NAMES
#: Values users added to dt_*_status to work around defect B9; meaningless now.
B9_WORKAROUND = frozenset({"nil", "N/A"})


class StateList:
    """One parameter's accepted states."""

    __slots__ = ("param", "states")

    def __init__(self, param: str, states: frozenset[int]) -> None:
        self.param = param
        self.states = states

    def check_event(self, event: Event) -> str | None:
        state = event.get("state")
        if state in self.states:
            return None
        # Rare: a state written as a string ("2") in a JSON dump.
        return None if as_int(state) in self.states else self.param


def parse_states(
    config: Config, name: str, names: dict[int, str], errors: list[str], fallback: StateList | None = None
) -> StateList | None:
    value = config[name]
    items = split_list(value)
    if not items:
        if name.startswith(("ack_", "dt_")):
            return fallback  # "same as the status list"
        errors.append(
            f"{name} = {value!r} accepts no state, so every such event would be dropped; "
            f"remove the element from accepted_elements instead"
        )
        return None
    states: set[int] = set()
    for item in items:
        if item in B9_WORKAROUND and name.startswith("dt_"):
            log.warning(
                "%s: %r is ignored: it worked around defect B9 of the Lua connector; the state "
                "of a downtime's object is now its current state",
                name,
                item,
            )
            continue
        number = as_int(item) if item.lstrip("-").isdigit() else None
        if number not in names:
            allowed = ", ".join(f"{code} ({label})" for code, label in names.items())
            errors.append(f"{name} = {value!r}: {item!r} is not a state; expected numbers among {allowed}")
            continue
        states.add(number)
    return StateList(name, frozenset(states))


def _current_state(cache: Cache, service: bool, states: StateList) -> Check:
    """The downtime check: the object's state from the cache; unknown state -> keep."""

    def check(event: Event) -> str | None:
        host_id = event.get("host_id")
        record = cache.service(host_id, event.get("service_id")) if service else cache.host(host_id)
        state = record.get("state") if record is not None else None
        if state is None:
            return None
        return None if as_int(state) in states.states else states.param

    return check


class StatesFilter(KindChecks):
    _checks: dict[str, Check]

    @hookimpl
    def connector_configure(self, config, context) -> None:
        errors: list[str] = []
        host = parse_states(config, "host_status", HOST_STATES, errors)
        service = parse_states(config, "service_status", SERVICE_STATES, errors)
        ba = parse_states(config, "ba_status", BA_STATES, errors)
        ack_host = parse_states(config, "ack_host_status", HOST_STATES, errors, host)
        ack_service = parse_states(config, "ack_service_status", SERVICE_STATES, errors, service)
        dt_host = parse_states(config, "dt_host_status", HOST_STATES, errors, host)
        dt_service = parse_states(config, "dt_service_status", SERVICE_STATES, errors, service)
        if errors or None in (host, service, ba, ack_host, ack_service, dt_host, dt_service):
            raise config_error(config, errors)
        cache = context.cache
        self._checks = table(
            host_status=in_c("STATE_IN", host.check_event, host.states),
            service_status=in_c("STATE_IN", service.check_event, service.states),
            ba_status=ba.check_event,
            acknowledgement=by_service(ack_host.check_event, ack_service.check_event),
            downtime=by_service(
                _current_state(cache, False, dt_host), _current_state(cache, True, dt_service)
            ),
        )
