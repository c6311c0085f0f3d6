"""Helpers shared by the sub-commands: loading the configuration, logging, printing errors."""

from __future__ import annotations

import argparse
import sys

from centreon_canopsis.core import config as config_module
from centreon_canopsis.core.cli.exitcodes import UNAVAILABLE, USAGE
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


def quiet_config(path: str) -> Config | None:
    """The configuration, without setting up logging (for commands that only read or ask);
    None once the reason it is invalid is printed (the caller exits with USAGE)."""
    try:
        return load_config(path, log=False)
    except ConfigError as problem:
        config_error(problem)
        return None


def running_daemon(path: str) -> tuple[Config, str] | int:
    """The configuration and the running daemon's endpoint address, or the exit code to return
    once the problem is printed: USAGE for an invalid configuration, UNAVAILABLE for no endpoint."""
    from centreon_canopsis.core.cli.status import endpoint_url  # status imports this module

    config = quiet_config(path)
    if config is None:
        return USAGE
    url = endpoint_url(config)
    if url is None:
        error("no daemon endpoint found in the state directory: is it running? (and [metrics] enabled?)")
        return UNAVAILABLE
    return config, url


def non_negative_int(text: str) -> int:
    """An argparse type: a whole number, 0 or more."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {value}")
    return value
