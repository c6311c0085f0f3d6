"""Logging as the Lua connector's ``log_level`` and ``logfile`` describe it.

Lua levels: 1 shows errors and notices, 2 adds warnings and information, 3 adds debug. Python's
levels are linear, so "notice" sits above WARNING: at level 1 the lifecycle lines (started,
stopped, configuration summary) still show while warnings do not.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys

from centreon_canopsis.core.logjson import JsonFormatter
from centreon_canopsis.core.logsafe import EscapingFormatter
from centreon_canopsis.core.secrets import RedactingFilter

NOTICE = 35
logging.addLevelName(NOTICE, "NOTICE")

LUA_LEVELS = {1: NOTICE, 2: logging.INFO, 3: logging.DEBUG}
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
ROOT_LOGGER = "centreon_canopsis"


def setup_logging(log_level: int = 1, logfile: str = "", log_format: str = "text") -> logging.Handler:
    """Sends the connector's logs to ``logfile`` (or standard error) at the Lua level given,
    as text lines or (``log_format = "json"``) one JSON object per line.

    Every handler carries the redacting filter, so no secret reaches the output whatever the
    level. Returns the handler (tests attach their own).
    """
    handler: logging.Handler
    if logfile:
        # WatchedFileHandler reopens the file after logrotate moved it.
        handler = logging.handlers.WatchedFileHandler(logfile, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    # Input in a message cannot forge a line: escaped in text, JSON-encoded in json.
    handler.setFormatter(JsonFormatter() if log_format == "json" else EscapingFormatter(FORMAT))
    handler.addFilter(RedactingFilter())
    level = LUA_LEVELS.get(int(log_level), NOTICE)
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_centreon_canopsis", False):
            root.removeHandler(old)
            old.close()
    handler._centreon_canopsis = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries stay quieter than us unless debugging.
    logging.getLogger("urllib3").setLevel(logging.DEBUG if level <= logging.DEBUG else logging.WARNING)
    return handler


def notice(logger: logging.Logger, message: str, *args: object) -> None:
    logger.log(NOTICE, message, *args)
