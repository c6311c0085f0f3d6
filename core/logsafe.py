"""Log lines that input cannot forge or flood.

Two tools, used wherever a log line carries something that came from outside (an event field, a
peer's bytes, a Canopsis answer):

* :func:`shown` renders an untrusted value for a log line: control characters escaped (a newline
  cannot start a forged line, a NUL cannot cut one), long values cut with their length said.
  :class:`EscapingFormatter` does the same to every finished message as a last line of defence.
* :func:`log_limited` logs at most ``burst`` lines per ``key`` and ``period``; what it holds back is
  counted and said ("N more suppressed") on the next line it lets through, so a hostile peer
  sending garbage writes a few lines a minute, not 118 MB.
"""

from __future__ import annotations

import logging
import re
import threading
import time

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def shown(value: object, limit: int = 200) -> str:
    """``value`` as it may appear in a log line: escaped, and cut past ``limit`` characters."""
    if isinstance(value, bytes | bytearray | memoryview):
        text = bytes(value)[: limit + 1].decode("utf-8", "backslashreplace")
        size = len(value)
    else:
        text = value if isinstance(value, str) else repr(value)
        size = len(text)
    text = _CONTROL.sub(_escape, text[: limit + 1] if len(text) > limit else text)
    if size > limit:
        return f"{text[:limit]}... ({size} in all)"
    return text


def shown_error(error: BaseException, limit: int = 200) -> str:
    """``Type: message`` of an exception, its message :func:`shown` (escaped, cut)."""
    return f"{type(error).__name__}: {shown(str(error), limit)}"


class EscapingFormatter(logging.Formatter):
    """Escapes control characters in the message (not in a traceback, which is ours)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = _CONTROL.sub(_escape, record.message)
        return super().formatMessage(record)


class _Window:
    __slots__ = ("count", "start", "suppressed")

    def __init__(self, start: float) -> None:
        self.start = start
        self.count = 0
        self.suppressed = 0


_windows: dict[tuple[str, str], _Window] = {}
_lock = threading.Lock()
MAX_KEYS = 10_000  # keys are few (one per kind of problem); a cap keeps a bug from growing them


def log_limited(
    logger: logging.Logger,
    level: int,
    key: str,
    message: str,
    *args: object,
    burst: int = 5,
    period: float = 60.0,
) -> bool:
    """Logs ``message % args`` unless ``key`` already had ``burst`` lines in this ``period``.

    Returns whether the line was written. The first line after a period in which lines were held
    back ends with "(N more suppressed in the last Xs)".
    """
    now = time.monotonic()
    with _lock:
        window = _windows.get((logger.name, key))
        if window is None:
            if len(_windows) >= MAX_KEYS:
                _windows.clear()
            window = _windows[(logger.name, key)] = _Window(now)
        elif now - window.start >= period:
            held, window.start, window.count, window.suppressed = window.suppressed, now, 0, 0
            if held:
                message = f"{message} ({held} more suppressed in the last {period:.0f}s)"
        if window.count >= burst:
            window.suppressed += 1
            return False
        window.count += 1
    logger.log(level, message, *args)
    return True


def reset_limits() -> None:
    """Forgets every window (tests, and a reload that reopens the logs)."""
    with _lock:
        _windows.clear()
