"""``accepted_hosts`` and ``accepted_services``: Lua patterns the host name or the service
description must match (lua-connector.md 2.3, 4.2 step 1, 4.3 step 2).

The patterns are translated to Python regexes once, at start-up (:mod:`.lua_patterns`); an
invalid one stops start-up with the parameter and the pattern. As in Lua, a pattern matches
anywhere in the name unless anchored with ``^`` / ``$``. With ``*_enable_split_pattern = 1`` the
value holds several patterns separated by ``*_split_character`` and a name must match one;
unlike Lua, spaces around each sub-pattern are ignored.
"""

from __future__ import annotations

import logging
import re

from centreon_canopsis.core.config import Config
from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.plugins.builtin.filters.base import (
    Check,
    Event,
    KindChecks,
    by_service,
    chain,
    config_error,
    host_name,
    service_name,
    table,
)
from centreon_canopsis.plugins.builtin.filters.lua_patterns import (
    CompiledPatterns,
    LuaPatternError,
    compile_patterns,
)

log = logging.getLogger(__name__)


def split_patterns(value: str, separators: str) -> list[str]:
    """Sub-patterns of a split value. Like Lua's split, every character of the separator
    string separates and empty items are skipped."""
    pieces = re.split("[" + re.escape(separators) + "]", value)
    return [piece.strip() for piece in pieces if piece.strip()]


def load_patterns(config: Config, name: str, errors: list[str]) -> CompiledPatterns | None:
    """The compiled patterns of ``accepted_hosts`` or ``accepted_services``; None when unset."""
    value = config[name]
    if value == "":
        return None
    if config[f"{name}_enable_split_pattern"]:
        patterns = split_patterns(value, config[f"{name}_split_character"])
        if not patterns:
            errors.append(
                f"{name} = {value!r} holds no pattern once split on "
                f"{name}_split_character = {config[f'{name}_split_character']!r}"
            )
            return None
    else:
        patterns = [value]
    try:
        compiled = compile_patterns(patterns)
    except LuaPatternError as error:
        errors.append(f"{name}: {error}")
        return None
    for warning in compiled.warnings:
        log.warning("%s: %s", name, warning)
    return compiled


def _matcher(patterns: CompiledPatterns | None, name_of, reason: str, cache) -> Check | None:
    if patterns is None:
        return None
    search = patterns.regex.search

    def check(event: Event) -> str | None:
        return None if search(name_of(cache, event)) else reason

    return check


class NamePatternsFilter(KindChecks):
    _checks: dict[str, Check]

    @hookimpl
    def connector_configure(self, config, context) -> None:
        errors: list[str] = []
        hosts = load_patterns(config, "accepted_hosts", errors)
        services = load_patterns(config, "accepted_services", errors)
        if errors:
            raise config_error(config, errors)
        cache = context.cache
        host_check = _matcher(hosts, host_name, "accepted_hosts", cache)
        service_check = chain(host_check, _matcher(services, service_name, "accepted_services", cache))
        # Acknowledgements and downtimes of a service check the service too (Lua 4.4).
        either = by_service(host_check, service_check)
        self._checks = table(
            host_status=host_check,
            service_status=service_check,
            acknowledgement=either,
            downtime=either,
        )
