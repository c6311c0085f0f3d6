"""Host checks -> Canopsis ``check`` events on the component (lua-connector.md 3.2)."""

from __future__ import annotations

from typing import Any

from centreon_canopsis.core.model import Payload
from centreon_canopsis.plugins.builtin.mapping import HOST_STATES, EventTypePlugin


class HostStatusPlugin(EventTypePlugin):
    """Builds the check event of a ``host_status`` / ``pb_host_status`` event."""

    kind = "host_status"

    def payloads(self, event: dict[str, Any], context) -> list[Payload]:
        mapping = self.mapping
        host_id = event.get("host_id")
        host = context.cache.host(host_id)
        state = mapping.state(HOST_STATES, event, host_id)
        if state is None:
            return []  # PENDING or unknown: Canopsis has no such state (its check would be refused)
        output, long_output = mapping.outputs(event)
        component = mapping.host_name(event, host)
        body = {
            "event_type": "check",
            "source_type": "component",
            "connector": mapping.connector,
            "connector_name": mapping.connector_name(host),
            "component": component,
            "output": output,
            "long_output": long_output,
            "state": state,
            "timestamp": mapping.timestamp(event),
            "hostgroups": mapping.hostgroups(host_id),
            "notes_url": (host or {}).get("notes_url") or "",
            "action_url": (host or {}).get("action_url") or "",
            "host_id": str(host_id),
        }
        if body["timestamp"] is None:
            del body["timestamp"]  # Canopsis then uses its reception time
        return [Payload("event", body, component)]
