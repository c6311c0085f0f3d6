"""Pbehavior reasons and types (canopsis-api.md 4.4, 4.5) with their per-version shapes."""

from __future__ import annotations

from typing import Any

from centreon_canopsis.standins.canopsis import validation as v
from centreon_canopsis.standins.canopsis.auth import User
from centreon_canopsis.standins.canopsis.ids import IdSource
from centreon_canopsis.standins.canopsis.versions import VersionProfile

CANONICAL_TYPES = ("active", "inactive", "maintenance", "pause")

# (name, canonical type, priority, icon, colour): the fixtures of a fresh install.
DEFAULT_TYPES = (
    ("Default inactive", "inactive", 1, "brightness_3", "#979797"),
    ("Default active", "active", 2, "", "#2FAB63"),
    ("Default maintenance", "maintenance", 3, "build", "#BF360C"),
    ("Default pause", "pause", 4, "pause", "#5A6D80"),
)

REASON_SPEC = {"_id": "string", "name": "string", "description": "string", "hidden": "bool"}
TYPE_SPEC = {
    "_id": "string",
    "name": "string",
    "description": "string",
    "type": "string",
    "priority": "int",
    "icon_name": "string",
    "color": "string",
    "hidden": "bool",
}

REASON_SEARCH = ("_id", "name", "description")
TYPE_SEARCH = ("_id", "name", "description", "type")
REASON_SORT = ("_id", "name", "description", "created", "updated")
TYPE_SORT = ("_id", "name", "description", "type", "priority", "icon_name", "created", "updated")


class Catalog:
    """Reasons and types; records keep every field, ``render_*`` applies the version's shape."""

    def __init__(self, profile: VersionProfile, ids: IdSource, root: User, now: float) -> None:
        self.profile = profile
        self.ids = ids
        self.reasons: dict[str, dict[str, Any]] = {}
        self.types: dict[str, dict[str, Any]] = {}
        ts = int(now)
        self.reasons_add(
            {"_id": ids.uuid(), "name": "Default", "description": "Default", "hidden": False}, root, ts
        )
        for name, canonical, priority, icon, color in DEFAULT_TYPES:
            record = {
                "_id": ids.uuid(),
                "name": name,
                "description": name,
                "type": canonical,
                "priority": priority,
                "icon_name": icon,
                "color": color,
                "hidden": False,
            }
            self.types_add(record, root, ts, default=True)

    # --- reasons --------------------------------------------------------------------------------
    def reasons_add(self, data: dict[str, Any], user: User, ts: int) -> dict[str, Any]:
        record = {
            "_id": data["_id"],
            "name": data["name"],
            "description": data["description"],
            "hidden": bool(data.get("hidden")),
            "author": user.author(),
            "created": ts,
            "updated": ts,
        }
        self.reasons[record["_id"]] = record
        return record

    def validate_reason(self, req: dict[str, Any], current_id: str | None) -> dict[str, str]:
        errors: dict[str, str] = {}
        if current_id is None and req["_id"]:
            if v.bad_id_chars(req["_id"]):
                errors["_id"] = v.ID_CHARS_MSG
            elif req["_id"] in self.reasons:
                errors["_id"] = v.ID_ALREADY_EXISTS
        name = req["name"]
        if not name:
            errors["name"] = v.missing("Name")
        elif len(name) > 255:
            errors["name"] = v.too_long("Name")
        elif any(r["name"] == name and r["_id"] != current_id for r in self.reasons.values()):
            errors["name"] = v.exists("Name")
        description = req["description"]
        if not description:
            errors["description"] = v.missing("Description")
        elif len(description) > 255:
            errors["description"] = v.too_long("Description")
        return errors

    def render_reason(self, record: dict[str, Any], deletable: bool | None = None) -> dict[str, Any]:
        out = {"_id": record["_id"], "name": record["name"], "description": record["description"]}
        if self.profile.has_hidden and (record["hidden"] or self.profile.hidden_always):
            out["hidden"] = record["hidden"]
        if self.profile.catalog_author:
            out["author"] = record["author"]
            out["created"] = record["created"]
            out["updated"] = record["updated"]
        if deletable is not None:
            out["deletable"] = deletable
        return out

    # --- types ----------------------------------------------------------------------------------
    def types_add(self, data: dict[str, Any], user: User, ts: int, default: bool = False) -> dict[str, Any]:
        record = {
            "_id": data["_id"],
            "name": data["name"],
            "description": data["description"],
            "type": data["type"],
            "priority": data["priority"],
            "icon_name": data.get("icon_name") or "",
            "color": data.get("color") or "",
            "hidden": bool(data.get("hidden")),
            "author": user.author(),
            "created": ts,
            "updated": ts,
            "default": default,
        }
        self.types[record["_id"]] = record
        return record

    def validate_type(self, req: dict[str, Any], current_id: str | None) -> dict[str, str]:
        errors: dict[str, str] = {}
        if current_id is None and req["_id"]:
            if v.bad_id_chars(req["_id"]):
                errors["_id"] = v.ID_CHARS_MSG
            elif req["_id"] in self.types:
                errors["_id"] = v.ID_ALREADY_EXISTS
        name = req["name"]
        if not name:
            errors["name"] = v.missing("Name")
        elif len(name) > 255:
            errors["name"] = v.too_long("Name")
        elif any(t["name"] == name and t["_id"] != current_id for t in self.types.values()):
            errors["name"] = v.exists("Name")
        if not req["description"]:
            errors["description"] = v.missing("Description")
        elif len(req["description"]) > 255:
            errors["description"] = v.too_long("Description")
        if not req["type"]:
            errors["type"] = v.missing("Type")
        elif req["type"] not in CANONICAL_TYPES:
            errors["type"] = v.one_of("Type", CANONICAL_TYPES)
        priority = req["priority"]
        if priority is None:
            errors["priority"] = v.missing("Priority")
        elif priority <= 0:
            errors["priority"] = v.greater("Priority", "0")
        if not req["icon_name"]:
            errors["icon_name"] = v.missing("IconName")
        if self.profile.type_has_color:
            if not req["color"]:
                errors["color"] = v.missing("Color")
            elif not v.is_color(req["color"]):
                errors["color"] = v.COLOR_INVALID
        return errors

    def render_type(self, record: dict[str, Any], flags: dict[str, bool] | None = None) -> dict[str, Any]:
        out = {
            "_id": record["_id"],
            "name": record["name"],
            "description": record["description"],
            "type": record["type"],
            "priority": record["priority"],
            "icon_name": record["icon_name"],
        }
        if self.profile.type_has_color:
            out["color"] = record["color"]
        if self.profile.has_hidden and (record["hidden"] or self.profile.hidden_always):
            out["hidden"] = record["hidden"]
        if self.profile.catalog_author:
            out["author"] = record["author"]
            out["created"] = record["created"]
            out["updated"] = record["updated"]
        if flags:
            out.update(flags)
        return out

    def duplicate_priority(self, priority: int, current_id: str | None) -> bool:
        """22.10 keeps a unique index on priority (``duplicate priority value``)."""
        return self.profile.type_priority_unique and any(
            t["priority"] == priority and t["_id"] != current_id for t in self.types.values()
        )

    def next_priority(self) -> int:
        return max((t["priority"] for t in self.types.values()), default=0) + 1
