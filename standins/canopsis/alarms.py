"""Entities and alarms as engine-che and engine-axe build them (canopsis-api.md section 3).

Time-driven transitions (resolution after ``resolve_delay``, cancel auto-resolution) are applied
lazily by :meth:`AlarmEngine.tick`, which the sandbox calls before serving each request, so no
background thread is needed. Due resolutions sit in a heap keyed by due time.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from typing import Any

from centreon_canopsis.standins.canopsis.events import entity_id_of
from centreon_canopsis.standins.canopsis.ids import IdSource

STATE_OK = 0
STATUS_OFF, STATUS_ONGOING, STATUS_CANCELLED = 0, 1, 4

# Looks up the active pbehavior of an entity: returns the pbehavior_info dict or None.
PbhResolver = Callable[[dict[str, Any]], "dict[str, Any] | None"]


class Alarm:
    __slots__ = ("cancel_at", "entity_id", "id", "last_step_at", "pbh_id", "resolved", "t", "tags", "v")

    def __init__(self, alarm_id: str, entity_id: str, t: int, v: dict[str, Any]) -> None:
        self.id = alarm_id
        self.entity_id = entity_id
        self.t = t
        self.v = v
        self.tags: list[str] = []
        self.last_step_at = 0.0
        self.cancel_at = 0.0
        self.resolved = False
        self.pbh_id: str | None = None


def _tags_of(ev: dict[str, Any]) -> list[str]:
    tags = ev.get("tags")
    if not tags:
        return []
    return [f"{k}: {val}" if val else k for k, val in tags.items()]


class AlarmEngine:
    """Entities (connector, component, resource) and their alarms."""

    def __init__(
        self,
        ids: IdSource,
        resolve_delay: float = 60.0,
        cancel_resolve_delay: float = 3600.0,
        allow_double_ack: bool = False,
    ) -> None:
        self.ids = ids
        self.resolve_delay = float(resolve_delay)
        self.cancel_resolve_delay = float(cancel_resolve_delay)
        self.allow_double_ack = allow_double_ack
        self.entities: dict[str, dict[str, Any]] = {}
        self.alarms: dict[str, Alarm] = {}
        self.open_by_entity: dict[str, Alarm] = {}
        self.pbh_counts: dict[str, int] = {}
        self.pbh_last_alarm: dict[str, int] = {}
        self._due: list[tuple[float, int, str, float]] = []
        self._seq = itertools.count()
        self.resolver: PbhResolver = lambda entity: None
        # (connector, connector_name, component, resource) -> (entity id, entity)
        self._entity_cache: dict[tuple[str, str, str, str], tuple[str, dict[str, Any]]] = {}

    # --- entities --------------------------------------------------------------------------------
    def _ensure_entities(self, ev: dict[str, Any], now_i: int) -> tuple[str, dict[str, Any]]:
        connector, connector_name = ev["connector"], ev["connector_name"]
        component = ev["component"]
        resource = ev.get("resource") or ""
        entities = self.entities
        conn_id = f"{connector}/{connector_name}"
        if conn_id not in entities:
            entities[conn_id] = self._new_entity(conn_id, connector_name, "connector", now_i)
        comp = entities.get(component)
        if comp is None:
            comp = self._new_entity(component, component, "component", now_i)
            comp["connector"] = conn_id
            comp["component"] = component
            entities[component] = comp
        if not resource:
            return component, comp
        res_id = f"{resource}/{component}"
        res = entities.get(res_id)
        if res is None:
            res = self._new_entity(res_id, resource, "resource", now_i)
            res["connector"] = conn_id
            res["component"] = component
            entities[res_id] = res
        return res_id, res

    @staticmethod
    def _new_entity(eid: str, name: str, etype: str, now_i: int) -> dict[str, Any]:
        return {
            "_id": eid,
            "name": name,
            "type": etype,
            "enabled": True,
            "category": "",
            "impact_level": 1,
            "infos": {},
            "created": now_i,
            "last_event_date": now_i,
        }

    # --- events -----------------------------------------------------------------------------------
    def apply(self, ev: dict[str, Any], ts: int, now: float) -> str | None:
        """Applies one fifo-accepted event; returns a drop reason when engine-che drops it."""
        event_type = ev["event_type"]
        if event_type == "check":
            return self._check(ev, ts, now)
        eid, _ = entity_id_of(ev)
        entity = self.entities.get(eid)
        if entity is None or not entity["enabled"]:
            return f"entity {eid!r} doesn't exist"
        alarm = self.open_by_entity.get(eid)
        if alarm is None:
            return None  # no open alarm: user actions are no-ops
        handler = _ACTIONS.get(event_type)
        if handler is not None:
            handler(self, alarm, ev, ts, now)
        return None

    def _check(self, ev: dict[str, Any], ts: int, now: float) -> str | None:
        # Hot path (every check event): entity look-up through a cache, steps built inline.
        now_i = int(now)
        key = (ev["connector"], ev["connector_name"], ev["component"], ev.get("resource") or "")
        hit = self._entity_cache.get(key)
        if hit is None:
            hit = self._entity_cache[key] = self._ensure_entities(ev, now_i)
        eid, entity = hit
        entity["last_event_date"] = now_i
        state = int(ev.get("state") or 0)
        output = ev.get("output") or ""
        long_output = ev.get("long_output") or ""
        alarm = self.open_by_entity.get(eid)
        if alarm is None:
            if state != STATE_OK:
                self._open(ev, eid, entity, state, output, long_output, ts, now)
            return None
        v = alarm.v
        v["output"] = output
        v["long_output"] = long_output
        v["last_event_date"] = now_i
        v["events_count"] += 1
        if ev.get("tags"):
            for tag in _tags_of(ev):
                if tag not in alarm.tags:
                    alarm.tags.append(tag)
        current = v["state"]["val"]
        if state == current or ("change_state" in v and state != STATE_OK):
            return None
        v.pop("change_state", None)  # a check with state 0 resets a locked state
        author = f"{ev['connector']}.{ev['connector_name']}"
        initiator = ev.get("initiator") or "external"
        steps = v["steps"]
        step = {
            "_t": "stateinc" if state > current else "statedec",
            "t": ts,
            "a": author,
            "m": output,
            "val": state,
            "initiator": initiator,
        }
        v["state"] = step
        steps.append(step)
        v["last_update_date"] = ts
        v["total_state_changes"] += 1
        canceled = "canceled" in v
        status = STATUS_CANCELLED if canceled else (STATUS_ONGOING if state != STATE_OK else STATUS_OFF)
        current_status = v["status"]["val"]
        if status != current_status:
            step = {
                "_t": "statusinc" if status > current_status else "statusdec",
                "t": ts,
                "a": author,
                "m": output,
                "val": status,
                "initiator": initiator,
            }
            v["status"] = step
            steps.append(step)
        alarm.last_step_at = now
        if state == STATE_OK and not canceled:
            heapq.heappush(self._due, (now + self.resolve_delay, next(self._seq), alarm.id, now))
        return None

    def _open(
        self,
        ev: dict[str, Any],
        eid: str,
        entity: dict[str, Any],
        state: int,
        output: str,
        long_output: str,
        ts: int,
        now: float,
    ) -> Alarm:
        author = f"{ev['connector']}.{ev['connector_name']}"
        state_step = self._step("stateinc", ts, author, output, ev, val=state)
        status_step = self._step("statusinc", ts, author, output, ev, val=STATUS_ONGOING)
        now_i = int(now)
        v: dict[str, Any] = {
            "state": state_step,
            "status": status_step,
            "steps": [state_step, status_step],
            "component": ev["component"],
            "connector": ev["connector"],
            "connector_name": ev["connector_name"],
        }
        if ev.get("resource"):
            v["resource"] = ev["resource"]
        v.update(
            {
                "output": output,
                "initial_output": output,
                "long_output": long_output,
                "initial_long_output": long_output,
                "display_name": self.ids.display_name(),
                "creation_date": now_i,
                "last_update_date": ts,
                "last_event_date": now_i,
                "events_count": 1,
                "total_state_changes": 1,
                "infos": {},
            }
        )
        alarm = Alarm(self.ids.uuid(), eid, ts, v)
        alarm.tags = _tags_of(ev)
        alarm.last_step_at = now
        self.alarms[alarm.id] = alarm
        self.open_by_entity[eid] = alarm
        info = self.resolver(entity)
        if info is not None:
            self._enter_pbh(alarm, info, now)
        return alarm

    # --- steps and status -------------------------------------------------------------------------
    @staticmethod
    def _step(
        kind: str, ts: int, author: str, message: str, ev: dict[str, Any], **extra: Any
    ) -> dict[str, Any]:
        step = {"_t": kind, "t": ts, "a": author, "m": message}
        step.update(extra)
        step["initiator"] = ev.get("initiator") or "external"
        return step

    def _add_step(self, alarm: Alarm, step: dict[str, Any], now: float) -> None:
        alarm.v["steps"].append(step)
        alarm.last_step_at = now
        if self._resolvable(alarm):
            heapq.heappush(self._due, (now + self.resolve_delay, next(self._seq), alarm.id, now))

    @staticmethod
    def _resolvable(alarm: Alarm) -> bool:
        v = alarm.v
        return not alarm.resolved and v["state"]["val"] == STATE_OK and "canceled" not in v

    def _update_status(
        self, alarm: Alarm, ts: int, author: str, message: str, ev: dict[str, Any], now: float
    ) -> None:
        v = alarm.v
        if "canceled" in v:
            status = STATUS_CANCELLED
        else:
            status = STATUS_ONGOING if v["state"]["val"] != STATE_OK else STATUS_OFF
        current = v["status"]["val"]
        if status == current:
            return
        kind = "statusinc" if status > current else "statusdec"
        step = self._step(kind, ts, author, message, ev, val=status)
        v["status"] = step
        self._add_step(alarm, step, now)

    # --- user actions (3.3) -------------------------------------------------------------------------
    def _user_step(self, kind: str, ev: dict[str, Any], ts: int, **extra: Any) -> dict[str, Any]:
        step = self._step(kind, ts, ev.get("author") or "", ev.get("output") or "", ev, **extra)
        if ev.get("user_id"):
            step["user_id"] = ev["user_id"]
        if "role" in ev:
            step["role"] = ev["role"]
        return step

    def _ack(self, alarm: Alarm, ev: dict[str, Any], ts: int, now: float) -> None:
        if "ack" in alarm.v and not self.allow_double_ack:
            return
        step = self._user_step("ack", ev, ts)
        alarm.v["ack"] = step
        self._add_step(alarm, step, now)

    def _ackremove(self, alarm: Alarm, ev: dict[str, Any], ts: int, now: float) -> None:
        if "ack" not in alarm.v:
            return
        del alarm.v["ack"]
        self._add_step(alarm, self._user_step("ackremove", ev, ts), now)

    def _comment(self, alarm: Alarm, ev: dict[str, Any], ts: int, now: float) -> None:
        step = self._user_step("comment", ev, ts)
        alarm.v["last_comment"] = step
        self._add_step(alarm, step, now)

    def _assocticket(self, alarm: Alarm, ev: dict[str, Any], ts: int, now: float) -> None:
        extra = {k: ev[k] for k in ("ticket", "ticket_url", "ticket_system_name", "ticket_data") if ev.get(k)}
        step = self._user_step("assocticket", ev, ts, **extra)
        alarm.v["ticket"] = step
        alarm.v.setdefault("tickets", []).append(step)
        self._add_step(alarm, step, now)

    def _snooze(self, alarm: Alarm, ev: dict[str, Any], ts: int, now: float) -> None:
        step = self._user_step("snooze", ev, ts, val=ts + int(ev.get("duration") or 0))
        alarm.v["snooze"] = step
        self._add_step(alarm, step, now)

    def _cancel(self, alarm: Alarm, ev: dict[str, Any], ts: int, now: float) -> None:
        if "canceled" in alarm.v:
            return
        step = self._user_step("cancel", ev, ts)
        alarm.v["canceled"] = step
        self._add_step(alarm, step, now)
        self._update_status(alarm, ts, step["a"], step["m"], ev, now)
        alarm.cancel_at = now
        heapq.heappush(self._due, (now + self.cancel_resolve_delay, next(self._seq), alarm.id, -now))

    def _uncancel(self, alarm: Alarm, ev: dict[str, Any], ts: int, now: float) -> None:
        if "canceled" not in alarm.v:
            return
        del alarm.v["canceled"]
        step = self._user_step("uncancel", ev, ts)
        self._add_step(alarm, step, now)
        self._update_status(alarm, ts, step["a"], step["m"], ev, now)

    def _changestate(self, alarm: Alarm, ev: dict[str, Any], ts: int, now: float) -> None:
        state = int(ev.get("state") or 0)
        step = self._user_step("changestate", ev, ts, val=state)
        alarm.v["change_state"] = step
        alarm.v["state"] = step
        alarm.v["last_update_date"] = ts
        self._add_step(alarm, step, now)
        self._update_status(alarm, ts, step["a"], step["m"], ev, now)

    # --- time-driven transitions ---------------------------------------------------------------------
    def tick(self, now: float) -> None:
        due = self._due
        while due and due[0][0] <= now:
            when, _, alarm_id, stamp = heapq.heappop(due)
            alarm = self.alarms.get(alarm_id)
            if alarm is None or alarm.resolved:
                continue
            if stamp < 0:  # cancel auto-resolution, stamped with -(cancel time)
                if "canceled" in alarm.v and -stamp == alarm.cancel_at:
                    self._resolve(alarm, when)
                continue
            if stamp == alarm.last_step_at and self._resolvable(alarm):
                self._resolve(alarm, when)

    def _resolve(self, alarm: Alarm, when: float) -> None:
        alarm.resolved = True
        alarm.v["resolved"] = int(when)
        if self.open_by_entity.get(alarm.entity_id) is alarm:
            del self.open_by_entity[alarm.entity_id]
        if alarm.pbh_id:
            self.pbh_counts[alarm.pbh_id] = self.pbh_counts.get(alarm.pbh_id, 1) - 1

    def set_resolve_delay(self, seconds: float) -> None:
        """Changes the delay and re-plans pending resolutions with it."""
        self.resolve_delay = float(seconds)
        kept = [entry for entry in self._due if entry[3] < 0]
        for alarm in self.open_by_entity.values():
            if self._resolvable(alarm):
                kept.append(
                    (alarm.last_step_at + self.resolve_delay, next(self._seq), alarm.id, alarm.last_step_at)
                )
        heapq.heapify(kept)
        self._due = kept

    # --- pbehaviors -----------------------------------------------------------------------------------
    def _enter_pbh(self, alarm: Alarm, info: dict[str, Any], now: float) -> None:
        info = dict(info, timestamp=int(now))
        ev = {"initiator": "system"}
        step = self._step("pbhenter", int(now), info.get("author", "system"), _pbh_message(info), ev)
        alarm.v["pbehavior_info"] = info
        alarm.pbh_id = info["id"]
        self.pbh_counts[info["id"]] = self.pbh_counts.get(info["id"], 0) + 1
        self.pbh_last_alarm[info["id"]] = int(now)
        self._add_step(alarm, step, now)

    def _leave_pbh(self, alarm: Alarm, now: float) -> None:
        info = alarm.v.pop("pbehavior_info", None) or {}
        if alarm.pbh_id:
            self.pbh_counts[alarm.pbh_id] = self.pbh_counts.get(alarm.pbh_id, 1) - 1
        alarm.pbh_id = None
        step = self._step(
            "pbhleave", int(now), info.get("author", "system"), _pbh_message(info), {"initiator": "system"}
        )
        self._add_step(alarm, step, now)

    def recompute_pbehaviors(self, now: float) -> None:
        """Re-evaluates every open alarm against the active pbehaviors (pbhenter/pbhleave steps)."""
        for alarm in list(self.open_by_entity.values()):
            entity = self.entities.get(alarm.entity_id)
            info = self.resolver(entity) if entity is not None else None
            new_id = info["id"] if info else None
            if new_id == alarm.pbh_id:
                if info is not None:  # same pbehavior, maybe renamed/retyped: refresh the copy
                    alarm.v["pbehavior_info"] = dict(info, timestamp=alarm.v["pbehavior_info"]["timestamp"])
                continue
            if alarm.pbh_id is not None:
                self._leave_pbh(alarm, now)
            if info is not None:
                self._enter_pbh(alarm, info, now)

    # --- views -----------------------------------------------------------------------------------------
    def render(self, alarm: Alarm, now: float) -> dict[str, Any]:
        v = dict(alarm.v)
        snooze = v.get("snooze")
        if snooze is not None and snooze["val"] <= now:
            del v["snooze"]  # engine-axe unsnoozes periodically
        entity = self.entities.get(alarm.entity_id, {})
        return {
            "_id": alarm.id,
            "t": alarm.t,
            "entity": dict(entity),
            "v": v,
            "tags": list(alarm.tags),
            "infos": {},
            "impact_state": int(v["state"]["val"]) * int(entity.get("impact_level", 1)),
        }

    def select(self, opened: bool | None) -> list[Alarm]:
        if opened is None:
            return list(self.alarms.values())
        if opened:
            return list(self.open_by_entity.values())
        return [a for a in self.alarms.values() if a.resolved]


def _pbh_message(info: dict[str, Any]) -> str:
    if not info:
        return ""
    name, type_name, reason = info.get("name", ""), info.get("type_name", ""), info.get("reason_name", "")
    return f"Pbehavior {name}. Type: {type_name}. Reason: {reason}."


_ACTIONS: dict[str, Callable[[AlarmEngine, Alarm, dict[str, Any], int, float], None]] = {
    "ack": AlarmEngine._ack,
    "ackremove": AlarmEngine._ackremove,
    "comment": AlarmEngine._comment,
    "assocticket": AlarmEngine._assocticket,
    "snooze": AlarmEngine._snooze,
    "cancel": AlarmEngine._cancel,
    "uncancel": AlarmEngine._uncancel,
    "changestate": AlarmEngine._changestate,
    "keepstate": AlarmEngine._changestate,
}
