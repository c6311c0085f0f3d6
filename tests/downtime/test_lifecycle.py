"""Which downtime events are starts, ends, or nothing (broker-events-json.md section 5), and the
payloads of starts and ends, in both protocol forms (B2b, B2c, B15)."""

from __future__ import annotations

import pytest

from centreon_canopsis.core.model import Payload
from centreon_canopsis.core.pipeline import build_context
from centreon_canopsis.plugins.builtin.downtime.lifecycle import Step, classify
from centreon_canopsis.plugins.builtin.downtime.payloads import pbehavior_id, window
from tests.downtime.helpers import COMMENT, END, ENTRY, START, Downtime, configuration, downtime_config

BOTH = pytest.mark.parametrize("bbdo", [2, 3])
TARGETS = pytest.mark.parametrize("service", [True, False], ids=["service", "host"])


def lifecycle(bbdo: int, service: bool, cancel: str | None = None) -> list[tuple[str, dict]]:
    """(step name, event) for a whole downtime: natural end, cancel while running, or before start."""
    downtime = Downtime(bbdo=bbdo, service=service)
    steps = [("add", downtime.add())]
    if cancel == "before-start":
        return [*steps, ("delete", downtime.delete(START - 30))]
    steps.append(("start", downtime.start()))
    stop_at = START + 600 if cancel == "running" else END
    steps.append(("stop", downtime.stop(stop_at, cancelled=cancel == "running")))
    steps.append(("delete", downtime.delete(stop_at)))
    return steps


@BOTH
@TARGETS
def test_natural_end(bbdo, service):
    assert [classify(e) for _, e in lifecycle(bbdo, service)] == [
        Step.NOT_STARTED,
        Step.START,
        Step.STOPPED,
        Step.END,  # B2c: a BBDO 2 natural end deletes
    ]


@BOTH
@TARGETS
def test_cancel_while_running(bbdo, service):
    steps = lifecycle(bbdo, service, cancel="running")
    assert steps[-1][1]["cancelled"] is True
    assert [classify(e) for _, e in steps] == [Step.NOT_STARTED, Step.START, Step.STOPPED, Step.END]


@BOTH
@TARGETS
def test_cancel_before_start_sends_nothing(bbdo, service):
    steps = lifecycle(bbdo, service, cancel="before-start")
    assert [classify(e) for _, e in steps] == [Step.NOT_STARTED, Step.NEVER_STARTED]
    assert not any(step.sends for step in (Step.NOT_STARTED, Step.NEVER_STARTED, Step.STOPPED))


def test_bbdo2_shapes_leave_unset_fields_out():
    # The shapes the tests feed are the real ones: absent keys in BBDO 2, -1 in BBDO 3.
    host_start = Downtime(bbdo=2, service=False).start()
    assert "service_id" not in host_start and "actual_end_time" not in host_start
    assert "deletion_time" not in host_start and host_start["internal_id"] == 8
    v3 = Downtime(bbdo=3, service=False).start()
    assert v3["service_id"] == 0 and v3["actual_end_time"] == -1 and v3["deletion_time"] == -1


@BOTH
def test_pbehavior_id_is_the_same_at_start_and_end_and_unique(bbdo):
    context = build_context(downtime_config("/nonexistent-state"))
    cache = context.cache
    steps = dict(lifecycle(bbdo, True))
    start_id = pbehavior_id(steps["start"], cache)
    assert start_id == "centreon-downtime-1-8-15-47-1700000000"
    assert pbehavior_id(steps["delete"], cache) == start_id
    host = dict(lifecycle(bbdo, False))
    assert pbehavior_id(host["start"], cache) == "centreon-downtime-1-8-15-0-1700000000"
    # B15: the same engine-local id on another poller, or after an Engine restart, differs.
    other_poller = Downtime(bbdo=bbdo, instance_id=2).start()
    restarted = Downtime(bbdo=bbdo, entry_time=ENTRY + 86400).start()
    ids = {start_id, pbehavior_id(other_poller, cache), pbehavior_id(restarted, cache)}
    assert len(ids) == 3


