"""The pytest plugin shipped for plugin authors, used the way a third-party test suite would."""

from __future__ import annotations

pytest_plugins = ["pytester"]

PLUGIN_TEST = '''
from centreon_canopsis.core.hookspecs import hookimpl


class OnlyLyon:
    """A customer filter: only the Lyon site goes to this Canopsis."""

    @hookimpl
    def connector_accept(self, event, element, context):
        host = context.cache.host(event.get("host_id"))
        if host and not host["name"].startswith("lyo-"):
            return "only_lyon"
        return None


def test_events_reach_the_sandbox(connector, canopsis_sandbox, simulated_broker):
    harness = connector(plugins=[OnlyLyon()], hard_only=0, enable_service_status_dedup=0)
    harness.send(simulated_broker(seed=2, hosts=6, services_per_host=2, events=600).events())
    components = {event["component"] for event in canopsis_sandbox.published_events()}
    assert components and all(name.startswith("lyo-") for name in components)
    assert harness.dropped("only_lyon") > 0
    assert harness.dead_letters() == []


def test_another_canopsis_version(make_canopsis_sandbox):
    sandbox = make_canopsis_sandbox(canopsis_version="22.10")
    assert sandbox.version.startswith("22.10")
'''


def test_fixtures_work_in_a_third_party_suite(pytester):
    pytester.makepyfile(test_acme=PLUGIN_TEST)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
