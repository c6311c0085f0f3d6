"""``format_file``: JSON templates that replace the builtin mapping of chosen elements.

Compatible with the Lua connector's format files (keys ``<category>_<element>``, ``{macro}``
tokens, ``{cache.<type>.<field>}``, ``{groups(hg|sg|bv, table|inline, <pattern>)}``, the ``_sc*``
flags), without its defects: numbers stay numbers (B8), a template can keep the builtin state
mapping and ``ackremove`` through ``{canopsis.<field>}`` or ``"$extends": "builtin"``, and a
``bam_ba_status`` template is delivered (B7). ``{"$expr": "<JMESPath>"}`` computes a value.
The file is validated against ``schemas/format_file.schema.json`` and compiled at start-up;
every problem is reported at once. See docs/format-files.md.
"""

from __future__ import annotations

import importlib.resources
import json
import logging
from functools import cache
from typing import Any

import jsonschema

from centreon_canopsis.core.config import ConfigError, split_list
from centreon_canopsis.core.elements import CATEGORIES, UnknownElementError
from centreon_canopsis.core.events import as_int, is_service_event
from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.core.model import Payload
from centreon_canopsis.plugins.builtin.format_file.catalogue import event_fields
from centreon_canopsis.plugins.builtin.format_file.template import (
    HOST_STATES,
    MISSING,
    SERVICE_STATES,
    Compiler,
    Resolver,
    Template,
)
from centreon_canopsis.plugins.builtin.mapping import (
    BA_STATE_NAMES,
    OutputOptions,
    cut_utf8,
    split_output,
    template_output,
    template_output_short,
)

log = logging.getLogger(__name__)

REFUSED = {
    "downtime": "downtimes become pbehaviors, whose life (create, comment, delete) a template cannot "
    "describe; the Lua connector lost deletions this way. Change them with a plugin."
}


@cache
def schema() -> dict[str, Any]:
    text = (
        importlib.resources.files("centreon_canopsis.schemas").joinpath("format_file.schema.json").read_text()
    )
    return json.loads(text)


def load_templates(path: str, registry: Any, timestamp_format: str) -> dict[int, Template]:
    """Reads, validates and compiles a format file: ``{type_id: template}``. Raises ConfigError."""
    where = f"format_file {path}"
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as error:
        raise ConfigError([f"{where} cannot be read: {error.strerror}"]) from None
    except json.JSONDecodeError as error:
        raise ConfigError([f"{where} is not valid JSON: {error}"]) from None
    except ValueError as error:  # a NUL in the path, a file that is not UTF-8 (found by tests/fuzz)
        raise ConfigError([f"{where} cannot be read: {error}"]) from None
    errors = [
        f"{where}: {'/'.join(map(str, e.absolute_path)) or 'top level'}: {e.message}"
        for e in jsonschema.Draft202012Validator(schema()).iter_errors(data)
    ]
    if errors:
        raise ConfigError(errors)
    compiler = Compiler(timestamp_format)
    templates: dict[int, Template] = {}
    for key, value in data.items():
        if key.startswith("$"):
            continue
        category, _, name = key.partition("_")
        try:
            elements = registry.resolve(CATEGORIES[category], name)
        except UnknownElementError as error:
            errors.append(f"{where}: {key}: {error}")
            continue
        if elements[0].kind in REFUSED:
            errors.append(f"{where}: {key}: {REFUSED[elements[0].kind]}")
            continue
        compiler.errors = []
        template = compiler.template(key, value, event_fields(elements))
        errors += [f"{where}: {message}" for message in compiler.errors]
        errors += [f"{where}: {message}" for message in _check_problems(key, value, elements[0].kind)]
        for element in elements:
            templates[element.type_id] = template
    if errors:
        raise ConfigError(errors)
    return templates


CHECK_KINDS = ("host_status", "service_status", "ba_status")


def _check_problems(key: str, value: dict[str, Any], kind: str) -> list[str]:
    """A check needs a ``component``: without one Canopsis refuses every event of the template."""
    if value.get("$extends") == "builtin":
        return []
    event_type = value.get("event_type")
    if event_type != "check" and (event_type is not None or kind not in CHECK_KINDS):
        return []
    component = value.get("component")
    if component is None:
        return [f"{key}: a check template needs a component (Canopsis refuses a check without one)"]
    if component == "" or (not isinstance(component, str | dict)):
        return [f"{key}.component: must be a non-empty string (a host or BA name macro)"]
    return []


