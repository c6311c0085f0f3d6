"""Whatever Canopsis (or something in front of it) answers, nothing is lost and no sender dies.

A real loopback TCP server plays Canopsis: for the first requests it answers from a script of
hostile answers (every family of status, malformed, partial and truncated bodies, bodies that
come too slowly, garbage status lines, connections closed without an answer), then like the real
API. The pipeline runs for real (SQLite outbox, builtin sender). At the end every payload was
received with a 2xx or is a dead letter one can inspect; no sender thread died and none of the
senders' loops hit an unexpected error.
"""

from __future__ import annotations

import gzip
import random
from typing import Any

import orjson
import pytest

from centreon_canopsis.core import deadletters
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.base import Batch
from tests.delivery.helpers import configuration, statuses
from tests.support.config import make_config
from tests.support.hostile_http import HostileCanopsis

STATUSES = (200, 201, 202, 204, 207, 300, 301, 302, 304, 400, 401, 403, 404, 405, 407, 408, 409, 410,
            413, 415, 422, 429, 431, 451, 500, 501, 502, 503, 504, 507, 520, 599)  # fmt: skip
BODIES = (
    b"",
    b"not json",
    b"{",
    b"null",
    b"[]",
    b'"text"',
    b"{}",
    b'{"failed_events": "x"}',
    b'{"failed_events": {"a": 1}}',
    b'{"failed_events": [null, 1, "a", []]}',
    b'{"failed_events": [{"event": null}, {"error": 5}]}',
    b'{"sent_events": [], "failed_events": [], "retry_events": "x"}',
    b'{"error": "\x00\n2026-01-01 ERROR forged"}',
    b"\xff\xfe\x00",
    b"<html><body>Bad gateway</body></html>",
    b'{"failed_events": []' + b" " * 100_000 + b"}",
)
COUNT = 400
#: 80 MiB of zeros in 80 KiB: the client stops inflating at its 64 MiB bound.
GZIP_BOMB = gzip.compress(b"\0" * (80 * 1024 * 1024), compresslevel=1)


def scripted_answers(seed: int) -> list[tuple[str, Any]]:
    rng = random.Random(seed)
    answers: list[tuple[str, Any]] = []
    for status in STATUSES:
        answers.append(("answer", (status, rng.choice(BODIES), {})))
    for body in BODIES:
        answers.append(("answer", (200, body, {})))
    answers += [
        ("answer", (429, b"{}", {"Retry-After": "abc"})),
        ("answer", (503, b"{}", {"Retry-After": "-5"})),
        ("answer", (503, b"{}", {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})),
        ("answer", (200, b'{"sent_events": []}', {"Content-Type": "text/html"})),
        ("answer", (200, GZIP_BOMB, {"Content-Encoding": "gzip"})),  # inflates past the client's bound
        ("partial", None),  # Content-Length larger than what comes, then the connection closes
        ("slow", None),  # the body comes after the client's timeout
        ("close", None),  # closed without a byte
        ("garbage", b"HELLO\r\n\r\n"),
        ("garbage", b"HTTP/1.1 abc Nope\r\nContent-Length: 0\r\n\r\n"),
        ("garbage", b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"),
        ("garbage", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
    ]
    rng.shuffle(answers)
    return answers


@pytest.mark.parametrize("seed", [1, 2])
def test_hostile_answers_lose_nothing(tmp_path, seed):
    canopsis = HostileCanopsis(scripted_answers(seed))
    config = make_config(
        tmp_path / "state",
        canopsis.port,
        hard_only=0,
        enable_service_status_dedup=0,
        max_batch_size=10,
        connection_timeout=1,
        delivery={"retry_initial_delay": 0.01, "retry_max_delay": 0.05, "failed_event_attempts": 3},
    )
    pipeline = Pipeline(config)
    try:
        pipeline.start()
        assert pipeline.process_batch(Batch([*configuration(), *statuses(COUNT)], origin="fuzz"))
        assert pipeline.drain(120), "every payload delivered or dead-lettered"
        assert not canopsis.script, "every hostile answer was given"
        received = set()
        for body in canopsis.accepted:
            for event in orjson.loads(body):
                received.add(event["output"])
        connection = pipeline.store.connect()
        try:
            letters = deadletters.select(connection, deadletters.Filters())
        finally:
            connection.close()
        kept = {orjson.loads(letter.body)["output"] for letter in letters}
        expected = {f"CHECK seq={seq:07d}" for seq in range(COUNT)}
        assert expected <= received | kept, f"lost: {sorted(expected - received - kept)[:5]}"
        assert all(letter.reason for letter in letters), "every dead letter says why"
        print(f"{len(received)} received with a 2xx, {len(letters)} dead letters")
        metrics = pipeline.context.metrics
        assert sum(metrics.series("sender_errors_total").values()) == 0, "no sender loop hit an error"
        assert all(pipeline.delivery.senders_alive().values())
    finally:
        pipeline.close(5)
        canopsis.close()
