"""What an admin must see at the default log level about Canopsis: it went away, it came back,
it refuses our credentials. Logged on the transition, once, not per request or per retry.

Judged from Canopsis's answers themselves (``canopsis_responses_total``, counted by the sender for
each request, ``error`` when there was no answer), compared before and after each settled batch:
a batch that made no request (a pbehavior waiting for its type id, for example) changes nothing.
"""

from __future__ import annotations

import logging
import time

from centreon_canopsis.core.logsafe import shown
from centreon_canopsis.core.logsetup import notice
from centreon_canopsis.core.metrics import Metrics

log = logging.getLogger("centreon_canopsis.canopsis")

OK, UNREACHABLE, AUTH = "reachable", "unreachable", "authentication"
#: Answers that mean the credentials are refused: the authkey (401, 403) or the proxy's (407).
AUTH_STATUSES = {"401": "canopsis_authkey", "403": "canopsis_authkey", "407": "proxy_username/proxy_password"}


class Reachability:
    """One state per lane, judged after each settled batch (once per batch, not per payload)."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.states: dict[str, tuple[str, float]] = {}
        self._seen: dict[str, dict[str, float]] = {}  # answers per status, per route, last time

    def _answers(self, route: str) -> dict[str, float]:
        """Canopsis answers to ``route``'s requests since the last call, by status."""
        now: dict[str, float] = {}
        for labels, value in self.metrics.series("canopsis_responses_total").items():
            found = dict(labels)
            if found.get("route") == route:
                now[found.get("status", "")] = value
        before = self._seen.get(route, {})
        self._seen[route] = now
        return {
            status: value - before.get(status, 0)
            for status, value in now.items()
            if value > before.get(status, 0)
        }

    def update(self, lane: str, route: str, error: str) -> None:
        answers = self._answers(route)
        if not answers:
            return  # no request was made: nothing learnt about Canopsis
        auth = next((status for status in answers if status in AUTH_STATUSES), None)
        if auth is not None:
            state = AUTH
        elif all(status == "error" or status.startswith("5") for status in answers):
            state = UNREACHABLE
        else:
            state = OK
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
            again = "reachable" if previous == UNREACHABLE else "accepts our credentials"
            notice(log, "Canopsis %s again (lane %s) after %.0fs", again, lane, now - since)
