"""``accepted_pollers`` / ``rejected_pollers``: the name of the poller that monitors the host
(lua-connector.md 4.2 step 5), for host and service status, acknowledgements and downtimes.

The poller is the cached host's ``instance_id`` (acknowledgements and downtimes also carry one,
used when the host is unknown), named by the instance events. When its name is not known, an
accepted list drops the event and a rejected list keeps it. A rejected list alone works: in the
Lua connector it made every other event raise and be lost (defect B21).
"""

from __future__ import annotations

from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.plugins.builtin.filters.base import (
    HOST_KINDS,
    Check,
    Event,
    KindChecks,
    NameLists,
    poller_name,
)


class PollersFilter(KindChecks):
    _checks: dict[str, Check]

    @hookimpl
    def connector_configure(self, config, context) -> None:
        self._checks = {}
        lists = NameLists.from_config(config, "pollers")
        if lists is None:
            return
        cache = context.cache
        check_name = lists.check_name

        def check(event: Event) -> str | None:
            return check_name(poller_name(cache, event))

        self._checks = dict.fromkeys(HOST_KINDS, check)
