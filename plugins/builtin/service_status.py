"""Service checks -> Canopsis ``check`` events on the resource (lua-connector.md 3.3)."""

from __future__ import annotations

from typing import Any

from centreon_canopsis.core.model import Payload
from centreon_canopsis.plugins.builtin.mapping import SERVICE_STATES, EventTypePlugin


class ServiceStatusPlugin(EventTypePlugin):
    """Builds the check event of a ``service_status`` / ``pb_service_status`` event."""

    kind = "service_status"

    def payloads(self, event: dict[str, Any], context) -> list[Payload]:
        mapping = self.mapping
        cache = context.cache
        host_id, service_id = event.get("host_id"), event.get("service_id")
        host = cache.host(host_id)
        service = cache.service(host_id, service_id)
        state = mapping.state(SERVICE_STATES, event, host_id, service_id)
        if state is None:
            return []  # PENDING (4): no Canopsis equivalent
        output, long_output = mapping.outputs(event)
        component = mapping.host_name(event, host)
        resource = mapping.service_name(event, service)
        body = {
            "event_type": "check",
            "source_type": "resource",
            "connector": mapping.connector,
            "connector_name": mapping.connector_name(host),
            "component": component,
            "resource": resource,
            "output": output,
            "long_output": long_output,
            "state": state,
            "timestamp": mapping.timestamp(event),
            "hostgroups": mapping.hostgroups(host_id),
            "servicegroups": mapping.servicegroups(host_id, service_id),
            "host_id": str(host_id),
            "service_id": str(service_id),
        }
        if body["timestamp"] is None:
            del body["timestamp"]
        # Raw cache values, as the Lua connector sends them: left out when the service has none.
        if service is not None:
            for field in ("notes_url", "action_url"):
                if service.get(field) is not None:
                    body[field] = service[field]
        return [Payload("event", body, f"{resource}/{component}")]
