"""``skip_nil_id`` and ``skip_anon_events``: events without ids, or about objects whose names are
not known (lua-connector.md 4.2, first step of every element).

Unlike the Lua connector (defect B14), ``skip_anon_events = 0`` really lets such events through:
they are sent with the ids as names, and the configured ``connector_name`` as poller.

The end of a downtime is never dropped for an unknown name: its pbehavior is deleted by a name
built from ids alone, and a host removed from Centreon during its downtime must not leave the
pbehavior behind in Canopsis.
"""

from __future__ import annotations

from centreon_canopsis.core.cache import ID_LIMIT
from centreon_canopsis.core.events import UNSET, is_service_event, is_set
from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.plugins.builtin.filters.base import Check, Event, KindChecks, in_c

NIL = "skip_nil_id"
ANON = "skip_anon_events"


class AnonymousEventsFilter(KindChecks):
    """One check per kind, built once: this filter runs first, for nearly every event."""

    _checks: dict[str, Check]

    @hookimpl
    def connector_configure(self, config, context) -> None:
        nil = NIL if config.skip_nil_id else None  # an unset id: dropped, or kept unchecked
        anon = bool(config.skip_anon_events)
        self._checks = {}
        if nil is None and not anon:
            return
        cache = context.cache
        knows_host, knows_service = cache.knows_host, cache.knows_service
        hosts, services = cache.host_rows, cache.service_rows

        def any_host_status(event: Event) -> str | None:
            host_id = event.get("host_id")
            if host_id in UNSET:
                return nil
            return ANON if anon and not knows_host(host_id) else None

        def any_service_status(event: Event) -> str | None:
            host_id = event.get("host_id")
            if host_id in UNSET:
                return nil
            if anon and not knows_host(host_id):
                return ANON
            service_id = event.get("service_id")
            if service_id in UNSET:
                return nil
            return ANON if anon and not knows_service(host_id, service_id) else None

        # Status events are most of the stream: ids decoded from BBDO (ints in range, so set) are
        # looked up inline, without the two calls per id; anything else takes the general path.
        def host_status(event: Event) -> str | None:
            host_id = event.get("host_id")
            if host_id.__class__ is int and 0 < host_id < ID_LIMIT:
                return ANON if anon and host_id not in hosts else None
            return any_host_status(event)

        def service_status(event: Event) -> str | None:
            host_id, service_id = event.get("host_id"), event.get("service_id")
            if (
                host_id.__class__ is int
                and service_id.__class__ is int
                and 0 < host_id < ID_LIMIT
                and 0 < service_id < ID_LIMIT
            ):
                if not anon:
                    return None
                return None if host_id in hosts and (host_id << 32 | service_id) in services else ANON
            return any_service_status(event)

        def about_object(event: Event, host_id: object) -> str | None:
            """Acknowledgements and downtimes: the host, then the service if it is about one."""
            if anon and not knows_host(host_id):
                return ANON
            if anon and is_service_event(event) and not knows_service(host_id, event.get("service_id")):
                return ANON
            return None

        def acknowledgement(event: Event) -> str | None:
            host_id = event.get("host_id")
            return nil if host_id in UNSET else about_object(event, host_id)

        def downtime(event: Event) -> str | None:
            host_id = event.get("host_id")
            if host_id in UNSET:
                return nil
            if is_set(event.get("deletion_time")):
                return None  # an end: deleted by ids, names not needed
            return about_object(event, host_id)

        def ba_status(event: Event) -> str | None:
            ba_id = event.get("ba_id")
            if ba_id in UNSET:
                return nil
            return ANON if anon and cache.ba(ba_id) is None else None

        self._checks = {
            "host_status": in_c("ANON_HOST", host_status, hosts, anon, ANON),
            "service_status": in_c("ANON_SERVICE", service_status, hosts, services, anon, ANON),
            "acknowledgement": acknowledgement,
            "downtime": downtime,
            "ba_status": ba_status,
        }
