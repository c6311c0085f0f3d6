"""Reading Canopsis answers: which are retried, which are permanent, which events failed.

``POST /api/v4/event`` always answers 200 once the body parses, listing the events it could not
take in ``failed_events`` (canopsis-api.md 2.5). The list carries no index and the API rewrites
some fields of each event (author, user_id, role, source_type, a numeric-string state) before
listing it, so failed events are matched to ours on fields it leaves alone.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Iterable, Sequence
from typing import Any

import requests

from centreon_canopsis.core.model import Outcome, Result
from centreon_canopsis.plugins.builtin.canopsis.client import Answer

#: Fields of an event the API never rewrites.
MATCH_FIELDS = ("event_type", "connector", "connector_name", "component", "resource", "timestamp", "output")
#: Answers that mean "the connector is misconfigured" rather than "this event is bad": retrying
#: (loudly) keeps the events until an admin fixes the authkey, the rights or the route, where
#: dead-lettering them would drop every event of the outage (Vector #10870). A 404 that means
#: "already gone" for a pbehavior delete is handled before these.
CONFIGURATION_STATUSES = {
    401: "authentication failed: check canopsis_authkey",
    403: "the authkey's user lacks the API rights (see the README)",
    404: "no such route: check canopsis_host and the canopsis_*_route settings",
    405: "the route does not accept this method: check the canopsis_*_route settings",
    407: "the proxy refused the connector's credentials: check proxy_username and proxy_password",
}
RESPONSE_EXCERPT = 2000
REDIRECT_FIX = "set canopsis_host, canopsis_port and sending_protocol to the address it names"


class RetryStatuses:
    """The ``delivery.retry_statuses`` setting: codes and ``Nxx`` classes."""

    def __init__(self, spec: Iterable[int | str]) -> None:
        self.codes = {int(item) for item in spec if isinstance(item, int) or str(item).isdigit()}
        self.classes = {int(str(item)[0]) for item in spec if isinstance(item, str) and item.endswith("xx")}

    def __contains__(self, status: int) -> bool:
        return status in self.codes or status // 100 in self.classes


def retry_after(response: Answer) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))  # delta-seconds (a fraction is tolerated)
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def excerpt(response: Answer) -> str:
    text = response.text
    return text if len(text) <= RESPONSE_EXCERPT else text[:RESPONSE_EXCERPT] + "..."


def http_error(response: Answer, retryable: RetryStatuses, count: int) -> list[Result]:
    """Results for a non-2xx answer that applies to the whole request."""
    status = response.status_code
    body = excerpt(response)
    if 300 <= status < 400:
        # Not followed (client.py): retried loudly like a wrong route, since the events are fine.
        where = response.headers.get("Location") or "nowhere"
        reason = f"HTTP {status}: Canopsis's address redirects to {where}: {REDIRECT_FIX}"
        return [Result(Outcome.RETRY, status, reason, retry_after(response), body)] * count
    if status in retryable:
        result = Result(Outcome.RETRY, status, f"HTTP {status}: {body[:200]}", retry_after(response), body)
    elif status in CONFIGURATION_STATUSES:
        result = Result(
            Outcome.RETRY,
            status,
            f"HTTP {status}: {CONFIGURATION_STATUSES[status]}",
            retry_after(response),
            body,
        )
    else:
        result = Result(Outcome.FAILED, status, f"HTTP {status}: {body[:200]}", None, body)
    return [result] * count


def transport_failure(error: requests.RequestException, count: int = 1) -> list[Result]:
    """Results for a request that got no HTTP answer of its own: retried. A proxy refusing the
    tunnel for an HTTPS request with 407 surfaces here (requests raises a ProxyError): it is a
    misconfiguration like the 407 answer to a plain HTTP request, and said so."""
    if isinstance(error, requests.exceptions.ProxyError) and "407" in str(error):
        result = Result(Outcome.RETRY, 407, f"HTTP 407: {CONFIGURATION_STATUSES[407]}")
    else:
        result = Result(Outcome.RETRY, None, f"{type(error).__name__}: {error}")
    return [result] * count


def match_key(event: Any) -> tuple:
    if not isinstance(event, dict):
        return ()
    return tuple(str(event.get(field, "")) for field in MATCH_FIELDS)


def failed_indexes(bodies: Sequence[Any], failed_events: Iterable[Any]) -> tuple[list[int], int]:
    """Indexes of ``bodies`` listed in ``failed_events``, and how many failed events matched none."""
    positions: dict[tuple, list[int]] = {}
    for index, body in enumerate(bodies):
        positions.setdefault(match_key(body), []).append(index)
    matched, unmatched = [], 0
    for event in failed_events:
        slots = positions.get(match_key(event))
        if slots:
            matched.append(slots.pop(0))
        else:
            unmatched += 1
    return sorted(matched), unmatched


#: Event types whose ``state`` the API checks (canopsis-api.md 2.3, step 2; all versions).
STATE_TYPES = frozenset({"check", "changestate", "metaalarm", "junittestsuiteupdated"})
_NUMERIC = re.compile(r"[+-]?[0-9]+\Z")


def refusal_reason(event: Any) -> str | None:
    """Why the API refuses ``event`` whatever the moment, or None when it passes these checks.

    These are the deterministic checks of ``POST /api/v4/event`` (canopsis-api.md 2.3): an
    event failing one is refused on every attempt, so it is dead-lettered at once, with a reason
    Canopsis itself does not give. An event listed in ``failed_events`` that passes them was
    refused for a passing reason (a RabbitMQ publishing error) and is retried.
    """
    if not isinstance(event, dict):
        return "not a JSON object"
    event_type = event.get("event_type")
    if not isinstance(event_type, str):
        return "event_type is missing or not a string"
    if event_type in STATE_TYPES:
        state = event.get("state")
        if state is None and "state" not in event:
            return f"a {event_type} event needs a state"
        if isinstance(state, bool) or not isinstance(state, int | float | str):
            return "state is not a number"
        if isinstance(state, str) and not _NUMERIC.match(state):
            return "state is not a number"
    for name in ("author", "user_id"):
        if event.get(name) not in (None, "") and not isinstance(event[name], str):
            return f"{name} is not a string"
    ref_rk = event.get("ref_rk")
    if isinstance(ref_rk, str) and ref_rk:
        return None
    for name in ("connector", "connector_name"):
        value = event.get(name)
        if not isinstance(value, str) or not value:
            return f"{name} is missing or empty"
    for name in ("component", "resource", "source_type"):
        if name in event and not isinstance(event[name], str):
            return f"{name} is not a string"
    if event_type == "check" and not event.get("component"):
        return "a check needs a component (cannot create check event for connector)"
    return None
