"""``/readyz`` while outbox commits fail (issue 10, item 16): a full disk makes the connector not
ready, with the reason, until a commit succeeds again; nothing is lost meanwhile.

The disk fills for real: SQLite's ``max_page_count`` caps the database at its current size, so
commits fail with SQLite's own "database or disk is full", exactly as on a full file system.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request

import orjson

from centreon_canopsis.core.health import HealthServer
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.base import Batch
from tests.delivery.helpers import configuration, seqs, statuses, wait_until
from tests.support.config import make_config
from tests.support.recorder import Recorder

NO_FILTERS = {"hard_only": 0, "enable_service_status_dedup": 0}


def readyz(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=5) as answer:
            return answer.status, orjson.loads(answer.read())
    except urllib.error.HTTPError as answer:
        return answer.code, orjson.loads(answer.read())


def test_readyz_says_when_commits_fail_and_recovers(tmp_path):
    with Recorder() as recorder:
        pipeline = Pipeline(make_config(tmp_path / "state", recorder.port, **NO_FILTERS))
        server = HealthServer(pipeline, "127.0.0.1", 0, 120.0)
        server.start()
        try:
            pipeline.start()
            assert pipeline.process_batch(Batch(configuration(), origin="test"))
            assert readyz(server.url)[0] == 200
            writer = pipeline.outbox._writer
            pages = writer.execute("PRAGMA page_count").fetchone()[0]
            writer.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full
            done = threading.Event()
            worker = threading.Thread(
                target=lambda: (pipeline.process_batch(Batch(statuses(3000), origin="test")), done.set())
            )
            worker.start()
            _, body = wait_until(lambda: (found := readyz(server.url))[0] == 503 and found, 20, "a 503")
            check = body["checks"]["outbox_commits"]
            assert check["ok"] is False and "full" in check["detail"], check
            assert pipeline.context.metrics.value("outbox_commit_errors_total") >= 1
            assert not done.is_set(), "the source waits; nothing is skipped"
            writer.execute("PRAGMA max_page_count = 1073741823")  # room again
            worker.join(30)
            assert done.is_set()
            assert readyz(server.url)[0] == 200
            assert pipeline.drain(20)
            assert sorted(seqs(recorder.events())) == list(range(3000)), "nothing lost"
        finally:
            server.close()
            pipeline.close(5)
