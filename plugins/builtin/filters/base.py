"""What the builtin filters share: element kinds, name look-ups, accepted/rejected name lists.

Filters precompute everything in ``connector_configure`` into a table ``{element kind: check}``
holding only the checks a parameter makes active; ``connector_accept`` is then one dict look-up
for the elements a filter does not concern. The checks that run on nearly every status event have
their usual case in C (:func:`in_c`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from centreon_canopsis.core.bbdo import accel
from centreon_canopsis.core.cache import Cache
from centreon_canopsis.core.config import Config, ConfigError, split_list
from centreon_canopsis.core.events import is_service_event
from centreon_canopsis.core.hookspecs import hookimpl

Event = dict[str, Any]
#: A check answers None (keep) or the name of the parameter that drops the event.
Check = Callable[[Event], str | None]

HOST_STATUS = "host_status"
SERVICE_STATUS = "service_status"
ACKNOWLEDGEMENT = "acknowledgement"
DOWNTIME = "downtime"
BA_STATUS = "ba_status"
#: Elements about a host (and maybe one of its services): the Lua connector's is_valid_host.
HOST_KINDS = (HOST_STATUS, SERVICE_STATUS, ACKNOWLEDGEMENT, DOWNTIME)


#: core/_speedups.c, when it was compiled and is not switched off (core/bbdo/accel.py).
_SPEEDUPS = accel.load(accel.SPEEDUPS)


def in_c(kind: str, check: Check, *params: Any) -> Check:
    """``check``, or its usual case in C (core/_speedups.c ``Check``; ``kind`` and ``params`` as
    described there) answering alike and calling ``check`` for anything else. Without the
    accelerator, ``check`` itself. tests/filters/test_checks_in_c.py holds the two alike."""
    if _SPEEDUPS is None:
        return check
    try:
        return _SPEEDUPS.Check(getattr(_SPEEDUPS, kind), check, *params)  # type: ignore[no-any-return]
    except (TypeError, ValueError):  # parameters of another shape (a cache of another kind): Python
        return check


def config_error(config: Config, errors: list[str]) -> ConfigError:
    return ConfigError(errors, getattr(config, "path", None))


def host_name(cache: Cache, event: Event) -> str:
    """The host's name from the cache, else its id (the Lua connector's rule)."""
    host_id = event.get("host_id")
    name = cache.host_name(host_id)
    return str(name) if name else str(host_id)


def service_name(cache: Cache, event: Event) -> str:
    """The service's description from the cache, else its id."""
    service_id = event.get("service_id")
    record = cache.service(event.get("host_id"), service_id)
    name = record.get("description") if record is not None else None
    return str(name) if name else str(service_id)


def poller_name(cache: Cache, event: Event) -> str | None:
    """Name of the poller that monitors the event's host (its ``instance_id`` in the cache).

    Acknowledgements and downtimes also carry ``instance_id``: used when the host is unknown.
    """
    record = cache.host(event.get("host_id"))
    instance_id = record.get("instance_id") if record is not None else None
    if not instance_id:
        instance_id = event.get("instance_id")
    return cache.poller_name(instance_id) if instance_id else None


def by_service(host_check: Check | None, service_check: Check | None) -> Check | None:
    """For acknowledgements and downtimes: one check for hosts, another for services."""
    if host_check is None and service_check is None:
        return None

    def check(event: Event) -> str | None:
        chosen = service_check if is_service_event(event) else host_check
        return None if chosen is None else chosen(event)

    return check


def chain(*checks: Check | None) -> Check | None:
    """The first objection of several checks, in order; None when none is active."""
    active = [check for check in checks if check is not None]
    if not active:
        return None
    if len(active) == 1:
        return active[0]

    def check(event: Event) -> str | None:
        for one in active:
            reason = one(event)
            if reason is not None:
                return reason
        return None

    return check


class KindChecks:
    """For filters that keep their active checks in ``_checks`` (``{element kind: check}``).

    ``connector_accept`` answers the check of the event's kind. ``accept_checks`` hands the table
    to the dispatcher, which then calls a check directly and no filter for a kind it does not check
    (docs/plugins.md, "accept_checks"); a subclass that overrides ``connector_accept`` is called
    through it instead."""

    _checks: dict[str, Check]

    @hookimpl
    def connector_accept(self, event: Event, element: Any, context: Any) -> str | None:
        check = self._checks.get(element.kind)
        return None if check is None else check(event)

    @property
    def accept_checks(self) -> Mapping[str, Check] | None:
        if type(self).connector_accept is not KindChecks.connector_accept:
            return None
        return self._checks

    @property
    def accept_kinds(self) -> Collection[str]:
        return self._checks.keys()


def table(**checks: Check | None) -> dict[str, Check]:
    """The dispatch table, without the kinds that have nothing to check."""
    return {kind: check for kind, check in checks.items() if check is not None}


@dataclass(frozen=True, slots=True)
class NameLists:
    """One ``accepted_<x>`` / ``rejected_<x>`` pair: exact names, at most one side set
    (``core.config`` refuses both)."""

    accepted: frozenset[str]
    rejected: frozenset[str]
    accepted_param: str
    rejected_param: str

    @classmethod
    def from_config(cls, config: Config, what: str) -> NameLists | None:
        """None when neither list is set: the filter is off."""
        accepted = frozenset(split_list(config[f"accepted_{what}"]))
        rejected = frozenset(split_list(config[f"rejected_{what}"]))
        if not accepted and not rejected:
            return None
        return cls(accepted, rejected, f"accepted_{what}", f"rejected_{what}")

    def check_names(self, names: Iterable[str]) -> str | None:
        """An object with several names (its groups): accepted if one is accepted, dropped if
        one is rejected."""
        if self.accepted:
            return None if not self.accepted.isdisjoint(names) else self.accepted_param
        return self.rejected_param if not self.rejected.isdisjoint(names) else None

    def check_name(self, name: str | None) -> str | None:
        """One name, maybe unknown (None): an accepted list drops it, a rejected list keeps it."""
        if self.accepted:
            return None if name in self.accepted else self.accepted_param
        return self.rejected_param if name is not None and name in self.rejected else None
