"""``centreon-canopsis run``: the daemon."""

from __future__ import annotations

import argparse
import logging
import signal

from centreon_canopsis.core.cli.common import add_config_argument, config_error, error, load_config
from centreon_canopsis.core.cli.exitcodes import FAILED, OK, UNAVAILABLE, USAGE
from centreon_canopsis.core.config import ConfigError
from centreon_canopsis.core.logsetup import notice
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources import build_source
from centreon_canopsis.core.store import StateDirError

log = logging.getLogger("centreon_canopsis.run")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the connector: read the configured source, deliver to Canopsis",
        description="Runs until stopped (SIGTERM or SIGINT: stop reading, finish the request in "
        "flight within delivery.shutdown_timeout, exit 0). What is not delivered yet stays in the "
        "outbox and is sent after the next start.",
    )
    add_config_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
        pipeline = Pipeline(config)
    except ConfigError as problem:
        config_error(problem)
        return USAGE
    except StateDirError as problem:
        error(str(problem))
        return UNAVAILABLE
    for warning in config.warnings:
        log.warning("%s", warning)
    source = build_source(config)

    def stop(signum: int, frame) -> None:
        notice(log, "%s received: stopping", signal.Signals(signum).name)
        pipeline.request_stop()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    notice(
        log,
        "started: reading %s, sending to %s://%s:%s (state in %s)",
        source.name,
        config.sending_protocol,
        config.canopsis_host,
        config.canopsis_port,
        config.state_dir,
    )
    try:
        pipeline.run(source)
    except OSError as problem:
        log.error("source %s failed: %s", source.name, problem)
        pipeline.close()
        return UNAVAILABLE
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    clean = pipeline.close()
    return OK if clean else FAILED
