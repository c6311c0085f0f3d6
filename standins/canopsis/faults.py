"""Fault injection: what a real Canopsis (or the network in front of it) may do to a client.

None of this happens by default: the real API has no rate limiting and no Retry-After. Rules
are evaluated in the order they were added; latency rules add up, then the first matching
fail/drop rule decides. Control endpoints under ``/_sandbox/`` are never affected.
"""

from __future__ import annotations

import itertools
import random
import threading
from dataclasses import asdict, dataclass, field
from http import HTTPStatus
from typing import Any

import orjson

from centreon_canopsis.standins.canopsis.responses import JSON_UTF8, Response, go_json

KINDS = ("fail", "drop", "latency", "fail_events")

# Canopsis' own wording where it has one; the HTTP reason phrase otherwise.
_CANOPSIS_MESSAGES = {
    408: "Request Timeout",
    500: "Internal server error",
    503: "canopsis is under maintenance",
}


@dataclass
class Fault:
    kind: str
    id: int = 0
    count: int | None = None  # how many more times it fires; None = until cleared
    rate: float | None = None  # probability of firing on a matching request (seeded)
    path_prefix: str | None = None
    method: str | None = None
    status: int = 500
    body: Any = None  # dict/list -> JSON, str/bytes -> as is, None -> {"error": <message>}
    content_type: str = JSON_UTF8
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    match: dict[str, Any] = field(default_factory=dict)
    fired: int = 0

    def applies(self, method: str, path: str) -> bool:
        if self.path_prefix and not path.startswith(self.path_prefix):
            return False
        return not (self.method and self.method.upper() != method)

    def response(self) -> Response:
        body = self.body
        if body is None:
            message = _CANOPSIS_MESSAGES.get(self.status)
            if message is None:
                try:
                    message = HTTPStatus(self.status).phrase
                except ValueError:
                    message = "Error"
            payload = go_json({"error": message})
        elif isinstance(body, bytes):
            payload = body
        elif isinstance(body, str):
            payload = body.encode()
        else:
            payload = orjson.dumps(body)
        return Response(self.status, payload, self.content_type, list(self.headers.items()))

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if isinstance(out["body"], bytes):
            out["body"] = out["body"].decode("utf-8", "replace")
        return out


class FaultInjector:
    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._rng = random.Random(seed)
        self.has_event_faults = False

    def add(self, fault: Fault) -> Fault:
        if fault.kind not in KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; expected one of {', '.join(KINDS)}")
        if fault.rate is not None and not 0.0 <= fault.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if fault.count is not None and fault.count < 0:
            raise ValueError("count must be positive")
        if not 100 <= int(fault.status) <= 599:
            raise ValueError("status must be an HTTP status code (100-599)")
        with self._lock:
            fault.id = next(self._ids)
            self._faults.append(fault)
            self.has_event_faults = any(f.kind == "fail_events" for f in self._faults)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self.has_event_faults = False

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            self.has_event_faults = any(f.kind == "fail_events" for f in self._faults)
            return len(self._faults) != before

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_dict() for f in self._faults]

    def _fire(self, fault: Fault) -> bool:
        """Consumes one firing if the rule is due (rate) and not exhausted; lock held."""
        if fault.count is not None and fault.count <= 0:
            return False
        if fault.rate is not None and self._rng.random() >= fault.rate:
            return False
        if fault.count is not None:
            fault.count -= 1
        fault.fired += 1
        return True

    def _prune(self) -> None:
        self._faults = [f for f in self._faults if f.count is None or f.count > 0]
        self.has_event_faults = any(f.kind == "fail_events" for f in self._faults)

    def decide(self, method: str, path: str) -> tuple[float, Response | None]:
        """Latency to add, and the injected response (or a drop) if a rule fires."""
        if not self._faults:
            return 0.0, None
        delay = 0.0
        outcome: Response | None = None
        with self._lock:
            for fault in self._faults:
                if fault.kind == "fail_events" or not fault.applies(method, path):
                    continue
                if fault.kind == "latency":
                    if self._fire(fault):
                        delay += fault.seconds
                elif outcome is None and self._fire(fault):
                    outcome = Response(0, drop=True) if fault.kind == "drop" else fault.response()
            self._prune()
        return delay, outcome

    def event_fails(self, ev: Any) -> bool:
        """True when a fail_events rule puts this event into failed_events (publish error)."""
        if type(ev) is not dict:
            return False
        with self._lock:
            for fault in self._faults:
                if fault.kind != "fail_events":
                    continue
                if all(_field_matches(ev.get(k), want) for k, want in fault.match.items()) and self._fire(
                    fault
                ):
                    self._prune()
                    return True
        return False


def _field_matches(value: Any, want: Any) -> bool:
    if isinstance(want, list):
        return value in want
    return value == want


def fault_from_dict(data: dict[str, Any]) -> Fault:
    """Builds a fault from a control-endpoint body; unknown keys are a ValueError."""
    allowed = {
        "kind",
        "count",
        "rate",
        "path_prefix",
        "method",
        "status",
        "body",
        "content_type",
        "headers",
        "seconds",
        "match",
    }
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
    if "kind" not in data:
        raise ValueError("fault needs a kind: " + ", ".join(KINDS))
    kind = data["kind"]
    fault = Fault(kind=kind, **{k: val for k, val in data.items() if k != "kind"})
    if kind in ("fail", "drop") and "count" not in data and fault.rate is None:
        fault.count = 1  # "fail the next request" unless told otherwise
    return fault
