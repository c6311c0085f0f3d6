"""Users, permissions and the three credential providers of canopsis-api.md section 1."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import orjson

# Permission names as the route table checks them: "<permission>" for "can" permissions,
# "<permission>:<action>" for CRUD ones.
CRUD = ("create", "read", "update", "delete")
ALL_PERMISSIONS: frozenset[str] = frozenset(
    {"api_event", "api_alarm_read", "api_entity:read", "api_maintenance"}
    | {
        f"{perm}:{action}"
        for perm in ("api_pbehavior", "api_pbehaviortype", "api_pbehaviorreason", "api_pbehaviorexception")
        for action in CRUD
    }
)

#: What Centreon's documentation asks for a producer account (plus alarm reading).
PRODUCER_PERMISSIONS: frozenset[str] = frozenset(
    {
        "api_event",
        "api_alarm_read",
        "api_pbehavior:create",
        "api_pbehavior:read",
        "api_pbehavior:update",
        "api_pbehavior:delete",
        "api_pbehaviortype:read",
        "api_pbehaviorreason:create",
        "api_pbehaviorreason:read",
        "api_pbehaviorexception:create",
        "api_pbehaviorexception:read",
    }
)

#: The default root account: everything except ``api_maintenance``, so that maintenance mode
#: blocks it like it blocks a connector's account (see docs/sandbox.md).
ROOT_PERMISSIONS: frozenset[str] = ALL_PERMISSIONS - {"api_maintenance"}

TOKEN_TTL = 24 * 3600


@dataclass
class User:
    """A Canopsis user as the API sees it (``_id`` = name, like the root fixture)."""

    name: str
    password: str
    authkey: str
    permissions: frozenset[str] = ROOT_PERMISSIONS
    roles: tuple[str, ...] = ("admin",)
    display_name: str = ""
    enabled: bool = True
    id: str = ""

    def __post_init__(self) -> None:
        self.id = self.id or self.name
        self.display_name = self.display_name or self.name
        self.permissions = frozenset(self.permissions)
        self.roles = tuple(self.roles)

    def can(self, permission: str | None) -> bool:
        return permission is None or permission in self.permissions

    def author(self) -> dict[str, str]:
        """The author object pbehavior/comment responses embed."""
        return {"_id": self.id, "name": self.name, "display_name": self.display_name}

    @property
    def role(self) -> str:
        """The role /event adds to some events: the first one (23.10+) or the only one."""
        return self.roles[0] if self.roles else ""


AuthOutcome = Literal["none", "ok", "bad", "crash"]


class Authenticator:
    """Finds the user behind a request: basic -> bearer -> apikey, first finder decides."""

    def __init__(self, users: Iterable[User] = ()) -> None:
        self._users: dict[str, User] = {}
        self._by_authkey: dict[str, User] = {}
        self._secret = secrets.token_bytes(32)
        for user in users:
            self.add(user)

    def add(self, user: User) -> User:
        old = self._users.get(user.name)
        if old is not None:
            self._by_authkey.pop(old.authkey, None)
        self._users[user.name] = user
        if user.authkey:
            self._by_authkey[user.authkey] = user
        return user

    def users(self) -> list[User]:
        return list(self._users.values())

    def get(self, name: str) -> User | None:
        return self._users.get(name)

    def authenticate(
        self, headers: Mapping[str, str], query: Mapping[str, list[str]], now: float
    ) -> tuple[AuthOutcome, User | None]:
        authorization = headers.get("authorization") or ""
        if authorization.startswith("Basic "):
            return self._basic(authorization[6:])
        if authorization.startswith("Bearer "):
            return self._bearer(authorization[7:], now)
        key = (query.get("authkey") or [""])[0] or headers.get("x-canopsis-authkey") or ""
        if key:
            user = self._by_authkey.get(key)
            if user is None or not user.enabled:
                return "bad", None
            return "ok", user
        return "none", None

    def check_password(self, name: str, password: str) -> User | None:
        user = self._users.get(name)
        if user is None or not user.enabled:
            return None
        if not hmac.compare_digest(user.password.encode(), password.encode()):
            return None
        return user

    def _basic(self, encoded: str) -> tuple[AuthOutcome, User | None]:
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            # Canopsis' decoder panics here and the recovery middleware answers 500.
            return "crash", None
        name, sep, password = decoded.partition(":")
        user = self.check_password(name, password) if sep else None
        return ("ok", user) if user else ("bad", None)

    # --- bearer tokens: HS256 JWTs signed with a per-sandbox secret ----------------------
    def issue_token(self, user: User, now: float) -> str:
        header = _b64url(orjson.dumps({"alg": "HS256", "typ": "JWT"}))
        claims = {"sub": user.id, "iat": int(now), "exp": int(now) + TOKEN_TTL, "jti": secrets.token_hex(8)}
        payload = _b64url(orjson.dumps(claims))
        signature = _b64url(self._sign(f"{header}.{payload}".encode()))
        return f"{header}.{payload}.{signature}"

    def _sign(self, data: bytes) -> bytes:
        return hmac.new(self._secret, data, hashlib.sha256).digest()

    def _bearer(self, token: str, now: float) -> tuple[AuthOutcome, User | None]:
        parts = token.strip().split(".")
        if len(parts) != 3:
            return "bad", None
        expected = _b64url(self._sign(f"{parts[0]}.{parts[1]}".encode()))
        if not hmac.compare_digest(expected, parts[2]):
            return "bad", None
        try:
            claims = orjson.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except (ValueError, binascii.Error):
            return "bad", None
        if int(claims.get("exp", 0)) <= now:
            return "bad", None
        user = next((u for u in self._users.values() if u.id == claims.get("sub")), None)
        if user is None or not user.enabled:
            return "bad", None
        return "ok", user


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def new_authkey() -> str:
    """A fresh authkey shaped like Canopsis' (a UUID)."""
    return str(uuid.uuid4())
