"""HTTP responses shaped like Canopsis' (gin) ones: JSON bodies, error objects, content types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

# gin's c.JSON; /event writes its body itself with the bare type (canopsis-api.md 2.5).
JSON_UTF8 = "application/json; charset=utf-8"
JSON_BARE = "application/json"

_HTML_ESCAPES = (
    (b"<", b"\\u003c"),
    (b">", b"\\u003e"),
    (b"&", b"\\u0026"),
    ("\u2028".encode(), b"\\u2028"),
    ("\u2029".encode(), b"\\u2029"),
)


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = JSON_UTF8
    headers: list[tuple[str, str]] = field(default_factory=list)
    # Set by the drop-connection fault: the server closes the socket without answering.
    drop: bool = False


def go_json(obj: Any) -> bytes:
    """Encodes like Go's encoding/json: compact, map keys sorted, HTML characters escaped."""
    body = orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS)
    if b"<" in body or b">" in body or b"&" in body or b"\xe2\x80" in body:
        for raw, escaped in _HTML_ESCAPES:
            body = body.replace(raw, escaped)
    return body


def json_response(status: int, obj: Any) -> Response:
    return Response(status, go_json(obj))


def error(status: int, message: str) -> Response:
    """``{"error": message}`` (common.ErrorResponse)."""
    return Response(status, go_json({"error": message}))


def validation_errors(errors: dict[str, str]) -> Response:
    """``400 {"errors": {...}}``; Go marshals the map with its keys sorted."""
    return Response(400, go_json({"errors": dict(sorted(errors.items()))}))


def no_content() -> Response:
    return Response(204, b"", None)


NOT_FOUND_MSG = "Not found"
INVALID_STRUCTURE_MSG = "request has invalid structure"


def not_found() -> Response:
    return error(404, NOT_FOUND_MSG)


def invalid_structure() -> Response:
    return error(400, INVALID_STRUCTURE_MSG)


def unauthorized() -> Response:
    return error(401, "Unauthorized")


def forbidden() -> Response:
    return error(403, "Forbidden")


def method_not_allowed() -> Response:
    return error(405, "Method Not Allowed")


def internal_error() -> Response:
    return error(500, "Internal server error")


def maintenance() -> Response:
    return error(503, "canopsis is under maintenance")
