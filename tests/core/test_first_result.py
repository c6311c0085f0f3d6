"""The dispatcher's direct calls give exactly pluggy's answers, in pluggy's order."""

from __future__ import annotations

from centreon_canopsis.core.hookcalls import FirstResult
from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.core.plugin_manager import PluginManager
from centreon_canopsis.plugins.builtin.filters.base import KindChecks


def make(*plugins):
    manager = PluginManager()
    for index, plugin in enumerate(plugins):
        manager.register(plugin, name=f"p{index}")
    return manager


def answer(value, **marks):
    def connector_accept(self, event, element, context):
        return value

    return type("Answer", (), {"connector_accept": hookimpl(**marks)(connector_accept)})()


class ReversedArgs:
    @hookimpl
    def connector_accept(self, context, event):  # a subset, in another order
        return f"{event['x']}-{context}"


def test_same_order_and_answer_as_pluggy():
    manager = make(
        answer(None),
        answer("second"),
        answer("first"),
        answer("last", trylast=True),
        answer("tryfirst", tryfirst=True),
    )
    fast = FirstResult(manager.hook.connector_accept, manager)
    assert (
        fast({}, None, None)
        == manager.hook.connector_accept(event={}, element=None, context=None)
        == "tryfirst"
    )


def test_argument_subsets_in_any_order():
    manager = make(ReversedArgs())
    fast = FirstResult(manager.hook.connector_accept, manager)
    assert fast({"x": 1}, "element", "ctx") == "1-ctx"


def test_plugins_registered_later_are_seen():
    manager = make(answer(None))
    fast = FirstResult(manager.hook.connector_accept, manager)
    assert fast({}, None, None) is None
    manager.register(answer("late"), name="late")
    assert fast({}, None, None) == "late"
    manager.unregister(name="late")
    assert fast({}, None, None) is None


def test_monitoring_and_wrappers_go_through_pluggy():
    seen = []

    class Wrapper:
        @hookimpl(wrapper=True)
        def connector_accept(self, event, element, context):
            result = yield
            seen.append(result)
            return result

    manager = make(answer("x"), Wrapper())
    assert FirstResult(manager.hook.connector_accept, manager)({}, None, None) == "x"
    assert seen == ["x"], "the wrapper ran"
    calls = []
    manager = make(answer("y"))
    fast = FirstResult(manager.hook.connector_accept, manager)
    undo = manager.add_hookcall_monitoring(lambda name, impls, kwargs: calls.append(name), lambda *a: None)
    assert fast({}, None, None) == "y"
    undo()
    assert calls == ["connector_accept"], "monitoring saw the call"


def test_direct_calls_without_monitoring_and_back_after_it():
    manager = make(answer("y"))
    fast = FirstResult(manager.hook.connector_accept, manager)
    assert fast({}, None, None) == "y"
    assert fast.calls is not None, "direct calls"
    calls = []
    undo = manager.add_hookcall_monitoring(lambda name, impls, kwargs: calls.append(name), lambda *a: None)
    assert fast({}, None, None) == "y"
    assert fast.calls is None, "through pluggy while monitored"
    undo()
    undo()  # twice: counted once
    assert fast({}, None, None) == "y"
    assert fast.calls is not None and calls == ["connector_accept"]


def test_monitoring_sees_every_call_by_kind_until_it_ends():
    """for_kind too: monitoring started after the lists were built sees each call while it runs
    (held only by the generation: _resolve keeps none while monitored)."""
    manager = make(answer("y"))
    fast = FirstResult(manager.hook.connector_accept, manager)
    assert fast.for_kind("host_status", {}, None, None) == "y"
    calls = []
    undo = manager.add_hookcall_monitoring(lambda name, impls, kwargs: calls.append(name), lambda *a: None)
    for _ in range(3):
        assert fast.for_kind("host_status", {}, None, None) == "y"
    undo()
    assert fast.for_kind("host_status", {}, None, None) == "y"
    assert calls == ["connector_accept"] * 3


