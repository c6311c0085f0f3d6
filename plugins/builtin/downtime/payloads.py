"""The pbehavior of a downtime: its id and the bodies of its create, comment and delete.

The id is ``centreon-downtime-<poller>-<downtime id>-<host id>-<service id>-<entry time>``, e.g.
``centreon-downtime-1-8-15-47-1715607730`` (service 0 for a host downtime). Every part is in each
event of the downtime's life, so the end finds what the start created; the poller id makes it
unique across pollers (Engine downtime ids are per poller) and the entry time across Engine
restarts (B15). Only digits and dashes: Canopsis refuses ``/ ? . $`` in ids, and host names
often hold dots. ``name`` is the id too: it is unique in Canopsis, and deletes go by name.
"""

from __future__ import annotations

from typing import Any

from centreon_canopsis.core.cache import Cache
from centreon_canopsis.core.events import as_int, is_set, service_id_of
from centreon_canopsis.core.model import Payload
from centreon_canopsis.plugins.builtin.canopsis.pbehaviors import COMMENT, CREATE, DELETE
from centreon_canopsis.plugins.builtin.mapping import Mapping

PREFIX = "centreon-downtime"
#: Longest comment Canopsis takes (``message`` max=255, counted in characters).
COMMENT_LIMIT = 255


def downtime_id(event: dict[str, Any]) -> int:
    """The Engine's id of the downtime: ``id`` in BBDO 3, ``internal_id`` in BBDO 2."""
    for field in ("id", "internal_id"):
        value = as_int(event.get(field))
        if value:
            return value
    return 0


def poller_id(event: dict[str, Any], cache: Cache) -> int:
    value = as_int(event.get("instance_id"))
    if value:
        return value
    host = cache.host(event.get("host_id"))  # BBDO 2 leaves a 0 instance_id out
    return as_int((host or {}).get("instance_id"), 0) or 0


def pbehavior_id(event: dict[str, Any], cache: Cache) -> str:
    parts = (
        poller_id(event, cache),
        downtime_id(event),
        as_int(event.get("host_id"), 0) or 0,
        service_id_of(event),
        as_int(event.get("entry_time"), 0) or 0,
    )
    return "-".join([PREFIX, *map(str, parts)])


def entity_id(event: dict[str, Any], cache: Cache, mapping: Mapping) -> str:
    """The Canopsis entity: ``<service>/<host>`` for a service, ``<host>`` for a host (B2b)."""
    host_id = event.get("host_id")
    host = mapping.host_name(event, cache.host(host_id))
    if service_id_of(event):
        service = mapping.service_name(event, cache.service(host_id, event.get("service_id")))
        return f"{service}/{host}"
    return host


def window(event: dict[str, Any]) -> tuple[int, int]:
    """``(tstart, tstop)``: from the actual start, until the scheduled end.

    A flexible downtime lasts ``duration`` from the moment it actually started, which may be
    after ``end_time`` (the end of the window in which it may start).
    """
    actual = as_int(event.get("actual_start_time")) if is_set(event.get("actual_start_time")) else None
    scheduled = as_int(event.get("start_time")) if is_set(event.get("start_time")) else None
    start = actual or scheduled or 0
    duration = max(0, as_int(event.get("duration"), 0) or 0)
    end = as_int(event.get("end_time")) if is_set(event.get("end_time")) else None
    if event.get("fixed") is False and duration:
        end = start + duration
    if end is None:
        end = start + duration
    return start, max(start, end)


def start_payloads(event: dict[str, Any], cache: Cache, mapping: Mapping) -> list[Payload]:
    """The create (reason, type and color are added when sent), then the comment if any."""
    pid = pbehavior_id(event, cache)
    tstart, tstop = window(event)
    comment = str(event.get("comment_data") or "")[:COMMENT_LIMIT]
    body = {
        "_id": pid,
        "name": pid,
        "author": str(event.get("author") or ""),
        "enabled": True,
        "tstart": tstart,
        "tstop": tstop,
        "rrule": "",
        "entity_pattern": [
            [{"field": "_id", "cond": {"type": "eq", "value": entity_id(event, cache, mapping)}}]
        ],
        # Ignored by /pbehaviors (unknown fields are); the connector route takes it inline.
        "comment": comment,
    }
    payloads = [Payload(CREATE, body, pid)]
    if comment:  # Canopsis refuses an empty message
        payloads.append(Payload(COMMENT, {"pbehavior": pid, "message": comment}, pid))
    return payloads


def end_payloads(event: dict[str, Any], cache: Cache, mapping: Mapping | None = None) -> list[Payload]:
    """The delete; ``match`` is what ``/bulk/connector-pbehaviors`` finds a pbehavior by (the
    same entity, window and comment as its create), unused by the other routes."""
    pid = pbehavior_id(event, cache)
    body: dict[str, Any] = {"_id": pid, "name": pid}
    if mapping is not None:
        tstart, tstop = window(event)
        body["match"] = {
            "entities": [entity_id(event, cache, mapping)],
            "tstart": tstart,
            "tstop": tstop,
            "comment": str(event.get("comment_data") or "")[:COMMENT_LIMIT],
        }
    return [Payload(DELETE, body, pid)]
