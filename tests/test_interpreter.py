"""The interpreter settings of the daemon's processes (core/interpreter.py)."""

from __future__ import annotations

import gc
import subprocess
import sys

from centreon_canopsis.core import interpreter


def test_tune_sets_both_and_restore_puts_back_what_was_there() -> None:
    before = (sys.getswitchinterval(), gc.get_threshold())
    previous = interpreter.tune()
    try:
        assert sys.getswitchinterval() == interpreter.SWITCH_INTERVAL
        assert gc.get_threshold() == interpreter.GC_THRESHOLDS
        assert (previous.switch_interval, previous.gc_thresholds) == before
    finally:
        interpreter.restore(previous)
    assert (sys.getswitchinterval(), gc.get_threshold()) == before


def test_young_collections_are_rarer_yet_cycles_are_still_collected() -> None:
    # A fresh interpreter: the thresholds are process-wide, and a cycle must still go away without
    # anybody calling gc.collect() once enough containers were allocated after it.
    code = """
import gc, weakref
from centreon_canopsis.core import interpreter
interpreter.tune()
class Node: pass
node = Node(); node.me = node; ref = weakref.ref(node); del node
gc.collect()  # start from empty generations
cycle = Node(); cycle.me = cycle; ref = weakref.ref(cycle); del cycle
kept = [{} for _ in range(interpreter.GC_THRESHOLDS[0] // 2)]
print("alive after half" if ref() is not None else "gone after half")
kept += [{} for _ in range(interpreter.GC_THRESHOLDS[0])]
print("alive after all" if ref() is not None else "gone after all")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:2] == ["alive after half", "gone after all"]
