"""Opening the state database for the commands that work beside the daemon (``status``,
``deadletters``): the configuration says where it is; no lock is taken."""

from __future__ import annotations

import argparse
import sqlite3

from centreon_canopsis.core.cli.common import config_error, error, load_config
from centreon_canopsis.core.cli.exitcodes import UNAVAILABLE, USAGE
from centreon_canopsis.core.config import Config, ConfigError
from centreon_canopsis.core.store import open_database


def open_state(args: argparse.Namespace, readonly: bool = True) -> tuple[Config, sqlite3.Connection] | int:
    """The configuration and a connection to its state database, or the exit code to return
    (the problem already printed). The caller closes the connection."""
    try:
        config = load_config(args.config, log=False)
    except ConfigError as problem:
        config_error(problem)
        return USAGE
    connection = open_database(config.state_dir, readonly=readonly)
    if connection is None:
        error(f"no state database in {config.state_dir}: nothing has run there yet")
        return UNAVAILABLE
    return config, connection
