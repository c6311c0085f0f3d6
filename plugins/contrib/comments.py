"""Centreon comments as Canopsis ``comment`` events (contrib plugin ``comments``).

Broker sends a comment as ``comment`` (1:2, BBDO 2) or ``pb_comment`` (1:35, BBDO 3), both with
``host_id``, ``service_id`` (0 for a host), ``author``, ``data`` (the text), ``entry_type``
(1 user, 2 downtime, 3 flapping, 4 acknowledgement), ``entry_time`` and ``deletion_time`` (set
when the comment is removed). A user comment becomes::

    {"event_type": "comment", "connector": ..., "connector_name": ..., "component": <host>,
     "resource": <service>, "output": <text>, "author": <author>, "timestamp": <entry_time>}

Canopsis adds it as a comment step of the entity's open alarm (``v.last_comment``); without an
open alarm it does nothing. Deleted comments are dropped (reason ``comment_deleted``), and
comments of the other entry types too (reason ``comment_entry_type``): downtimes and
acknowledgements already reach Canopsis as pbehaviors and acks.

Load it and accept the element::

    accepted_elements = "host_status,service_status,acknowledgement,downtime,comment"
    [plugins]
    load = ["centreon_canopsis.plugins.contrib.comments"]
    [plugins.comments]          # optional
    entry_types = [1]           # 1 user, 2 downtime, 3 flapping, 4 acknowledgement
    prefix = ""                 # put before the text

Settings are kept per context, so each ``[[customers]]`` entry gets its own connector fields.
"""

from __future__ import annotations

from typing import Any

from centreon_canopsis.core.events import as_int, is_service_event
from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.core.model import Payload
from centreon_canopsis.plugins.builtin.mapping import Mapping

NAME = "comments"
STATE_KEY = "contrib.comments"
KIND = "comment"


@hookimpl
def connector_config_schema() -> dict[str, Any]:
    return {
        NAME: {
            "type": "object",
            "properties": {
                "entry_types": {
                    "type": "array",
                    "items": {"enum": [1, 2, 3, 4]},
                    "uniqueItems": True,
                    "default": [1],
                },
                "prefix": {"type": "string", "default": ""},
            },
            "additionalProperties": False,
        }
    }


@hookimpl
def connector_configure(config, context) -> None:
    settings = config.plugin_settings(NAME)
    context.state[STATE_KEY] = (
        Mapping(config, context.cache),
        frozenset(settings.get("entry_types", [1])),
        settings.get("prefix", ""),
    )


@hookimpl
def connector_accept(event: dict[str, Any], element, context) -> str | None:
    if element.kind != KIND:
        return None
    if as_int(event.get("deletion_time"), 0) > 0:
        return "comment_deleted"
    _, entry_types, _ = context.state[STATE_KEY]
    if as_int(event.get("entry_type"), 1) not in entry_types:
        return "comment_entry_type"
    return None


@hookimpl
def connector_transform(event: dict[str, Any], element, context) -> list[Payload] | None:
    if element.kind != KIND:
        return None
    mapping, _, prefix = context.state[STATE_KEY]
    cache = context.cache
    host = cache.host(event.get("host_id"))
    component = mapping.host_name(event, host)
    body: dict[str, Any] = {
        "event_type": "comment",
        "connector": mapping.connector,
        "connector_name": mapping.connector_name(host),
        "component": component,
        "output": prefix + str(event.get("data") or ""),
        "author": str(event.get("author") or ""),
    }
    key = component
    if is_service_event(event):
        service = cache.service(event.get("host_id"), event.get("service_id"))
        body["resource"] = mapping.service_name(event, service)
        key = f"{body['resource']}/{component}"
    entry_time = as_int(event.get("entry_time"), 0)
    if entry_time > 0:
        body["timestamp"] = entry_time
    if not body["author"]:
        del body["author"]  # Canopsis then names the API user
    return [Payload("event", body, key)]
