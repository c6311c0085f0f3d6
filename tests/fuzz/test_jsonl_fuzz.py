"""JSON lines thrown at the real pipeline (SQLite outbox, plugins, HTTP to a loopback recorder).

Every field of every element a simulated Broker sends (BBDO 2 and 3 forms) is replaced by each
wrong JSON type, removed, or made huge; random bytes, invalid UTF-8, NULs, deep nesting and giant
lines are mixed in. Whatever comes, the assertions are the same:

- nothing escapes the pipeline (no traceback for an input problem);
- every well-formed event of the stream is delivered (numbered markers after each bad input);
- every input is accounted for: queued, dropped on purpose, dead-lettered by a plugin, or counted
  invalid and kept as an ``input`` dead letter that ``deadletters`` can show.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centreon_canopsis.core import deadletters
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.base import Batch
from centreon_canopsis.core.sources.jsonl import JsonLinesSource
from centreon_canopsis.standins.broker import SimulatedBroker
from tests.support import events as ev
from tests.support.config import make_config
from tests.support.recorder import Recorder

MARKER_HOST = 990_001
NO_FILTERS = {"hard_only": 0, "enable_service_status_dedup": 0, "enable_host_status_dedup": 0}
ELEMENTS = "host_status,service_status,acknowledgement,downtime,ba_status"
#: Each wrong JSON type, and values at the edges.
WRONG: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    1.5,
    1e300,
    -(2**63),
    2**64 - 1,
    "",
    "abc",
    "1.5",
    "\u0000",
    "x\n2026-01-01 ERROR forged line",
    "\u202e\u2028",
    "é" * 5000,
    [],
    [1],
    {},
    {"a": [1, {"b": None}]},
    json.loads("[" * 200 + "]" * 200),
)
MISSING = object()


def samples() -> list[dict[str, Any]]:
    """One event of every element a simulated Broker sends, in BBDO 3 and BBDO 2 forms."""
    found: dict[tuple[int, int], dict[str, Any]] = {}
    for bbdo in (3, 2):
        broker = SimulatedBroker(
            seed=3, hosts=3, services_per_host=2, events=3000, bbdo=bbdo, start=1_700_000_000
        )
        for event in broker.events():
            found.setdefault((event["category"], event["element"]), event)
    return list(found.values())


SAMPLES = samples()


def markers_configuration() -> list[dict[str, Any]]:
    """A host and service of their own for the markers: no mutated event is about them."""
    poller = ev.event(1, 44, instance_id=77, name="poller-markers", running=True)
    host = ev.event(1, 30, host_id=MARKER_HOST, name="marker-host", instance_id=77, enabled=True)
    service = ev.event(1, 27, host_id=MARKER_HOST, service_id=1, description="marker", enabled=True)
    return [poller, host, service]


def marker(seq: int) -> dict[str, Any]:
    return ev.v3_service_status(
        host_id=MARKER_HOST, service_id=1, state=seq % 3, last_check=1_700_000_000 + seq, output=f"seq={seq}"
    )


def mutations() -> Iterator[dict[str, Any]]:
    for sample in SAMPLES:
        for field in sample:
            for value in (*WRONG, MISSING):
                mutated = dict(sample)
                if value is MISSING:
                    del mutated[field]
                else:
                    mutated[field] = value
                yield mutated


class Harness:
    """One pipeline for a whole test; ``feed`` processes inputs each followed by a marker."""

    def __init__(self, tmp_path: Path, recorder: Recorder) -> None:
        config = make_config(
            tmp_path / "state",
            recorder.port,
            accepted_elements=ELEMENTS,
            accepted_categories="neb,bam",
            delivery={"sqlite_synchronous": "normal"},  # many small commits: no fsync each
            **NO_FILTERS,
        )
        self.pipeline = Pipeline(config)
        self.pipeline.start()
        self.recorder = recorder
        self.markers = 0
        self.inputs = 0
        self.pipeline.process_batch(Batch([*SAMPLES, *markers_configuration()], origin="setup"))

    def feed(self, bad: list[Any]) -> None:
        batch = []
        for item in bad:
            batch += [item, marker(self.markers)]
            self.markers += 1
        self.inputs += len(bad)
        assert self.pipeline.process_batch(Batch(batch, origin="fuzz"))

    def check(self) -> None:
        pipeline = self.pipeline
        assert pipeline.drain(60), "every payload delivered or dead-lettered"
        delivered = {e.get("output") for e in self.recorder.events() if isinstance(e.get("output"), str)}
        missing = [seq for seq in range(self.markers) if f"seq={seq}" not in delivered]
        assert not missing, f"well-formed events lost after bad input: {missing[:10]}"
        metrics = pipeline.context.metrics
        outcomes = {dict(k)["outcome"]: v for k, v in metrics.series("events_total").items()}
        invalid = sum(metrics.series("events_invalid_total").values())
        received = metrics.value("events_received_total")
        assert received == sum(outcomes.values()) + invalid, "every input accounted for"
        connection = pipeline.store.connect()
        try:
            kept = deadletters.count(connection, deadletters.Filters(stage="input"))
            errors = deadletters.count(connection, deadletters.Filters(stage="pipeline"))
        finally:
            connection.close()
        assert kept == invalid, "every invalid input is kept, inspectable"
        assert errors == outcomes.get("error", 0)
        assert sum(pipeline.delivery.senders_alive().values()) == len(pipeline.delivery.senders_alive())

    def close(self) -> None:
        self.pipeline.close(5)


@pytest.fixture
def harness(tmp_path):
    with Recorder() as recorder:
        harness = Harness(tmp_path, recorder)
        try:
            yield harness
        finally:
            harness.close()


def test_every_field_of_every_element_with_every_wrong_type(harness):
    every = list(mutations())
    assert len(every) > 5000
    for start in range(0, len(every), 1000):
        harness.feed(every[start : start + 1000])
    harness.check()
    invalid = harness.pipeline.context.metrics.series("events_invalid_total")
    assert {dict(labels)["reason"] for labels in invalid} >= {"not_an_event", "bad_field"}


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=20,
)


@st.composite
def random_event(draw: st.DrawFn) -> Any:
    """A sample with random fields replaced by random JSON values, or any JSON value at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON)
    event = dict(draw(st.sampled_from(SAMPLES)))
    for field in draw(st.lists(st.sampled_from(sorted(event)), max_size=4)):
        event[field] = draw(JSON)
    return event


