"""core/_cache_learn.c learns what the Python handlers it mirrors learn (Cache._host, _service,
_host_member, _service_member, _custom_variable): on a simulated configuration burst (BBDO 2 and
3) and on random events with odd ids, ``enabled`` values, missing fields, tags, names and stored
memberships, the two leave the same cache (rows, shared rows, views, status, memberships, names,
criticality, custom variables, changes to save) and raise the same errors."""

from __future__ import annotations

import collections
import contextlib
import gc
import sys
import tracemalloc
import weakref
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centreon_canopsis.core import cache as cache_module
from centreon_canopsis.core.bbdo.codec import BBDOCodec
from centreon_canopsis.core.cache import Cache
from centreon_canopsis.core.elements import default_registry
from centreon_canopsis.standins.broker import SimulatedBroker, SimulationOptions

pytestmark = pytest.mark.skipif(cache_module._SPEEDUPS is None, reason="the C handlers are not built here")

REGISTRY = default_registry()
LEARNT_IN_C = {
    "host": "_host",
    "pb_host": "_host",
    "service": "_service",
    "pb_service": "_service",
    "host_group_member": "_host_member",
    "pb_host_group_member": "_host_member",
    "service_group_member": "_service_member",
    "pb_service_group_member": "_service_member",
    "custom_variable": "_custom_variable",
    "pb_custom_variable": "_custom_variable",
}


def in_python(cache: Cache) -> Cache:
    """The cache with the Python handlers the C ones mirror (the status copy stays as built)."""
    for name, method in LEARNT_IN_C.items():
        cache._handlers[name] = getattr(cache, method)
    return cache


def state(cache: Cache) -> dict[str, Any]:
    tables = {}
    for kind in ("hosts", "services"):
        objects = getattr(cache, kind)
        tables[kind] = (objects.rows, objects.status, objects.views, objects._shared)
    return {
        **tables,
        "members": (cache.host_members, cache.service_members),
        "names": (cache._names_seen, cache._group_sets),
        "criticality": cache.criticality,
        "custom_vars": cache.custom_vars,
        "dirty": cache._dirty,
    }


def feed(cache: Cache, events: list[tuple[str, dict[str, Any]]]) -> list[str | None]:
    outcomes = []
    for name, event in events:
        try:
            cache._handlers[name](event)
            outcomes.append(None)
        except Exception as error:  # the same error both ways
            outcomes.append(f"{type(error).__name__}: {error}")
    return outcomes


def burst(bbdo: int) -> list[tuple[str, dict[str, Any]]]:
    """A configuration burst as the sources hand it over: decoded from BBDO 3, or from JSON."""
    options = SimulationOptions(events=0, hosts=30, services_per_host=6, bbdo=bbdo)
    codec, events = BBDOCodec(), []
    for event in SimulatedBroker(options).events():
        element = REGISTRY.get(event["category"], event["element"])
        if element is not None and element.name in LEARNT_IN_C:
            decoded = (
                codec.decode(*codec.encode_payload(event)[:2])
                if bbdo == 3
                else orjson.loads(orjson.dumps(event))
            )
            events.append((element.name, decoded))
    return events


@pytest.mark.parametrize("bbdo", [2, 3])
def test_a_configuration_burst_is_learnt_as_the_python_learns_it(bbdo):
    events = burst(bbdo)
    assert {name for name, _ in events} == {
        name for name in LEARNT_IN_C if name.startswith("pb_") == (bbdo == 3)
    }
    python, c = in_python(Cache()), Cache()
    assert feed(python, events) == feed(c, events) == [None] * len(events)
    assert state(c) == state(python)
    assert len(c.services) >= 30 * 6 and any(len(flat) > 2 for flat in c.host_members.values())
    # The same objects shared: one tuple per distinct row, one str per group name.
    assert [id(row) for row in c.services.rows.values()] == [
        id(c.services._shared[row]) for row in c.services.rows.values()
    ]
    display, description = cache_module._DISPLAY, cache_module._DESCRIPTION
    for row in c.services.rows.values():  # the same text kept once
        assert (row[display] is row[description]) == (row[display] == row[description])
    for flat in c.host_members.values():
        assert all(c._names_seen[name] is name for name in flat[1::2])


class Counting(Cache):
    """Counts the events its C handlers hand to the Python ones (by method name)."""

    def __init__(self) -> None:
        self.handed_over: collections.Counter[str] = collections.Counter()
        super().__init__()  # binds the counting methods below into the C handlers


def _counted(method: str) -> Any:
    def handler(self: Counting, event: dict[str, Any]) -> None:
        self.handed_over[method] += 1
        getattr(Cache, method)(self, event)

    return handler


for _method in set(LEARNT_IN_C.values()):
    setattr(Counting, _method, _counted(_method))


def test_a_bbdo3_burst_is_learnt_in_c_but_criticality_levels():
    events = burst(3)
    cache, python = Counting(), in_python(Cache())
    assert feed(cache, events) == feed(python, events) == [None] * len(events)
    levels = sum(1 for name, event in events if event.get("name") == cache_module.CRITICALITY)
    assert levels and cache.handed_over == {"_custom_variable": levels}
    assert state(cache) == state(python)


