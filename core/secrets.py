"""Secrets (the Canopsis authkey, the proxy password) and their removal from anything printed.

A :class:`Secret` never shows its value in ``repr``/``str``/f-strings; code that needs the value
calls :meth:`Secret.reveal` at the last moment (building an HTTP header). The :class:`Redactor`
is the second line of defence: every log handler and every error printed by the CLI passes
through it, so a secret that leaked into an exception message (a proxy URL inside a requests
error, say) is still masked.
"""

from __future__ import annotations

import base64
import logging
import threading
from urllib.parse import quote, quote_plus

MASK = "******"


class Secret:
    """A string that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})" if self._value else "Secret('')"

    def __str__(self) -> str:
        return MASK if self._value else ""

    def __format__(self, spec: str) -> str:
        return str(self)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self):  # a pickled secret would print in clear once unpickled elsewhere
        raise TypeError("secrets cannot be pickled")


class Redactor:
    """Replaces every known secret (and its encoded forms) in a text by ``******``."""

    def __init__(self) -> None:
        self._needles: list[str] = []
        self._lock = threading.Lock()

    def add(self, secret: Secret | str | None, *, user: str | None = None) -> None:
        """Registers a secret; with ``user``, also its HTTP Basic form ``base64(user:secret)``."""
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if not value or len(value) < 3:  # masking "a" everywhere would garble every log line
            return
        forms = {value, quote(value, safe=""), quote_plus(value)}
        if user is not None:
            forms.add(base64.b64encode(f"{user}:{value}".encode()).decode())
        with self._lock:
            # Longest first, so that an encoded form is not half-replaced by a shorter one.
            self._needles = sorted(set(self._needles) | forms, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for needle in self._needles:
            if needle in text:
                text = text.replace(needle, MASK)
        return text

    def __bool__(self) -> bool:
        return bool(self._needles)


#: The process-wide redactor: configuration loading registers the secrets it reads.
REDACTOR = Redactor()


class RedactingFilter(logging.Filter):
    """A handler filter that renders the record and masks secrets in the final text."""

    def __init__(self, redactor: Redactor = REDACTOR) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.redactor:
            return True
        message = record.getMessage()
        cleaned = self.redactor.redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.redact(record.exc_text)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True
