"""The dispatcher's direct calls give exactly pluggy's answers, in pluggy's order."""

from __future__ import annotations

from centreon_canopsis.core.hookcalls import FirstResult
from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.core.plugin_manager import PluginManager


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
