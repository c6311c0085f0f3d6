"""Handlers of the Canopsis API v4 routes the sandbox emulates.

Each handler runs with the state lock held and the request already authenticated and
authorised by the router (routing.py). Handlers return :class:`Response` objects.
"""

from __future__ import annotations

from typing import Any

import orjson

from centreon_canopsis.standins.canopsis import fastjson
from centreon_canopsis.standins.canopsis import pagination as pg
from centreon_canopsis.standins.canopsis import responses as r
from centreon_canopsis.standins.canopsis import validation as v
from centreon_canopsis.standins.canopsis.appinfo import app_info
from centreon_canopsis.standins.canopsis.catalog import (
    REASON_SEARCH,
    REASON_SORT,
    REASON_SPEC,
    TYPE_SEARCH,
    TYPE_SORT,
    TYPE_SPEC,
)
from centreon_canopsis.standins.canopsis.events import NOT_ARRAY_OR_OBJECT
from centreon_canopsis.standins.canopsis.patterns import matches
from centreon_canopsis.standins.canopsis.pbehaviors import (
    COMMENT_SPEC,
    CREATE_SPEC,
    EDIT_SPEC,
    SEARCH_FIELDS,
    SORT_FIELDS,
)
from centreon_canopsis.standins.canopsis.request import Request
from centreon_canopsis.standins.canopsis.state import SandboxState

ALARM_SEARCH = ("v.display_name", "v.connector", "v.connector_name", "v.component", "v.resource", "v.output")
ENTITY_SORT = ("_id", "name", "type")


def _json_body(req: Request) -> Any:
    """Body for gin's ShouldBindJSON: any parse error is a structure error."""
    try:
        return orjson.loads(req.body)
    except orjson.JSONDecodeError:
        raise v.StructureError("invalid JSON") from None


