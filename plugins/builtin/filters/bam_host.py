"""``enable_bam_host``: events of BAM's virtual hosts (lua-connector.md 4.2 step 1, section 8).

BAM publishes each business activity as a service ``ba_<id>`` of a virtual host named
``_Module_BAM_<n>``. With ``enable_bam_host = 0`` (the default) every host status, service
status, acknowledgement and downtime of such a host is dropped. With 1 they are kept, and the
builtin mappings name the component after the BA (``mapping.Mapping.host_name``), as the Lua
connector does. The test is the Lua one: the host name starts with ``_Module_BAM``.
"""

from __future__ import annotations

from typing import Any

from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.plugins.builtin.filters.base import HOST_KINDS, Check, Event, KindChecks, host_name
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

        def check(event: Event) -> str | None:
            return REASON if host_name(cache, event).startswith(BAM_HOST_PREFIX) else None

        self._checks = dict.fromkeys(HOST_KINDS, check)

    @hookimpl
    def connector_accept(self, event: dict[str, Any], element, context) -> str | None:
        check = self._checks.get(element.kind)
        return None if check is None else check(event)