def test_window_fixed_and_flexible():
    fixed = Downtime().start(at=START + 5)
    assert window(fixed) == (START + 5, END)
    # A flexible downtime lasts `duration` from its actual start, past the window's end.
    flexible = Downtime(fixed=False, end_time=START + 7200)
    flexible_start = dict(flexible.start(at=START + 7000), duration=1800)
    assert window(flexible_start) == (START + 7000, START + 8800)
    # No actual start (started flag only): the scheduled start.
    assert window(dict(Downtime(bbdo=2).add(), started=True)) == (START, END)


class Transformer:
    """The hooks of a configured pipeline, without the state directory."""

    def __init__(self, bbdo: int, **settings):
        self.context = build_context(downtime_config("/nonexistent-state", **settings))
        self.registry = self.context.registry
        for item in configuration(bbdo):
            self.context.cache.observe(item, self.registry.get(item["category"], item["element"]))

    def accept(self, event):
        element = self.registry.get(event["category"], event["element"])
        return self.context.hook.connector_accept(event=event, element=element, context=self.context)

    def transform(self, event):
        element = self.registry.get(event["category"], event["element"])
        return self.context.hook.connector_transform(event=event, element=element, context=self.context)


@BOTH
def test_drop_reasons(bbdo):
    hooks = Transformer(bbdo)
    steps = lifecycle(bbdo, True)
    assert [hooks.accept(e) for _, e in steps] == [
        "downtime_not_started",
        None,
        "downtime_stopped",
        None,
    ]
    cancelled = lifecycle(bbdo, False, cancel="before-start")
    assert [hooks.accept(e) for _, e in cancelled] == [
        "downtime_not_started",
        "downtime_cancelled_before_start",
    ]


@BOTH
def test_send_pbh_0_drops_every_downtime_event(bbdo):
    hooks = Transformer(bbdo, canopsis_downtime_send_pbh=0)
    assert {hooks.accept(e) for _, e in lifecycle(bbdo, True)} == {"canopsis_downtime_send_pbh"}
    assert "pbehavior_lookups" not in hooks.context.state


@BOTH
@TARGETS
def test_start_payloads_exact(bbdo, service):
    hooks = Transformer(bbdo)
    downtime = Downtime(bbdo=bbdo, service=service)
    payloads = hooks.transform(downtime.start(at=START + 2))
    pid = downtime.pbehavior_id
    assert payloads == [
        Payload(
            "pbehavior.create",
            {
                "_id": pid,
                "name": pid,
                "author": "admin",
                "enabled": True,
                "tstart": START + 2,
                "tstop": END,
                "rrule": "",
                "entity_pattern": [
                    [
                        {
                            "field": "_id",
                            "cond": {"type": "eq", "value": "Ping/srv-web-01" if service else "srv-web-01"},
                        }
                    ]
                ],
                "comment": COMMENT,
            },
            pid,
        ),
        Payload("pbehavior.comment", {"pbehavior": pid, "message": COMMENT}, pid),
    ]


@BOTH
@TARGETS
def test_end_payload_exact(bbdo, service):
    hooks = Transformer(bbdo)
    steps = dict(lifecycle(bbdo, service))
    pid = Downtime(service=service).pbehavior_id
    match = {
        "entities": ["Ping/srv-web-01" if service else "srv-web-01"],
        "tstart": START,
        "tstop": END,
        "comment": COMMENT,
    }
    assert hooks.transform(steps["delete"]) == [
        Payload("pbehavior.delete", {"_id": pid, "name": pid, "match": match}, pid)
    ]


def test_no_comment_payload_for_an_empty_comment_and_long_ones_cut():
    hooks = Transformer(3)
    assert [p.kind for p in hooks.transform(Downtime(comment="").start())] == ["pbehavior.create"]
    long = hooks.transform(Downtime(comment="é" * 300).start())[1]
    assert long.body["message"] == "é" * 255


def test_unknown_host_falls_back_to_ids():
    hooks = Transformer(3)
    start = dict(Downtime().start(), host_id=99, service_id=7)
    body = hooks.transform(start)[0].body
    assert body["_id"] == "centreon-downtime-1-8-99-7-1700000000"
    assert body["entity_pattern"][0][0]["cond"]["value"] == "7/99"


def test_not_accepted_downtimes_start_no_lookups():
    hooks = Transformer(3, accepted_elements="host_status,service_status")
    assert "pbehavior_lookups" not in hooks.context.state
    assert "pbehavior_lookups" in Transformer(3, accepted_elements="pb_downtime").context.state
