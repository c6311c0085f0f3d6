"""A simulated Centreon Broker: seeded, realistic, self-consistent event streams.

>>> broker = SimulatedBroker(seed=1, hosts=20, services_per_host=5, pollers=2, events=10_000)
>>> for event in broker.events():
...     ...
>>> truth = broker.truth()  # what the stream implies, per host, service and BA

``check_stream(events)`` lists what is wrong with a stream (shapes, references, time, soft/hard
logic, acknowledgement and downtime lifecycles); ``truth_from_stream(events)`` rebuilds the
ground truth from the events alone. See docs/simulator.md.
"""

from centreon_canopsis.standins.broker.broker import SimulatedBroker, SimulationOptions
from centreon_canopsis.standins.broker.truth import BaTruth, GroundTruth, ObjectTruth
from centreon_canopsis.standins.broker.validator import StreamChecker, check_stream, truth_from_stream
from centreon_canopsis.standins.broker.versions import BROKER_VERSIONS, Forms, forms_for

__all__ = [
    "BROKER_VERSIONS",
    "BaTruth",
    "Forms",
    "GroundTruth",
    "ObjectTruth",
    "SimulatedBroker",
    "SimulationOptions",
    "StreamChecker",
    "check_stream",
    "forms_for",
    "truth_from_stream",
]
