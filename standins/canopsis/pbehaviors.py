"""Pbehaviors and their comments (canopsis-api.md 4.2, 4.6, 4.7): storage, validation, activity."""

from __future__ import annotations

from typing import Any

from centreon_canopsis.standins.canopsis import patterns
from centreon_canopsis.standins.canopsis import validation as v
from centreon_canopsis.standins.canopsis.auth import User
from centreon_canopsis.standins.canopsis.catalog import Catalog
from centreon_canopsis.standins.canopsis.ids import IdSource
from centreon_canopsis.standins.canopsis.versions import VersionProfile

EDIT_SPEC = {
    "name": "string",
    "enabled": "bool",
    "reason": "string",
    "type": "string",
    "tstart": "time",
    "tstop": "time",
    "rrule": "string",
    "color": "string",
    "exdates": "exdates",
    "exceptions": "str_list",
    "entity_pattern": "pattern",
    "corporate_entity_pattern": "string",
}
CREATE_SPEC = {"_id": "string", **EDIT_SPEC}
COMMENT_SPEC = {"pbehavior": "string", "message": "string"}

SORT_FIELDS = (
    "name",
    "author.name",
    "author.display_name",
    "enabled",
    "tstart",
    "tstop",
    "type.name",
    "reason.name",
    "created",
    "updated",
    "rrule",
    "type.icon_name",
    "last_alarm_date",
)
SEARCH_FIELDS = ("_id", "name", "author.name", "type.name", "reason.name")


