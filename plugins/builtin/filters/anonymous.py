"""``skip_nil_id`` and ``skip_anon_events``: events without ids, or about objects whose names are
not known (lua-connector.md 4.2, first step of every element).

Unlike the Lua connector (defect B14), ``skip_anon_events = 0`` really lets such events through:
they are sent with the ids as names, and the configured ``connector_name`` as poller.

The end of a downtime is never dropped for an unknown name: its pbehavior is deleted by a name
built from ids alone, and a host removed from Centreon during its downtime must not leave the
pbehavior behind in Canopsis.
"""

from __future__ import annotations

from typing import Any

from centreon_canopsis.core.events import is_service_event, is_set
from centreon_canopsis.core.hookspecs import hookimpl

HOST_KINDS = frozenset({"host_status", "service_status", "acknowledgement", "downtime"})


class AnonymousEventsFilter:
    #: The kinds connector_accept looks at (the dispatcher calls it for these only).
    accept_kinds = HOST_KINDS | {"ba_status"}
    skip_nil_id: bool
    skip_anon: bool

    @hookimpl
    def connector_configure(self, config, context) -> None:
        self.skip_nil_id = bool(config.skip_nil_id)
        self.skip_anon = bool(config.skip_anon_events)

    @hookimpl
    def connector_accept(self, event: dict[str, Any], element, context) -> str | None:
        kind = element.kind
        cache = context.cache
        if kind in HOST_KINDS:
            host_id = event.get("host_id")
            if not is_set(host_id):
                return "skip_nil_id" if self.skip_nil_id else None
            if kind == "downtime" and is_set(event.get("deletion_time")):
                return None  # an end: deleted by ids, names not needed
            if self.skip_anon and not cache.knows_host(host_id):
                return "skip_anon_events"
            if kind == "service_status" or (kind != "host_status" and is_service_event(event)):
                service_id = event.get("service_id")
                if not is_set(service_id):
                    return "skip_nil_id" if self.skip_nil_id else None
                if self.skip_anon and not cache.knows_service(host_id, service_id):
                    return "skip_anon_events"
        elif kind == "ba_status":
            ba_id = event.get("ba_id")
            if not is_set(ba_id):
                return "skip_nil_id" if self.skip_nil_id else None
            if self.skip_anon and cache.ba(ba_id) is None:
                return "skip_anon_events"
        return None
