"""``log_format = "json"``: one JSON object per line, for log shippers (Vector, Fluent Bit, Loki).

Fields: ``time`` (ISO 8601, UTC, milliseconds), ``level``, ``logger``, ``message``, and
``exception`` when there is a traceback. JSON escapes every control character, so a value from
the input cannot forge a line; secrets are masked by the handler's filter before formatting.
"""

from __future__ import annotations

import datetime
import logging

import orjson


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return orjson.dumps(entry, default=str).decode()
