"""Running events through a real pipeline (real plugins, SQLite outbox, HTTP) in tests."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.base import Batch
from tests.support.config import make_config
from tests.support.recorder import Recorder


def deliver(
    tmp_path: Path, events: Iterable[dict[str, Any]], recorder: Recorder | None = None, **settings: Any
) -> Pipeline:
    """Processes ``events`` in one batch, waits until everything is delivered, closes."""
    own = recorder is None
    recorder = recorder or Recorder().__enter__()
    try:
        config = make_config(tmp_path / "state", recorder.port, **settings)
        pipeline = Pipeline(config)
        try:
            pipeline.start()
            pipeline.process_batch(Batch([dict(e) for e in events], origin="test"))
            assert pipeline.drain(10), "the outbox did not drain"
        finally:
            pipeline.close(5)
        return pipeline
    finally:
        if own:
            recorder.__exit__(None, None, None)
