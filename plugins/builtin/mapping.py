"""Field rules shared by the builtin event-type plugins (lua-connector.md 3.1 to 3.4).

Everything that depends only on the configuration is computed once, in :class:`Mapping`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from centreon_canopsis.core.cache import Cache
from centreon_canopsis.core.config import Config
from centreon_canopsis.core.events import as_int, is_service_event
from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.core.logsafe import log_limited, shown
from centreon_canopsis.core.model import Payload

log = logging.getLogger(__name__)
#: Unknown poller ids remembered (one warning each, rate-limited): a bound against hostile input.
UNKNOWN_POLLERS_KEPT = 1000

#: Centreon state -> Canopsis state (0 info, 1 minor, 2 major, 3 critical).
HOST_STATES = {0: 0, 1: 3, 2: 2}  # UP, DOWN -> critical, UNREACHABLE -> major
SERVICE_STATES = {0: 0, 1: 1, 2: 3, 3: 2}  # OK, WARNING, CRITICAL -> critical, UNKNOWN -> major
BA_STATES = {0: 0, 1: 1, 2: 3, 3: 2}  # BAM uses the service numbering

#: Centreon's names of its states (filters validate state lists with them, templates show them).
HOST_STATE_NAMES = {0: "UP", 1: "DOWN", 2: "UNREACHABLE"}
SERVICE_STATE_NAMES = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN", 4: "PENDING"}
BA_STATE_NAMES = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}
#: BAM's virtual hosts are named ``_Module_BAM_<n>`` (the Lua test: ``^_Module_BAM_*``).
BAM_HOST_PREFIX = "_Module_BAM"
BA_SERVICE_TYPE = 3  # pb_service.type of a BA's virtual service


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


def ba_name_of_service(cache: Cache, service: dict[str, Any] | None) -> str | None:
    """Name of the BA whose virtual service this is (``ba_<id>``, or a BBDO 3 service of type BA
    whose ``internal_id`` is the BA id), when the BA is in the cache."""
    if not service:
        return None
    description = str(service.get("description") or "")
    ba_id: Any = None
    if description.startswith("ba_") and description[3:].isdigit():
        ba_id = int(description[3:])
    elif service.get("type") == BA_SERVICE_TYPE:
        ba_id = service.get("internal_id")
    ba = cache.ba(ba_id) if ba_id else None
    name = ba.get("name") if ba else None
    return str(name) if name else None


@dataclass(frozen=True, slots=True)
class OutputOptions:
    """How the ``output`` seen by format-file templates is shaped (the four output options)."""

    use_long_output: bool = True
    remove_line_break: bool = True
    line_break_replacement: str = " "
    size_limit: int | None = None

    @classmethod
    def from_config(cls, config: Config) -> OutputOptions:
        return cls(
            use_long_output=bool(config.use_long_output),
            remove_line_break=bool(config.remove_line_break_in_output),
            line_break_replacement=config.output_line_break_replacement_character,
            size_limit=config.output_size_limit,
        )


def template_output(event: dict[str, Any], options: OutputOptions) -> str:
    r"""The ``{output}`` format-file templates see (schema descriptions of the output options).

    The event's ``output`` as Broker sent it, as in the Lua connector: with BBDO 2 the whole
    plugin output, with BBDO 3 its first line (the rest is in ``long_output``). With
    ``use_long_output = 0`` only the first line (BBDO 2; BBDO 3 already has only that); then line
    breaks (``\r\n``, ``\n`` or ``\r``) replaced when ``remove_line_break_in_output`` is set;
    then cut to ``output_size_limit`` bytes of UTF-8 on a character boundary. The Lua connector's
    version of this was defective: it read a misspelt key (B12) and replaced line breaks only in
    outputs that had none, so a BBDO 2 output kept them.
    """
    text = event.get("output") or ""
    if not options.use_long_output:
        text = first_line(text)
    if options.remove_line_break and ("\n" in text or "\r" in text):
        replacement = options.line_break_replacement
        text = text.replace("\r\n", replacement).replace("\n", replacement).replace("\r", replacement)
    return cut_utf8(text, options.size_limit)


def before_last_line_break(text: str) -> str:
    """The ``_scshort`` flag, as the Lua connector computes it: the text before the *last* line
    break (Lua's greedy ``^(.*)\n``), the whole text when there is none (where the Lua connector
    left the macro itself in the payload)."""
    end = text.rfind("\n")
    return text if end < 0 else text[:end]


def template_output_short(event: dict[str, Any], options: OutputOptions) -> str:
    """``{output_scshort}``: ``_scshort`` of the output before its line breaks are replaced (the
    Lua connector never replaced them in an output that has some), so that with BBDO 2 it is the
    text before the last line break, as in Lua; with BBDO 3 the output itself."""
    text = event.get("output") or ""
    if not options.use_long_output:
        text = first_line(text)
    return before_last_line_break(cut_utf8(text, options.size_limit))


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
        self.severity_objects = bool(config.use_severity_objects)
        self.output_limit = config.output_size_limit
        self.bam_host = bool(config.enable_bam_host)
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
            # Ids come from input: the set is bounded, the line rate-limited and escaped.
            if len(self._unknown_pollers) < UNKNOWN_POLLERS_KEPT:
                self._unknown_pollers.add(instance_id)
            log_limited(
                log,
                logging.WARNING,
                "unknown_poller",
                "poller name of instance %s unknown (no instance event seen yet): using connector_name %r",
                shown(instance_id),
                self.connector_name_fallback,
            )
        return self.connector_name_fallback

    def host_name(self, event: dict[str, Any], host: dict[str, Any] | None) -> str:
        """The component: the host's name, else its id.

        With ``enable_bam_host = 1``, events about the virtual service ``ba_<id>`` of a BAM host
        ``_Module_BAM_<n>`` get the BA's name instead, as in the Lua connector (lua-connector.md
        4.3 step 2): the resource stays ``ba_<id>``, the component becomes the BA name.
        """
        name = host.get("name") if host else None
        if not name:
            return str(event.get("host_id"))
        name = str(name)
        if self.bam_host and name.startswith(BAM_HOST_PREFIX) and is_service_event(event):
            service = self.cache.service(event.get("host_id"), event.get("service_id"))
            return ba_name_of_service(self.cache, service) or name
        return name

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
            level = self.cache.severity(host_id, service_id, objects=self.severity_objects)
            if level is not None:
                return level
        return states.get(as_int(event.get("state"), -1))


class EventTypePlugin:
    """Base of the builtin event-type plugins: one element kind, the shared field rules.

    Subclasses set ``kind`` and implement :meth:`payloads`; they are ``trylast`` so that any
    plugin or format file can answer before them.
    """

    kind: str
    mapping: Mapping

    @hookimpl
    def connector_configure(self, config: Config, context: Any) -> None:
        self.mapping = Mapping(config, context.cache)
        self.configure(config, context)

    def configure(self, config: Config, context: Any) -> None:
        """More start-up work of a subclass (the hook itself cannot be overridden)."""

    @hookimpl(trylast=True)
    def connector_transform(self, event: dict[str, Any], element: Any, context: Any) -> list[Payload] | None:
        if element.kind != self.kind:
            return None
        return self.payloads(event, context)

    def payloads(self, event: dict[str, Any], context: Any) -> list[Payload]:
        raise NotImplementedError