def test_a_plain_pluggy_manager_is_always_called_through_pluggy():
    import pluggy

    from centreon_canopsis.core import hookspecs

    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    manager.register(answer("z"), name="z")
    fast = FirstResult(manager.hook.connector_accept, manager)
    assert fast({}, None, None) == "z" and fast.calls is None


class Kinds:
    accept_kinds = ("downtime",)

    def __init__(self):
        self.seen = []

    @hookimpl
    def connector_accept(self, event, element, context):
        self.seen.append(event["n"])
        return "refused"


def test_accept_kinds_limits_the_calls_to_the_declared_kinds():
    narrow = Kinds()
    manager = make(answer(None), narrow)
    fast = FirstResult(manager.hook.connector_accept, manager)
    assert fast.for_kind("service_status", {"n": 1}, None, None) is None
    assert fast.for_kind("downtime", {"n": 2}, None, None) == "refused"
    assert fast({"n": 3}, None, None) == "refused", "a plain call asks every implementation"
    assert narrow.seen == [2, 3]
    late = Kinds()
    late.accept_kinds = ("service_status",)
    manager.register(late, name="late")
    assert fast.for_kind("service_status", {"n": 4}, None, None) == "refused", "registrations are seen"
    assert late.seen == [4]


def test_builtin_filters_declare_only_their_active_kinds(tmp_path):
    from centreon_canopsis.core.pipeline import build_context
    from tests.support.config import make_config

    context = build_context(make_config(tmp_path))
    kinds = {
        name: set(getattr(info.plugin, "accept_kinds", ()) or ())
        for name, info in context.plugins.infos.items()
        if info.plugin is not None and hasattr(info.plugin, "accept_kinds")
    }
    assert kinds["downtime"] == {"downtime"}
    assert kinds["authors"] == set(), "no author list configured: never called"


class Table(KindChecks):
    """A builtin-style filter: its checks by kind, ``connector_accept`` from KindChecks."""

    def __init__(self, checks):
        self._checks = checks


class Overriding(Table):
    @hookimpl
    def connector_accept(self, event, element, context):
        return "the override"


def test_accept_checks_are_called_directly_and_only_for_their_kinds():
    seen = []

    def downtime_check(event):
        seen.append(event["n"])
        return "dt" if event["n"] > 1 else None

    manager = make(answer(None), Table({"downtime": downtime_check}))
    fast = FirstResult(manager.hook.connector_accept, manager)
    assert fast.for_kind("downtime", {"n": 1}, None, None) is None
    assert fast.for_kind("downtime", {"n": 2}, None, None) == "dt"
    assert fast.for_kind("service_status", {"n": 3}, None, None) is None
    assert seen == [1, 2], "called with the event alone, and not for a kind it does not check"
    first, _ = fast.by_kind["downtime"][0]
    assert first is downtime_check, "the check itself, not connector_accept around it"


def test_a_subclass_that_overrides_connector_accept_is_not_bypassed():
    element = type("Element", (), {"kind": "downtime"})()
    manager = make(Overriding({"downtime": lambda event: None}))
    fast = FirstResult(manager.hook.connector_accept, manager)
    assert fast.for_kind("downtime", {}, element, None) == "the override"
    assert fast.for_kind("host_status", {}, element, None) is None, "accept_kinds still narrows"


class Misdeclared:
    """accept_checks that is not a mapping of kinds to functions: a plugin author's mistake."""

    def __init__(self, checks):
        self.accept_checks = checks

    @hookimpl
    def connector_accept(self, event, element, context):
        return "from connector_accept"


def test_misdeclared_accept_checks_fall_back_to_connector_accept_with_a_warning(caplog):
    for checks in (["not", "a", "mapping"], {"downtime": "not a function"}):
        manager = make(Misdeclared(checks))
        fast = FirstResult(manager.hook.connector_accept, manager)
        caplog.clear()
        assert fast.for_kind("downtime", {}, None, None) == "from connector_accept"
        assert fast.for_kind("downtime", {}, None, None) == "from connector_accept"
        warnings = [r.getMessage() for r in caplog.records if "accept_checks" in r.getMessage()]
        assert len(warnings) == 1, warnings  # once per kind, not per event
        assert "p0" in warnings[0] and "calling its connector_accept instead" in warnings[0]
