"""``enable_bam_host``: events of BAM's virtual hosts (lua-connector.md 4.2 step 1, section 8).

BAM publishes each business activity as a service ``ba_<id>`` of a virtual host named
``_Module_BAM_<n>``. With ``enable_bam_host = 0`` (the default) every host status, service
status, acknowledgement and downtime of such a host is dropped. With 1 they are kept, and the
builtin mappings name the component after the BA (``mapping.Mapping.host_name``), as the Lua
connector does. The test is the Lua one: the host name starts with ``_Module_BAM``.
"""

from __future__ import annotations

from centreon_canopsis.core.cache import HOST_NAME_AT
from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.plugins.builtin.filters.base import (
    HOST_KINDS,
    Check,
    Event,
    KindChecks,
    host_name,
    in_c,
)
from centreon_canopsis.plugins.builtin.mapping import BAM_HOST_PREFIX

REASON = "enable_bam_host"


class BamHostFilter(KindChecks):
    _checks: dict[str, Check]

    @hookimpl
    def connector_configure(self, config, context) -> None:
        self._checks = {}
        if config.enable_bam_host:
            return
        cache = context.cache
        hosts = cache.host_rows

        def check(event: Event) -> str | None:
            # Inline for the usual case (an int id, a known host with a name): once per event.
            host_id = event.get("host_id")
            row = hosts.get(host_id) if host_id.__class__ is int else None
            name = row[HOST_NAME_AT] if row is not None else None
            if name.__class__ is not str or not name:
                name = host_name(cache, event)
            return REASON if name.startswith(BAM_HOST_PREFIX) else None

        self._checks = dict.fromkeys(
            HOST_KINDS, in_c("BAM_HOST", check, hosts, HOST_NAME_AT, BAM_HOST_PREFIX, REASON)
        )
