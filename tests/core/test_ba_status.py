"""BA status -> check events (no Lua equivalent: defect B7)."""

from __future__ import annotations

import pytest

from tests.support import events as ev
from tests.support.pipeline import deliver
from tests.support.recorder import Recorder

BAM = {"accepted_categories": "neb,bam", "accepted_elements": "host_status,service_status,ba_status"}


def dimensions(bbdo: int) -> list[dict]:
    if bbdo == 3:
        return [
            ev.event(6, 30, update_started=True),
            ev.event(6, 22, bv_id=2, bv_name="E-commerce", bv_description=""),
            ev.event(6, 25, ba_id=4, ba_name="Web shop", ba_description="shop"),
            ev.event(6, 23, ba_id=4, bv_id=2),
            ev.event(6, 30, update_started=False),
        ]
    return [
        ev.event(6, 11, update_started=True),
        ev.event(6, 10, bv_id=2, bv_name="E-commerce", bv_description=""),
        ev.event(6, 7, ba_id=4, ba_name="Web shop", ba_description="shop"),
        ev.event(6, 9, ba_id=4, bv_id=2),
        ev.event(6, 11, update_started=False),
    ]


def ba_status(bbdo: int, state: int, **fields) -> dict:
    values = dict(
        ba_id=4,
        in_downtime=False,
        last_state_change=1_700_000_900,
        level_acknowledgement=0.0,
        level_downtime=0.0,
        level_nominal=40.0,
        state=state,
        state_changed=True,
        **fields,
    )
    if bbdo == 3:
        values.setdefault("output", "BA Web shop is CRITICAL")
        return ev.event(6, 19, **values)
    return ev.event(6, 1, **values)


@pytest.mark.parametrize("bbdo", [2, 3])
def test_ba_status_is_a_check_on_a_component_named_after_the_ba(tmp_path, bbdo):
    with Recorder() as recorder:
        deliver(tmp_path, [*dimensions(bbdo), ba_status(bbdo, 2)], recorder, **BAM)
    output = "BA Web shop is CRITICAL" if bbdo == 3 else "BA Web shop is CRITICAL, health 40%"
    assert recorder.events() == [
        {
            "event_type": "check",
            "source_type": "component",
            "connector": "centreon-stream",
            "connector_name": "centreon-stream-central",
            "component": "Web shop",
            "output": output,
            "long_output": output,
            "state": 3,
            "timestamp": 1_700_000_900,
            "ba_id": "4",
            "bvs": ["E-commerce"],
        }
    ]


@pytest.mark.parametrize(("state", "expected"), [(0, 0), (1, 1), (2, 3), (3, 2)])
def test_ba_state_mapping(tmp_path, state, expected):
    with Recorder() as recorder:
        deliver(tmp_path, [*dimensions(3), ba_status(3, state)], recorder, ba_status="0,1,2,3", **BAM)
    assert recorder.events()[0]["state"] == expected


def test_unknown_bas_are_filtered_by_default_like_the_lua_connector(tmp_path):
    with Recorder() as recorder:
        pipeline = deliver(tmp_path, [*dimensions(3), ba_status(3, 3)], recorder, **BAM)
    assert recorder.requests == []
    assert pipeline.context.metrics.value("events_dropped_total", reason="ba_status") == 1


def test_ba_status_is_not_sent_unless_bam_is_accepted(tmp_path):
    with Recorder() as recorder:
        pipeline = deliver(tmp_path, [*dimensions(3), ba_status(3, 2)], recorder)
    assert recorder.requests == []
    assert pipeline.context.metrics.value("events_dropped_total", reason="not_accepted") == 6


def test_unknown_ba_is_dropped_unless_skip_anon_events_is_0(tmp_path):
    with Recorder() as recorder:
        deliver(tmp_path, [ba_status(3, 2)], recorder, **BAM)
        assert recorder.requests == []
        deliver(tmp_path, [ba_status(3, 2)], recorder, skip_anon_events=0, **BAM)
    assert recorder.events()[0]["component"] == "ba_4"
