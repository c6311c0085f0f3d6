"""More context on the events, from the name cache (contrib plugin ``enrich``).

Adds to every event payload (checks, acks, comments...) about a host or a service:

- ``host_alias``: the host's alias;
- chosen custom variables of the host and of the service, by exact name (``custom_variables``)
  or Lua pattern (``custom_variable_patterns``, as ``accepted_hosts``); a service variable wins
  over a host variable of the same name; variables Broker marks as passwords are never kept;
- ``severity_level`` and ``severity_name`` (the service's, else the host's);
- ``categories``: the object's categories (BBDO 3 ``tags`` of the host or service, named by
  ``pb_tag`` events).

``into = "fields"`` (default) puts them as extra keys of the event (Canopsis keeps unknown keys in
the event's ``extra``, for event-filter rules); ``into = "tags"`` puts them in the event's
``tags`` map (Canopsis alarm tags ``key: value``; one tag per category, without value).

    [plugins]
    load = ["centreon_canopsis.plugins.contrib.enrich"]
    [plugins.enrich]
    host_alias = true
    custom_variables = ["SITE", "CONTRACT"]
    custom_variable_patterns = ["^CUST_"]
    severity = true
    categories = true
    into = "fields"          # or "tags"

The name cache keeps only the custom variables this plugin asks for (Broker sends many), from
the moment it is loaded: the variables of hosts Broker described before are known once Broker
sends them again (an Engine reload or a Broker restart).
"""

from __future__ import annotations

from typing import Any

from centreon_canopsis.core.config import ConfigError
from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.plugins.builtin.filters.lua_patterns import LuaPatternError, compile_patterns

NAME = "enrich"
STATE_KEY = "contrib.enrich"


@hookimpl
def connector_config_schema() -> dict[str, Any]:
    return {
        NAME: {
            "type": "object",
            "properties": {
                "host_alias": {"type": "boolean", "default": True},
                "custom_variables": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "custom_variable_patterns": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "severity": {"type": "boolean", "default": True},
                "categories": {"type": "boolean", "default": True},
                "into": {"enum": ["fields", "tags"], "default": "fields"},
            },
            "additionalProperties": False,
        }
    }


class Settings:
    def __init__(self, table: dict[str, Any], config: Any) -> None:
        self.host_alias = bool(table.get("host_alias", True))
        self.names = frozenset(table.get("custom_variables", ()))
        self.patterns = None
        patterns = table.get("custom_variable_patterns", ())
        if patterns:
            try:
                self.patterns = compile_patterns(patterns)
            except LuaPatternError as error:
                raise ConfigError(
                    [f"plugins.enrich.custom_variable_patterns: {error}"], config.path
                ) from None
        self.severity = bool(table.get("severity", True))
        self.categories = bool(table.get("categories", True))
        self.tags = table.get("into", "fields") == "tags"

    def wanted(self, name: str) -> bool:
        return name in self.names or (self.patterns is not None and self.patterns.matches(name))


@hookimpl
def connector_configure(config, context) -> None:
    settings = Settings(config.plugin_settings(NAME), config)
    context.state[STATE_KEY] = settings
    if settings.names or settings.patterns is not None:
        keep_for(context.cache, context.customer, settings.wanted)


def keep_for(cache: Any, scope: str, wanted: Any) -> None:
    """The cache is shared by every [[customers]] scope (and survives a reload): it keeps what
    any scope wants; a scope configured again replaces its own wish."""
    current = cache.keep_custom_variable
    wishes = dict(getattr(current, "wishes", {}))
    if current is not None and not wishes:
        wishes["(another plugin)"] = current
    wishes[scope] = wanted
    predicates = tuple(wishes.values())

    def keep(name: str) -> bool:
        return any(predicate(name) for predicate in predicates)

    keep.wishes = wishes  # type: ignore[attr-defined]
    cache.keep_custom_variable = keep


def extra(event: dict[str, Any], context: Any, settings: Settings) -> dict[str, Any]:
    cache = context.cache
    host_id = event.get("host_id")
    if host_id is None:
        return {}
    service_id = event.get("service_id") or 0
    added: dict[str, Any] = {}
    if settings.host_alias:
        host = cache.host(host_id)
        if host and host.get("alias"):
            added["host_alias"] = str(host["alias"])
    if settings.names or settings.patterns is not None:
        wanted = settings.wanted
        for scope in (0, service_id) if service_id else (0,):
            for name, value in cache.custom_variables(host_id, scope).items():
                if wanted(name):
                    added[name] = value
    if settings.severity:
        owner = service_id
        level = cache.severity(host_id, service_id)
        if level is None and service_id:
            owner, level = 0, cache.severity(host_id)
        if level is not None:
            added["severity_level"] = level
            name = cache.severity_name(host_id, owner)
            if name:
                added["severity_name"] = name
    if settings.categories:
        categories = cache.category_names(host_id, service_id)
        if categories:
            added["categories"] = categories
    return added


@hookimpl(wrapper=True)
def connector_transform(event: dict[str, Any], element, context):
    payloads = yield
    if not payloads:
        return payloads
    settings: Settings = context.state[STATE_KEY]
    added = extra(event, context, settings)
    if not added:
        return payloads
    for payload in payloads:
        body = payload.body
        if payload.kind != "event" or not isinstance(body, dict):
            continue
        if settings.tags:
            tags = dict(body.get("tags") or {})
            for key, value in added.items():
                if key == "categories":
                    tags.update(dict.fromkeys(value, ""))
                else:
                    tags[key] = str(value)
            body["tags"] = tags
        else:
            for key, value in added.items():
                body.setdefault(key, value)
    return payloads
