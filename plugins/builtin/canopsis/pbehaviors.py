"""Sending pbehavior creates, comments and deletes (lua-connector.md 3.5, canopsis-api.md 4).

Idempotent by design: a create answered 400 "ID already exists." or "Name already exists." means
the pbehavior is there (a replay), and a delete answered 404 means it is gone; both count as
delivered.
"""

from __future__ import annotations

from collections.abc import Sequence

import requests

from centreon_canopsis.core.model import OutboxItem, Outcome, Result, Route
from centreon_canopsis.plugins.builtin.canopsis.answers import RetryStatuses, excerpt, http_error
from centreon_canopsis.plugins.builtin.canopsis.client import CanopsisClient

DUPLICATE_MARKERS = ("ID already exists", "Name already exists", "already existing _id")


def send(
    client: CanopsisClient, route: Route, items: Sequence[OutboxItem], context, retryable: RetryStatuses
) -> list[Result]:
    return [send_one(client, route, item, retryable) for item in items]


def send_one(client: CanopsisClient, route: Route, item: OutboxItem, retryable: RetryStatuses) -> Result:
    try:
        if route.name == "pbehavior.delete":
            response = client.request(
                "DELETE", route.path, params={"name": item.body["name"]}, headers={"accept": "*/*"}
            )
        else:
            response = client.request(
                route.method, route.path, body=item.body, headers={"accept": "application/json"}
            )
    except requests.RequestException as error:
        return Result(Outcome.RETRY, None, f"{type(error).__name__}: {error}")
    status = response.status_code
    if response.ok:
        return Result.delivered(status)
    if (
        route.name == "pbehavior.create"
        and status == 400
        and any(m in response.text for m in DUPLICATE_MARKERS)
    ):
        return Result.delivered(status, "already exists")
    if route.name == "pbehavior.delete" and status == 404:
        return Result.delivered(status, "already gone")
    if route.name == "pbehavior.comment" and status == 404:
        return Result(
            Outcome.FAILED, status, "the pbehavior of this comment does not exist", response=excerpt(response)
        )
    return http_error(response, retryable, 1)[0]
