"""Builtin routes: where each builtin payload kind goes, from the ``canopsis_*_route`` settings.

Events and pbehavior calls travel on separate outbox lanes, so a pbehavior waiting for a retry
never holds up alarms, and the other way round. A pbehavior's create, comment and delete share a
lane: a delete can never overtake its create.

With ``canopsis_downtime_bulk = 1`` the three pbehavior kinds share one route,
``pbehavior.bulk`` (``/api/v4/bulk/pbehaviors``, up to ``max_batch_size`` items): the outbox
batches consecutive items of one route only, and a downtime start is a create followed by a
comment, so separate routes would never batch anything.
"""

from __future__ import annotations

from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.core.model import Payload, Route
from centreon_canopsis.plugins.builtin.canopsis.pbehaviors import BULK, COMMENT, CREATE, DELETE, bulk_path

EVENTS_LANE = "events"
PBEHAVIORS_LANE = "pbehaviors"


class CanopsisRoutes:
    routes: dict[str, Route]

    @hookimpl
    def connector_configure(self, config, context) -> None:
        pbehaviors = config.canopsis_downtime_route
        self.routes = {
            "event": Route(
                "event", "POST", config.canopsis_event_route, EVENTS_LANE, int(config.max_batch_size)
            ),
            CREATE: Route(CREATE, "POST", pbehaviors, PBEHAVIORS_LANE),
            DELETE: Route(DELETE, "DELETE", pbehaviors, PBEHAVIORS_LANE),
            COMMENT: Route(COMMENT, "POST", config.canopsis_downtime_comment_route, PBEHAVIORS_LANE),
        }
        if int(config.canopsis_downtime_bulk):
            bulk = Route(BULK, "POST", bulk_path(pbehaviors), PBEHAVIORS_LANE, int(config.max_batch_size))
            for kind in (CREATE, DELETE, COMMENT):
                self.routes[kind] = bulk

    @hookimpl(trylast=True)
    def connector_route(self, payload: Payload, context) -> Route | None:
        return self.routes.get(payload.kind)
