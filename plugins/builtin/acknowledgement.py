"""Acknowledgements -> Canopsis ``ack`` and ``ackremove`` events (lua-connector.md 3.4).

Two defects of the Lua connector are fixed here:

- B1: a host acknowledgement in BBDO 3 carries ``service_id = 0``; it is a host acknowledgement,
  not a crash. Host or service is decided on ``service_id`` being set, in both protocol forms.
- B2: in BBDO 2 an active acknowledgement has no ``deletion_time`` key; it is an ``ack``, not an
  ``ackremove``. Removal is a ``deletion_time`` that holds a real time.

Like the Lua connector, a host acknowledgement carries ``"resource": ""`` (its base fields hold an
empty resource that only a service fills); Canopsis reads an empty resource as "no resource".
"""

from __future__ import annotations

from typing import Any

from centreon_canopsis.core.events import as_int, is_service_event, is_set
from centreon_canopsis.core.model import Payload
from centreon_canopsis.plugins.builtin.mapping import HOST_STATES, SERVICE_STATES, EventTypePlugin


class AcknowledgementPlugin(EventTypePlugin):
    kind = "acknowledgement"

    def payloads(self, event: dict[str, Any], context) -> list[Payload]:
        mapping = self.mapping
        cache = context.cache
        host_id = event.get("host_id")
        host = cache.host(host_id)
        component = mapping.host_name(event, host)
        comment = event.get("comment_data") or ""
        body: dict[str, Any] = {
            "event_type": "ackremove" if is_set(event.get("deletion_time")) else "ack",
            "author": event.get("author") or "",
            "connector": mapping.connector,
            "connector_name": mapping.connector_name(host),
            "component": component,
            "output": comment,
            "long_output": comment,
            "timestamp": as_int(event.get("entry_time")),
        }
        state = as_int(event.get("state"), 0)
        if is_service_event(event):
            service_id = event.get("service_id")
            resource = mapping.service_name(event, cache.service(host_id, service_id))
            body["source_type"] = "resource"
            body["resource"] = resource
            body["state"] = SERVICE_STATES.get(state, 0)
            key = f"{resource}/{component}"
        else:
            body["source_type"] = "component"
            body["resource"] = ""
            body["state"] = HOST_STATES.get(state, 0)
            key = component
        if body["timestamp"] is None:
            del body["timestamp"]
        return [Payload("event", body, key)]