class PbehaviorStore:
    def __init__(self, profile: VersionProfile, ids: IdSource, catalog: Catalog) -> None:
        self.profile = profile
        self.ids = ids
        self.catalog = catalog
        self.items: dict[str, dict[str, Any]] = {}
        self.comment_index: dict[str, str] = {}  # comment id -> pbehavior id
        self.generation = 0  # bumped on every change; the sandbox re-evaluates alarms on change
        self._active: list[dict[str, Any]] = []
        self._active_at_generation = -1
        self._entity_cache: dict[str, dict[str, Any] | None] = {}
        self._by_entity: dict[str, list[int]] = {}  # entity id -> ranks in _active
        self._others: list[int] = []  # ranks in _active of patterns not indexed by id
        #: name -> id, kept by create/replace/delete (names are unique, like Canopsis's index):
        #: a scan per create made thousands of concurrent downtimes quadratic.
        self._names: dict[str, str] = {}

    # --- validation ------------------------------------------------------------------------------
    def validate(self, req: dict[str, Any], current_id: str | None, create: bool) -> dict[str, str]:
        """Field errors for a create (``create``) or full update of ``current_id``."""
        errors: dict[str, str] = {}
        if create and req.get("_id"):
            if v.bad_id_chars(req["_id"]):
                errors["_id"] = v.ID_CHARS_MSG
            elif req["_id"] in self.items:
                errors["_id"] = v.ID_ALREADY_EXISTS
        name = req["name"]
        if not name:
            errors["name"] = v.missing("Name")
        elif len(name) > 255:
            errors["name"] = v.too_long("Name")
        if req["enabled"] is None:
            errors["enabled"] = v.missing("Enabled")
        if not req["reason"]:
            errors["reason"] = v.missing("Reason")
        elif req["reason"] not in self.catalog.reasons:
            errors["reason"] = v.not_exist("Reason")
        ptype = self.catalog.types.get(req["type"] or "")
        if not req["type"]:
            errors["type"] = v.missing("Type")
        elif ptype is None:
            errors["type"] = v.not_exist("Type")
        if req["tstart"] is None:
            errors["tstart"] = v.missing("Start")
        if req["tstop"] is None:
            if ptype is None or ptype["type"] != "pause":
                errors["tstop"] = v.missing("Stop")
        elif req["tstart"] is not None and req["tstop"] < req["tstart"]:
            errors["tstop"] = v.greater("Stop", "Start")
        color = req["color"]
        if not color:
            if self.profile.pbehavior_color_required:
                errors["color"] = v.missing("Color")
        elif not v.is_color(color):
            errors["color"] = v.COLOR_INVALID
        if req["rrule"] and not v.is_rrule(req["rrule"]):
            errors["rrule"] = v.RRULE_INVALID
        if req["corporate_entity_pattern"]:
            # The sandbox stores no saved patterns, so any reference is unknown.
            errors["corporate_entity_pattern"] = v.not_exist("CorporateEntityPattern")
        elif req["entity_pattern"] is None or req["entity_pattern"] == []:
            errors["entity_pattern"] = v.missing("EntityPattern")
        elif not patterns.is_valid(req["entity_pattern"]):
            errors["entity_pattern"] = v.PATTERN_INVALID
        for i, exdate in enumerate(req["exdates"] or []):
            exdate = exdate or {}
            prefix = f"exdates.{i}."
            if exdate.get("begin") is None:
                errors[prefix + "begin"] = v.missing("Begin")
            if exdate.get("end") is None:
                errors[prefix + "end"] = v.missing("End")
            elif exdate.get("begin") is not None and exdate["end"] < exdate["begin"]:
                errors[prefix + "end"] = v.greater("End", "Begin")
            if not exdate.get("type"):
                errors[prefix + "type"] = v.missing("Type")
            elif exdate["type"] not in self.catalog.types:
                errors[prefix + "type"] = v.not_exist("Type")
        if req["exceptions"]:
            # Exceptions (/pbehavior-exceptions) are not emulated: every reference is unknown.
            errors["exceptions"] = v.not_exist("Exceptions")
        if not errors and self.name_taken(name, current_id):
            errors["name"] = v.exists("Name")
        return errors

    def name_taken(self, name: str, current_id: str | None) -> bool:
        owner = self._names.get(name)
        return owner is not None and owner != current_id

    def validate_patch(
        self, req: dict[str, Any], current: dict[str, Any]
    ) -> tuple[dict[str, str], dict[str, Any]]:
        """PATCH: only given fields are checked; returns errors and the merged record fields."""
        errors: dict[str, str] = {}
        merged = {k: current.get(k) for k in EDIT_SPEC}
        for key in EDIT_SPEC:
            if req.get(key) is not None:
                merged[key] = req[key]
        if req.get("tstop_null"):
            merged["tstop"] = None
        if req["name"] is not None:
            if req["name"] == "":
                errors["name"] = v.missing("Name")
            elif len(req["name"]) > 255:
                errors["name"] = v.too_long("Name")
        if req["reason"] is not None:
            if req["reason"] == "":
                errors["reason"] = v.missing("Reason")
            elif req["reason"] not in self.catalog.reasons:
                errors["reason"] = v.not_exist("Reason")
        if req["type"] is not None:
            if req["type"] == "":
                errors["type"] = v.missing("Type")
            elif req["type"] not in self.catalog.types:
                errors["type"] = v.not_exist("Type")
        if req["color"] and not v.is_color(req["color"]):
            errors["color"] = v.COLOR_INVALID
        if req["rrule"] and not v.is_rrule(req["rrule"]):
            errors["rrule"] = v.RRULE_INVALID
        if req["entity_pattern"] is not None:
            if req["entity_pattern"] == []:
                errors["entity_pattern"] = v.missing("EntityPattern")
            elif not patterns.is_valid(req["entity_pattern"]):
                errors["entity_pattern"] = v.PATTERN_INVALID
        if req["tstart"] is not None and req["tstop"] is not None and req["tstart"] >= req["tstop"]:
            errors["tstop"] = v.greater("Stop", "Start")
        if not errors and req["name"] and self.name_taken(req["name"], current["_id"]):
            errors["name"] = v.exists("Name")
        return errors, merged

    # --- mutations ---------------------------------------------------------------------------------
    def create(self, req: dict[str, Any], user: User, now: float, origin: str = "") -> dict[str, Any]:
        ts = int(now)
        record = self._record(req, req.get("_id") or self.ids.uuid(), user)
        record.update(comments=[], created=ts, updated=ts, origin=origin)
        self.items[record["_id"]] = record
        self._names[record["name"]] = record["_id"]
        self.generation += 1
        return record

    def replace(self, pbh_id: str, req: dict[str, Any], user: User, now: float) -> dict[str, Any]:
        old = self.items[pbh_id]
        record = self._record(req, pbh_id, user)
        record.update(
            comments=old["comments"], created=old["created"], updated=int(now), origin=old["origin"]
        )
        self.items[pbh_id] = record
        if self._names.get(old["name"]) == pbh_id:
            del self._names[old["name"]]
        self._names[record["name"]] = pbh_id
        self.generation += 1
        return record

    @staticmethod
    def _record(req: dict[str, Any], pbh_id: str, user: User) -> dict[str, Any]:
        return {
            "_id": pbh_id,
            "name": req["name"],
            "author": user.author(),
            "enabled": bool(req["enabled"]),
            "reason": req["reason"],
            "type": req["type"],
            "tstart": req["tstart"],
            "tstop": req["tstop"],
            "rrule": req["rrule"] or "",
            "color": req["color"] or "",
            "exdates": list(req["exdates"] or []),
            "exceptions": [],
            "entity_pattern": req["entity_pattern"],
        }

    def delete(self, pbh_id: str) -> bool:
        record = self.items.pop(pbh_id, None)
        if record is None:
            return False
        if self._names.get(record["name"]) == pbh_id:
            del self._names[record["name"]]
        for comment in record["comments"]:
            self.comment_index.pop(comment["_id"], None)
        self.generation += 1
        return True

    def by_name(self, name: str) -> dict[str, Any] | None:
        pbh_id = self._names.get(name)
        return self.items.get(pbh_id) if pbh_id is not None else None

    def add_comment(self, pbh_id: str, message: str, user: User, now: float) -> dict[str, Any]:
        comment = {"_id": self.ids.uuid(), "author": user.author(), "ts": int(now), "message": message}
        self.items[pbh_id]["comments"].append(comment)
        self.comment_index[comment["_id"]] = pbh_id
        return comment

    def delete_comment(self, comment_id: str) -> bool:
        pbh_id = self.comment_index.pop(comment_id, None)
        if pbh_id is None or pbh_id not in self.items:
            return False
        comments = self.items[pbh_id]["comments"]
        comments[:] = [c for c in comments if c["_id"] != comment_id]
        return True

    def uses_reason(self, reason_id: str) -> bool:
        return any(p["reason"] == reason_id for p in self.items.values())

    def uses_type(self, type_id: str) -> bool:
        return any(
            p["type"] == type_id or any((e or {}).get("type") == type_id for e in p["exdates"])
            for p in self.items.values()
        )

    # --- activity (4.7); rrule and exdates are stored but do not change activity -----------------------
    def is_active(self, record: dict[str, Any], now: float) -> bool:
        if not record["enabled"] or record["tstart"] > now:
            return False
        if record["tstop"] is None:
            ptype = self.catalog.types.get(record["type"])
            return ptype is not None and ptype["type"] == "pause"
        return now < record["tstop"]

    def refresh_active(self, now: float) -> None:
        """Recomputes the active set (highest type priority first) and drops cached matches."""
        active = [p for p in self.items.values() if self.is_active(p, now)]
        active.sort(key=lambda p: -self.catalog.types.get(p["type"], {}).get("priority", 0))
        self._active = active
        self._entity_cache.clear()
        # Patterns naming entities by id (every connector's downtimes) are indexed; the others
        # are matched one by one. Matching every active pbehavior against every alarm at each
        # change made a storm of thousands of downtimes quadratic (engine-pbehavior indexes too).
        by_entity: dict[str, list[int]] = {}
        others: list[int] = []
        for rank, record in enumerate(active):
            ids = _entity_ids(record["entity_pattern"])
            if ids is None:
                others.append(rank)
            else:
                for eid in ids:
                    by_entity.setdefault(eid, []).append(rank)
        self._by_entity, self._others = by_entity, others

    def next_boundary(self, now: float) -> float:
        """The next time the active set may change by itself (a tstart or tstop ahead)."""
        upcoming = [
            t
            for p in self.items.values()
            if p["enabled"]
            for t in (p["tstart"], p["tstop"])
            if t is not None and t > now
        ]
        return float(min(upcoming)) if upcoming else float("inf")

    def info_for(self, entity: dict[str, Any]) -> dict[str, Any] | None:
        """The ``pbehavior_info`` an entity gets from the active pbehaviors, or None."""
        if not self._active:
            return None
        eid = entity["_id"]
        if eid in self._entity_cache:
            return self._entity_cache[eid]
        info = None
        active = self._active
        for rank in sorted([*self._by_entity.get(eid, ()), *self._others]):
            record = active[rank]
            if patterns.matches(record["entity_pattern"], entity):
                info = self._info(record)
                break
        self._entity_cache[eid] = info
        return info

    def _info(self, record: dict[str, Any]) -> dict[str, Any]:
        reason = self.catalog.reasons.get(record["reason"], {})
        ptype = self.catalog.types.get(record["type"], {})
        return {
            "id": record["_id"],
            "name": record["name"],
            "reason": record["reason"],
            "reason_name": reason.get("name", ""),
            "type": record["type"],
            "type_name": ptype.get("name", ""),
            "canonical_type": ptype.get("type", ""),
            "icon_name": ptype.get("icon_name", ""),
            "color": record["color"] or ptype.get("color", ""),
            "author": record["author"]["name"],
        }

    # --- rendering ------------------------------------------------------------------------------------
    def render(
        self,
        record: dict[str, Any],
        now: float,
        counts: dict[str, int],
        last_alarm: dict[str, int],
        flags: bool = False,
    ) -> dict[str, Any]:
        cat = self.catalog
        reason = cat.reasons.get(record["reason"])
        ptype = cat.types.get(record["type"])
        out = {
            "_id": record["_id"],
            "author": record["author"],
            "comments": list(record["comments"]),
            "enabled": record["enabled"],
            "name": record["name"],
            "reason": cat.render_reason(reason) if reason else None,
            "rrule": record["rrule"],
            "rrule_end": None,
            "tstart": record["tstart"],
            "tstop": record["tstop"],
            "created": record["created"],
            "updated": record["updated"],
            "type": cat.render_type(ptype) if ptype else None,
            "color": record["color"],
            "exdates": [self._render_exdate(e) for e in record["exdates"]],
            "exceptions": [],
            "last_alarm_date": last_alarm.get(record["_id"]),
            "alarm_count": max(0, counts.get(record["_id"], 0)),
            "origin": record["origin"],
            "entity_pattern": record["entity_pattern"],
        }
        if flags:
            out["is_active_status"] = self.is_active(record, now)
        return out

    def _render_exdate(self, exdate: dict[str, Any]) -> dict[str, Any]:
        ptype = self.catalog.types.get(exdate.get("type") or "")
        return {
            "begin": exdate.get("begin"),
            "end": exdate.get("end"),
            "type": self.catalog.render_type(ptype) if ptype else None,
        }


def _entity_ids(pattern: Any) -> list[str] | None:
    """The entity ids a pattern of one ``_id`` condition (eq or is_one_of) names, else None."""
    try:
        (group,) = pattern
        (condition,) = group
        cond = condition["cond"]
    except (TypeError, ValueError, KeyError):
        return None
    if not isinstance(condition, dict) or condition.get("field") != "_id" or not isinstance(cond, dict):
        return None
    value = cond.get("value")
    if cond.get("type") == "eq" and isinstance(value, str):
        return [value]
    if cond.get("type") == "is_one_of" and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None
