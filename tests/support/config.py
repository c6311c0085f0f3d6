"""Building configurations for tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from centreon_canopsis.core import config as config_module
from centreon_canopsis.core.config import Config

AUTHKEY = "test-authkey-5f3c2a"


def make_config(state_dir: Path | str, port: int = 1, **settings: Any) -> Config:
    """A valid configuration pointing at ``http://127.0.0.1:<port>``."""
    raw: dict[str, Any] = {
        "canopsis_host": "127.0.0.1",
        "canopsis_port": port,
        "sending_protocol": "http",
        "canopsis_authkey": AUTHKEY,
        "state_dir": str(state_dir),
        "connection_timeout": 5,
        "delivery": {"retry_initial_delay": 0.05, "retry_max_delay": 0.2},
        # The recorder is not Canopsis: no pbehavior look-ups unless a test asks for them.
        "canopsis_downtime_send_pbh": 0,
    }
    for key, value in settings.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key] = {**raw[key], **value}
        else:
            raw[key] = value
    return config_module.from_mapping(raw, env={})
