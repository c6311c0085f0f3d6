"""Parse errors worded like valyala/fastjson, the parser Canopsis uses on /event and /bulk/*.

Valid JSON goes through orjson (fast path). Only when orjson refuses a body does this slower
parser run, to produce fastjson's exact message (``cannot parse JSON: ...; unparsed tail: "..."``)
or, when fastjson is more lenient than orjson (NaN, odd numbers, bad escapes), the value itself.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

MAX_DEPTH = 300
_WS = frozenset(b" \t\n\r")


class FastJSONError(ValueError):
    """The exact error text fastjson would have produced."""


class _Err(Exception):
    def __init__(self, msg: str, pos: int) -> None:
        super().__init__(msg)
        self.msg = msg
        self.pos = pos


def go_quote(raw: bytes) -> str:
    """Go's ``%q`` of a byte string (strconv.Quote): printable runes kept, the rest escaped."""
    out = ['"']
    for ch in raw.decode("utf-8", errors="surrogateescape"):
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # an invalid UTF-8 byte
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == " " or (ch.isprintable() and code != 0x7F):
            out.append(ch)
        elif ch in "\a\b\f\n\r\t\v":
            out.append(
                {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, "\\v")
            )
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _start_end(raw: bytes) -> bytes:
    # fastjson shortens long tails to their first and last 40 bytes.
    if len(raw) <= 80:
        return raw
    return raw[:40] + b"..." + raw[-40:]


def _skip_ws(s: bytes, i: int) -> int:
    n = len(s)
    while i < n and s[i] in _WS:
        i += 1
    return i


def loads(body: bytes) -> Any:
    """Parses like fastjson: orjson first, then the emulation for its error text."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return parse(body)


def parse(body: bytes) -> Any:
    s = bytes(body)
    i = _skip_ws(s, 0)
    try:
        value, i = _value(s, i, 0)
    except _Err as err:
        tail = go_quote(_start_end(s[err.pos :]))
        raise FastJSONError(f"cannot parse JSON: {err.msg}; unparsed tail: {tail}") from None
    i = _skip_ws(s, i)
    if i < len(s):
        raise FastJSONError(f"unexpected tail: {go_quote(_start_end(s[i:]))}")
    return value


def type_name(value: Any) -> str:
    """fastjson's Type.String() for a decoded value."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    return "number"


def _value(s: bytes, i: int, depth: int) -> tuple[Any, int]:
    n = len(s)
    if i >= n:
        raise _Err("cannot parse empty string", i)
    depth += 1
    if depth > MAX_DEPTH:
        raise _Err(f"too big depth for the nested JSON; it exceeds {MAX_DEPTH}", i)
    c = s[i]
    if c == 0x7B:  # {
        try:
            return _object(s, i + 1, depth)
        except _Err as err:
            raise _Err(f"cannot parse object: {err.msg}", err.pos) from None
    if c == 0x5B:  # [
        try:
            return _array(s, i + 1, depth)
        except _Err as err:
            raise _Err(f"cannot parse array: {err.msg}", err.pos) from None
    if c == 0x22:  # "
        try:
            raw, j = _raw_string(s, i + 1)
        except _Err as err:
            raise _Err(f"cannot parse string: {err.msg}", err.pos) from None
        return _unescape(raw), j
    for word, val in ((b"true", True), (b"false", False)):
        if c == word[0]:
            if s[i : i + len(word)] != word:
                raise _Err(f"unexpected value found: {go_quote(s[i:])}", i)
            return val, i + len(word)
    if c == 0x6E:  # n
        if s[i : i + 4] != b"null":
            if s[i : i + 3].lower() == b"nan":
                return math.nan, i + 3
            raise _Err(f"unexpected value found: {go_quote(s[i:])}", i)
        return None, i + 4
    try:
        raw, j = _raw_number(s, i)
    except _Err as err:
        raise _Err(f"cannot parse number: {err.msg}", err.pos) from None
    return _number(raw), j


def _object(s: bytes, i: int, depth: int) -> tuple[dict[str, Any], int]:
    n = len(s)
    i = _skip_ws(s, i)
    if i >= n:
        raise _Err("missing '}'", i)
    out: dict[str, Any] = {}
    if s[i] == 0x7D:
        return out, i + 1
    while True:
        i = _skip_ws(s, i)
        if i >= n or s[i] != 0x22:
            raise _Err('cannot find opening \'"" for object key', i)
        try:
            raw_key, i = _raw_string(s, i + 1)
        except _Err as err:
            raise _Err(f"cannot parse object key: {err.msg}", err.pos) from None
        i = _skip_ws(s, i)
        if i >= n or s[i] != 0x3A:
            raise _Err("missing ':' after object key", i)
        i = _skip_ws(s, i + 1)
        try:
            value, i = _value(s, i, depth)
        except _Err as err:
            raise _Err(f"cannot parse object value: {err.msg}", err.pos) from None
        out.setdefault(_unescape(raw_key), value)  # fastjson's Get returns the first duplicate
        i = _skip_ws(s, i)
        if i >= n:
            raise _Err("unexpected end of object", i)
        if s[i] == 0x2C:
            i += 1
            continue
        if s[i] == 0x7D:
            return out, i + 1
        raise _Err("missing ',' after object value", i)


def _array(s: bytes, i: int, depth: int) -> tuple[list[Any], int]:
    n = len(s)
    i = _skip_ws(s, i)
    if i >= n:
        raise _Err("missing ']'", i)
    out: list[Any] = []
    if s[i] == 0x5D:
        return out, i + 1
    while True:
        i = _skip_ws(s, i)
        try:
            value, i = _value(s, i, depth)
        except _Err as err:
            raise _Err(f"cannot parse array value: {err.msg}", err.pos) from None
        out.append(value)
        i = _skip_ws(s, i)
        if i >= n:
            raise _Err("unexpected end of array", i)
        if s[i] == 0x2C:
            i += 1
            continue
        if s[i] == 0x5D:
            return out, i + 1
        raise _Err("missing ',' after array value", i)


def _raw_string(s: bytes, i: int) -> tuple[bytes, int]:
    """Returns the raw (still escaped) string body and the index after the closing quote."""
    j = i
    n = len(s)
    while True:
        k = s.find(b'"', j)
        if k < 0:
            raise _Err("missing closing '\"'", n)
        backslashes = 0
        b = k - 1
        while b >= i and s[b] == 0x5C:
            backslashes += 1
            b -= 1
        if backslashes % 2 == 0:
            return s[i:k], k + 1
        j = k + 1


def _raw_number(s: bytes, i: int) -> tuple[bytes, int]:
    n = len(s)
    j = i
    while j < n:
        ch = s[j]
        if 0x30 <= ch <= 0x39 or ch in b".-eE+":
            j += 1
            continue
        if j == i or (j == i + 1 and s[i] in b"-+"):
            word = s[j : j + 3]
            if len(word) == 3 and word.lower() in (b"inf", b"nan"):
                return s[i : j + 3], j + 3
            raise _Err(f"unexpected char: {go_quote(s[i : i + 1])}", i)
        return s[i:j], j
    return s[i:], n


def _number(raw: bytes) -> Any:
    text = raw.decode("ascii", errors="replace")
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return math.nan  # fastjson stores the raw text; its Float64() would also give up


def _unescape(raw: bytes) -> str:
    if b"\\" not in raw:
        return raw.decode("utf-8", errors="replace")
    try:
        return json.loads(b'"' + raw + b'"')
    except ValueError:
        # Best effort like fastjson: unknown escapes are kept verbatim.
        return raw.decode("utf-8", errors="replace").replace('\\"', '"').replace("\\\\", "\\")
