"""Helpers shared by the sub-commands: loading the configuration, logging, printing errors."""

from __future__ import annotations

import argparse
import sys

from centreon_canopsis.core import config as config_module
from centreon_canopsis.core.config import Config, ConfigError
from centreon_canopsis.core.logsetup import setup_logging
from centreon_canopsis.core.secrets import REDACTOR


def add_config_argument(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument(
        "-c", "--config", required=required, metavar="FILE", help="the configuration file (TOML)"
    )


def load_config(path: str, *, log: bool = True, log_level: int | None = None) -> Config:
    """Loads the configuration and sets up logging; raises ConfigError."""
    config = config_module.load(path)
    if log:
        setup_logging(
            log_level if log_level is not None else config.log_level, config.logfile, config.log_format
        )
    return config


def error(message: str) -> None:
    """Prints an error for a person, secrets masked."""
    print(f"centreon-canopsis: {REDACTOR.redact(message)}", file=sys.stderr)


def config_error(problem: ConfigError) -> None:
    print(REDACTOR.redact(problem.render()), file=sys.stderr)
