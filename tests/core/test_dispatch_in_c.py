"""``_speedups.Dispatch`` (core/_speedups.c) dispatches as ``Dispatcher.process``, its Python
reference, does: the same outcome for each event, the same counts by outcome and by drop reason,
the same payloads in the outbox and the same dead letters, on a simulated stream and when
plugins raise, answer odd verdicts, or are registered and unregistered mid-stream."""

from __future__ import annotations

import gc
import logging
import sys
import tracemalloc
import weakref
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from centreon_canopsis.core import deadletters
from centreon_canopsis.core import dispatcher as dispatcher_module
from centreon_canopsis.core.bbdo.codec import BBDOCodec
from centreon_canopsis.core.dispatcher import DROPPED, ERROR, QUEUED, Dispatcher
from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.standins.broker import SimulatedBroker, SimulationOptions
from tests.support.config import make_config

pytestmark = pytest.mark.skipif(
    dispatcher_module._SPEEDUPS is None, reason="the C dispatcher is not built here"
)


@pytest.fixture(scope="module")
def stream() -> list[tuple[int, bytes]]:
    """Payloads of a simulated stream with downtimes, acknowledgements, flapping and soft states."""
    options = SimulationOptions(events=3000, hosts=20, services_per_host=5, downtime_rate=0.05, bbdo=3)
    codec = BBDOCodec()
    return [codec.encode_payload(event)[:2] for event in SimulatedBroker(options).events()]


def pipeline(path: Path, accelerated: bool, **settings: Any) -> Pipeline:
    settings.setdefault("accepted_categories", "neb,bam")
    settings.setdefault("accepted_elements", "host_status,service_status,acknowledgement,downtime")
    made = Pipeline(make_config(path / "state", **settings))
    if not accelerated:
        del made.dispatcher.process  # the method again: the Python reference
    return made


def run(made: Pipeline, payloads: list[tuple[int, bytes]], between: Any = None) -> dict[str, Any]:
    """Each event through ``process`` (decoded afresh: a stage may change its dict), then one
    commit; what came out."""
    codec = BBDOCodec()
    dispatcher = made.dispatcher
    outcomes = []
    for index, (type_id, payload) in enumerate(payloads):
        if between is not None:
            between(index, made)
        outcomes.append(dispatcher.process(codec.decode(type_id, payload), type_id))
    counts, dropped = dict(dispatcher.counts), dict(dispatcher.dropped)
    made.outbox.commit()
    connection = made.store.connect()
    try:
        rows = connection.execute("SELECT lane, route, key, body FROM outbox ORDER BY id").fetchall()
        letters = [(d.stage, d.reason, d.body) for d in deadletters.select(connection, deadletters.Filters())]
    finally:
        connection.close()
    return {"outcomes": outcomes, "counts": counts, "dropped": dropped, "outbox": rows, "dead": letters}


def both(tmp_path: Path, payloads: list[tuple[int, bytes]], between: Any = None, **settings: Any):
    results = []
    for accelerated in (True, False):
        made = pipeline(tmp_path / str(accelerated), accelerated, **settings)
        try:
            assert (type(made.dispatcher.process).__name__ == "Dispatch") is accelerated
            results.append(run(made, payloads, between))
        finally:
            made.close(1)
    return results


def test_a_simulated_stream_gives_what_the_python_gives(tmp_path, stream):
    fast, reference = both(tmp_path, stream)
    assert fast == reference
    # The stream reaches every branch that matters: drops by filters and by type, queued events.
    assert fast["counts"][DROPPED] > 1000 and fast["counts"][QUEUED] > 100
    assert {"not_accepted", "enable_service_status_dedup"} <= set(fast["dropped"])
    assert len(fast["outbox"]) >= fast["counts"][QUEUED]


def test_with_the_filters_off(tmp_path, stream):
    settings = {
        "enable_service_status_dedup": 0,
        "enable_host_status_dedup": 0,
        "hard_only": 0,
        "acknowledged": 1,
        "in_downtime": 1,
        "flapping": 1,
    }
    fast, reference = both(tmp_path, stream, **settings)
    assert fast == reference
    assert fast["counts"][QUEUED] > 1000


class Verdicts:
    """A filter answering, by host id: no opinion, True, a reason, "", a non-str, or raising."""

    @hookimpl(tryfirst=True)
    def connector_accept(self, event, element, context):
        choice = event.get("host_id", 0) % 7
        if choice == 1:
            return True
        if choice == 2:
            return "odd_host"
        if choice == 3:
            return ""
        if choice == 4:
            return 42
        if choice == 5:
            raise ValueError(f"cannot judge host {event.get('host_id')}")
        return None


class DropsServices:
    accept_kinds = ("service_status",)

    @hookimpl
    def connector_accept(self, event, element, context):
        return "late_plugin"


def test_odd_verdicts_raising_filters_and_plugins_registered_mid_stream(tmp_path, stream):
    """A plugin registered at the 1000th event drops the services from then on, unregistered at
    the 2000th: the C path sees the new generation at once, as the Python does."""

    def between(index: int, made: Pipeline) -> None:
        plugins = made.context.plugins
        if index == 0:
            plugins.register(Verdicts(), name="verdicts")
        elif index == 1000:
            plugins.register(DropsServices(), name="late")
        elif index == 2000:
            plugins.unregister(name="late")

    fast, reference = both(tmp_path, stream, between, hard_only=0)
    assert fast == reference
    dropped = fast["dropped"]
    assert dropped["odd_host"] and dropped["rejected"] and dropped["late_plugin"]
    assert fast["counts"][ERROR] == len(fast["dead"]) > 0
    stage, reason, _ = fast["dead"][0]
    assert stage == "pipeline"
    assert reason.startswith("plugin verdicts raised in connector_accept: ValueError: cannot judge host")


