"""A simulated Broker stream (several pollers, Engine reloads, every downtime fate) through the
connector into the sandbox: Canopsis ends up with one pbehavior per running downtime, and a
replay of the same stream changes nothing."""

from __future__ import annotations

import collections

import pytest

from centreon_canopsis.plugins.builtin.downtime.lifecycle import Step, classify
from centreon_canopsis.standins.broker import SimulatedBroker
from tests.downtime.helpers import Connector, sandbox

OPTIONS = {
    "seed": 11,
    "hosts": 10,
    "services_per_host": 3,
    "pollers": 3,
    "bas": 0,
    "events": 4000,
    "start": 1_700_000_000,
    "problem_rate": 0.02,
    "downtime_rate": 0.02,
    "reload_interval": 3600,
}


def running_downtimes(broker: SimulatedBroker) -> set[tuple[int, int, int, int]]:
    """(poller, downtime id, host id, service id) of every downtime started and not ended."""
    truth = broker.truth()
    removed = set(truth.removed_services)
    found = set()
    for (host_id, service_id), obj in truth.services.items():
        if (host_id, service_id) not in removed:
            found |= {(obj.poller_id, d, host_id, service_id) for d in obj.downtimes}
    for host_id, obj in truth.hosts.items():
        found |= {(obj.poller_id, d, host_id, 0) for d in obj.downtimes}
    return found


def parsed(pbehavior_id: str) -> tuple[int, int, int, int]:
    poller, downtime, host, service, _entry = pbehavior_id.removeprefix("centreon-downtime-").split("-")
    return int(poller), int(downtime), int(host), int(service)


@pytest.mark.parametrize("bbdo", [2, 3])
def test_canopsis_holds_the_running_downtimes(tmp_path, bbdo):
    broker = SimulatedBroker(**OPTIONS, bbdo=bbdo)
    events = list(broker.events())
    expected = running_downtimes(broker)
    steps = [classify(e) for e in events if e["category"] == 1 and e["element"] in (5, 36)]
    starts, ends = steps.count(Step.START), steps.count(Step.END)
    assert len(expected) >= 2 and starts == ends + len(expected)  # some ended, some run on
    with sandbox() as box:
        for run in ("first", "replay"):
            with Connector(tmp_path / run, box.port) as connector:
                connector.feed(events)
                assert connector.drain(30)
                assert connector.dead_letters() == []
            pbehaviors = box.pbehaviors()
            assert {parsed(p["_id"]) for p in pbehaviors} == expected, run
            assert len(pbehaviors) == len(expected)
            for pbehavior in pbehaviors:
                assert len(pbehavior["comments"]) == 1, run
        calls = collections.Counter(
            (r["method"], r["path"], r["status"]) for r in box.requests() if r["path"] == "/api/v4/pbehaviors"
        )
    # The replay re-creates only what had ended (and deletes it again); running ones are duplicates.
    assert calls[("POST", "/api/v4/pbehaviors", 400)] == len(expected)
    assert calls[("DELETE", "/api/v4/pbehaviors", 204)] == 2 * ends
