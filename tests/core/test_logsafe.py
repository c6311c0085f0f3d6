"""Input cannot forge or flood log lines (issue 10, items 7 and 8)."""

from __future__ import annotations

import io
import logging

import pytest

from centreon_canopsis.core import logsafe
from centreon_canopsis.core.logsetup import setup_logging


@pytest.fixture(autouse=True)
def _fresh_limits():
    logsafe.reset_limits()
    yield
    logsafe.reset_limits()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("svc\n2026-01-01 ERROR forged", "svc\\n2026-01-01 ERROR forged"),
        ("a\x00b\rc\td", "a\\x00b\\rc\\td"),
        ("x\u2028y\x85z", "x\\u2028y\\x85z"),
        (b"\xff\x00ok", "\\xff\\x00ok"),
        (65565, "65565"),
    ],
)
def test_shown_escapes_controls(value, expected):
    assert logsafe.shown(value) == expected


def test_shown_cuts_long_values_and_says_so():
    assert logsafe.shown("a" * 1000, limit=10) == "aaaaaaaaaa... (1000 in all)"


def test_a_newline_in_a_message_cannot_start_a_line(capsys):
    handler = setup_logging(2)
    stream = io.StringIO()
    handler.setStream(stream)
    logging.getLogger("centreon_canopsis.test").warning("bad _type %s", "1\n2026-12-06 ERROR forged")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].endswith("bad _type 1\\n2026-12-06 ERROR forged")


def test_log_limited_holds_back_then_counts(caplog, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(logsafe.time, "monotonic", lambda: now[0])
    logger = logging.getLogger("centreon_canopsis.test.limited")
    with caplog.at_level(logging.WARNING, logger=logger.name):
        written = [logsafe.log_limited(logger, logging.WARNING, "k", "bad %d", i, burst=3) for i in range(10)]
        assert written == [True] * 3 + [False] * 7
        assert logsafe.log_limited(logger, logging.WARNING, "other", "other key") is True
        now[0] += 61
        assert logsafe.log_limited(logger, logging.WARNING, "k", "bad %d", 11, burst=3) is True
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["bad 0", "bad 1", "bad 2", "other key", "bad 11 (7 more suppressed in the last 60s)"]
