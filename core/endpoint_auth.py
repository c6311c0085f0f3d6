"""Who may read the HTTP endpoint (``/metrics``, ``/readyz``, ``tap``...): one check for every path.

``[metrics]`` may carry a bearer token (``auth_token`` / ``auth_token_file``) and/or a basic-auth
user and password (``auth_user`` + ``auth_password`` / ``auth_password_file``). When either is
set, every path but ``/healthz`` (liveness probes carry no credentials) needs them. Paths that
show payloads (``SENSITIVE``: the ``tap`` endpoint) are served only on a loopback address or with
credentials, whatever else is configured. Values compare in constant time; they are
:class:`~.secrets.Secret` objects and never reach a log line.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .bbdo.peers import is_loopback
from .secrets import REDACTOR, Secret

#: Paths answered without credentials (liveness).
OPEN_PATHS = frozenset({"/healthz"})
#: Path prefixes that show event contents: loopback or credentials only.
SENSITIVE = ("/tap",)


@dataclass(frozen=True)
class EndpointAuth:
    token: Secret | None = None
    user: str | None = None
    password: Secret | None = None
    loopback: bool = True

    @property
    def required(self) -> bool:
        return bool(self.token) or bool(self.user)

    @classmethod
    def from_config(cls, metrics: Mapping[str, Any]) -> EndpointAuth:
        return cls(
            token=metrics.get("auth_token") or None,
            user=metrics.get("auth_user") or None,
            password=metrics.get("auth_password") or None,
            loopback=is_loopback(str(metrics.get("host", "127.0.0.1"))),
        )

    def check(self, path: str, authorization: str | None) -> tuple[int, str] | None:
        """None when the request may be answered; else (status, reason) to answer instead."""
        if path in OPEN_PATHS:
            return None
        sensitive = path.startswith(SENSITIVE)
        if not self.required:
            if sensitive and not self.loopback:
                return 403, "served only on a loopback address or with [metrics] auth_token/auth_user"
            return None
        if self._valid(authorization or ""):
            return None
        return 401, "credentials required"

    def _valid(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer" and self.token:
            return hmac.compare_digest(value.encode(), self.token.reveal().encode())
        if scheme.lower() == "basic" and self.user and self.password:
            try:
                user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
            return hmac.compare_digest(user.encode(), self.user.encode()) & hmac.compare_digest(
                password.encode(), self.password.reveal().encode()
            )
        return False

    def header(self) -> str | None:
        """The Authorization header a client (``status``) sends, or None."""
        if self.token:
            return f"Bearer {self.token.reveal()}"
        if self.user and self.password:
            raw = f"{self.user}:{self.password.reveal()}".encode()
            return "Basic " + base64.b64encode(raw).decode()
        return None


def read_endpoint_secrets(
    metrics: dict[str, Any], base_dir: Path | None, errors: list[str], warnings: list[str]
) -> None:
    """Reads ``auth_token(_file)`` and ``auth_password(_file)`` into Secrets, in place."""
    for name in ("auth_token", "auth_password"):
        inline, file = metrics.get(name), metrics.get(f"{name}_file")
        if inline and file:
            errors.append(f"metrics.{name} and metrics.{name}_file are both set; give it once")
            continue
        value = inline
        if file:
            target = Path(file) if base_dir is None else base_dir / file
            try:
                value = target.read_text(encoding="utf-8").strip()
            except OSError as problem:
                errors.append(f"metrics.{name}_file = {file!r} cannot be read: {problem.strerror}")
                continue
            except ValueError as problem:  # a NUL in the path, a file that is not UTF-8
                errors.append(f"metrics.{name}_file = {file!r} cannot be read: {problem}")
                continue
            if not value:
                errors.append(f"metrics.{name}_file = {file!r} is empty")
                continue
        secret = Secret(value) if value else None
        metrics[name] = secret
        REDACTOR.add(secret)
    if bool(metrics.get("auth_user")) != bool(metrics.get("auth_password")):
        errors.append("metrics.auth_user and metrics.auth_password (or auth_password_file) go together")
    host = str(metrics.get("host", "127.0.0.1"))
    if (
        metrics.get("enabled", True)
        and not is_loopback(host)
        and not (metrics.get("auth_token") or metrics.get("auth_user"))
    ):
        warnings.append(
            f"metrics.host = {host!r} serves /metrics beyond this machine without auth_token or auth_user: "
            "anyone who reaches it reads the connector's figures (see docs/security.md)"
        )
