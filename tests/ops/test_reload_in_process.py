"""The reload's steps in one process: a format file swapped between two batches, the old plugins
shut down once their sends are over, a refused file changing nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from centreon_canopsis.core import config as config_module
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.reload import Reloader
from centreon_canopsis.core.sources.base import Batch
from tests.delivery.helpers import toml_value, wait_until
from tests.support import events as ev
from tests.support.config import AUTHKEY
from tests.support.recorder import Recorder


def write(path: Path, port: int, tmp_path: Path, format_file: str, **more) -> None:
    values = {
        "canopsis_host": "127.0.0.1",
        "canopsis_port": port,
        "sending_protocol": "http",
        "canopsis_authkey": AUTHKEY,
        "state_dir": str(tmp_path / "state"),
        "canopsis_downtime_send_pbh": 0,
        "hard_only": 0,
        "enable_service_status_dedup": 0,
        "format_file": format_file,
        **more,
    }
    path.write_text("\n".join(f"{key} = {toml_value(value)}" for key, value in values.items()) + "\n")


def template(tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"neb_service_status": {"$extends": "builtin", "connector": name}}))
    return str(path)


@contextmanager
def reloading(path: Path, recorder: Recorder, tmp_path: Path) -> Iterator[tuple[Pipeline, Reloader]]:
    """A started pipeline on format file A, and its reloader, both closed at the end."""
    write(path, recorder.port, tmp_path, template(tmp_path, "format-A"))
    pipeline = Pipeline(config_module.load(path))
    reloader = Reloader(pipeline, str(path))
    try:
        pipeline.start()
        reloader.start()
        yield pipeline, reloader
    finally:
        reloader.close()
        pipeline.close(5)


def test_a_format_file_is_swapped_between_two_batches(tmp_path):
    path = tmp_path / "connector.toml"
    with Recorder() as recorder, reloading(path, recorder, tmp_path) as (pipeline, reloader):
        old = pipeline.context
        pipeline.process_batch(Batch([*ev.v3_configuration(), ev.v3_service_status(output="one")]))

        write(path, recorder.port, tmp_path, template(tmp_path, "format-B"))
        reloader.request()
        wait_until(lambda: reloader._prepared is not None, 30, "the new configuration built")
        # Nothing changes until the pipeline's loop says it is between two batches.
        assert pipeline.context is old
        reloader.tick()
        assert pipeline.context is not old
        pipeline.process_batch(Batch([ev.v3_service_status(output="two")]))

        recorder.wait_for(2)
        assert [(e["output"], e["connector"]) for e in recorder.events()] == [
            ("one", "format-A"),
            ("two", "format-B"),
        ]
        wait_until(lambda: old.stopping.is_set(), 30, "the old plugins shut down")
        assert reloader.reloads == 1 and reloader.refused == 0
        assert pipeline.context.metrics is old.metrics and pipeline.context.cache is old.cache


def test_a_refused_file_changes_nothing(tmp_path):
    path = tmp_path / "connector.toml"
    with Recorder() as recorder, reloading(path, recorder, tmp_path) as (pipeline, reloader):
        before = pipeline.context
        write(path, recorder.port, tmp_path, str(tmp_path / "missing.json"))
        reloader.request()
        wait_until(lambda: reloader.refused == 1, 30, "the refusal")
        time.sleep(0.2)
        reloader.tick()
        assert pipeline.context is before and reloader._prepared is None
        assert pipeline.context.metrics.value("reloads_total", result="refused") == 1
        pipeline.process_batch(Batch([*ev.v3_configuration(), ev.v3_service_status(output="three")]))
        recorder.wait_for(1)
        assert recorder.events()[0]["connector"] == "format-A"
