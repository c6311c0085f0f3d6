"""Bounded records of what the sandbox saw, for tests to inspect; counters are never bounded."""

from __future__ import annotations

from collections import Counter, deque
from typing import Any
from urllib.parse import parse_qsl, urlencode

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
        self.received: deque[Any] = deque(maxlen=maxlen)
        self.published: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self.failed: deque[Any] = deque(maxlen=maxlen)
        self.dropped: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self.status_counts: Counter[int] = Counter()
        self.counters: Counter[str] = Counter()

    def record_request(self, entry: dict[str, Any]) -> None:
        self.requests.append(entry)
        self.status_counts[entry["status"]] += 1
        self.counters["requests"] += 1

    def clear(self) -> None:
        for queue in (self.requests, self.received, self.published, self.failed, self.dropped):
            queue.clear()
        self.status_counts.clear()
        self.counters.clear()
