"""Sandbox-only control endpoints under ``/_sandbox/`` (no real Canopsis serves this prefix).

They need no credentials, are never affected by faults or maintenance, and are not journaled
as API requests. Documented in docs/sandbox.md.
"""

from __future__ import annotations

from typing import Any

import orjson

from centreon_canopsis.standins.canopsis import responses as r
from centreon_canopsis.standins.canopsis.faults import fault_from_dict
from centreon_canopsis.standins.canopsis.request import Request
from centreon_canopsis.standins.canopsis.state import SandboxState
from centreon_canopsis.standins.canopsis.validation import parse_bool

PREFIX = "/_sandbox/"
EVENT_KINDS = ("received", "published", "failed", "dropped")


class ControlApi:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def dispatch(self, req: Request) -> r.Response:
        name = req.path[len(PREFIX) :].strip("/")
        head, _, rest = name.partition("/")
        handler = getattr(self, f"_{head}", None) if head.isidentifier() else None
        if handler is None:
            return r.not_found()
        try:
            return handler(req, rest)
        except (ValueError, TypeError, KeyError) as err:
            return r.error(400, str(err))

    @staticmethod
    def _body(req: Request) -> Any:
        if not req.body.strip():
            return {}
        try:
            return orjson.loads(req.body)
        except orjson.JSONDecodeError as err:
            raise ValueError(f"invalid JSON body: {err}") from None

    @staticmethod
    def _limit(req: Request) -> int | None:
        raw = req.arg("limit")
        return int(raw) if raw else None

    def _state(self, req: Request, rest: str) -> r.Response:
        return _only(req, "GET") or r.json_response(200, self.state.summary())

    def _alarms(self, req: Request, rest: str) -> r.Response:
        if bad := _only(req, "GET"):
            return bad
        raw = req.arg("opened") or "true"
        opened = None if raw == "all" else parse_bool(raw)
        return r.json_response(200, self.state.alarms(opened))

    def _entities(self, req: Request, rest: str) -> r.Response:
        return _only(req, "GET") or r.json_response(200, self.state.entities())

    def _pbehaviors(self, req: Request, rest: str) -> r.Response:
        return _only(req, "GET") or r.json_response(200, self.state.pbehavior_list())

    def _events(self, req: Request, rest: str) -> r.Response:
        if bad := _only(req, "GET"):
            return bad
        kind = req.arg("kind") or "received"
        if kind not in EVENT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(EVENT_KINDS)}")
        items = self.state.journal_view(kind)
        limit = self._limit(req)
        return r.json_response(200, items[-limit:] if limit else items)

    def _requests(self, req: Request, rest: str) -> r.Response:
        if bad := _only(req, "GET"):
            return bad
        items = self.state.journal_view("requests")
        limit = self._limit(req)
        return r.json_response(200, items[-limit:] if limit else items)

    def _faults(self, req: Request, rest: str) -> r.Response:
        faults = self.state.faults
        if rest:
            if req.method != "DELETE":
                return r.method_not_allowed()
            return r.no_content() if faults.remove(int(rest)) else r.not_found()
        if req.method == "GET":
            return r.json_response(200, faults.list())
        if req.method == "DELETE":
            faults.clear()
            with self.state.lock:
                self.state.maintenance = False
            return r.no_content()
        if req.method == "POST":
            body = self._body(req)
            specs = body if isinstance(body, list) else [body]
            if not all(isinstance(s, dict) for s in specs):
                raise ValueError("a fault is a JSON object")
            added = [faults.add(fault_from_dict(spec)).to_dict() for spec in specs]
            return r.json_response(201, added)
        return r.method_not_allowed()

    def _maintenance(self, req: Request, rest: str) -> r.Response:
        st = self.state
        if req.method == "POST":
            enabled = self._body(req).get("enabled", True)
            if not isinstance(enabled, bool):
                raise ValueError("enabled must be a boolean")
            if enabled and not st.profile.maintenance:
                raise ValueError(f"maintenance mode does not exist in Canopsis {st.profile.line} (23.10+)")
            with st.lock:
                st.maintenance = enabled
        elif req.method != "GET":
            return r.method_not_allowed()
        return r.json_response(200, {"maintenance": st.maintenance})

    def _reset(self, req: Request, rest: str) -> r.Response:
        if bad := _only(req, "POST"):
            return bad
        self.state.reset()
        return r.no_content()

    def _clock(self, req: Request, rest: str) -> r.Response:
        clock = self.state.clock
        if req.method == "POST":
            seconds = self._body(req).get("advance", 0)
            if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
                raise ValueError("advance must be a number of seconds")
            clock.advance(seconds)
        elif req.method != "GET":
            return r.method_not_allowed()
        return r.json_response(200, {"now": clock.now(), "offset": clock.offset})

    def _settings(self, req: Request, rest: str) -> r.Response:
        st = self.state
        if req.method == "POST":
            body = self._body(req)
            unknown = set(body) - {"resolve_delay"}
            if unknown:
                raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
            if "resolve_delay" in body:
                delay = body["resolve_delay"]
                if not isinstance(delay, (int, float)) or isinstance(delay, bool) or delay < 0:
                    raise ValueError("resolve_delay must be a number of seconds >= 0")
                st.set_resolve_delay(delay)
        elif req.method != "GET":
            return r.method_not_allowed()
        return r.json_response(200, {"resolve_delay": st.resolve_delay})


def _only(req: Request, method: str) -> r.Response | None:
    return None if req.method == method else r.method_not_allowed()