def test_random_fields_with_random_values(harness):
    @settings(
        max_examples=80,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(st.lists(random_event(), min_size=1, max_size=20))
    def feed(bad: list[Any]) -> None:
        harness.feed(bad)

    feed()
    harness.check()


@st.composite
def hostile_line(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["bytes", "truncated", "utf8", "nul", "deep", "number"]))
    good = orjson.dumps(draw(st.sampled_from(SAMPLES)))
    if kind == "bytes":
        return draw(st.binary(max_size=300)).replace(b"\n", b"")
    if kind == "truncated":
        return good[: draw(st.integers(0, len(good) - 1))]
    if kind == "utf8":
        at = draw(st.integers(0, len(good)))
        return (
            good[:at]
            + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80"]))
            + good[at:]
        )
    if kind == "nul":
        at = draw(st.integers(0, len(good)))
        return good[:at] + b"\x00" + good[at:]
    if kind == "deep":
        depth = draw(st.integers(100, 5000))
        return b'{"category": 1, "element": 29, "x": ' + b"[" * depth + b"]" * depth + b"}"
    return good.replace(b'"host_id":', b'"host_id":' + b"9" * draw(st.integers(20, 400)) + b',"was":')


def test_hostile_lines_through_the_json_lines_source(tmp_path):
    lines: list[bytes] = []

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(hostile_line())
    def collect(line: bytes) -> None:
        lines.append(line)

    collect()
    path = tmp_path / "events.jsonl"
    with open(path, "wb") as handle:
        for event in [*SAMPLES, *markers_configuration()]:
            handle.write(orjson.dumps(event) + b"\n")
        for seq, line in enumerate(lines):
            handle.write(line + b"\n" + orjson.dumps(marker(seq)) + b"\n")
        handle.write(b'{"giant": "' + b"x" * (5 << 20) + b'"}\n' + orjson.dumps(marker(len(lines))) + b"\n")
    with Recorder() as recorder:
        config = make_config(
            tmp_path / "state",
            recorder.port,
            accepted_elements=ELEMENTS,
            accepted_categories="neb,bam",
            **NO_FILTERS,
        )
        pipeline = Pipeline(config)
        try:
            pipeline.run(JsonLinesSource(str(path), follow=False))
            assert pipeline.drain(60)
            delivered = {e.get("output") for e in recorder.events() if isinstance(e.get("output"), str)}
            assert all(f"seq={seq}" in delivered for seq in range(len(lines) + 1)), "markers lost"
            metrics = pipeline.context.metrics
            invalid = sum(metrics.series("events_invalid_total").values())
            assert metrics.value("events_invalid_total", reason="line_too_long") == 1
            assert invalid >= len(lines) // 3
            connection = pipeline.store.connect()
            try:
                assert deadletters.count(connection, deadletters.Filters(stage="input")) == invalid
            finally:
                connection.close()
        finally:
            pipeline.close(5)


def test_the_entry_check_either_admits_clean_ids_or_says_why():
    """Property of core/intake.py: any value in any id or name field gives an event whose ids are
    integers (or not set) and names strings, or an InvalidEvent; never another exception."""
    from centreon_canopsis.core.elements import default_registry
    from centreon_canopsis.core.events import InvalidEvent
    from centreon_canopsis.core.intake import COMMON_IDS, IDS_BY_KIND, NAMES_BY_KIND, Intake

    intake = Intake(default_registry())
    ids = sorted({*COMMON_IDS, *(f for fields in IDS_BY_KIND.values() for f in fields)})
    names = sorted({f for fields in NAMES_BY_KIND.values() for f in fields})

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(st.sampled_from(SAMPLES), st.dictionaries(st.sampled_from(ids + names), JSON, max_size=4))
    def check(sample: dict[str, Any], changes: dict[str, Any]) -> None:
        event = {**sample, **changes}
        try:
            type_id = intake.admit(event)
        except InvalidEvent as error:
            assert error.code in ("not_an_event", "bad_field") and str(error)
            return
        assert type_id == event["_type"]
        element = intake._types.get(type_id)
        kind = element.kind if element is not None else ""
        for name in (*COMMON_IDS, *IDS_BY_KIND.get(kind, ())):
            value = event.get(name)
            assert value is None or value == "" or type(value) is int, (name, value)
        for name in NAMES_BY_KIND.get(kind, ()):
            assert event.get(name) is None or isinstance(event[name], str)

    check()
