"""The request as handlers see it, independent of the HTTP plumbing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from centreon_canopsis.standins.canopsis.auth import User


@dataclass
class Request:
    method: str
    path: str
    raw_query: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    now: float = 0.0
    params: dict[str, str] = field(default_factory=dict)
    user: User | None = None

    def arg(self, key: str) -> str | None:
        values = self.query.get(key)
        return values[0] if values else None
