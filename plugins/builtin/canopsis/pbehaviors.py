"""Sending pbehavior creates, comments and deletes (lua-connector.md 3.5, canopsis-api.md 4).

Idempotent by design, so that a replayed stream leaves Canopsis as it was:

- a create answered 400 "ID already exists." / "Name already exists." means the pbehavior is
  there: delivered;
- a delete answered 404 means it is gone: delivered;
- a comment is posted only if the pbehavior does not carry the same message already.

Creates get their ``reason`` and ``type`` ids (and ``color`` on 22.10) here, at send time, from
:class:`~.lookups.PbehaviorLookups`: while they are unknown (Canopsis down at start-up, the type
missing) the answer is RETRY, so the payloads wait in the outbox, in order. A 400 saying the
reason or type does not exist (deleted in Canopsis meanwhile) starts the look-ups again.

Routes: ``pbehavior.create`` / ``pbehavior.comment`` / ``pbehavior.delete`` send one request per
item. ``pbehavior.bulk`` (``canopsis_downtime_bulk = 1``) carries all three kinds on one route so
that a burst of downtimes travels together: creates go in one ``POST /bulk/pbehaviors``, deletes
in one ``DELETE /bulk/pbehaviors`` (``_id`` items), comments one by one; the 207 answer is read
item by item. Within a batch, calls on the same pbehavior (same outbox key) keep their order.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import orjson
import requests

from centreon_canopsis.core.model import OutboxItem, Outcome, Result, Route
from centreon_canopsis.plugins.builtin.canopsis.answers import (
    RetryStatuses,
    excerpt,
    http_error,
    transport_failure,
)
from centreon_canopsis.plugins.builtin.canopsis.client import Answer, CanopsisClient
from centreon_canopsis.plugins.builtin.canopsis.lookups import PbehaviorLookups

log = logging.getLogger(__name__)

CREATE = "pbehavior.create"
COMMENT = "pbehavior.comment"
DELETE = "pbehavior.delete"
BULK = "pbehavior.bulk"

#: ``origin`` of the pbehaviors made through the connector route: part of what finds them again.
ORIGIN = "centreon-canopsis-connector"
#: The connector route needs a comment, and finds pbehaviors by it: a downtime without one gets this.
DEFAULT_COMMENT = "Centreon downtime"

DUPLICATE_MARKERS = ("ID already exists", "Name already exists", "already existing _id")
#: Validation messages meaning our looked-up id is stale.
STALE_MARKERS = {"reason": "Reason doesn't exist", "type": "Type doesn't exist"}


def bulk_path(route: str) -> str:
    """``/api/v4/pbehaviors`` -> ``/api/v4/bulk/pbehaviors`` (a path prefix is kept)."""
    head, _, tail = route.rstrip("/").rpartition("/")
    return f"{head}/bulk/{tail}"


def connector_path(route: str) -> str:
    """``/api/v4/pbehaviors`` -> ``/api/v4/bulk/connector-pbehaviors`` (a path prefix is kept)."""
    head, _, tail = route.rstrip("/").rpartition("/")
    return f"{head}/bulk/connector-{tail}"


def single_entity(body: dict[str, Any]) -> str | None:
    """The entity id of a create whose pattern is one ``_id eq`` condition (a downtime's), or None."""
    pattern = body.get("entity_pattern")
    try:
        (group,) = pattern
        (condition,) = group
    except (TypeError, ValueError):
        return None
    if not isinstance(condition, dict) or condition.get("field") != "_id":
        return None
    cond = condition.get("cond")
    if not isinstance(cond, dict) or cond.get("type") != "eq" or not isinstance(cond.get("value"), str):
        return None
    return cond["value"] or None


def kind_of(body: Any) -> str | None:
    """The kind of a payload on the bulk route, from its shape (the outbox keeps only bodies)."""
    if not isinstance(body, dict):
        return None
    if "entity_pattern" in body or "corporate_entity_pattern" in body or "tstart" in body:
        return CREATE
    if "pbehavior" in body and "message" in body:
        return COMMENT
    if body.get("_id") or body.get("name"):
        return DELETE
    return None


def send(
    client: CanopsisClient, route: Route, items: Sequence[OutboxItem], context, retryable: RetryStatuses
) -> list[Result]:
    sender = PbehaviorSender(client, context, retryable)
    if route.name == BULK:
        return sender.send_bulk(route.path, items)
    return [sender.send_one(route.name, item.body, route.path, uncertain(item)) for item in items]


#: When this process started: an item committed before may have been in flight when the
#: previous process died, so whether Canopsis has it is unknown.
PROCESS_STARTED = time.time()


#: Pbehaviors whose create was answered "already exists" lately: their comment is a replay too
#: (Broker sent the downtime again), so it is checked before it is posted. Bounded.
_REPLAYED: OrderedDict[str, None] = OrderedDict()
REPLAYED_LIMIT = 10_000
_replayed_lock = threading.Lock()


def note_replayed(pbehavior: Any) -> None:
    with _replayed_lock:
        _REPLAYED[str(pbehavior)] = None
        _REPLAYED.move_to_end(str(pbehavior))
        while len(_REPLAYED) > REPLAYED_LIMIT:
            _REPLAYED.popitem(last=False)


def uncertain(item: OutboxItem) -> bool:
    """Whether an earlier attempt of ``item`` may have reached Canopsis: it was tried before
    (a timeout or a dropped connection can hide a success), it waited in the outbox when this
    process started (the previous one may have died with it in flight), or its pbehavior's create
    was just answered "already exists" (a replayed downtime)."""
    if item.attempts > 0 or item.enqueued_at < PROCESS_STARTED:
        return True
    with _replayed_lock:
        return bool(_REPLAYED) and item.key in _REPLAYED


class PbehaviorSender:
    def __init__(self, client: CanopsisClient, context, retryable: RetryStatuses) -> None:
        config = context.config
        self.client = client
        self.retryable = retryable
        self.pbehaviors_path = config.canopsis_downtime_route
        self.comment_path = config.canopsis_downtime_comment_route
        self.lookups: PbehaviorLookups | None = context.state.get(PbehaviorLookups.STATE_KEY)
        self.no_bulk = False
        self.no_connector = False
        self.connector_path = connector_path(self.pbehaviors_path)
        #: Pbehaviors whose create went through another route than the connector one in this
        #: batch: their comment is posted apart. (Through the connector route it is inline.)
        self.classic_keys: set[str] = set()

    # -- one item, one request ---------------------------------------------------------------

    def send_one(self, kind: str | None, body: Any, path: str | None = None, unsure: bool = True) -> Result:
        if not isinstance(body, dict):
            return Result(Outcome.FAILED, reason="a pbehavior payload must be a JSON object")
        if kind == CREATE:
            return self.create(body, path or self.pbehaviors_path)
        if kind == COMMENT:
            return self.comment(body, path or self.comment_path, unsure)
        if kind == DELETE:
            return self.delete(body, path or self.pbehaviors_path)
        return Result(Outcome.FAILED, reason=f"not a pbehavior create, comment or delete: {kind}")

    def prepare(self, body: dict[str, Any]) -> tuple[dict[str, Any] | None, Result | None]:
        """The create body with its ids, or the result to give while they are unknown."""
        lookups = self.lookups
        if lookups is None:
            if body.get("reason") and body.get("type"):
                return body, None
            return None, Result(
                Outcome.FAILED,
                reason="pbehavior without reason/type ids, and no look-ups to find them "
                "(downtime plugin disabled, or canopsis_downtime_send_pbh = 0)",
            )
        filled, why = lookups.complete(body)
        if filled is None:
            return None, Result(Outcome.RETRY, reason=why)
        return filled, None

    def create(self, body: dict[str, Any], path: str) -> Result:
        filled, problem = self.prepare(body)
        if problem is not None:
            return problem
        try:
            response = self.client.request("POST", path, body=filled, headers={"accept": "application/json"})
        except requests.RequestException as error:
            return transport_failure(error)[0]
        if response.ok:
            return Result.delivered(response.status_code)
        special = self._special(CREATE, response.status_code, response.text, body.get("_id"))
        return special or http_error(response, self.retryable, 1)[0]

    def comment(self, body: dict[str, Any], path: str, uncertain: bool = True) -> Result:
        """Posts a comment; reads the pbehavior first only when an earlier attempt may have
        posted it already (``uncertain``: see :func:`uncertain`), so that a replay does not add
        the same comment twice while a first attempt costs one request, not two."""
        pbehavior, message = body.get("pbehavior"), body.get("message")
        try:
            if uncertain:
                current = self.client.request(
                    "GET",
                    f"{self.pbehaviors_path}/{quote(str(pbehavior), safe='')}",
                    headers={"accept": "application/json"},
                )
                if current.status_code == 404:
                    return self._orphan_comment(current)
                if not current.ok:
                    return http_error(current, self.retryable, 1)[0]
                if _has_comment(current, message):
                    return Result.delivered(current.status_code, "comment already there")
            response = self.client.request(
                "POST",
                path,
                body={"pbehavior": pbehavior, "message": message},
                headers={"accept": "application/json"},
            )
        except requests.RequestException as error:
            return transport_failure(error)[0]
        if response.ok:
            return Result.delivered(response.status_code)
        if response.status_code == 404:
            return self._orphan_comment(response)
        return http_error(response, self.retryable, 1)[0]

    @staticmethod
    def _orphan_comment(response: Answer) -> Result:
        return Result(
            Outcome.FAILED,
            response.status_code,
            "the pbehavior of this comment does not exist (its create failed, or it was deleted)",
            response=excerpt(response),
        )

    def delete(self, body: dict[str, Any], path: str) -> Result:
        name = body.get("name") or body.get("_id")
        try:
            response = self.client.request("DELETE", path, params={"name": name}, headers={"accept": "*/*"})
        except requests.RequestException as error:
            return transport_failure(error)[0]
        if response.ok:
            return Result.delivered(response.status_code)
        special = self._special(DELETE, response.status_code, response.text)
        return special or http_error(response, self.retryable, 1)[0]

    def _special(self, kind: str, status: int, text: str, key: Any = None) -> Result | None:
        """Answers that are not what their status says: duplicates, already gone, stale ids."""
        if kind == CREATE and status == 400:
            if any(marker in text for marker in DUPLICATE_MARKERS):
                if key is not None:
                    note_replayed(key)
                return Result.delivered(status, "already exists")
            for what, marker in STALE_MARKERS.items():
                if marker in text and self.lookups is not None:
                    self.lookups.invalidate(what)
                    return Result(
                        Outcome.RETRY,
                        status,
                        f"Canopsis does not know the pbehavior {what} id: looking it up again",
                    )
        if kind == DELETE and status == 404:
            return Result.delivered(status, "already gone")
        return None

    # -- bulk --------------------------------------------------------------------------------

    @property
    def bulk_usable(self) -> bool:
        if self.no_bulk:
            return False
        return self.lookups.bulk_available if self.lookups is not None else True

    def send_bulk(self, path: str, items: Sequence[OutboxItem]) -> list[Result]:
        """Creates and deletes in bulk requests, comments one by one; per-key order kept."""
        results: list[Result | None] = [None] * len(items)
        kinds = [kind_of(item.body) for item in items]
        keys = [item.key or f"\0{index}" for index, item in enumerate(items)]
        blocked: set[str] = set()
        remaining = list(range(len(items)))
        while remaining:
            # A wave holds the first pending call of each pbehavior: all independent.
            wave, later, seen = [], [], set()
            for index in remaining:
                (later if keys[index] in seen else wave).append(index)
                seen.add(keys[index])
            todo = []
            for index in wave:
                if keys[index] in blocked:
                    results[index] = Result(
                        Outcome.RETRY, reason="waits for an earlier call on the same pbehavior"
                    )
                elif kinds[index] is None:
                    results[index] = Result(
                        Outcome.FAILED, reason="not a pbehavior create, comment or delete"
                    )
                else:
                    todo.append(index)
            creates = [i for i in todo if kinds[i] == CREATE]
            deletes = [i for i in todo if kinds[i] == DELETE]
            connector = self.connector_usable
            if creates and connector:
                creates = self._connector_creates(creates, items, results)
            if creates:
                self._bulk_creates(path, creates, items, results)
            for index in todo:
                if kinds[index] == COMMENT:
                    if connector and keys[index] not in self.classic_keys:
                        # The connector route took it inline with its create.
                        results[index] = Result.delivered(None, "comment sent inline with its create")
                        continue
                    results[index] = self.comment(
                        items[index].body, self.comment_path, uncertain(items[index])
                    )
            if deletes and connector:
                deletes = self._connector_deletes(deletes, items, results)
            if deletes:
                self._bulk_deletes(path, deletes, items, results)
            for index in todo:
                if results[index] is not None and results[index].outcome is Outcome.RETRY:
                    blocked.add(keys[index])
            remaining = later
        return [result or Result(Outcome.RETRY, reason="not sent") for result in results]

    # -- /bulk/connector-pbehaviors (24.04.8+) ------------------------------------------------
    # Canopsis finds a pbehavior of this route by (origin, tstart, tstop, comment): a create
    # merges its entities into the one found, or creates it with the comment inline (no comment
    # call); a delete pulls its entities and removes the pbehavior once none is left. So the
    # services of a host downtime (same window, same comment) share one pbehavior, and a replay
    # changes nothing (canopsis-api.md 11, lib/api/pbehavior/store.go).

    @property
    def connector_usable(self) -> bool:
        if self.no_bulk or self.no_connector or self.lookups is None:
            return False
        return self.lookups.connector_available

    def _connector_creates(
        self, indexes: list[int], items: Sequence[OutboxItem], results: list[Result | None]
    ) -> list[int]:
        """Sends the creates the connector route can express; returns the others."""
        others, ready, bodies = [], [], []
        for index in indexes:
            body = items[index].body
            entity = single_entity(body)
            if entity is None or body.get("rrule") or body.get("tstop") is None or "comment" not in body:
                # Not a plain downtime, or queued by an older version (its comment follows
                # apart): the pbehaviors route says it, and its comment goes the usual way.
                self.classic_keys.add(items[index].key)
                others.append(index)
                continue
            filled, problem = self.prepare(body)
            if problem is not None:
                results[index] = problem
                continue
            item = {
                "entities": [entity],
                "origin": ORIGIN,
                "tstart": filled["tstart"],
                "tstop": filled["tstop"],
                "comment": filled.get("comment") or DEFAULT_COMMENT,
                "name": filled["name"],
                "reason": filled["reason"],
                "type": filled["type"],
            }
            if filled.get("color"):
                item["color"] = filled["color"]
            ready.append(index)
            bodies.append(item)
        if ready and not self._connector_call("POST", ready, bodies, CREATE, results):
            self.classic_keys.update(items[index].key for index in ready)
            return others + ready
        return others

    def _connector_deletes(
        self, indexes: list[int], items: Sequence[OutboxItem], results: list[Result | None]
    ) -> list[int]:
        """Sends the deletes that carry their create's window; returns the others. A 404 there
        may be a pbehavior created through ``/pbehaviors`` (before an upgrade): those are
        deleted by id through the bulk route too."""
        others, ready, bodies = [], [], []
        for index in indexes:
            match = items[index].body.get("match")
            if not isinstance(match, dict) or not match.get("entities"):
                others.append(index)
                continue
            ready.append(index)
            bodies.append(
                {
                    "entities": match["entities"],
                    "origin": ORIGIN,
                    "tstart": match.get("tstart"),
                    "tstop": match.get("tstop"),
                    "comment": match.get("comment") or DEFAULT_COMMENT,
                }
            )
        if ready and not self._connector_call("DELETE", ready, bodies, DELETE, results):
            return others + ready
        missing = [
            index
            for index in ready
            if results[index] is not None and results[index].status == 404 and items[index].body.get("_id")
        ]
        return others + missing

    def _connector_call(
        self, method: str, indexes: list[int], bodies: list[Any], kind: str, results: list[Result | None]
    ) -> bool:
        """One request to the connector route; False when this Canopsis does not have it."""
        try:
            answers = self._bulk_request(
                method, self.connector_path, bodies, indexes, results, connector=True
            )
        except BulkRouteMissing:
            return False
        for index, answer in zip(indexes, answers, strict=True) if answers is not None else ():
            results[index] = self._item_result(kind, answer)
        return True

    def _bulk_creates(
        self, path: str, indexes: list[int], items: Sequence[OutboxItem], results: list[Result | None]
    ) -> None:
        ready, bodies = [], []
        for index in indexes:
            filled, problem = self.prepare(items[index].body)
            if problem is not None:
                results[index] = problem
            else:
                ready.append(index)
                bodies.append(filled)
        self._bulk(CREATE, path, ready, bodies, items, results)

    def _bulk_deletes(
        self, path: str, indexes: list[int], items: Sequence[OutboxItem], results: list[Result | None]
    ) -> None:
        by_id = [index for index in indexes if items[index].body.get("_id")]
        for index in indexes:
            if index not in by_id:  # the bulk route deletes by _id only
                results[index] = self.delete(items[index].body, self.pbehaviors_path)
        bodies = [{"_id": items[index].body["_id"]} for index in by_id]
        self._bulk(DELETE, path, by_id, bodies, items, results)

    def _bulk(
        self,
        kind: str,
        path: str,
        indexes: list[int],
        bodies: list[Any],
        items: Sequence[OutboxItem],
        results: list[Result | None],
    ) -> None:
        """One bulk request for the items at ``indexes``; their results item by item."""
        if not indexes:
            return
        if self.bulk_usable:
            try:
                answers = self._bulk_request(
                    "POST" if kind == CREATE else "DELETE", path, bodies, indexes, results
                )
            except BulkRouteMissing:
                pass  # sent one by one below
            else:
                for index, answer in zip(indexes, answers, strict=True) if answers is not None else ():
                    results[index] = self._item_result(kind, answer)
                return
        for index in indexes:
            results[index] = self.send_one(kind, items[index].body, None, uncertain(items[index]))

    def _bulk_request(
        self,
        method: str,
        path: str,
        bodies: list[Any],
        indexes: list[int],
        results: list[Result | None],
        connector: bool = False,
    ) -> list[Any] | None:
        """The per-item answers of a bulk request, or None when ``results`` were set for every
        item (the whole request failed). Raises :class:`BulkRouteMissing`."""
        try:
            response = self.client.request(method, path, body=bodies, headers={"accept": "application/json"})
        except requests.RequestException as error:
            for index in indexes:
                results[index] = transport_failure(error)[0]
            return None
        if response.status_code in (404, 405):
            if connector:
                self.no_connector = True
                if self.lookups is not None:
                    self.lookups.connector_missing = True
                what = "no connector pbehavior route; using /bulk/pbehaviors"
            else:
                self.no_bulk = True
                if self.lookups is not None:
                    self.lookups.bulk_missing = True  # remembered beyond this batch
                what = "no bulk pbehavior route; sending one by one"
            log.warning("%s %s answered %d: this Canopsis has %s", method, path, response.status_code, what)
            raise BulkRouteMissing
        if not response.ok:
            for index, result in zip(
                indexes, http_error(response, self.retryable, len(indexes)), strict=True
            ):
                results[index] = result
            return None
        try:
            answers = response.json()
        except ValueError:
            answers = None
        if not isinstance(answers, list) or len(answers) != len(bodies):
            # Not Canopsis's 207 (a proxy's page?): no proof of anything; try again later.
            for index in indexes:
                results[index] = Result(
                    Outcome.RETRY,
                    response.status_code,
                    "unexpected answer to a bulk pbehavior request",
                    response=excerpt(response),
                )
            return None
        return answers

    def _item_result(self, kind: str, answer: Any) -> Result:
        """The result of one item of a 207 answer."""
        status = answer.get("status") if isinstance(answer, dict) else None
        if not isinstance(status, int):
            return Result(Outcome.RETRY, None, "bulk answer item without a status", response=_dump(answer))
        if 200 <= status < 300:
            return Result.delivered(status)
        detail = {key: answer[key] for key in ("errors", "error") if key in answer}
        text = _dump(detail)
        item = answer.get("item")
        special = self._special(kind, status, text, item.get("_id") if isinstance(item, dict) else None)
        if special is not None:
            return special
        outcome = Outcome.RETRY if status in self.retryable else Outcome.FAILED
        return Result(outcome, status, f"HTTP {status} for this item: {text[:200]}", response=_dump(answer))


class BulkRouteMissing(Exception):
    """The bulk route answered 404/405: this Canopsis (or a proxy) does not have it."""


def _dump(value: Any) -> str:
    return orjson.dumps(value).decode()


def _has_comment(response: Answer, message: Any) -> bool:
    try:
        current = response.json()
    except ValueError:
        return False
    comments = current.get("comments") if isinstance(current, dict) else None
    return any(isinstance(c, dict) and c.get("message") == message for c in comments or ())
