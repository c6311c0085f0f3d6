"""``accepted_hostgroups`` / ``rejected_hostgroups`` and ``accepted_servicegroups`` /
``rejected_servicegroups``: exact group names (lua-connector.md 4.2 step 7, 4.3 steps 9-10,
4.4).

An accepted list keeps an object that is in at least one of its groups; a rejected list drops
an object that is in at least one of its groups. An object in no group: an accepted list drops
it, a rejected list keeps it. Groups come from the member events in the name cache.

Host groups apply to every host-related element; service groups to service status and to
acknowledgements and downtimes of services. Order as in the Lua connector: host groups first
for service status, service groups first for acknowledgements and downtimes.
"""

from __future__ import annotations

from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.plugins.builtin.filters.base import (
    Check,
    Event,
    KindChecks,
    NameLists,
    by_service,
    chain,
    table,
)


class GroupsFilter(KindChecks):
    _checks: dict[str, Check]

    @hookimpl
    def connector_configure(self, config, context) -> None:
        cache = context.cache
        hostgroups = NameLists.from_config(config, "hostgroups")
        servicegroups = NameLists.from_config(config, "servicegroups")
        host: Check | None = None
        service: Check | None = None
        if hostgroups is not None:
            check_hosts = hostgroups.check_names

            def host(event: Event) -> str | None:
                return check_hosts(cache.hostgroup_names(event.get("host_id")))

        if servicegroups is not None:
            check_services = servicegroups.check_names

            def service(event: Event) -> str | None:
                return check_services(cache.servicegroup_names(event.get("host_id"), event.get("service_id")))

        for_objects = by_service(host, chain(service, host))
        self._checks = table(
            host_status=host,
            service_status=chain(host, service),
            acknowledgement=for_objects,
            downtime=for_objects,
        )
