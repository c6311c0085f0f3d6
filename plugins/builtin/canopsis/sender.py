"""The builtin sender: delivers outbox batches to Canopsis over HTTP.

- ``event``: one ``POST`` of a JSON array; events listed in ``failed_events`` are failures of
  those events only (retried ``delivery.failed_event_attempts`` times, since Canopsis also lists
  its own publishing errors there, then dead-lettered); the others are delivered.
- ``pbehavior.*``: see :mod:`.pbehaviors`.

Connection errors, timeouts and the ``delivery.retry_statuses`` answers are retried; other 4xx
answers are permanent. With ``send_data_test = 1`` nothing is sent: payloads are logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import orjson
import requests

from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.core.logsetup import NOTICE
from centreon_canopsis.core.model import OutboxItem, Outcome, Result, Route
from centreon_canopsis.plugins.builtin.canopsis import pbehaviors
from centreon_canopsis.plugins.builtin.canopsis.answers import (
    RetryStatuses,
    excerpt,
    failed_indexes,
    http_error,
)
from centreon_canopsis.plugins.builtin.canopsis.client import CanopsisClient

log = logging.getLogger(__name__)


class CanopsisSender:
    client: CanopsisClient

    @hookimpl
    def connector_configure(self, config, context) -> None:
        self.client = CanopsisClient.from_config(config)
        self.retryable = RetryStatuses(config.delivery["retry_statuses"])
        self.failed_event_attempts = int(config.delivery["failed_event_attempts"])
        self.dry_run = bool(config.send_data_test)
        context.state["canopsis_client"] = self.client

    @hookimpl
    def connector_shutdown(self, context) -> None:
        self.client.close()

    @hookimpl(trylast=True)
    def connector_send(self, route: Route, items: Sequence[OutboxItem], context) -> list[Result] | None:
        if route.name == "event":
            if self.dry_run:
                return self._log_instead(route, items)
            return self.send_events(route, items)
        if route.name.startswith("pbehavior."):
            if self.dry_run:
                return self._log_instead(route, items)
            return pbehaviors.send(self.client, route, items, context, self.retryable)
        return None

    def send_events(self, route: Route, items: Sequence[OutboxItem]) -> list[Result]:
        bodies = [item.body for item in items]
        try:
            response = self.client.request(route.method, route.path, body=orjson.dumps(bodies))
        except requests.RequestException as error:
            return [Result(Outcome.RETRY, None, f"{type(error).__name__}: {error}")] * len(items)
        if not response.ok:
            return http_error(response, self.retryable, len(items))
        try:
            answer = response.json()
            failed_events = answer["failed_events"]
        except (ValueError, KeyError, TypeError):
            # A 2xx that is not Canopsis's answer (a proxy's page?): not proof of delivery.
            return [
                self._retry_or_fail(
                    item, response.status_code, "unexpected answer to an event POST", excerpt(response)
                )
                for item in items
            ]
        results = [Result.delivered(response.status_code)] * len(items)
        if failed_events:
            indexes, unmatched = failed_indexes(bodies, failed_events)
            for index in indexes:
                results[index] = self._retry_or_fail(
                    items[index],
                    response.status_code,
                    "listed in failed_events by Canopsis",
                    orjson.dumps(bodies[index]).decode(),
                )
            if unmatched:
                log.warning("Canopsis listed %d failed events that match none sent", unmatched)
        return results

    def _retry_or_fail(self, item: OutboxItem, status: int, reason: str, response: str) -> Result:
        outcome = Outcome.FAILED if item.attempts + 1 >= self.failed_event_attempts else Outcome.RETRY
        return Result(outcome, status, reason, None, response)

    @staticmethod
    def _log_instead(route: Route, items: Sequence[OutboxItem]) -> list[Result]:
        for item in items:
            log.log(
                NOTICE, "send_data_test: %s %s %s", route.method, route.path, orjson.dumps(item.body).decode()
            )
        return [Result.delivered(None, "send_data_test")] * len(items)
