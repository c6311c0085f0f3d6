"""How the daemon's processes set up the Python interpreter they run in.

The daemon's threads (Broker sessions, the pipeline, the senders) take turns on one interpreter.
Python asks a running thread to hand it over every ``sys.getswitchinterval()`` seconds (5 ms by
default) when another one waits; each hand-over costs the cache and the interpreter's state. Under
load the threads here all have work, so they hand over less often: measured with
``benchmarks/bbdo_pipeline.py`` (one process, BBDO 3), 20 ms gave 1.25-1.29x the events/s and
20 % less CPU per event than 5 ms, in the same invocation. A thread waiting for the interpreter
waits at most that long: a lone event does not wait at all (nothing else runs), its p99 stays
about 5 ms.
"""

from __future__ import annotations

import sys

#: Seconds a thread keeps the interpreter while others wait (Python's default: 0.005).
SWITCH_INTERVAL = 0.02


def tune() -> float:
    """Called at the start of the daemon and of each of its helper processes; returns the previous
    interval (``run`` called in a test process puts it back)."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    return previous
