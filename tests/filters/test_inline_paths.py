"""The filters' inline paths (ints as decoded BBDO carries them) against their general rules.

skip_anon_events, enable_bam_host and the state flags answer most status events without a call
per look-up or per flag. Each such path must answer what the general rule answers, for any id or
field value, not only for the usual ints: a fast path that drifts would silently drop (or let
through) alarms.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centreon_canopsis.core.events import as_int
from centreon_canopsis.plugins.builtin.filters import state_flags
from centreon_canopsis.plugins.builtin.filters.base import chain, host_name
from centreon_canopsis.plugins.builtin.mapping import BAM_HOST_PREFIX
from tests.filters.harness import BAM_HOST, DB, DISK, PING, SRV, WEB2

# Ids: known ones, unknown ones, the unset forms, out of range, and other types.
IDS = st.one_of(
    st.sampled_from([SRV, DB, BAM_HOST, WEB2, PING, DISK, 99, 0, -1, 1 << 32, (1 << 32) + SRV]),
    st.sampled_from([None, "", "0", "-1", str(SRV), str(PING), float(SRV), True, False, "x"]),
    st.integers(),
)
FIELD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=3),
    st.sampled_from(["", "0", "1", "2", "-1", "1.0", "x", 1.5, 0.0]),
)
STATUS_FIELDS = ("state", "state_type", "acknowledged", "acknowledgement_type", "flapping")
DEPTHS = ("scheduled_downtime_depth", "downtime_depth")


def outcome(check, *args):
    """What a check answers, or the class of what it raises (an id the intake would have refused,
    such as "x": the same error either way, which the dispatcher dead-letters)."""
    try:
        return "answer", check(*args)
    except Exception as error:
        return "raised", type(error)


@st.composite
def status_events(draw):
    event = {name: draw(FIELD) for name in STATUS_FIELDS if draw(st.booleans())}
    for name in DEPTHS:
        if draw(st.booleans()):
            event[name] = draw(FIELD)
    return event


FLAG_SETTINGS = list(itertools.product([False, True], repeat=4))


def chained(hard_only, acknowledged, in_downtime, flapping):
    """The rule, written plainly: hard_only, then (unless a recovery) the flags, as a chain of the
    module's single checks."""

    def unless_recovery(check):
        return lambda event: None if as_int(event.get("state"), -1) == 0 else check(event)

    flags = [
        check
        for check, on in (
            (state_flags._acknowledged, acknowledged),
            (state_flags._in_downtime, in_downtime),
            (state_flags._flapping, flapping),
        )
        if on
    ]
    flag_check = chain(*flags)
    return chain(
        state_flags._hard_only if hard_only else None,
        unless_recovery(flag_check) if flag_check is not None else None,
    )


def _flag_id(flags):
    return "".join("HADF"[i] if on else "-" for i, on in enumerate(flags))


@pytest.mark.parametrize("flags", FLAG_SETTINGS, ids=_flag_id)
@settings(max_examples=150, deadline=None)
@given(event=status_events())
def test_the_combined_state_flags_answer_as_the_chain(flags, event):
    fast, plain = state_flags.combined(*flags), chained(*flags)
    if not any(flags):
        assert fast is None and plain is None
        return
    assert fast(event) == plain(event), event


def test_the_combined_state_flags_drop_in_the_documented_order():
    check = state_flags.combined(True, True, True, True)
    everything = {"state": 2, "state_type": 1, "acknowledgement_type": 1, "scheduled_downtime_depth": 1}
    assert check({**everything, "flapping": True}) == "acknowledged"
    assert check({**everything, "state_type": 0}) == "hard_only"
    assert check({**everything, "acknowledgement_type": 0}) == "in_downtime"
    assert check({**everything, "state": 0}) is None, "a recovery is never dropped by a flag"


@pytest.fixture(
    params=[{}, {"skip_anon_events": 0}, {"skip_nil_id": 0}], ids=["default", "anon-off", "nil-off"]
)
def checks(harness, request):
    """The configured filters' checks, the name cache loaded with the harness's topology."""
    pipeline = harness(enable_bam_host=0, **request.param)
    plugins = pipeline.context.plugins
    return pipeline, plugins.get_plugin("anonymous_events"), plugins.get_plugin("bam_host")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(host_id=IDS, service_id=IDS)
def test_skip_anon_answers_as_the_general_rule(checks, host_id, service_id):
    pipeline, anonymous, _ = checks
    cache = pipeline.context.cache
    table = anonymous._checks
    if not table:
        return  # both parameters off: the filter is never called
    event = {"host_id": host_id, "service_id": service_id}
    # The general rule, as the filter's documentation states it.
    nil = "skip_nil_id" if pipeline.config.skip_nil_id else None
    anon = bool(pipeline.config.skip_anon_events)
    unset = (None, 0, -1, "", "0", "-1")

    def expected_host():
        if host_id in unset:
            return nil
        return "skip_anon_events" if anon and not cache.knows_host(host_id) else None

    def expected_service():
        first = expected_host()
        if first is not None or host_id in unset:
            return first
        if service_id in unset:
            return nil
        return "skip_anon_events" if anon and not cache.knows_service(host_id, service_id) else None

    assert outcome(table["host_status"], event) == outcome(expected_host), event
    assert outcome(table["service_status"], event) == outcome(expected_service), event


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(host_id=IDS)
def test_enable_bam_host_answers_as_the_name_rule(checks, host_id):
    pipeline, _, bam = checks
    event = {"host_id": host_id}

    def expected():
        name = host_name(pipeline.context.cache, event)
        return "enable_bam_host" if name.startswith(BAM_HOST_PREFIX) else None

    assert outcome(bam._checks["service_status"], event) == outcome(expected), event


def test_the_inline_paths_see_the_cache_change(checks):
    """The checks hold the cache's own mappings: a host learnt later is known at once."""
    pipeline, anonymous, bam = checks
    if not pipeline.config.skip_anon_events:
        return
    assert anonymous._checks["host_status"]({"host_id": 4242}) == "skip_anon_events"
    pipeline.feed(
        pipeline.make("host", host_id=4242, name=f"{BAM_HOST_PREFIX}_9", instance_id=1, enabled=True)
    )
    assert anonymous._checks["host_status"]({"host_id": 4242}) is None
    assert bam._checks["host_status"]({"host_id": 4242}) == "enable_bam_host"
