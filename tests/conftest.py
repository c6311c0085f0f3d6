"""Shared fixtures for the connector's own tests."""

from __future__ import annotations

import logging

import pytest

from centreon_canopsis.core.logsafe import reset_limits
from centreon_canopsis.core.secrets import REDACTOR


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "soak: the short form of a soak benchmark (runs in CI, about a minute)"
    )


@pytest.fixture(autouse=True)
def _fresh_log_limits():
    """Rate-limited log lines are counted per process: each test starts with none held back."""
    reset_limits()


@pytest.fixture(autouse=True)
def _own_secrets():
    """Secrets are registered per process: one a test loaded (an authkey "top") must not mask
    words in a later test's messages ("stop it first")."""
    needles = list(REDACTOR._needles)
    yield
    REDACTOR._needles = needles


@pytest.fixture(autouse=True)
def _restore_logging():
    """Commands under test set up logging for a process; give each test a clean root logger back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
