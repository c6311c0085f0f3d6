"""Route table and the order of checks of canopsis-api.md 1.2.

Order, as gin and Canopsis' middlewares apply it: unknown path -> 404, known path with another
method -> 405 (both before auth); credentials present but wrong -> 401 (every route of the
protected group, even /app-info); maintenance -> 503; route needing a user without one -> 401;
user without the permission -> 403; then the handler.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from centreon_canopsis.standins.canopsis import responses as r
from centreon_canopsis.standins.canopsis.api import CanopsisApi
from centreon_canopsis.standins.canopsis.bulk import BulkApi
from centreon_canopsis.standins.canopsis.request import Request
from centreon_canopsis.standins.canopsis.state import SandboxState

log = logging.getLogger(__name__)

Handler = Callable[[Request], r.Response]

PUBLIC = "public"  # no auth middleware at all (/login)
OPTIONAL = "optional"  # auth middleware, no user needed (/app-info)
USER = "user"  # a user is needed


@dataclass(frozen=True)
class Route:
    handler: Handler
    access: str = USER
    permission: str | None = None


class Router:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        api = CanopsisApi(state)
        bulk = BulkApi(state)
        profile = state.profile
        v4 = "/api/v4"
        pbh = "api_pbehavior"
        reason = "api_pbehaviorreason"
        ptype = "api_pbehaviortype"
        table: dict[str, dict[str, Route]] = {
            f"{v4}/login": {"POST": Route(api.login, PUBLIC)},
            f"{v4}/app-info": {"GET": Route(api.app_info, OPTIONAL)},
            f"{v4}/event": {"POST": Route(api.post_event, permission="api_event")},
            f"{v4}/alarms": {"GET": Route(api.list_alarms, permission="api_alarm_read")},
            f"{v4}/pbehaviors": {
                "GET": Route(api.list_pbehaviors, permission=f"{pbh}:read"),
                "POST": Route(api.create_pbehavior, permission=f"{pbh}:create"),
                "DELETE": Route(api.delete_pbehavior_by_name, permission=f"{pbh}:delete"),
            },
            f"{v4}/pbehaviors/{{id}}": {
                "GET": Route(api.get_pbehavior, permission=f"{pbh}:read"),
                "PUT": Route(api.update_pbehavior, permission=f"{pbh}:update"),
                "PATCH": Route(api.patch_pbehavior, permission=f"{pbh}:update"),
                "DELETE": Route(api.delete_pbehavior, permission=f"{pbh}:delete"),
            },
            f"{v4}/pbehaviors/{{id}}/entities": {
                "GET": Route(api.pbehavior_entities, permission=f"{pbh}:read")
            },
            f"{v4}/entities/pbehaviors": {"GET": Route(api.entity_pbehaviors, permission=f"{pbh}:read")},
            f"{v4}/pbehavior-comments": {"POST": Route(api.create_comment, permission=f"{pbh}:update")},
            f"{v4}/pbehavior-comments/{{id}}": {
                "DELETE": Route(api.delete_comment, permission=f"{pbh}:update")
            },
            f"{v4}/pbehavior-reasons": {
                "GET": Route(api.list_reasons, permission=f"{reason}:read"),
                "POST": Route(api.create_reason, permission=f"{reason}:create"),
            },
            f"{v4}/pbehavior-reasons/{{id}}": {
                "GET": Route(api.get_reason, permission=f"{reason}:read"),
                "PUT": Route(api.update_reason, permission=f"{reason}:update"),
                "DELETE": Route(api.delete_reason, permission=f"{reason}:delete"),
            },
            f"{v4}/pbehavior-types": {
                "GET": Route(api.list_types, permission=f"{ptype}:read"),
                "POST": Route(api.create_type, permission=f"{ptype}:create"),
            },
            f"{v4}/pbehavior-types/next-priority": {
                "GET": Route(api.next_priority, permission=f"{ptype}:read")
            },
            f"{v4}/pbehavior-types/{{id}}": {
                "GET": Route(api.get_type, permission=f"{ptype}:read"),
                "PUT": Route(api.update_type, permission=f"{ptype}:update"),
                "DELETE": Route(api.delete_type, permission=f"{ptype}:delete"),
            },
            f"{v4}/bulk/pbehaviors": {
                "POST": Route(bulk.create, permission=f"{pbh}:create"),
                "PUT": Route(bulk.update, permission=f"{pbh}:update"),
                "DELETE": Route(bulk.delete, permission=f"{pbh}:delete"),
            },
        }
        if profile.bulk_entity_pbehaviors:
            table[f"{v4}/bulk/entity-pbehaviors"] = {
                "POST": Route(bulk.entity_create, permission=f"{pbh}:create"),
                "DELETE": Route(bulk.entity_delete, permission=f"{pbh}:delete"),
            }
        if profile.bulk_connector_pbehaviors:
            table[f"{v4}/bulk/connector-pbehaviors"] = {
                "POST": Route(bulk.connector_create, permission=f"{pbh}:create"),
                "DELETE": Route(bulk.connector_delete, permission=f"{pbh}:delete"),
            }
        self._static: dict[str, dict[str, Route]] = {}
        self._dynamic: list[tuple[re.Pattern[str], dict[str, Route]]] = []
        for path, methods in table.items():
            if "{" in path:
                regex = re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")
                self._dynamic.append((regex, methods))
            else:
                self._static[path] = methods

    def _find(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """(route, path params, path known for some method). Static paths win, like gin."""
        known = False
        static = self._static.get(path)
        if static is not None:
            if method in static:
                return static[method], {}, True
            known = True
        for regex, methods in self._dynamic:
            match = regex.match(path)
            if match:
                if method in methods:
                    return methods[method], match.groupdict(), True
                known = True
        return None, {}, known

    def dispatch(self, req: Request) -> r.Response:
        route, params, known = self._find(req.method, req.path)
        if route is None:
            if known:
                return r.method_not_allowed()
            return self._not_found_or_redirect(req)
        req.params = params
        st = self.state
        if route.access != PUBLIC:
            outcome, user = st.auth.authenticate(req.headers, req.query, req.now)
            if outcome == "crash":
                return r.internal_error()
            if outcome == "bad":
                return r.unauthorized()
            req.user = user
            if (
                user is not None
                and st.maintenance
                and st.profile.maintenance
                and not user.can("api_maintenance")
            ):
                return r.maintenance()
            if route.access == USER:
                if user is None:
                    return r.unauthorized()
                if not user.can(route.permission):
                    return r.forbidden()
        with st.lock:
            req.now = st.tick(req.now)
            return route.handler(req)

    def _not_found_or_redirect(self, req: Request) -> r.Response:
        # gin's RedirectTrailingSlash: 301 for GET, 307 otherwise.
        alt = req.path[:-1] if req.path.endswith("/") and len(req.path) > 1 else req.path + "/"
        route, _, known = self._find(req.method, alt)
        if route is not None or known:
            location = alt + (f"?{req.raw_query}" if req.raw_query else "")
            status = 301 if req.method == "GET" else 307
            body = f'<a href="{location}">Moved Permanently</a>.\n\n'.encode() if req.method == "GET" else b""
            ctype = "text/html; charset=utf-8" if body else None
            return r.Response(status, body, ctype, [("Location", location)])
        return r.not_found()