def test_the_usual_cases_run_in_c():
    cache = Cache()
    for name in LEARNT_IN_C:
        assert type(cache._handlers[name]).__module__ == "centreon_canopsis.core._speedups", name
    # A membership grows in group order, from C, with one str per name.
    steps = {
        (3, "c"): (3, "c"),
        (1, "a"): (1, "a", 3, "c"),
        (2, "b"): (1, "a", 2, "b", 3, "c"),
        (2, "b "): (1, "a", 2, "b ", 3, "c"),
        (1, "A"): (1, "A", 2, "b ", 3, "c"),
        (4, "d"): (1, "A", 2, "b ", 3, "c", 4, "d"),
    }
    for (group_id, group_name), membership in steps.items():
        cache._handlers["pb_host_group_member"](
            {"host_id": 7, "hostgroup_id": group_id, "name": "".join([group_name]), "enabled": True}
        )
        assert cache.host_members[7] == membership
        assert all(cache._names_seen[name] is name for name in membership[1::2])
    assert cache._dirty == {("host_member", 7)}
    # Ids of 0 are not learnt (Broker's "none"), from C or from the Python.
    service = {"enabled": True, **dict.fromkeys(cache_module.SERVICE_FIELDS[2:], "x")}
    for host_id, service_id in ((0, 5), (5, 0), (0, 0)):
        cache._handlers["pb_service"]({**service, "host_id": host_id, "service_id": service_id})
        cache._handlers["pb_host"]({**dict.fromkeys(cache_module.HOST_FIELDS[1:], "x"), "host_id": 0})
        cache._handlers["pb_service_group_member"](
            {"host_id": host_id, "service_id": service_id, "servicegroup_id": 1, "name": "web"}
        )
    assert not cache.services.rows and not cache.hosts.rows and not cache.service_members


IDS = st.sampled_from([1, 2, 1, 2, 1, 2, 3, 0, -1, 1 << 32, 1 << 70, True, None, "2", 2.0])
ENABLED = st.sampled_from(["missing", True, True, True, False, 0, 1, None, "false"])
TAGS = st.sampled_from(
    [None, [], [{"type": 1, "id": 2}], [{"type": 1, "id": 2}, {"type": 3, "id": 4}],
     [{"type": True, "id": 2}], [{"type": 1}], [[1, 2]], [(1, 2)], ({"type": 1, "id": 2},), "x",
     [{"type": 1, "id": 2}, "x"], [{}]]
)  # fmt: skip
TEXT = st.one_of(st.sampled_from(["", "Ping", "Cpu"]), st.none(), st.integers(0, 2), st.just(["unhashable"]))
GROUP_NAMES = st.one_of(
    st.sampled_from(["", "web", "db", "Web"]), st.none(), st.integers(0, 2), st.just("missing")
)


def fields(draw: st.DrawFn, names: list[str], values: st.SearchStrategy[Any]) -> dict[str, Any]:
    whole = draw(st.sampled_from(["all", "all", "all", "some", "none"]))
    if whole == "none":
        return {}
    event = {}
    for name in names:
        if whole == "all" or draw(st.integers(0, 4)):  # or now and then a field left out
            event[name] = draw(values)
    return event


@st.composite
def config_events(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    name = draw(st.sampled_from(sorted(LEARNT_IN_C)))
    event: dict[str, Any] = {"host_id": draw(IDS)}
    if "service" in name or "variable" in name:
        event["service_id"] = draw(IDS)
    enabled = draw(ENABLED)
    if enabled != "missing":
        event["enabled"] = enabled
    if name.endswith(("host", "service")):
        stored = (cache_module.HOST_FIELDS if name.endswith("host") else cache_module.SERVICE_FIELDS)[1:]
        event.update(fields(draw, [f for f in stored if f not in ("service_id", "tags")], TEXT))
        if draw(st.booleans()):  # the display name the same text as the description, another str
            event["display_name"] = "".join(str(event.get("description", "")))
        if draw(st.integers(0, 9)):
            event["tags"] = draw(TAGS)
        event.update(fields(draw, list(cache_module.STATUS_FIELDS), st.integers(0, 2)))
    elif name.endswith("member"):
        event["hostgroup_id" if "host_" in name else "servicegroup_id"] = draw(IDS)
        group_name = draw(GROUP_NAMES)
        if group_name != "missing":
            event["name"] = group_name
        if draw(st.integers(0, 4)) == 0:
            event["group_name"] = draw(GROUP_NAMES)
    else:
        event.update(name=draw(st.sampled_from(["CRITICALITY_LEVEL", "SNMPVERSION", "", None, 3])),
                     value=draw(st.sampled_from(["2", "0", "", None, "x", 3])))  # fmt: skip
    return name, event


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.lists(config_events(), min_size=1, max_size=12), stored=st.booleans(), keep=st.booleans())
def test_the_c_handlers_leave_the_cache_as_the_python_ones(events, stored, keep):
    python, c = in_python(Cache()), Cache()
    for cache in (python, c):
        if stored:  # memberships as a load may leave them, and shared tables due a clean-up
            cache.host_members.update({1: (1, "web", 3, "db"), 2: (2, "x", 1, "y"), 3: ("1", "web"), 0: ()})
            cache.service_members[1 << 32 | 1] = (1, "web", 2, 5)
            cache.services._shared.update((("spare", n), ("spare", n)) for n in range(1100))
            for host_id, service_id in ((1, 1), (2, 3)):  # objects with views, which a change drops
                cache._service({"host_id": host_id, "service_id": service_id, "description": "Ping"})
                cache._host({"host_id": host_id, "name": f"host {host_id}"})
                # A status that an event without status fields leaves as it is (and its view).
                cache._copy_service_status({"host_id": host_id, "service_id": service_id})
                cache._copy_host_status({"host_id": host_id})
                assert cache.service(host_id, service_id) and cache.host(host_id)
        if keep:
            cache.keep_custom_variable = lambda name: name.startswith("SNMP")
    assert feed(c, events) == feed(python, events)
    assert state(c) == state(python)


