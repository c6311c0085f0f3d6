"""``centreon-canopsis run``: the daemon."""

from __future__ import annotations

import argparse
import logging
import os
import signal
from pathlib import Path

from centreon_canopsis.core import interpreter
from centreon_canopsis.core.cli.common import add_config_argument, config_error, error, load_config
from centreon_canopsis.core.cli.exitcodes import FAILED, INTERRUPTED, OK, UNAVAILABLE, USAGE
from centreon_canopsis.core.cli.leftover import dead_lettered, describe_leftover
from centreon_canopsis.core.config import Config, ConfigError
from centreon_canopsis.core.endpoint_auth import EndpointAuth
from centreon_canopsis.core.health import HealthServer
from centreon_canopsis.core.logsetup import notice
from centreon_canopsis.core.permissions import secret_file_warnings
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.process_metrics import register_process_metrics
from centreon_canopsis.core.reload import Reloader
from centreon_canopsis.core.sdnotify import Notifier
from centreon_canopsis.core.sources import build_source
from centreon_canopsis.core.store import METRICS_URL_NAME, StateDirError
from centreon_canopsis.core.tap import Tap
from centreon_canopsis.core.validation import check_file

log = logging.getLogger("centreon_canopsis.run")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the connector: read the configured source, deliver to Canopsis",
        description="Runs until stopped (SIGTERM or SIGINT: stop reading, finish the request in "
        "flight within delivery.shutdown_timeout, exit 0; a second signal exits at once). What is "
        "not delivered yet stays in the outbox and is sent after the next start. SIGHUP reopens the "
        "log file and reloads the configuration if it is valid (an invalid one is logged and the "
        "running one kept). Serves /metrics, /healthz, /readyz and the tap endpoint on the [metrics] "
        "address. Under systemd (Type=notify) it reports readiness, reloads and the watchdog.",
    )
    add_config_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    stops = 0
    pipeline: Pipeline | None = None
    notifier = Notifier()
    reload_requests: list[Reloader] = []
    early_hangup = False

    def hangup(signum: int, frame) -> None:
        # Never the default action (exit): a logrotate postrotate HUP must not take the daemon down.
        nonlocal early_hangup
        if reload_requests:
            reload_requests[0].request()
        else:
            early_hangup = True  # during start-up: the configuration being loaded is the new one

    def stop(signum: int, frame) -> None:
        nonlocal stops
        stops += 1
        name = signal.Signals(signum).name
        if stops > 1:
            # Safe: what is committed is on disk, what is not was never acknowledged to the source.
            notice(log, "%s received again: exiting now", name)
            os._exit(INTERRUPTED)
        notice(log, "%s received: stopping", name)
        notifier.stopping()
        if pipeline is not None:
            pipeline.request_stop()

    # Installed before anything else: a stop during start-up is honoured once reading begins.
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, hangup)
    tuned = interpreter.tune()
    try:
        opened = open_pipeline(args.config)
        if isinstance(opened, int):
            return opened
        config, pipeline = opened
        if stops:
            pipeline.request_stop()
        reloader = Reloader(
            pipeline,
            args.config,
            on_reloading=notifier.reloading,
            on_done=lambda ok: notifier.ready(_status(pipeline)),
        )
        reload_requests.append(reloader)
        if early_hangup:
            log.info("SIGHUP during start-up: the configuration just loaded is the current one")
        return _serve(config, pipeline, notifier, reloader)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        interpreter.restore(tuned)
        notifier.close()


def open_pipeline(path: str) -> tuple[Config, Pipeline] | int:
    """The configuration (logging set up) and its pipeline, or the exit code to return."""
    try:
        config = load_config(path)
    except ConfigError as problem:
        # Every problem of every stage, as validate shows them, not only the file's own.
        checked = check_file(path)
        config_error(ConfigError(checked.errors or problem.errors, path))
        return USAGE
    try:
        return config, Pipeline(config)
    except ConfigError as problem:
        config_error(problem)
        return USAGE
    except StateDirError as problem:
        error(str(problem))
        return UNAVAILABLE


