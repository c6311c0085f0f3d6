"""BAM business activities -> Canopsis ``check`` events, one component per BA.

The Lua connector had no mapping for BA status and stuck its output when given a template for it
(defect B7). Here a BA is a component named after the BA (its name from the BAM dimension events),
with the BA's state mapped like a service's, and its business views listed in ``bvs``. Select BAs
with ``accepted_categories`` containing ``bam``, ``accepted_elements`` containing ``ba_status``,
and the ``ba_status`` / ``in_downtime`` / ``accepted_bvs`` filters.
"""

from __future__ import annotations

from typing import Any

from centreon_canopsis.core.events import as_int
from centreon_canopsis.core.model import Payload
from centreon_canopsis.plugins.builtin.mapping import (
    BA_STATE_NAMES,
    BA_STATES,
    EventTypePlugin,
    cut_utf8,
    first_line,
)


class BaStatusPlugin(EventTypePlugin):
    kind = "ba_status"

    def configure(self, config, context) -> None:
        # BAs are computed by the central Broker, not by a poller: the configured name stands for it.
        self.connector_name = config.connector_name

    def payloads(self, event: dict[str, Any], context) -> list[Payload]:
        ba_id = event.get("ba_id")
        ba = context.cache.ba(ba_id)
        name = (ba or {}).get("name") or f"ba_{ba_id}"
        state = BA_STATES.get(as_int(event.get("state"), -1))
        if state is None:
            return []
        text = event.get("output") or ""  # BBDO 2 ba_status has no output: say what we know
        if not text:
            level = event.get("level_nominal")
            health = f", health {float(level):.0f}%" if level is not None else ""
            text = f"BA {name} is {BA_STATE_NAMES[as_int(event.get('state'), 3)]}{health}"
        body = {
            "event_type": "check",
            "source_type": "component",
            "connector": self.mapping.connector,
            "connector_name": self.connector_name,
            "component": name,
            "output": cut_utf8(first_line(text), self.mapping.output_limit),
            "long_output": text,
            "state": state,
            "timestamp": as_int(event.get("last_state_change")) or None,
            "ba_id": str(ba_id),
            "bvs": context.cache.bv_names(ba_id),
        }
        if body["timestamp"] is None:
            del body["timestamp"]
        return [Payload("event", body, name)]
