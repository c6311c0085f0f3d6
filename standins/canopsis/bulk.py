"""``/api/v4/bulk/*`` pbehavior routes (canopsis-api.md 4.3): 207 with one result per item."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from centreon_canopsis.standins.canopsis import fastjson
from centreon_canopsis.standins.canopsis import responses as r
from centreon_canopsis.standins.canopsis import validation as v
from centreon_canopsis.standins.canopsis.pbehaviors import CREATE_SPEC, EDIT_SPEC
from centreon_canopsis.standins.canopsis.request import Request
from centreon_canopsis.standins.canopsis.state import SandboxState

BULK_MAX_SIZE = 10000

ENTITY_CREATE_SPEC = {
    "entity": "string",
    "origin": "string",
    "name": "string",
    "reason": "string",
    "rrule": "string",
    "tstart": "time",
    "tstop": "time",
    "type": "string",
    "color": "string",
    "comment": "string",
}
ENTITY_DELETE_SPEC = {"entity": "string", "origin": "string"}
CONNECTOR_CREATE_SPEC = {
    "entities": "str_list",
    "origin": "string",
    "tstart": "time",
    "tstop": "time",
    "comment": "string",
    "name": "string",
    "reason": "string",
    "type": "string",
    "color": "string",
}
CONNECTOR_DELETE_SPEC = {
    "entities": "str_list",
    "origin": "string",
    "tstart": "time",
    "tstop": "time",
    "comment": "string",
}

# One item's outcome: (status, id, errors map, error text)
ItemResult = tuple[int, str, dict[str, str] | None, str | None]


def _item(
    status: int, item: Any, pbh_id: str = "", errors: dict[str, str] | None = None, error: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if pbh_id:
        out["id"] = pbh_id
    out["status"] = status
    out["item"] = item
    if errors:
        out["errors"] = dict(sorted(errors.items()))
    if error is not None:
        out["error"] = error
    return out


class BulkApi:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        #: (origin, tstart, tstop, comment) -> id of the connector-pbehavior holding them.
        self._connector_index: dict[tuple[Any, ...], str] = {}

    def _run(
        self,
        req: Request,
        spec: dict[str, str],
        struct: str,
        one: Callable[[dict[str, Any], Request], ItemResult],
    ) -> r.Response:
        try:
            data = fastjson.loads(req.body)
        except fastjson.FastJSONError as err:
            return r.error(400, str(err))
        if type(data) is not list:
            return r.error(400, f"value doesn't contain array; it contains {fastjson.type_name(data)}")
        if len(data) > BULK_MAX_SIZE:
            return r.error(400, f"number of elements shouldn't be greater than {BULK_MAX_SIZE}")
        results = []
        for item in data:
            if type(item) is not dict:
                error = f"value doesn't contain object; it contains {fastjson.type_name(item)}"
                results.append(_item(400, item, error=error))
                continue
            try:
                body = v.decode(item, spec, struct)
            except v.StructureError as err:
                results.append(_item(400, item, error=str(err)))
                continue
            status, pbh_id, errors, error = one(body, req)
            results.append(_item(status, item, pbh_id, errors, error))
        return r.json_response(207, results)

    # --- /bulk/pbehaviors -------------------------------------------------------------------------
    def create(self, req: Request) -> r.Response:
        return self._run(req, CREATE_SPEC, "pbehavior.CreateRequest", self._create_one)

    def _create_one(self, body: dict[str, Any], req: Request) -> ItemResult:
        store = self.state.pbehaviors
        errors = store.validate(body, None, create=True)
        if errors:
            return 400, "", errors, None
        assert req.user is not None
        return 200, store.create(body, req.user, req.now)["_id"], None, None

    def update(self, req: Request) -> r.Response:
        return self._run(
            req, {"_id": "string", **EDIT_SPEC}, "pbehavior.BulkUpdateRequestItem", self._update_one
        )

    def _update_one(self, body: dict[str, Any], req: Request) -> ItemResult:
        store = self.state.pbehaviors
        errors = store.validate(body, body["_id"], create=False)
        if not body["_id"]:
            errors["_id"] = v.missing("ID")
        if errors:
            return 400, "", errors, None
        if body["_id"] not in store.items:
            return 404, "", None, r.NOT_FOUND_MSG
        assert req.user is not None
        return 200, store.replace(body["_id"], body, req.user, req.now)["_id"], None, None

    def delete(self, req: Request) -> r.Response:
        return self._run(req, {"_id": "string"}, "pbehavior.BulkDeleteRequestItem", self._delete_one)

    def _delete_one(self, body: dict[str, Any], req: Request) -> ItemResult:
        if not body["_id"]:
            return 400, "", {"_id": v.missing("ID")}, None
        if not self.state.pbehaviors.delete(body["_id"]):
            return 404, "", None, r.NOT_FOUND_MSG
        return 200, body["_id"], None, None

    # --- /bulk/entity-pbehaviors (23.04+) ---------------------------------------------------------
    def entity_create(self, req: Request) -> r.Response:
        return self._run(
            req, ENTITY_CREATE_SPEC, "pbehavior.BulkEntityCreateRequestItem", self._entity_create_one
        )

    def _common_errors(self, body: dict[str, Any]) -> dict[str, str]:
        errors: dict[str, str] = {}
        for key, go_name in (("origin", "Origin"), ("name", "Name")):
            if not body[key]:
                errors[key] = v.missing(go_name)
            elif len(body[key]) > 255:
                errors[key] = v.too_long(go_name)
        for key, go_name in (("reason", "Reason"), ("type", "Type")):
            if not body[key]:
                errors[key] = v.missing(go_name)
        if body["tstart"] is None:
            errors["tstart"] = v.missing("Start")
        elif body["tstop"] is not None and body["tstop"] < body["tstart"]:
            errors["tstop"] = v.greater("Stop", "Start")
        if body["color"] and not v.is_color(body["color"]):
            errors["color"] = v.COLOR_INVALID
        cat = self.state.catalog
        if body["reason"] and "reason" not in errors and body["reason"] not in cat.reasons:
            errors["reason"] = v.not_exist("Reason")
        if body["type"] and "type" not in errors and body["type"] not in cat.types:
            errors["type"] = v.not_exist("Type")
        return errors

    def _entity_create_one(self, body: dict[str, Any], req: Request) -> ItemResult:
        errors = self._common_errors(body)
        if not body["entity"]:
            errors["entity"] = v.missing("Entity")
        elif body["entity"] not in self.state.engine.entities:
            errors["entity"] = v.not_exist("Entity")
        if errors:
            return 400, "", errors, None
        pattern = [[{"field": "_id", "cond": {"type": "eq", "value": body["entity"]}}]]
        return self._create_from(body, pattern, req)

    def _create_from(self, body: dict[str, Any], pattern: list[Any], req: Request) -> ItemResult:
        store = self.state.pbehaviors
        if store.name_taken(body["name"], None):
            return 400, "", {"name": v.exists("Name")}, None
        fields = {key: body.get(key) for key in CREATE_SPEC}
        fields.update(enabled=True, entity_pattern=pattern, _id=None)
        assert req.user is not None
        record = store.create(fields, req.user, req.now, origin=body["origin"])
        if body.get("comment"):
            store.add_comment(record["_id"], body["comment"], req.user, req.now)
        return 200, record["_id"], None, None

    def entity_delete(self, req: Request) -> r.Response:
        return self._run(
            req, ENTITY_DELETE_SPEC, "pbehavior.BulkEntityDeleteRequestItem", self._entity_delete_one
        )

    def _entity_delete_one(self, body: dict[str, Any], req: Request) -> ItemResult:
        errors = {}
        if not body["entity"]:
            errors["entity"] = v.missing("Entity")
        if not body["origin"]:
            errors["origin"] = v.missing("Origin")
        if errors:
            return 400, "", errors, None
        pattern = [[{"field": "_id", "cond": {"type": "eq", "value": body["entity"]}}]]
        store = self.state.pbehaviors
        found = [
            p
            for p in store.items.values()
            if p["origin"] == body["origin"] and p["entity_pattern"] == pattern
        ]
        if not found:
            return 404, "", None, r.NOT_FOUND_MSG
        for record in found:
            store.delete(record["_id"])
        return 200, found[0]["_id"], None, None

    # --- /bulk/connector-pbehaviors (24.04.8+) ----------------------------------------------------
    # Canopsis (lib/api/pbehavior/store.go ConnectorCreate/ConnectorDelete): a pbehavior of the
    # route is found by (origin, tstart, tstop, comment message) among those that have an
    # ``entities`` list. A create merges its entities into the one found (idempotent: a replay
    # changes nothing) or inserts a new one with a generated id and the comment inline; a delete
    # pulls its entities from the one found and deletes it once none is left (404 when none is
    # found). Both answer 207, one result per item.
    def connector_create(self, req: Request) -> r.Response:
        return self._run(
            req, CONNECTOR_CREATE_SPEC, "pbehavior.BulkConnectorCreateRequestItem", self._connector_create_one
        )

    def _connector_find(self, body: dict[str, Any]) -> dict[str, Any] | None:
        key = (body["origin"], body["tstart"], body["tstop"], body["comment"])
        pbh_id = self._connector_index.get(key)
        record = self.state.pbehaviors.items.get(pbh_id) if pbh_id is not None else None
        if (
            record is None
            or record.get("entities") is None
            or (record["origin"], record["tstart"], record["tstop"]) != key[:3]
            or not any(c["message"] == key[3] for c in record["comments"])
        ):
            self._connector_index.pop(key, None)
            return None
        return record

    def _connector_create_one(self, body: dict[str, Any], req: Request) -> ItemResult:
        errors = self._common_errors(body)
        if not body["entities"] or not all(body["entities"]):
            errors["entities"] = v.missing("Entities")
        if body["tstop"] is None:
            errors["tstop"] = v.missing("Stop")
        if not body["comment"]:
            errors["comment"] = v.missing("Comment")
        if errors:
            return 400, "", errors, None
        entities = list(dict.fromkeys(body["entities"]))
        found = self._connector_find(body)
        store = self.state.pbehaviors
        assert req.user is not None
        if found is not None:
            merged = list(dict.fromkeys([*found["entities"], *entities]))
            if merged != found["entities"]:
                found["entities"] = merged
                found["entity_pattern"] = _one_of(merged)
                found["author"] = req.user.author()
                found["updated"] = int(req.now)
                store.generation += 1
            return 200, found["_id"], None, None
        if store.name_taken(body["name"], None):
            return 400, "", {"name": v.exists("Name")}, None
        fields = {key: body.get(key) for key in CREATE_SPEC}
        fields.update(enabled=True, entity_pattern=_one_of(entities), _id=None)
        record = store.create(fields, req.user, req.now, origin=body["origin"])
        record["entities"] = entities
        store.add_comment(record["_id"], body["comment"], req.user, req.now)
        self._connector_index[(body["origin"], body["tstart"], body["tstop"], body["comment"])] = record[
            "_id"
        ]
        return 200, record["_id"], None, None

    def connector_delete(self, req: Request) -> r.Response:
        return self._run(
            req, CONNECTOR_DELETE_SPEC, "pbehavior.BulkConnectorDeleteRequestItem", self._connector_delete_one
        )

    def _connector_delete_one(self, body: dict[str, Any], req: Request) -> ItemResult:
        errors = {}
        if not body["entities"] or not all(body["entities"]):
            errors["entities"] = v.missing("Entities")
        if not body["origin"]:
            errors["origin"] = v.missing("Origin")
        if body["tstart"] is None:
            errors["tstart"] = v.missing("Start")
        if body["tstop"] is None:
            errors["tstop"] = v.missing("Stop")
        if not body["comment"]:
            errors["comment"] = v.missing("Comment")
        if errors:
            return 400, "", errors, None
        found = self._connector_find(body)
        if found is None:
            return 404, "", None, r.NOT_FOUND_MSG
        store = self.state.pbehaviors
        pulled = set(body["entities"])
        found["entities"] = [e for e in found["entities"] if e not in pulled]
        found["entity_pattern"] = _one_of(found["entities"])
        assert req.user is not None
        found["author"] = req.user.author()
        found["updated"] = int(req.now)
        store.generation += 1
        if not found["entities"]:
            store.delete(found["_id"])
        return 200, found["_id"], None, None


def _one_of(entities: list[str]) -> list[Any]:
    return [[{"field": "_id", "cond": {"type": "is_one_of", "value": list(entities)}}]]
