"""core/_speedups.c does what the Python it mirrors does:

- the status copy leaves the name cache exactly as its Python reference (Cache._status_handler's
  handler) does: on any event, ids of any type, fields of any kind, known and unknown objects,
  with views to drop; errors alike too;
- ``View`` builds each cached object's dict as Objects._view does (fields, order, ids, status);
- ``first`` calls the same implementations, with the same arguments, in the same order, and
  answers or raises as hookcalls._first does.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tracemalloc
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centreon_canopsis.core import cache as cache_module
from centreon_canopsis.core import hookcalls
from centreon_canopsis.core.bbdo import accel
from centreon_canopsis.core.cache import HOST_FIELDS, SERVICE_FIELDS, STATUS_FIELDS, Cache
from tests.core.test_cache_compact import feed
from tests.support import events as ev

pytestmark = pytest.mark.skipif(cache_module._SPEEDUPS is None, reason="the C status copy is not built here")

KNOWN_HOSTS = sorted({e["host_id"] for e in ev.v3_configuration() if "host_id" in e})
KNOWN_SERVICES = sorted(
    {(e["host_id"], e["service_id"]) for e in ev.v3_configuration() if e.get("service_id")}
)
ODD_IDS = st.one_of(
    st.sampled_from([0, -1, 1 << 32, (1 << 32) - 1, 1 << 70, -(1 << 70), True, False, None, "15", 15.0, "x"]),
    st.integers(),
)
VALUES = st.one_of(
    st.integers(-5, 5), st.none(), st.booleans(), st.text(max_size=3), st.floats(allow_nan=False)
)


def handlers(cache: Cache, accelerated: bool) -> tuple[Any, Any]:
    return (
        cache._status_handler(cache.hosts, services=False, accelerated=accelerated),
        cache._status_handler(cache.services, services=True, accelerated=accelerated),
    )


@st.composite
def status_events(draw: st.DrawFn) -> tuple[bool, dict[str, Any]]:
    service = draw(st.booleans())
    if draw(st.booleans()):
        host_id, service_id = draw(st.sampled_from(KNOWN_SERVICES))
    else:
        host_id = draw(st.one_of(st.sampled_from(KNOWN_HOSTS), ODD_IDS))
        service_id = draw(ODD_IDS)
    base = ev.v3_service_status() if service else ev.v3_host_status()
    event: dict[str, Any] = {k: v for k, v in base.items() if k not in ("host_id", "service_id")}
    if draw(st.integers(0, 9)):  # mostly there, sometimes missing
        event["host_id"] = host_id
    if service and draw(st.integers(0, 9)):
        event["service_id"] = service_id
    for field in draw(st.lists(st.sampled_from(STATUS_FIELDS), max_size=4)):  # drops or extra fields
        if draw(st.booleans()) and field in event:
            del event[field]
        else:
            event[field] = draw(VALUES)
    for field in draw(st.lists(st.sampled_from(STATUS_FIELDS), max_size=3)):  # changed values
        event[field] = draw(VALUES)
    return service, event


def run(
    cache: Cache, accelerated: bool, events: list[tuple[bool, dict[str, Any]]], proxy: bool
) -> list[str | None]:
    host, service = handlers(cache, accelerated)
    outcomes = []
    for of_service, event in events:
        handler = service if of_service else host
        try:
            handler(MappingProxyType(event) if proxy else event)
            outcomes.append(None)
        except Exception as error:  # the same error both ways
            outcomes.append(f"{type(error).__name__}: {error}")
    return outcomes


def viewed(cache: Cache) -> Cache:
    """Views built for every known object, so that a status change has one to drop."""
    for host_id in KNOWN_HOSTS:
        cache.host(host_id)
    for host_id, service_id in KNOWN_SERVICES:
        cache.service(host_id, service_id)
    return cache


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.lists(status_events(), min_size=1, max_size=8), proxy=st.booleans())
def test_the_c_handler_leaves_the_cache_as_the_python_one(events, proxy):
    python = viewed(feed(Cache(), *ev.v3_configuration()))
    c = viewed(feed(Cache(), *ev.v3_configuration()))
    assert run(python, False, events, proxy) == run(c, True, events, proxy)
    for kind in ("hosts", "services"):
        assert getattr(c, kind).status == getattr(python, kind).status
        assert getattr(c, kind).views.keys() == getattr(python, kind).views.keys()
        assert getattr(c, kind).views == getattr(python, kind).views


def test_the_cache_uses_it_and_a_changed_status_is_seen():
    cache = viewed(feed(Cache(), *ev.v3_configuration()))
    host_id, service_id = KNOWN_SERVICES[0]
    assert type(cache._status_handler(cache.services, services=True)).__name__ == "StatusCopy"
    feed(cache, ev.v3_service_status(host_id=host_id, service_id=service_id, state=3, last_check=42))
    seen = cache.service(host_id, service_id)
    assert (seen["state"], seen["last_check"]) == (3, 42)


def test_an_objects_event_is_copied_in_c_with_its_acknowledged_field():
    """pb_service and pb_host carry the usual status fields and ``acknowledged`` (the first of the
    rest): the C copy takes them without the Python copy_status, into the same tuple."""
    python, c = feed(Cache(), *ev.v3_configuration()), feed(Cache(), *ev.v3_configuration())
    host_id, service_id = KNOWN_SERVICES[0]
    key = host_id << 32 | service_id
    for cache in (python, c):  # an older status with a later field set
        cache.services.status[key] = (*cache.services.status[key][:-1], "kept")
    copied: list[Any] = []
    services = c.services
    handler = cache_module._SPEEDUPS.StatusCopy(
        services.rows, services.status, services.views, services._usual, services._rest,
        services._no_rest, True, lambda event: copied.append(event),
        lambda key, event: copied.append((key, event)),
    )  # fmt: skip
    event = ev.v3_service_status(host_id=host_id, service_id=service_id, state=2, last_check=77)
    event["acknowledged"] = True
    handler(event)
    _, reference = handlers(python, False)
    reference(event)
    assert copied == [], "handled in C"
    assert services.status[key] == python.services.status[key]
    status = dict(zip(services.status_fields, services.status[key], strict=True))
    assert (status["state"], status["last_check"], status["acknowledged"]) == (2, 77, True)
    assert services.status[key][-1] == "kept"
    fresh = 7 << 32 | 9  # no status yet: the later fields are None
    services.rows[fresh] = python.services.rows[fresh] = services.rows[key]
    event.update(host_id=7, service_id=9)
    handler(event)
    reference(event)
    assert copied == [] and services.status[fresh] == python.services.status[fresh]
    assert services.status[fresh][len(services._usual) + 1 :] == services._no_rest[1:]


def test_it_holds_no_argument_but_the_event():
    cache = Cache()
    host, _ = handlers(cache, True)
    with pytest.raises(TypeError):
        host()
    with pytest.raises(TypeError):
        host({}, {})
    with pytest.raises(TypeError):
        host(event={})
    with pytest.raises(TypeError):
        cache_module._SPEEDUPS.StatusCopy({}, {}, {}, ("state", 1), (), (), True, print, print)
    with pytest.raises(TypeError):  # not initialised: an error, never a crash
        cache_module._SPEEDUPS.StatusCopy.__new__(cache_module._SPEEDUPS.StatusCopy)({})


def test_ci_builds_it_and_the_pure_python_switch_turns_it_off():
    if os.environ.get("CI"):
        assert cache_module._SPEEDUPS is not None
    code = "from centreon_canopsis.core import cache; print(cache._SPEEDUPS is None)"
    env = {**os.environ, accel.PURE_PYTHON_ENV: "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.strip() == "True", done.stderr


# -- first: hookcalls._first in C ------------------------------------------------------------------


class Raised(Exception):
    pass


def answering(name: str, answer: Any) -> Any:
    """A hook implementation: records its call, then answers (or raises)."""

    def function(*args: Any) -> Any:
        log.append((name, args))
        if answer == "raise":
            raise Raised(name)
        return answer

    return function


log: list[tuple[str, tuple[Any, ...]]] = []
ANSWERS = st.sampled_from([None, None, None, True, False, 0, "", "dropped", "raise"])
POSITIONS = st.one_of(
    st.none(), st.integers(-3, 2), st.tuples(), st.lists(st.integers(0, 2), max_size=3).map(tuple)
)


def outcome(loop: Any, calls: list[Any], args: tuple[Any, ...]) -> tuple[Any, list[Any]]:
    log.clear()
    try:
        answer: Any = ("answer", loop(calls, args))
    except Exception as error:
        answer = ("error", type(error).__name__, str(error) if isinstance(error, Raised) else None)
    return answer, list(log)


@settings(max_examples=400, deadline=None)
@given(plan=st.lists(st.tuples(ANSWERS, POSITIONS), max_size=6))
def test_first_answers_and_calls_as_the_python_loop(plan):
    args = ("event", "element", "context")
    calls = [(answering(f"impl{i}", answer), positions) for i, (answer, positions) in enumerate(plan)]
    assert outcome(hookcalls._SPEEDUPS.first, calls, args) == outcome(hookcalls._first, calls, args)
    assert hookcalls.first is hookcalls._SPEEDUPS.first


def test_first_keeps_the_raising_plugins_frame_for_owner_of():
    def plugin_check(event: Any) -> Any:
        raise Raised("bug")

    with pytest.raises(Raised) as raised:
        hookcalls.first([(plugin_check, 0)], ("event",))
    frames = []
    tb = raised.value.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code)
        tb = tb.tb_next
    assert plugin_check.__code__ in frames


def test_first_refuses_what_firstresult_never_builds():
    with pytest.raises(TypeError):
        hookcalls.first(((print, None),), ())  # not a list
    with pytest.raises(TypeError):
        hookcalls.first([(print,)], ())
    with pytest.raises(TypeError):
        hookcalls.first([(print, "0")], ("x",))
    with pytest.raises(TypeError):
        hookcalls.first([(print, ("0",))], ("x",))


def test_neither_leaks_references_nor_memory():
    cache = viewed(feed(Cache(), *ev.v3_configuration()))
    host, service = handlers(cache, True)
    host_id, service_id = KNOWN_SERVICES[0]
    marker = object()
    events = [
        ev.v3_service_status(host_id=host_id, service_id=service_id, state=i % 3, last_check=i)
        for i in range(4)
    ]
    events.append(dict(events[0], acknowledged=marker))  # an object's event: C too
    events.append(dict(events[0], last_time_up=marker))  # the Python path, from C
    events.append(dict(events[0], host_id="x"))  # the general path (raises: not an id)
    calls = [(answering("a", None), 0), (answering("b", None), (0, 1)), (answering("c", marker), None)]

    def rounds(count: int) -> None:
        for i in range(count):
            for event in events:
                with contextlib.suppress(ValueError):
                    service(event)
            host(ev.v3_host_status(host_id=KNOWN_HOSTS[0], last_check=i))
            cache.service(host_id, service_id)  # a view built again after each change
            cache.host(KNOWN_HOSTS[0])
            hookcalls.first(calls, (marker, marker, marker))
            log.clear()

    big = 70_000 << 32 | 80_000  # ids past the small-int cache: each view makes new ints
    row = cache.services.rows[big] = tuple(f"field {n}" for n in range(len(cache.services.stored)))
    first_rounds = rounds

    def rounds(count: int) -> None:  # the views of big ids too
        for _ in range(count):
            cache.services.views.pop(big, None)
            cache.services.view(big)
        first_rounds(count)

    rounds(200)  # warm: tables and views at their size
    before = sys.getrefcount(marker), sys.getrefcount(row)
    tracemalloc.start()
    rounds(4000)
    grown, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (sys.getrefcount(marker), sys.getrefcount(row)) == before
    assert grown < 32 * 1024, grown


# -- View: Objects.view in C ----------------------------------------------------------------------

ROW_VALUES = st.one_of(st.none(), st.integers(-3, 3), st.text(max_size=3), st.booleans(), st.just(((0, 3),)))


@st.composite
def objects_states(draw: st.DrawFn) -> tuple[bool, list[tuple[Any, Any, Any]]]:
    """A kind (services or hosts) and objects: (key, row, status or None), some of odd shapes."""
    services = draw(st.booleans())
    fields = SERVICE_FIELDS[2:] if services else HOST_FIELDS[1:]
    width = len(STATUS_FIELDS)
    objects = []
    for _ in range(draw(st.integers(1, 6))):
        key = draw(
            st.one_of(
                st.integers(0, (1 << 64) - 1) if services else st.integers(0, 1 << 33),
                st.sampled_from([-1, 1 << 64, 15 << 32 | 47] if services else [-1, 1 << 70, 15]),
            )
        )
        row = tuple(draw(ROW_VALUES) for _ in range(draw(st.sampled_from([len(fields), len(fields) - 2, 0]))))
        if draw(st.integers(0, 9)) == 0:
            row = list(row)  # another shape: the Python answers
        status = None
        if draw(st.booleans()):
            status = tuple(draw(st.one_of(st.none(), st.integers(0, 3))) for _ in range(width))
            if draw(st.integers(0, 5)) == 0:
                status = status[: draw(st.integers(0, width))]
            if draw(st.integers(0, 9)) == 0:
                status = list(status)
        objects.append((key, row, status))
    return services, objects


def twin_objects(services: bool, objects: list[tuple[Any, Any, Any]]) -> Any:
    cache = Cache()
    table = cache.services if services else cache.hosts
    for key, row, status in objects:
        table.rows[key] = row
        if status is not None:
            table.status[key] = status
    return table


@settings(max_examples=400, deadline=None)
@given(state=objects_states(), missing=st.integers(0, 1 << 40))
def test_the_c_view_builds_what_the_python_one_builds(state, missing):
    services, objects = state
    c, python = twin_objects(services, objects), twin_objects(services, objects)
    assert type(c.view).__name__ == "View"
    for key in [key for key, _, _ in objects] + [missing]:
        got = outcome_of(c.view, key)
        assert got == outcome_of(python._view, key), key
        if got[0] == "answer" and got[1] is not None:
            assert list(got[1]) == list(python._view(key)), "the same order of fields"
            assert c.view(key) is c.views[key], "kept in the views table"
    assert c.views == python.views


def outcome_of(function: Any, key: Any) -> tuple[str, Any]:
    try:
        return "answer", function(key)
    except Exception as error:
        return "error", type(error).__name__


def test_the_c_view_follows_status_changes_and_clears_a_full_table(monkeypatch):
    cache = viewed(feed(Cache(), *ev.v3_configuration()))
    host_id, service_id = KNOWN_SERVICES[0]
    before = cache.service(host_id, service_id)
    feed(cache, ev.v3_service_status(host_id=host_id, service_id=service_id, state=3, last_check=77))
    after = cache.service(host_id, service_id)
    assert after is not before and (after["state"], after["last_check"]) == (3, 77)
    small = cache_module.Objects(cache_module.HOST_FIELDS, 1, cache_module._HOST_STATUS)
    small.view = cache_module._SPEEDUPS.View(
        small.rows, small.status, small.views, small.stored, small._usual, small._rest, 1, 2, small._view
    )
    for host in range(1, 6):
        small.rows[host] = ("h",) + (None,) * (len(small.stored) - 1)
        assert small.view(host) == {"name": "h", "host_id": host}
        assert len(small.views) <= 2
