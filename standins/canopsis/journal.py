"""Bounded records of what the sandbox saw, for tests to inspect; counters are never bounded."""

from __future__ import annotations

from collections import Counter, deque
from typing import Any
from urllib.parse import parse_qsl, urlencode

from centreon_canopsis.standins.canopsis import fastjson

SECRET_QUERY_KEYS = frozenset({"authkey", "password", "access_token"})
MASK = "******"


def redact_query(raw_query: str) -> str:
    """The query string with credentials masked (the journal never stores an authkey)."""
    if not raw_query:
        return ""
    pairs = parse_qsl(raw_query, keep_blank_values=True)
    if not any(k.lower() in SECRET_QUERY_KEYS for k, _ in pairs):
        return raw_query
    return urlencode([(k, MASK if k.lower() in SECRET_QUERY_KEYS else val) for k, val in pairs], safe="*")


class Journal:
    def __init__(self, maxlen: int = 10_000) -> None:
        self.maxlen = maxlen
        self.requests: deque[dict[str, Any]] = deque(maxlen=maxlen)
        # Raw /event bodies with their event counts: copying every event on the hot path costs
        # more than decoding the bodies again when a test asks for them.
        self._bodies: deque[tuple[int, bytes]] = deque()
        self._body_events = 0
        self.published: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self.failed: deque[Any] = deque(maxlen=maxlen)
        self.dropped: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self.status_counts: Counter[int] = Counter()
        self.counters: Counter[str] = Counter()

    def record_request(self, entry: dict[str, Any]) -> None:
        self.requests.append(entry)
        self.status_counts[entry["status"]] += 1
        self.counters["requests"] += 1

    def record_body(self, count: int, body: bytes) -> None:
        """Keeps a parsed /event body; the oldest go once more than ``maxlen`` events are held."""
        if not count:
            return
        self._bodies.append((count, body))
        self._body_events += count
        while self._bodies and self._body_events - self._bodies[0][0] >= self.maxlen:
            self._body_events -= self._bodies.popleft()[0]

    def received_bodies(self) -> list[bytes]:
        """A snapshot of the stored bodies (take it under the state lock, decode outside)."""
        return [body for _, body in self._bodies]

    def decode_received(self, bodies: list[bytes]) -> list[Any]:
        """The last ``maxlen`` events as received, decoded again from the stored bodies."""
        events: list[Any] = []
        for body in bodies:
            data = fastjson.loads(body)
            events.extend(data if isinstance(data, list) else [data])
        return events[-self.maxlen :] if self.maxlen else []

    def clear(self) -> None:
        for queue in (self.requests, self.published, self.failed, self.dropped):
            queue.clear()
        self._bodies.clear()
        self._body_events = 0
        self.status_counts.clear()
        self.counters.clear()
