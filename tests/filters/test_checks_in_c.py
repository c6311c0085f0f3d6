"""The builtin filters' checks in C (core/_speedups.c ``Check``, through filters.base.in_c) answer
exactly as the Python checks they mirror, on any event: ids and times of any type, known and
unknown objects, names of any shape, states in and out of the lists. A C check that drifted would
silently drop alarms, or let through what the configuration filters out."""

from __future__ import annotations

from types import MappingProxyType as MappingView

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centreon_canopsis.plugins.builtin.filters import base
from centreon_canopsis.plugins.builtin.mapping import BAM_HOST_PREFIX
from tests.filters.harness import BA_SERVICE, BAM_HOST, DB, DISK, PING, SRV
from tests.filters.test_inline_paths import IDS, outcome

pytestmark = pytest.mark.skipif(base._SPEEDUPS is None, reason="the C checks are not built here")

PLUGINS = ("anonymous_events", "bam_host", "dedup", "states", "state_flags")
KINDS = ("host_status", "service_status", "acknowledgement", "downtime")
TIMES = st.one_of(
    st.sampled_from([None, 0, -1, 100, 101, 1 << 63, -(1 << 63) - 1, 1 << 80, "100", 100.0, True, "x"]),
    st.integers(-2, 2).map(lambda d: 100 + d),
)
STATES = st.one_of(st.integers(-1, 5), st.sampled_from([None, True, False, "2", "x", 2.0, 1 << 70]))
FLAGS = st.one_of(st.booleans(), st.sampled_from([None, 0, 1, 2, -1, "", "1", "x", 1.0, 1 << 70]))


@pytest.fixture(
    params=[
        {},
        {"skip_anon_events": 0},
        {"skip_nil_id": 0},
        {"enable_bam_host": 1},
        {"service_status": "0,2", "host_status": "1", "enable_service_status_dedup": 0},
        {"hard_only": 0, "acknowledged": 1, "flapping": 1},
        {"hard_only": 0, "in_downtime": 1},
        {"acknowledged": 1, "in_downtime": 1, "flapping": 1},
    ],
    ids=["default", "anon-off", "nil-off", "bam-on", "state-lists", "downtime-only", "ack-flap", "hard-only"],
)
def both(harness, request, monkeypatch):
    """The same configuration twice: the filters' checks in C, then in Python alone."""
    settings = {"enable_bam_host": 0, **request.param}
    accelerated = harness(**settings)
    monkeypatch.setattr(base, "_SPEEDUPS", None)
    python = harness(**settings)
    monkeypatch.undo()
    for pipeline in (accelerated, python):  # names of other shapes: empty, not a str
        pipeline.feed(pipeline.make("host", host_id=4242, name="", instance_id=1, enabled=True))
        pipeline.context.cache.hosts.rows[4343] = ("x",)  # a row too short to hold a name
    return accelerated, python


@st.composite
def events(draw):
    event = {}
    for field, values in (
        ("host_id", st.one_of(IDS, st.sampled_from([4242, 4343]))),
        ("service_id", IDS),
        ("state", STATES),
        ("last_hard_state_change", TIMES),
        ("last_check", TIMES),
        ("last_update", TIMES),
        ("state_type", STATES),
        ("acknowledged", FLAGS),
        ("acknowledgement_type", FLAGS),
        ("scheduled_downtime_depth", FLAGS),
        ("downtime_depth", FLAGS),
        ("flapping", FLAGS),
    ):
        if draw(st.integers(0, 5)):  # mostly there, sometimes missing
            event[field] = draw(values)
    return event


def checks(pipeline, name):
    return pipeline.context.plugins.get_plugin(name)._checks


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=events())
def test_each_c_check_answers_as_its_python_check(both, event):
    accelerated, python = both
    for name in PLUGINS:
        for kind in KINDS:
            fast, plain = checks(accelerated, name).get(kind), checks(python, name).get(kind)
            assert (fast is None) == (plain is None), (name, kind)
            if fast is not None:
                assert outcome(fast, event) == outcome(plain, event), (name, kind, event)


