"""Catch-up after an outage: a pending check superseded by a newer pending check is dropped.

While Canopsis is away the outbox fills with checks, most of them about entities that were
checked again since. Canopsis only needs each entity's current state when it returns (and it
replaces timestamps more than 24 h old by "now" anyway, so hours of old checks replayed one by
one would not give it a true timeline). So, while a lane holds a backlog (more than
``delivery.coalesce_backlog`` payloads), a check is **coalesced** into the next check of the same
entity: the older one leaves the outbox, the newer one is kept where it is.

The rule, precisely. Each payload of a lane that has a key (the entity) is either a *check*
(an event payload whose ``event_type`` is ``check``) or a *barrier* (anything else with a key:
``ack``, ``ackremove``, any other event type). When a check ``C2`` of entity ``E`` is committed
while the lane is in catch-up, and the newest payload of ``E`` still in the lane is a check
``C1``, then ``C1`` is deleted. Nothing else ever is:

- a barrier is never dropped, never moved, and nothing is dropped across it: in
  ``C1, ack, C2`` the ack needs ``C1``'s alarm (Canopsis ignores an ack without an open alarm),
  so ``C1`` stays; in ``C1, ack, C2, ackremove, C3`` only ``C2`` may go (into ``C3``);
- the relative order of what stays is unchanged: only deletions, never moves;
- pbehavior calls travel on their own lane, which holds no checks: they are never touched;
- a check without a key (no entity) is never coalesced.

So each entity's sequence of barriers is delivered whole, in order, each after the latest check
that preceded it, and after the last barrier only the newest check remains. Intermediate states
between two barriers are lost on purpose (that is what catch-up means); they are counted in
``payloads_coalesced_total``.

How it finds "the newest payload of E": payloads that take part carry a coalescing key
(``lane`` + entity) in the ``ckey`` column, indexed by a partial index. Barriers always carry it
(they are few), checks only while the lane is in catch-up: in normal operation a check costs no
index write and no look-up. A check committed outside catch-up and left unindexed is simply
never coalesced; a barrier is always seen, so nothing is dropped across one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

CHECK = 1
BARRIER = 0
SEP = "\x1f"


def kind_of(payload_kind: str, body: Any, key: str) -> int | None:
    """``CHECK``, ``BARRIER`` or None (takes no part) for a payload."""
    if not key or payload_kind != "event" or not isinstance(body, dict):
        return None
    return CHECK if body.get("event_type") == "check" else BARRIER


def coalesce(
    connection: sqlite3.Connection, rows: Sequence[tuple[Any, ...]], catch_up: set[str]
) -> tuple[list[tuple[Any, ...]], dict[str, int], list[tuple[str, str]]]:
    """The rows to insert, with their ``ckey``/``ckind``, after coalescing.

    ``rows`` are ``(lane, route, key, body, kind)`` with ``kind`` from :func:`kind_of`;
    ``catch_up`` the lanes in catch-up. Deletes the superseded rows already in the outbox (in the
    caller's transaction). Returns the rows to insert as ``(lane, route, key, body, ckey,
    ckind)``, how many payloads were coalesced per route, and ``(lane, route)`` of each deleted
    outbox row (for the depth).
    """
    out: list[tuple[Any, ...] | None] = []
    last: dict[str, int] = {}  # ckey -> index in ``out`` of its newest row of this commit
    dropped: dict[str, int] = {}
    removed: list[tuple[str, str]] = []
    for lane, route, key, body, kind in rows:
        if kind is None or (kind == CHECK and lane not in catch_up):
            out.append((lane, route, key, body, None, None))
            continue
        ckey = f"{lane}{SEP}{key}"
        if kind == CHECK:
            previous = last.get(ckey)
            if previous is not None:
                row = out[previous]
                if row is not None and row[5] == CHECK:
                    out[previous] = None
                    dropped[row[1]] = dropped.get(row[1], 0) + 1
            else:
                found = connection.execute(
                    "SELECT id, ckind, route FROM outbox WHERE ckey = ? ORDER BY id DESC LIMIT 1", (ckey,)
                ).fetchone()
                if found is not None and found[1] == CHECK:
                    connection.execute("DELETE FROM outbox WHERE id = ?", (found[0],))
                    dropped[found[2]] = dropped.get(found[2], 0) + 1
                    removed.append((lane, found[2]))
        last[ckey] = len(out)
        out.append((lane, route, key, body, ckey, kind))
    return [row for row in out if row is not None], dropped, removed