def _serve(config: Config, pipeline: Pipeline, notifier: Notifier, reloader: Reloader) -> int:
    for warning in [*config.warnings, *pipeline.store.warnings, *secret_file_warnings(config)]:
        log.warning("%s", warning)
    try:
        server = start_health_server(config, pipeline)
    except OSError as problem:
        settings = config.metrics
        error(f"cannot serve metrics on {settings['host']}:{settings['port']}: {problem.strerror or problem}")
        pipeline.close()
        return UNAVAILABLE
    register_process_metrics(pipeline.context.metrics)
    source = build_source(config)
    try:
        start_source(source, pipeline)
    except (OSError, ValueError) as problem:
        # Bound before "started" is logged: a port in use is an unavailable resource, said once.
        error(f"cannot start the source: {getattr(problem, 'strerror', None) or problem}")
        pipeline.close()
        if server is not None:
            server.close()
            (Path(config.state_dir) / METRICS_URL_NAME).unlink(missing_ok=True)
        return UNAVAILABLE
    tap = Tap.attach(pipeline, server)

    def tick() -> None:
        reloader.tick()
        notifier.watchdog()

    pipeline.on_tick = tick
    pipeline.keepalive = notifier.watchdog
    notice(
        log,
        "started: reading %s, sending to %s://%s:%s (state in %s)",
        source.name,
        config.sending_protocol,
        config.canopsis_host,
        config.canopsis_port,
        config.state_dir,
    )
    code = OK
    try:
        if not pipeline.context.stopping.is_set():
            # Ready (systemd's READY=1) once the senders run; the source listens already.
            pipeline.start()
            reloader.start()
            notifier.ready(_status(pipeline))
            pipeline.run(source)
            if not pipeline.context.stopping.is_set():
                code = _drain_after_end_of_input(config, pipeline, source.name)
    except OSError as problem:
        log.error("source %s failed: %s", source.name, problem)
        code = UNAVAILABLE
    except StateDirError as problem:  # the state database was found damaged while running
        log.error("%s", problem)
        error(str(problem))
        code = UNAVAILABLE
    except Exception:
        log.exception("the pipeline stopped on an unexpected error")
        code = FAILED
    finally:
        reloader.close()
        if tap is not None:
            tap.close()
        pipeline.close()  # a request still in flight after shutdown_timeout stays in the outbox
        if server is not None:
            server.close()
            (Path(config.state_dir) / METRICS_URL_NAME).unlink(missing_ok=True)
    return code


def _status(pipeline: Pipeline) -> str:
    config = pipeline.config
    waiting = pipeline.outbox.depth()
    return f"sending to {config.canopsis_host}:{config.canopsis_port}; {waiting} payloads wait"


def start_source(source: object, pipeline: Pipeline) -> None:
    """Binds or starts the source if it can be (BBDO: the listener), and exposes its metrics."""
    start = getattr(source, "start", None)
    if start is not None:
        start()
    register = getattr(source, "register_metrics", None)
    if register is not None:
        register(pipeline.context.metrics)


def _drain_after_end_of_input(config: Config, pipeline: Pipeline, source_name: str) -> int:
    """A finite source ended (standard input closed, a file read to its end with follow =
    false): deliver what it gave, for at most ``delivery.drain_timeout``, instead of exiting 0
    with payloads still waiting."""
    timeout = float(config.delivery["drain_timeout"])
    notice(log, "%s ended: delivering what waits (at most %.0fs)", source_name, timeout)
    drained = pipeline.drain(timeout)
    if pipeline.context.stopping.is_set():
        return OK  # stopped by a signal while draining: the outbox keeps the rest, as on SIGTERM
    if not drained:
        log.error(
            "%s ended; not delivered within delivery.drain_timeout = %.0fs: %s (sent after the next start)",
            source_name,
            timeout,
            describe_leftover(pipeline),
        )
        return FAILED
    dead = dead_lettered(pipeline)
    if dead:
        log.error(
            "%s ended; %d payloads were refused for good: dead-lettered (see: deadletters list), or "
            "discarded if the dead letters were full (dead_letters_discarded_total)",
            source_name,
            dead,
        )
        return FAILED
    notice(log, "%s ended: everything delivered", source_name)
    return OK


def start_health_server(config: Config, pipeline: Pipeline) -> HealthServer | None:
    """Starts the ``[metrics]`` endpoint (None when disabled); records its address for ``status``."""
    settings = config.metrics
    if not settings["enabled"]:
        return None
    server = HealthServer(
        pipeline,
        settings["host"],
        int(settings["port"]),
        float(settings["ready_stall_seconds"]),
        EndpointAuth.from_config(settings),
    )
    server.start()
    (Path(config.state_dir) / METRICS_URL_NAME).write_text(server.url + "\n")
    notice(log, "metrics on %s/metrics (health: /healthz, readiness: /readyz)", server.url)
    return server