def test_the_status_checks_are_the_c_ones_and_see_the_cache_change(both):
    accelerated, _ = both
    config = accelerated.config
    table = {name: checks(accelerated, name) for name in PLUGINS}
    expected = {
        ("states", "service_status"): True,
        ("states", "host_status"): True,
        ("dedup", "service_status"): bool(config.enable_service_status_dedup),
        ("anonymous_events", "service_status"): bool(config.skip_anon_events or config.skip_nil_id),
        ("bam_host", "service_status"): not config.enable_bam_host,
        ("state_flags", "service_status"): bool(
            config.hard_only or not (config.acknowledged and config.in_downtime and config.flapping)
        ),
    }
    for (name, kind), in_c in expected.items():
        assert (type(table[name].get(kind)).__name__ == "Check") is in_c, (name, kind)
    if config.skip_anon_events and not config.enable_bam_host:
        event = {"host_id": 5151, "service_id": PING}
        assert table["anonymous_events"]["host_status"](event) == "skip_anon_events"
        accelerated.feed(
            accelerated.make("host", host_id=5151, name=f"{BAM_HOST_PREFIX}_9", instance_id=1, enabled=True)
        )
        assert table["anonymous_events"]["host_status"](event) is None
        assert table["bam_host"]["service_status"](event) == "enable_bam_host"


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ({"host_id": SRV, "service_id": PING, "last_hard_state_change": 90, "last_check": 100}, "dedup"),
        ({"host_id": SRV, "service_id": PING, "last_hard_state_change": 100, "last_check": 100}, None),
        ({"host_id": SRV, "service_id": DISK, "last_hard_state_change": 90, "last_check": 100}, "dedup"),
        (
            {"host_id": BAM_HOST, "service_id": BA_SERVICE, "last_hard_state_change": 100, "last_check": 100},
            "bam",
        ),
        ({"host_id": DB, "service_id": 999, "last_hard_state_change": 100, "last_check": 100}, "anon"),
        ({"host_id": SRV, "service_id": PING, "last_hard_state_change": 1 << 70, "last_check": 100}, "dedup"),
        (
            {
                "host_id": SRV,
                "service_id": PING,
                "last_hard_state_change": 1,
                "last_check": 1,
                "state_type": 0,
            },
            "soft",
        ),
        (
            {
                "host_id": SRV,
                "service_id": PING,
                "last_hard_state_change": 1,
                "last_check": 1,
                "flapping": True,
            },
            "flap",
        ),
        (
            {
                "host_id": SRV,
                "service_id": PING,
                "last_hard_state_change": 1,
                "last_check": 1,
                "state": 0,
                "flapping": 1,
            },
            None,  # a recovery: never dropped by a flag
        ),
        (
            {
                "host_id": SRV,
                "service_id": PING,
                "last_hard_state_change": 1,
                "last_check": 1,
                "downtime_depth": 2,
            },
            "dt",
        ),
    ],
)
def test_what_the_default_chain_drops(harness, event, reason):
    """Known answers, so that C and Python cannot drift together unnoticed."""
    pipeline = harness(enable_bam_host=0)
    names = {"dedup": "enable_service_status_dedup", "bam": "enable_bam_host", "anon": "skip_anon_events"}
    names |= {"soft": "hard_only", "flap": "flapping", "dt": "in_downtime"}
    answers = {
        name: checks(pipeline, name)["service_status"]({"state": 2, "state_type": 1, **event})
        for name in PLUGINS
    }
    dropped = {answer for answer in answers.values() if answer is not None}
    assert dropped == ({names[reason]} if reason else set()), answers


def test_parameters_the_c_check_cannot_take_leave_the_python_check():
    def check(event):
        return "python"

    assert base.in_c("ANON_HOST", check, {}, True, "skip_anon_events") is not check
    assert base.in_c("ANON_HOST", check, MappingView({}), True, "skip_anon_events") is check
    assert base.in_c("STATE_IN", check, {0, 1}) is check  # a set, not a frozenset
