"""What an admin must see at the default log level about Canopsis: it went away, it came back,
it refuses our credentials. Logged on the transition, once, not per request or per retry.
"""

from __future__ import annotations

import logging
import time

from centreon_canopsis.core.logsafe import shown
from centreon_canopsis.core.logsetup import notice

log = logging.getLogger("centreon_canopsis.canopsis")

OK, UNREACHABLE, AUTH = "reachable", "unreachable", "authentication"
#: Answers that mean the credentials are refused: the authkey (401, 403) or the proxy's (407).
AUTH_STATUSES = {"401": "canopsis_authkey", "403": "canopsis_authkey", "407": "proxy_username/proxy_password"}


class Reachability:
    """One state per lane, changed by each settled batch (called once per batch, not per payload)."""

    def __init__(self) -> None:
        self.states: dict[str, tuple[str, float]] = {}

    def update(self, lane: str, delivered: bool, reached: bool, causes: dict[str, int], error: str) -> None:
        auth = next((cause for cause in causes if cause in AUTH_STATUSES), None)
        if auth is not None:
            state = AUTH
        elif delivered or reached:
            state = OK
        elif causes:
            state = UNREACHABLE
        else:
            return
        previous, since = self.states.get(lane, (OK, time.monotonic()))
        if state == previous:
            return
        now = time.monotonic()
        self.states[lane] = (state, now)
        if state == UNREACHABLE:
            log.error(
                "Canopsis unreachable (lane %s): %s; payloads wait in the outbox and are retried",
                lane,
                shown(error, 300),
            )
        elif state == AUTH:
            log.error(
                "Canopsis refuses our credentials (HTTP %s, lane %s): check %s; payloads wait in the "
                "outbox and are retried: %s",
                auth,
                lane,
                AUTH_STATUSES[auth],
                shown(error, 300),
            )
        else:
            notice(log, "Canopsis %s again (lane %s) after %.0fs", "reachable" if previous == UNREACHABLE
                   else "accepts our credentials", lane, now - since)  # fmt: skip