def test_a_changed_object_drops_its_view_and_a_full_shared_table_is_cleaned():
    service = {
        "host_id": 1,
        "service_id": 2,
        "enabled": True,
        **dict.fromkeys(cache_module.SERVICE_FIELDS[2:], "x"),
    }
    service["tags"] = [{"type": 1, "id": 3}]
    caches = in_python(Cache()), Cache()
    for cache in caches:
        cache._handlers["pb_service"](dict(service, state=0, state_type=1))  # via the status copy's Python
        assert cache.service(1, 2)["notes"] == "x" and (1 << 32 | 2) in cache.services.views
        cache.services._shared.update((("spare", n), ("spare", n)) for n in range(1100))
        cache._handlers["pb_service"](dict(service, notes="y"))  # no status field: the status stays
        assert (1 << 32 | 2) not in cache.services.views and cache.service(1, 2)["notes"] == "y"
        # Cleaned (the rows then, and this one): the spare entries are gone.
        assert len(cache.services._shared) == 2 and cache.services.rows[1 << 32 | 2] in cache.services._shared
    assert state(caches[0]) == state(caches[1])


def test_an_unhashable_field_fails_alike_and_changes_nothing():
    event = {
        "host_id": 5,
        "service_id": 6,
        "enabled": True,
        **dict.fromkeys(cache_module.SERVICE_FIELDS[2:], "x"),
    }
    event["notes"] = ["a list"]
    python, c = in_python(Cache()), Cache()
    assert feed(c, [("pb_service", event)]) == feed(python, [("pb_service", event)])
    assert feed(c, [("pb_service", event)])[0].startswith("TypeError: unhashable")
    assert state(c) == state(python) and not c.services.rows


def test_it_holds_no_argument_but_the_event():
    handler = Cache()._handlers["pb_service"]
    with pytest.raises(TypeError, match="the event alone"):
        handler({}, {})
    for name in ("ObjectRow", "Member", "Variable"):
        kind = getattr(cache_module._SPEEDUPS, name)
        with pytest.raises(TypeError, match="was not initialised"):
            kind.__new__(kind)({})
    with pytest.raises(TypeError):
        cache_module._SPEEDUPS.ObjectRow(
            {}, {}, {}, ("a",), 1, -1, -1, True, set(), "host", print, print, print
        )
    for name in ("ObjectRow", "Member", "Variable"):  # a TypeError, not a SystemError
        with pytest.raises(TypeError, match="positional arguments only"):
            getattr(cache_module._SPEEDUPS, name)(cache=None)


def test_a_dropped_cache_is_collected_despite_its_handlers_cycle():
    cache = Cache()  # its table holds C handlers that hold its methods, which hold it
    gone = weakref.ref(cache)
    del cache
    gc.collect()
    assert gone() is None


def test_neither_leaks_references_nor_memory():
    cache = Cache()
    marker = "".join(["shared", "-text"])
    events = burst(3)[:400]
    odd = [
        ("pb_service", {**events[0][1], "enabled": 0}),  # the Python's, from C
        ("pb_host_group_member", {"host_id": 9, "hostgroup_id": 4, "name": marker}),
        ("pb_host_group_member", {"host_id": 9, "hostgroup_id": 2, "name": marker}),
        ("pb_host_group_member", {"host_id": 9, "hostgroup_id": 4, "name": "other"}),
        ("pb_custom_variable", {"host_id": 9, "service_id": 1, "name": marker, "value": "1"}),
        ("pb_service", {**events[0][1], "notes": ["unhashable"]}),
    ]

    def rounds(count: int) -> None:
        for index in range(count):
            for name, event in events + odd:
                with contextlib.suppress(TypeError):
                    cache._handlers[name](event)
            cache.host_members.pop(9, None)
            cache.services.views.clear()
            cache._dirty.clear()
            if index % 2:  # every row changes: new rows stored and shared
                cache.services.rows.clear()

    rounds(20)
    before = sys.getrefcount(marker)
    tracemalloc.start()
    rounds(200)
    grown, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert sys.getrefcount(marker) == before
    assert grown < 64 * 1024, grown
