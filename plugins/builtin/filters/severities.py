"""``host_severity_threshold`` / ``service_severity_threshold`` with ``*_severity_operator``
(lua-connector.md 2.3, 4.2 step 6, 4.3 steps 7-8, 4.4).

An event passes when ``threshold <operator> severity`` holds, the severity being the level of
the host or service in the name cache (``CRITICALITY_LEVEL`` custom variable, else its severity
object). ``~=`` and ``!=`` both mean "different". The Lua connector could not set a threshold
(defect B11); here an unset threshold turns the filter off.

An object without severity cannot satisfy the comparison and is dropped, as in the Lua
connector: a severity filter selects objects by their severity, and one that has none is not
among those selected.

Which elements check what, in the Lua connector's order: host status the host; service status
the host then the service; acknowledgements the host, and the service for a service one;
downtimes the service only (host severity is not checked for downtimes).
"""

from __future__ import annotations

import operator
from collections.abc import Callable

from centreon_canopsis.core.cache import Cache
from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.plugins.builtin.filters.base import Check, Event, KindChecks, by_service, chain, table

OPERATORS: dict[str, Callable[[int, int], bool]] = {
    "==": operator.eq,
    "~=": operator.ne,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


def _host_check(cache: Cache, threshold: int, compare: Callable[[int, int], bool]) -> Check:
    def check(event: Event) -> str | None:
        level = cache.severity(event.get("host_id"))
        return None if level is not None and compare(threshold, level) else "host_severity_threshold"

    return check


def _service_check(cache: Cache, threshold: int, compare: Callable[[int, int], bool]) -> Check:
    def check(event: Event) -> str | None:
        level = cache.severity(event.get("host_id"), event.get("service_id"))
        return None if level is not None and compare(threshold, level) else "service_severity_threshold"

    return check


class SeveritiesFilter(KindChecks):
    _checks: dict[str, Check]

    @hookimpl
    def connector_configure(self, config, context) -> None:
        cache = context.cache
        host = service = None
        if config.host_severity_threshold is not None:
            host = _host_check(
                cache, int(config.host_severity_threshold), OPERATORS[config.host_severity_operator]
            )
        if config.service_severity_threshold is not None:
            service = _service_check(
                cache, int(config.service_severity_threshold), OPERATORS[config.service_severity_operator]
            )
        both = chain(host, service)
        self._checks = table(
            host_status=host,
            service_status=both,
            acknowledgement=by_service(host, both),
            downtime=by_service(None, service),
        )