def test_a_filter_that_raises_is_named_and_its_event_kept(tmp_path, stream, caplog):
    made = pipeline(tmp_path, accelerated=True, hard_only=0)
    try:
        made.context.plugins.register(Verdicts(), name="verdicts")
        codec = BBDOCodec()
        statuses = [(t, p) for t, p in stream if codec.types[t].name == "pb_service_status"]
        for type_id, payload in stream[:400]:  # the topology, so that statuses are known
            made.dispatcher.process(codec.decode(type_id, payload), type_id)
        raising = next((t, p) for t, p in statuses if codec.decode(t, p)["host_id"] % 7 == 5)
        with caplog.at_level(logging.ERROR, logger="centreon_canopsis.core.dispatcher"):
            assert made.dispatcher.process(codec.decode(*raising), raising[0]) == ERROR
        assert "plugin verdicts raised in connector_accept: ValueError" in caplog.text
        assert made.outbox.dead_buffered == 1
    finally:
        made.close(1)


class Interrupts:
    @hookimpl(tryfirst=True)
    def connector_accept(self, event, element, context):
        raise KeyboardInterrupt


def test_an_exception_that_is_not_an_error_goes_up(tmp_path, stream):
    """As in Python: ``except Exception`` does not catch KeyboardInterrupt or SystemExit."""
    made = pipeline(tmp_path, accelerated=True)
    try:
        codec = BBDOCodec()
        for type_id, payload in stream[:400]:
            made.dispatcher.process(codec.decode(type_id, payload), type_id)
        made.context.plugins.register(Interrupts(), name="interrupts")
        status = next((t, p) for t, p in stream if codec.types[t].name == "pb_service_status")
        with pytest.raises(KeyboardInterrupt):
            made.dispatcher.process(codec.decode(*status), status[0])
    finally:
        made.close(1)


def test_debug_logging_keeps_the_python_reference(tmp_path, caplog):
    """With debug logging each dropped event is named, which the Python does."""
    with caplog.at_level(logging.DEBUG, logger="centreon_canopsis.core.dispatcher"):
        made = pipeline(tmp_path, accelerated=True)
    try:
        assert made.dispatcher._debug
        assert "process" not in vars(made.dispatcher)
    finally:
        made.close(1)


def test_a_dropped_dispatcher_is_collected(tmp_path):
    """The dispatcher and its C ``process`` refer to each other: the garbage collector frees
    both once the pipeline lets go (a reload builds a new dispatcher)."""
    made = pipeline(tmp_path, accelerated=True)
    try:
        gone = weakref.ref(made.dispatcher)
        made.dispatcher = None
        gc.collect()
        assert gone() is None
    finally:
        made.close(1)


class Marks:
    """Drops every status with a reason that is not a str: the same object each time."""

    def __init__(self) -> None:
        self.verdict = object()

    @hookimpl(tryfirst=True)
    def connector_accept(self, event, element, context):
        return self.verdict


def test_no_reference_or_memory_leaks(tmp_path, stream):
    made = pipeline(tmp_path, accelerated=True)
    try:
        codec = BBDOCodec()
        dispatcher = made.dispatcher
        for type_id, payload in stream[:400]:
            dispatcher.process(codec.decode(type_id, payload), type_id)
        marks = Marks()
        made.context.plugins.register(marks, name="marks")
        events = [(codec.decode(t, p), t) for t, p in stream[400:700]]
        for event, type_id in events:  # call lists resolved, views built, counts keyed
            dispatcher.process(event, type_id)
        before = [sys.getrefcount(marks.verdict)] + [sys.getrefcount(event) for event, _ in events]
        rejected = dispatcher.dropped["rejected"]
        tracemalloc.start()
        for _ in range(200):
            for event, type_id in events:
                dispatcher.process(event, type_id)
        grown, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        after = [sys.getrefcount(marks.verdict)] + [sys.getrefcount(event) for event, _ in events]
        assert after == before
        assert grown < 64 * 1024, grown
        per_round = (dispatcher.dropped["rejected"] - rejected) / 200
        assert per_round == int(per_round) >= 100, "the statuses went through the C drop"
    finally:
        made.close(1)


def test_a_customers_stages_count_in_the_counts_they_are_given(tmp_path, stream):
    """A customer's dispatcher counts with the top level's (core/customer_scopes.py): the C
    counts into the dicts given at construction."""
    made = pipeline(tmp_path, accelerated=True)
    try:
        counts: defaultdict[str, int] = defaultdict(int)
        dropped: defaultdict[str, int] = defaultdict(int)
        scope = Dispatcher(
            made.context, made.outbox, customers=False, feeds_cache=False, counts=counts, dropped=dropped
        )
        assert type(scope.process).__name__ == "Dispatch"
        assert scope.counts is counts and scope.dropped is dropped
        codec = BBDOCodec()
        for type_id, payload in stream[:1500]:
            event = codec.decode(type_id, payload)
            made.dispatcher.process(event, type_id)  # the name cache learns
            scope.process(event, type_id)
        assert counts[DROPPED] == sum(dropped.values()) > 500
        assert {"not_accepted", "enable_service_status_dedup"} <= set(dropped)
    finally:
        made.close(1)