class FormatFilePlugin:
    """Answers ``connector_transform`` for the elements the format file has templates for."""

    templates: dict[int, Template]

    @hookimpl
    def connector_configure(self, config, context) -> None:
        self.templates = {}
        self.context = context
        if not config.format_file:
            return
        self.templates = load_templates(
            config.format_file, context.registry, config.timestamp_conversion_format
        )
        self.options = OutputOptions.from_config(config)
        self.severity_objects = bool(config.use_severity_objects)
        self.output_limit = config.output_size_limit
        accepted = {
            e.type_id
            for name in split_list(config.accepted_elements)
            for e in context.registry.resolve_any(name, CATEGORIES.values())
        }
        unused = sorted({context.registry.by_type[t].kind for t in self.templates if t not in accepted})
        for kind in unused:
            log.warning(
                "format_file has a template for %s, which accepted_elements does not include: unused", kind
            )
        # The payload the connector would send without the templates, for {canopsis.*}.
        self._others = context.plugins.subset_hook_caller("connector_transform", remove_plugins=[self])

    @hookimpl
    def connector_transform(self, event: dict[str, Any], element, context) -> list[Payload] | None:
        template = self.templates.get(element.type_id)
        if template is None:
            return None
        body = template.render(Resolver(event, element, self))
        if not body:
            return []
        key = f"{body.get('resource', '')}/{body.get('component', '')}".strip("/")
        return [Payload("event", body, key)]

    # -- what templates read -----------------------------------------------------------------

    def builtin_payload(self, event: dict[str, Any], element: Any) -> dict[str, Any] | None:
        payloads = self._others(event=event, element=element, context=self.context)
        for payload in payloads or ():
            if payload.kind == "event":
                return dict(payload.body)
        return None

    def derived(self, event: dict[str, Any]) -> dict[str, Any]:
        short, whole = split_output(event)
        values = {"short_output": cut_utf8(short, self.output_limit), "long_output": whole}
        if "output" in event:
            values["output"] = template_output(event, self.options)
        if "acknowledged" not in event and "acknowledgement_type" in event:
            values["acknowledged"] = (as_int(event["acknowledgement_type"], 0) or 0) >= 1
        return values

    def output_short(self, event: dict[str, Any]) -> Any:
        return template_output_short(event, self.options) if "output" in event else MISSING

    def derived_field(self, event: dict[str, Any], name: str) -> Any:
        if name == "output" and "output" in event:
            return template_output(event, self.options)
        if name in ("short_output", "long_output") or (name == "acknowledged" and name not in event):
            return self.derived(event).get(name, MISSING)
        return MISSING

    def cache_value(self, resolver: Resolver, kind: str) -> Any:
        cache = self.context.cache
        event = resolver.event
        host_id, service_id = event.get("host_id"), event.get("service_id")
        host = cache.host(host_id) if host_id is not None else None
        if kind == "host":
            return host
        if kind == "service":
            return cache.service(host_id, service_id) if is_service_event(event) else None
        if kind in ("poller", "instance"):
            instance_id = (host or {}).get("instance_id") or event.get("instance_id")
            name = cache.poller_name(instance_id) if instance_id else None
            return name if kind == "poller" else ({"id": instance_id, "name": name} if instance_id else None)
        if kind == "severity":
            objects = self.severity_objects
            return {
                "host": cache.severity(host_id, objects=objects),
                "service": cache.severity(host_id, service_id, objects) if is_service_event(event) else None,
            }
        if kind == "hostgroups":
            return [{"group_name": name} for name in cache.hostgroup_names(host_id)]
        if kind == "servicegroups":
            return [{"group_name": name} for name in cache.servicegroup_names(host_id, service_id)]
        if kind == "ba":
            ba_id = event.get("ba_id")
            ba = cache.ba(ba_id)
            if ba is None:
                return None
            # Broker's get_ba names (ba_*), as Centreon's templating documentation uses them.
            return {**ba, "ba_id": ba_id, "ba_name": ba.get("name"), "ba_description": ba.get("description")}
        if kind == "bvs":
            return [{"bv_name": name} for name in cache.bv_names(event.get("ba_id"))]
        return None

    def group_names(self, resolver: Resolver, source: str) -> list[str]:
        event = resolver.event
        cache = self.context.cache
        if source == "hostgroup_names":
            return cache.hostgroup_names(event.get("host_id"))
        if source == "servicegroup_names":
            return cache.servicegroup_names(event.get("host_id"), event.get("service_id"))
        return cache.bv_names(event.get("ba_id"))

    @staticmethod
    def state_text(resolver: Resolver, state: int) -> Any:
        if resolver.element.category == CATEGORIES["bam"]:
            return BA_STATE_NAMES.get(state, MISSING)
        table = SERVICE_STATES if is_service_event(resolver.event) else HOST_STATES
        return table.get(state, MISSING)
