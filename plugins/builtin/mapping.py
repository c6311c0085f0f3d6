"""Field rules shared by the builtin event-type plugins (lua-connector.md 3.1 to 3.4).

Everything that depends only on the configuration is computed once, in :class:`Mapping`.
"""

from __future__ import annotations

import logging
from typing import Any

from centreon_canopsis.core.cache import Cache
from centreon_canopsis.core.config import Config
from centreon_canopsis.core.events import as_int

log = logging.getLogger(__name__)

#: Centreon state -> Canopsis state (0 info, 1 minor, 2 major, 3 critical).
HOST_STATES = {0: 0, 1: 3, 2: 2}  # UP, DOWN -> critical, UNREACHABLE -> major
SERVICE_STATES = {0: 0, 1: 1, 2: 3, 3: 2}  # OK, WARNING, CRITICAL -> critical, UNKNOWN -> major
BA_STATES = {0: 0, 1: 1, 2: 3, 3: 2}  # BAM uses the service numbering


def cut_utf8(text: str, limit: int | None) -> str:
    """At most ``limit`` bytes of UTF-8, never ending inside a character."""
    if limit is None:
        return text
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")


def first_line(text: str) -> str:
    end = text.find("\n")
    line = text if end < 0 else text[:end]
    return line[:-1] if line.endswith("\r") else line


def split_output(event: dict[str, Any]) -> tuple[str, str]:
    """``(first line, whole text)`` of a status event's plugin output.

    BBDO 2 joins everything in ``output``; BBDO 3 sends the first line in ``output`` and the rest
    in ``long_output``.
    """
    output = event.get("output") or ""
    long_output = event.get("long_output") or ""
    whole = f"{output}\n{long_output}" if long_output else output
    return first_line(output), whole


class Mapping:
    """The payload rules, configured once."""

    def __init__(self, config: Config, cache: Cache) -> None:
        self.cache = cache
        self.connector = config.connector
        self.connector_name_fixed = config.connector_name if config.connector_name_type == "custom" else None
        self.connector_name_fallback = config.connector_name
        self.sort_hostgroups = bool(config.canopsis_sort_list_hostgroups)
        self.sort_servicegroups = bool(config.canopsis_sort_list_servicegroups)
        self.severity_as_state = bool(config.use_severity_as_state)
        self.output_limit = config.output_size_limit
        self._unknown_pollers: set[Any] = set()

    def connector_name(self, host: dict[str, Any] | None) -> str:
        """The poller's name, or the configured name (``connector_name_type``)."""
        if self.connector_name_fixed is not None:
            return self.connector_name_fixed
        instance_id = host.get("instance_id") if host else None
        name = self.cache.poller_name(instance_id) if instance_id else None
        if name:
            return name
        # The Lua connector sent the string "false" here; a stable configured name is better.
        if instance_id not in self._unknown_pollers:
            self._unknown_pollers.add(instance_id)
            log.warning(
                "poller name of instance %s unknown (no instance event seen yet): using connector_name %r",
                instance_id,
                self.connector_name_fallback,
            )
        return self.connector_name_fallback

    def host_name(self, event: dict[str, Any], host: dict[str, Any] | None) -> str:
        name = host.get("name") if host else None
        return str(name) if name else str(event.get("host_id"))

    def service_name(self, event: dict[str, Any], service: dict[str, Any] | None) -> str:
        name = service.get("description") if service else None
        return str(name) if name else str(event.get("service_id"))

    def outputs(self, event: dict[str, Any]) -> tuple[str, str]:
        short, whole = split_output(event)
        return cut_utf8(short, self.output_limit), whole

    def hostgroups(self, host_id: Any) -> list[str]:
        names = self.cache.hostgroup_names(host_id)
        return sorted(names) if self.sort_hostgroups else list(names)

    def servicegroups(self, host_id: Any, service_id: Any) -> list[str]:
        names = self.cache.servicegroup_names(host_id, service_id)
        return sorted(names) if self.sort_servicegroups else list(names)

    @staticmethod
    def timestamp(event: dict[str, Any]) -> int | None:
        """``last_check``, else ``last_update`` (BBDO 3 has no last_update)."""
        value = as_int(event.get("last_check"))
        if not value:
            value = as_int(event.get("last_update"))
        return value or None

    def state(
        self, states: dict[int, int], event: dict[str, Any], host_id: Any, service_id: Any = 0
    ) -> int | None:
        if self.severity_as_state:
            level = self.cache.severity(host_id, service_id)
            if level is not None:
                return level
        return states.get(as_int(event.get("state"), -1))