class CanopsisApi:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    # --- login / app-info -------------------------------------------------------------------------
    def login(self, req: Request) -> r.Response:
        try:
            body = v.decode(_json_body(req), {"username": "string", "password": "string"})
        except v.StructureError:
            return r.invalid_structure()
        errors = {}
        if not body["username"]:
            errors["username"] = v.missing("Username")
        if not body["password"]:
            errors["password"] = v.missing("Password")
        if errors:
            return r.validation_errors(errors)
        st = self.state
        user = st.auth.check_password(body["username"], body["password"])
        if user is None:
            return r.unauthorized()
        if st.maintenance and st.profile.maintenance and not user.can("api_maintenance"):
            return r.maintenance()
        return r.json_response(200, {"access_token": st.auth.issue_token(user, req.now)})

    def app_info(self, req: Request) -> r.Response:
        st = self.state
        info = app_info(
            st.profile, st.edition, st.maintenance, st.version_updated, st.allow_change_severity_to_info
        )
        return r.json_response(200, info)

    # --- events -----------------------------------------------------------------------------------
    def post_event(self, req: Request) -> r.Response:
        try:
            data = fastjson.loads(req.body)
        except fastjson.FastJSONError as err:
            return r.error(400, str(err))
        if type(data) is dict:
            events = [data]
        elif type(data) is list:
            events = data
        else:
            return r.error(400, NOT_ARRAY_OR_OBJECT)
        assert req.user is not None
        sent, failed = self.state.ingest(events, req.user, req.now, req.body)
        body = orjson.dumps({"sent_events": sent, "failed_events": failed, "retry_events": []})
        return r.Response(200, body, r.JSON_BARE)

    # --- alarms -----------------------------------------------------------------------------------
    def list_alarms(self, req: Request) -> r.Response:
        q = pg.parse_list_query(req.query, default_sort_by="t")
        if isinstance(q, r.Response):
            return q
        opened_raw = req.arg("opened")
        try:
            opened = v.parse_bool(opened_raw) if opened_raw else None
        except ValueError:
            return r.invalid_structure()
        engine = self.state.engine
        alarms = engine.select(opened)
        if q.search:
            needle = q.search.lower()
            wrapped = [{"v": a.v, "a": a} for a in alarms]
            alarms = [w["a"] for w in pg.search_filter(wrapped, needle, ALARM_SEARCH)]

        def key(a: Any) -> Any:
            return pg.dig({"_id": a.id, "t": a.t, "v": a.v, "tags": a.tags}, q.sort_by)

        ordered = pg.sort_items(alarms, q.sort_by, q.sort != "asc", key=key)
        page = pg.page_of(ordered, q)
        page["data"] = [engine.render(a, req.now) for a in page["data"]]
        return r.json_response(200, page)

    # --- pbehaviors -------------------------------------------------------------------------------
    def _render_pbh(self, record: dict[str, Any], req: Request, flags: bool = False) -> dict[str, Any]:
        e = self.state.engine
        return self.state.pbehaviors.render(record, req.now, e.pbh_counts, e.pbh_last_alarm, flags)

    def list_pbehaviors(self, req: Request) -> r.Response:
        q = pg.parse_list_query(req.query, SORT_FIELDS, default_sort_by="created")
        if isinstance(q, r.Response):
            return q
        items = [self._render_pbh(p, req, q.with_flags) for p in self.state.pbehaviors.items.values()]
        items = pg.search_filter(items, q.search, SEARCH_FIELDS)
        items = pg.sort_items(items, q.sort_by, q.sort == "desc")
        return r.json_response(200, pg.page_of(items, q))

    def get_pbehavior(self, req: Request) -> r.Response:
        record = self.state.pbehaviors.items.get(req.params["id"])
        if record is None:
            return r.not_found()
        return r.json_response(200, self._render_pbh(record, req))

    def create_pbehavior(self, req: Request) -> r.Response:
        try:
            body = v.decode(_json_body(req), CREATE_SPEC, "pbehavior.CreateRequest")
        except v.StructureError:
            return r.invalid_structure()
        store = self.state.pbehaviors
        errors = store.validate(body, None, create=True)
        if errors:
            return r.validation_errors(errors)
        assert req.user is not None
        record = store.create(body, req.user, req.now)
        return r.json_response(201, self._render_pbh(record, req))

    def update_pbehavior(self, req: Request) -> r.Response:
        try:
            body = v.decode(_json_body(req), EDIT_SPEC, "pbehavior.UpdateRequest")
        except v.StructureError:
            return r.invalid_structure()
        store = self.state.pbehaviors
        pbh_id = req.params["id"]
        errors = store.validate(body, pbh_id, create=False)
        if errors:
            return r.validation_errors(errors)
        if pbh_id not in store.items:
            return r.not_found()
        assert req.user is not None
        return r.json_response(200, self._render_pbh(store.replace(pbh_id, body, req.user, req.now), req))

    def patch_pbehavior(self, req: Request) -> r.Response:
        try:
            raw = _json_body(req)
            body = v.decode(raw, EDIT_SPEC, "pbehavior.PatchRequest")
        except v.StructureError:
            return r.invalid_structure()
        store = self.state.pbehaviors
        current = store.items.get(req.params["id"])
        if current is None:
            return r.not_found()
        errors, merged = store.validate_patch(body, current)
        if errors:
            return r.validation_errors(errors)
        if type(raw) is dict and "tstop" in raw and raw["tstop"] is None:
            merged["tstop"] = None
        ptype = self.state.catalog.types.get(merged["type"], {})
        if (merged["tstop"] is None and ptype.get("type") != "pause") or (
            merged["tstop"] is not None and merged["tstop"] < merged["tstart"]
        ):
            return r.error(400, "invalid fields start, stop, type")
        assert req.user is not None
        record = store.replace(current["_id"], merged, req.user, req.now)
        return r.json_response(200, self._render_pbh(record, req))

    def delete_pbehavior(self, req: Request) -> r.Response:
        if not self.state.pbehaviors.delete(req.params["id"]):
            return r.not_found()
        return r.no_content()

    def delete_pbehavior_by_name(self, req: Request) -> r.Response:
        # The name comes from the query string only; a JSON body is ignored (4.2).
        name = req.arg("name")
        if not name:
            return r.validation_errors({"name": v.missing("Name")})
        store = self.state.pbehaviors
        record = store.by_name(name)
        if record is None:
            return r.not_found()
        store.delete(record["_id"])
        return r.no_content()

    def pbehavior_entities(self, req: Request) -> r.Response:
        q = pg.parse_list_query(req.query, ENTITY_SORT, default_sort_by="_id")
        if isinstance(q, r.Response):
            return q
        record = self.state.pbehaviors.items.get(req.params["id"])
        if record is None:
            return r.not_found()
        pattern = record["entity_pattern"] or []
        items = [dict(e) for e in self.state.engine.entities.values() if matches(pattern, e, req.now)]
        items = pg.search_filter(items, q.search, ("_id", "name"))
        items = pg.sort_items(items, q.sort_by, q.sort == "desc")
        return r.json_response(200, pg.page_of(items, q))

    def entity_pbehaviors(self, req: Request) -> r.Response:
        entity_id = req.arg("_id")
        if not entity_id:
            return r.validation_errors({"_id": v.missing("ID")})
        entity = self.state.engine.entities.get(entity_id)
        if entity is None:
            return r.json_response(200, [])
        store = self.state.pbehaviors
        found = [
            p
            for p in store.items.values()
            if p["entity_pattern"] and matches(p["entity_pattern"], entity, req.now)
        ]
        return r.json_response(200, [self._render_pbh(p, req) for p in found])

    # --- comments ---------------------------------------------------------------------------------
    def create_comment(self, req: Request) -> r.Response:
        try:
            body = v.decode(_json_body(req), COMMENT_SPEC, "pbehaviorcomment.Request")
        except v.StructureError:
            return r.invalid_structure()
        errors = {}
        if not body["pbehavior"]:
            errors["pbehavior"] = v.missing("Pbehavior")
        if not body["message"]:
            errors["message"] = v.missing("Message")
        elif len(body["message"]) > 255:
            errors["message"] = v.too_long("Message")
        if errors:
            return r.validation_errors(errors)
        store = self.state.pbehaviors
        if body["pbehavior"] not in store.items:
            return r.not_found()
        assert req.user is not None
        return r.json_response(201, store.add_comment(body["pbehavior"], body["message"], req.user, req.now))

    def delete_comment(self, req: Request) -> r.Response:
        if not self.state.pbehaviors.delete_comment(req.params["id"]):
            return r.not_found()
        return r.no_content()

    # --- reasons ----------------------------------------------------------------------------------
    def list_reasons(self, req: Request) -> r.Response:
        q = pg.parse_list_query(req.query, REASON_SORT, default_sort_by="created")
        if isinstance(q, r.Response):
            return q
        cat = self.state.catalog
        with_hidden = self._flag(req, "with_hidden")
        if isinstance(with_hidden, r.Response):
            return with_hidden
        records = [
            x for x in cat.reasons.values() if with_hidden or not x["hidden"] or not cat.profile.has_hidden
        ]
        records = pg.search_filter(records, q.search, REASON_SEARCH)
        records = pg.sort_items(records, q.sort_by, q.sort == "desc")
        page = pg.page_of(records, q)
        store = self.state.pbehaviors
        page["data"] = [
            cat.render_reason(x, (not store.uses_reason(x["_id"])) if q.with_flags else None)
            for x in page["data"]
        ]
        return r.json_response(200, page)

    def get_reason(self, req: Request) -> r.Response:
        record = self.state.catalog.reasons.get(req.params["id"])
        if record is None:
            return r.not_found()
        return r.json_response(200, self.state.catalog.render_reason(record))

    def create_reason(self, req: Request) -> r.Response:
        return self._save_reason(req, None)

    def update_reason(self, req: Request) -> r.Response:
        return self._save_reason(req, req.params["id"])

    def _save_reason(self, req: Request, current_id: str | None) -> r.Response:
        try:
            body = v.decode(_json_body(req), REASON_SPEC, "pbehaviorreason.Request")
        except v.StructureError:
            return r.invalid_structure()
        cat = self.state.catalog
        if not cat.profile.has_hidden:
            body["hidden"] = None
        errors = cat.validate_reason(body, current_id)
        if errors:
            return r.validation_errors(errors)
        assert req.user is not None
        ts = int(req.now)
        if current_id is None:
            body["_id"] = body["_id"] or cat.ids.uuid()
            return r.json_response(201, cat.render_reason(cat.reasons_add(body, req.user, ts)))
        record = cat.reasons.get(current_id)
        if record is None:
            return r.not_found()
        record.update(
            name=body["name"],
            description=body["description"],
            hidden=bool(body["hidden"]),
            author=req.user.author(),
            updated=ts,
        )
        self.state.pbehaviors.generation += 1  # pbehavior_info carries reason names
        return r.json_response(200, cat.render_reason(record))

    def delete_reason(self, req: Request) -> r.Response:
        cat = self.state.catalog
        reason_id = req.params["id"]
        if reason_id not in cat.reasons:
            return r.not_found()
        if self.state.pbehaviors.uses_reason(reason_id):
            return r.error(400, "reason is linked to pbehavior")
        del cat.reasons[reason_id]
        return r.no_content()

    # --- types ------------------------------------------------------------------------------------
    def _flag(self, req: Request, key: str) -> bool | r.Response:
        raw = req.arg(key)
        if not raw:
            return False
        try:
            return v.parse_bool(raw)
        except ValueError:
            return r.invalid_structure()

    def list_types(self, req: Request) -> r.Response:
        q = pg.parse_list_query(req.query, TYPE_SORT, default_sort_by="name")
        if isinstance(q, r.Response):
            return q
        cat = self.state.catalog
        with_hidden = self._flag(req, "with_hidden")
        only_default = self._flag(req, "default")
        for flag in (with_hidden, only_default):
            if isinstance(flag, r.Response):
                return flag
        kinds = set(req.query.get("types[]", []) + req.query.get("types", []))
        records = [
            x
            for x in cat.types.values()
            if (with_hidden or not x["hidden"] or not cat.profile.has_hidden)
            and (not only_default or x["default"])
            and (not kinds or x["type"] in kinds)
        ]
        records = pg.search_filter(records, q.search, TYPE_SEARCH)
        records = pg.sort_items(records, q.sort_by, q.sort == "desc")
        page = pg.page_of(records, q)
        store = self.state.pbehaviors
        page["data"] = [
            cat.render_type(
                x,
                {"default": x["default"], "deletable": not x["default"] and not store.uses_type(x["_id"])}
                if q.with_flags
                else None,
            )
            for x in page["data"]
        ]
        return r.json_response(200, page)

    def next_priority(self, req: Request) -> r.Response:
        return r.json_response(200, {"priority": self.state.catalog.next_priority()})

    def get_type(self, req: Request) -> r.Response:
        record = self.state.catalog.types.get(req.params["id"])
        if record is None:
            return r.not_found()
        return r.json_response(200, self.state.catalog.render_type(record))

    def create_type(self, req: Request) -> r.Response:
        return self._save_type(req, None)

    def update_type(self, req: Request) -> r.Response:
        return self._save_type(req, req.params["id"])

    def _save_type(self, req: Request, current_id: str | None) -> r.Response:
        try:
            body = v.decode(_json_body(req), TYPE_SPEC, "pbehaviortype.EditRequest")
        except v.StructureError:
            return r.invalid_structure()
        cat = self.state.catalog
        if not cat.profile.type_has_color:
            body["color"] = None
        if not cat.profile.has_hidden:
            body["hidden"] = None
        errors = cat.validate_type(body, current_id)
        if errors:
            return r.validation_errors(errors)
        assert req.user is not None
        ts = int(req.now)
        record = cat.types.get(current_id) if current_id is not None else None
        if current_id is not None:
            if record is None:
                return r.not_found()
            if record["default"]:
                return r.error(400, "type is default")
        if cat.duplicate_priority(body["priority"], current_id):
            return r.error(400, "duplicate priority value")
        if record is None:
            body["_id"] = body["_id"] or cat.ids.uuid()
            return r.json_response(201, cat.render_type(cat.types_add(body, req.user, ts)))
        record.update(
            name=body["name"],
            description=body["description"],
            type=body["type"],
            priority=body["priority"],
            icon_name=body["icon_name"],
            color=body["color"] or "",
            hidden=bool(body["hidden"]),
            author=req.user.author(),
            updated=ts,
        )
        self.state.pbehaviors.generation += 1  # activity and pbehavior_info depend on the type
        return r.json_response(200, cat.render_type(record))

    def delete_type(self, req: Request) -> r.Response:
        cat = self.state.catalog
        record = cat.types.get(req.params["id"])
        if record is None:
            return r.not_found()
        if record["default"]:
            return r.error(400, "type is default")
        if self.state.pbehaviors.uses_type(record["_id"]):
            return r.error(400, "type is linked to pbehavior")
        del cat.types[record["_id"]]
        return r.no_content()
