"""The same options give the same bytes; the seed and the clock matter."""

from __future__ import annotations

import orjson

from centreon_canopsis.standins.broker import SimulatedBroker, SimulationOptions

OPTIONS = {"seed": 11, "hosts": 8, "services_per_host": 3, "events": 2000, "start": 1_700_000_000}


def dump(broker: SimulatedBroker) -> bytes:
    return b"".join(orjson.dumps(e) + b"\n" for e in broker.events())


def test_same_seed_gives_identical_bytes() -> None:
    first = dump(SimulatedBroker(**OPTIONS))
    second = dump(SimulatedBroker(SimulationOptions(**OPTIONS)))
    assert first == second
    assert first.count(b"\n") > 2000


def test_a_broker_replays_its_stream_and_truth() -> None:
    broker = SimulatedBroker(**OPTIONS)
    first, truth = dump(broker), broker.truth()
    assert dump(broker) == first
    assert broker.truth() == truth


def test_a_different_seed_gives_a_different_stream() -> None:
    first = dump(SimulatedBroker(**OPTIONS))
    other = dump(SimulatedBroker(**{**OPTIONS, "seed": 12}))
    assert first != other


def test_a_shorter_stream_is_a_prefix_of_a_longer_one() -> None:
    short = dump(SimulatedBroker(**{**OPTIONS, "events": 500}))
    long = dump(SimulatedBroker(**OPTIONS))
    assert long.startswith(short)


def test_start_fixes_the_clock() -> None:
    events = list(SimulatedBroker(**{**OPTIONS, "start": 1_234_567_890}).events())
    assert events[0]["element"] == 44
    assert events[0]["start_time"] == 1_234_567_890
    first_check = next(e for e in events if e["element"] in (29, 32))
    assert 1_234_567_890 < first_check["last_check"] <= 1_234_567_890 + 600


def test_another_start_shifts_the_same_story() -> None:
    # The demo relies on it: it measures a stream's span, then replays it to end now.
    first = SimulatedBroker(**{**OPTIONS, "start": 1_234_567_890})
    events = list(first.events())
    second = SimulatedBroker(**{**OPTIONS, "start": 1_234_567_990})
    shifted = list(second.events())
    assert len(shifted) == len(events)
    assert [(e["_type"], e.get("host_id"), e.get("state")) for e in shifted] == [
        (e["_type"], e.get("host_id"), e.get("state")) for e in events
    ]
    before, after = first.truth(), second.truth()
    assert after.time - before.time == 100
    for key, service in before.services.items():
        moved = after.services[key]
        assert moved.last_check - service.last_check == (100 if service.last_check else 0)
        assert (moved.state, moved.acknowledged, len(moved.downtimes)) == (
            service.state,
            service.acknowledged,
            len(service.downtimes),
        )
