"""Builtin routes: where each builtin payload kind goes, from the ``canopsis_*_route`` settings.

Events and pbehavior calls travel on separate outbox lanes, so a pbehavior waiting for a retry
never holds up alarms, and the other way round. A pbehavior's create, comment and delete share a
lane: a delete can never overtake its create.
"""

from __future__ import annotations

from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.core.model import Payload, Route

EVENTS_LANE = "events"
PBEHAVIORS_LANE = "pbehaviors"


class CanopsisRoutes:
    routes: dict[str, Route]

    @hookimpl
    def connector_configure(self, config, context) -> None:
        self.routes = {
            "event": Route(
                "event", "POST", config.canopsis_event_route, EVENTS_LANE, int(config.max_batch_size)
            ),
            "pbehavior.create": Route(
                "pbehavior.create", "POST", config.canopsis_downtime_route, PBEHAVIORS_LANE
            ),
            "pbehavior.delete": Route(
                "pbehavior.delete", "DELETE", config.canopsis_downtime_route, PBEHAVIORS_LANE
            ),
            "pbehavior.comment": Route(
                "pbehavior.comment", "POST", config.canopsis_downtime_comment_route, PBEHAVIORS_LANE
            ),
        }

    @hookimpl(trylast=True)
    def connector_route(self, payload: Payload, context) -> Route | None:
        return self.routes.get(payload.kind)
