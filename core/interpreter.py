"""How the daemon's processes set up the Python interpreter they run in.

Thread hand-overs. The daemon's threads (Broker sessions, the pipeline, the senders) take turns on
one interpreter. Python asks a running thread to hand it over every ``sys.getswitchinterval()``
seconds (5 ms by default) when another one waits; each hand-over costs the cache and the
interpreter's state. Under load the threads here all have work, so they hand over less often:
measured with ``benchmarks/bbdo_pipeline.py`` (one process, BBDO 3), 20 ms gave 1.25-1.29x the
events/s and 20 % less CPU per event than 5 ms, in the same invocation. A thread waiting for the
interpreter waits at most that long: a lone event does not wait at all (nothing else runs), its
p99 stays about 5 ms.

Garbage collection. Python's cycle collector runs its youngest generation every 700 allocations
of container objects (dicts, lists, tuples) and, every so often, walks every object alive. Each
event here allocates a few dicts, and the name cache holds about a million objects at 500k
services, so the default spent about a sixth of a configuration burst's CPU walking objects that are
never garbage: what the connector allocates per event is freed by reference counting, cycles are
rare (an exception's traceback). Collecting the youngest generation every 50 000 allocations
instead keeps a bound on cyclic garbage (a few MB at most). Measured on a configuration burst run
in-process (``benchmarks/cache_scale.py``'s burst phase, 20 000 hosts, three alternations):
54 000 -> 64 500 events/s on average; on the realistic mix no difference could be measured
(docs/delivery.md, "Sixth round").
"""

from __future__ import annotations

import gc
import sys
from dataclasses import dataclass

#: Seconds a thread keeps the interpreter while others wait (Python's default: 0.005).
SWITCH_INTERVAL = 0.02
#: gc.set_threshold(): container allocations between young collections, then how many
#: collections of each generation before the next one is collected (Python's: 700, 10, 10).
GC_THRESHOLDS = (50_000, 20, 100)


@dataclass(frozen=True)
class Previous:
    """The interpreter's settings before :func:`tune`, for :func:`restore`."""

    switch_interval: float
    gc_thresholds: tuple[int, int, int]


def tune() -> Previous:
    """Called at the start of the daemon and of each of its helper processes; returns what it
    replaced (``run`` called in a test process puts it back with :func:`restore`)."""
    previous = Previous(sys.getswitchinterval(), gc.get_threshold())
    sys.setswitchinterval(SWITCH_INTERVAL)
    gc.set_threshold(*GC_THRESHOLDS)
    return previous


def restore(previous: Previous) -> None:
    sys.setswitchinterval(previous.switch_interval)
    gc.set_threshold(*previous.gc_thresholds)
