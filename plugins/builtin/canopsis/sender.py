"""The builtin sender: delivers outbox batches to Canopsis over HTTP.

- ``event``: one ``POST`` of a JSON array. Canopsis answers 200 and lists the events it could
  not take in ``failed_events``: those events are retried (Canopsis also lists its own
  publishing errors there) and dead-lettered once refused ``delivery.failed_event_attempts``
  times, whatever the batch size (the lane backs off meanwhile); the others are delivered.
  A permanent refusal of a whole request (a 400 or a 413 from a proxy, for example) is
  narrowed down by splitting the batch, so that only the payloads it is about are
  dead-lettered and the stream goes on (the Lua connector's B6).
- ``pbehavior.*``: see :mod:`.pbehaviors`.

Connection errors, timeouts and the ``delivery.retry_statuses`` answers are retried; so are the
answers that mean the connector is misconfigured (401, 403, 404, 405, 407: see :mod:`.answers`);
other 4xx answers are permanent. With ``send_data_test = 1`` nothing is sent: payloads are
logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import orjson
import requests

from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.core.logsetup import NOTICE
from centreon_canopsis.core.metrics import Metrics
from centreon_canopsis.core.model import OutboxItem, Outcome, Result, Route
from centreon_canopsis.core.outbox import encoded
from centreon_canopsis.plugins.builtin.canopsis import pbehaviors
from centreon_canopsis.plugins.builtin.canopsis.answers import (
    CONFIGURATION_STATUSES,
    RetryStatuses,
    excerpt,
    failed_indexes,
    http_error,
    refusal_reason,
    transport_failure,
)
from centreon_canopsis.plugins.builtin.canopsis.client import Answer, CanopsisClient

log = logging.getLogger(__name__)

#: How Canopsis (Go, compact JSON, struct field order) starts and ends an answer without a single
#: failed event. Checking both ends spares parsing the echo of every event in ``sent_events``;
#: any other answer is parsed.
ANSWER_HEAD = b'{"sent_events":'
NOTHING_FAILED_TAIL = b'"failed_events":[],"retry_events":[]}'


class CountingClient:
    """The client as one route sees it: every answer is counted per route and status."""

    def __init__(self, client: CanopsisClient, route: str, metrics: Metrics) -> None:
        self._client = client
        self._route = route
        self._metrics = metrics

    def request(self, *args: Any, **kwargs: Any) -> Answer:
        try:
            response = self._client.request(*args, **kwargs)
        except requests.RequestException:
            self._metrics.inc("canopsis_responses_total", route=self._route, status="error")
            raise
        self._metrics.inc("canopsis_responses_total", route=self._route, status=str(response.status_code))
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class CanopsisSender:
    client: CanopsisClient

    @hookimpl
    def connector_configure(self, config, context) -> None:
        self.client = CanopsisClient.from_config(config)
        self.metrics = context.metrics
        self.retryable = RetryStatuses(config.delivery["retry_statuses"])
        self.failed_event_attempts = int(config.delivery["failed_event_attempts"])
        self.dry_run = bool(config.send_data_test)
        self._clients: dict[str, CountingClient] = {}
        context.state["canopsis_client"] = self.client

    @hookimpl
    def connector_shutdown(self, context) -> None:
        self.client.close()

    def _client(self, route: str) -> CountingClient:
        client = self._clients.get(route)
        if client is None:
            client = self._clients[route] = CountingClient(self.client, route, self.metrics)
        return client

    @hookimpl(trylast=True)
    def connector_send(self, route: Route, items: Sequence[OutboxItem], context) -> list[Result] | None:
        if route.name == "event":
            if self.dry_run:
                return self._log_instead(route, items)
            return self.send_events(route, items)
        if route.name.startswith("pbehavior."):
            if self.dry_run:
                return self._log_instead(route, items)
            return pbehaviors.send(self._client(route.name), route, items, context, self.retryable)
        return None

    def send_events(self, route: Route, items: Sequence[OutboxItem]) -> list[Result]:
        client = self._client(route.name)
        # The stored JSON is joined as it is: no decode and encode per event.
        try:
            body = b"[" + b",".join([item.raw for item in items]) + b"]"  # type: ignore[attr-defined]
        except (AttributeError, TypeError):  # not straight from disk, or decoded meanwhile
            body = b"[" + b",".join([encoded(item) for item in items]) + b"]"
        try:
            response = client.request(route.method, route.path, body=body)
        except requests.RequestException as error:
            return transport_failure(error, len(items))
        status = response.status_code
        if not response.ok:
            if (
                len(items) > 1
                and status >= 400
                and status not in self.retryable
                and status not in CONFIGURATION_STATUSES
            ):
                # Refused for good, as a whole: find the payloads it is about, send the rest.
                middle = len(items) // 2
                log.info(
                    "route %s: HTTP %d for %d payloads; sending them in halves to isolate the cause",
                    route.name,
                    status,
                    len(items),
                )
                return self.send_events(route, items[:middle]) + self.send_events(route, items[middle:])
            return http_error(response, self.retryable, len(items))
        content = response.content
        if content.endswith(NOTHING_FAILED_TAIL) and content.startswith(ANSWER_HEAD):
            return [Result.delivered(status)] * len(items)
        try:
            answer = orjson.loads(content)
            failed_events = answer["failed_events"]
            retry_events = answer.get("retry_events") or []
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
            # A 2xx that is not Canopsis's answer (a proxy's page?): not proof of delivery.
            return [
                self._refused(item, status, "unexpected answer to an event POST", excerpt(response))
                for item in items
            ]
        results = [Result.delivered(status)] * len(items)
        if failed_events or retry_events:
            bodies = [item.body for item in items]
            indexes, unmatched = failed_indexes(bodies, failed_events)
            excerpt_of_failed = orjson.dumps({"failed_events": failed_events[:20]}).decode()
            # One rule whatever the batch size: each refusal counts against its payload, the
            # lane backs off between attempts (Canopsis refusing everything is its trouble:
            # RabbitMQ), and a payload refused ``failed_event_attempts`` times is dead-lettered,
            # so that no lane waits for ever behind a payload Canopsis will never take.
            for index in indexes:
                reason = refusal_reason(bodies[index])
                if reason is not None:
                    results[index] = Result(
                        Outcome.FAILED, status, f"refused by Canopsis (failed_events): {reason}", None,
                        excerpt_of_failed,
                    )  # fmt: skip
                else:
                    results[index] = self._refused(
                        items[index], status, "listed in failed_events by Canopsis", excerpt_of_failed
                    )
            # Empty in API v4; the v2 API listed there what to send again.
            again, _ = failed_indexes(bodies, retry_events)
            for index in again:
                results[index] = Result(Outcome.RETRY, status, "listed in retry_events by Canopsis")
            if unmatched:
                log.warning("Canopsis listed %d failed events that match none sent", unmatched)
        return results

    def _refused(self, item: OutboxItem, status: int, reason: str, response: str) -> Result:
        """Retried until refused ``failed_event_attempts`` times, then dead-lettered."""
        outcome = Outcome.FAILED if item.rejections + 1 >= self.failed_event_attempts else Outcome.RETRY
        return Result(outcome, status, reason, None, response, rejected=True)

    @staticmethod
    def _log_instead(route: Route, items: Sequence[OutboxItem]) -> list[Result]:
        for item in items:
            log.log(NOTICE, "send_data_test: %s %s %s", route.method, route.path, encoded(item).decode())
        return [Result.delivered(None, "send_data_test")] * len(items)
