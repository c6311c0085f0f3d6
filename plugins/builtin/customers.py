"""The builtin customer selector: answers ``connector_customer`` from the ``[[customers]]`` tables.

A table's selector keys must all match; the first table that matches, in file order, wins.
``pollers``: the name of the poller monitoring the host; ``hostgroups`` / ``servicegroups``: one
of the object's groups (service groups: service events only); ``hosts``: one of the Lua
patterns (as ``accepted_hosts``) matches the host name; ``bvs``: one of the BA's business views
(BA events only). A table without selector keys is chosen only by a plugin. The answer is
``""`` when no table matches. ``trylast``: a plugin (a CMDB look-up) may answer first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from centreon_canopsis.core.config import ConfigError
from centreon_canopsis.core.events import is_service_event
from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.plugins.builtin.filters.base import host_name, poller_name
from centreon_canopsis.plugins.builtin.filters.lua_patterns import LuaPatternError, compile_patterns

Event = dict[str, Any]
Test = Callable[[Event], bool]


def _tests(selector: dict[str, list[str]], cache: Any, errors: list[str], label: str) -> list[Test]:
    tests: list[Test] = []
    if "bvs" in selector:
        views = frozenset(selector["bvs"])
        tests.append(lambda event: "ba_id" in event and not views.isdisjoint(cache.bv_names(event["ba_id"])))
        return tests
    tests.append(lambda event: event.get("host_id") is not None)
    if "pollers" in selector:
        pollers = frozenset(selector["pollers"])
        tests.append(lambda event: poller_name(cache, event) in pollers)
    if "hostgroups" in selector:
        hostgroups = frozenset(selector["hostgroups"])
        tests.append(lambda event: not hostgroups.isdisjoint(cache.hostgroup_names(event.get("host_id"))))
    if "servicegroups" in selector:
        servicegroups = frozenset(selector["servicegroups"])
        tests.append(
            lambda event: (
                is_service_event(event)
                and not servicegroups.isdisjoint(
                    cache.servicegroup_names(event.get("host_id"), event.get("service_id"))
                )
            )
        )
    if "hosts" in selector:
        try:
            patterns = compile_patterns(selector["hosts"])
        except LuaPatternError as error:
            errors.append(f"{label}: hosts: {error}")
        else:
            tests.append(lambda event: patterns.matches(host_name(cache, event)))
    return tests


class CustomerSelector:
    _rules: list[tuple[str, list[Test]]]

    @hookimpl
    def connector_configure(self, config, context) -> None:
        errors: list[str] = []
        self._rules = []
        for index, customer in enumerate(config.get("customers") or ()):
            selector = customer["selector"]
            if not selector:
                continue
            label = f"customers[{index}] ({customer['name']})"
            self._rules.append((customer["name"], _tests(selector, context.cache, errors, label)))
        if errors:
            raise ConfigError(errors, config.path)

    @hookimpl(trylast=True)
    def connector_customer(self, event: Event, element, context) -> str | None:
        for name, tests in self._rules:
            for test in tests:
                if not test(event):
                    break
            else:
                return name
        return ""
