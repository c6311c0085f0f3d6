"""The optional C accelerators: ``_pbflat.c`` (BBDO 3 payloads into event dicts), ``_framing.c``
(the usual packets of a stream into events) and ``core/_speedups.c`` (the pipeline thread's
per-event work on every source's path: the name cache's status copy and views, the hook loop,
the builtin filters' usual checks). setup.py compiles them where a C compiler and Python's
headers are found; without them, the pure-Python code they mirror runs,
with the same results (docs/bbdo-source.md, section 8). This module imports neither protobuf nor
the accelerators: ``build_info`` reads it on the JSON-lines path too."""

from __future__ import annotations

import importlib
import os
from importlib.util import find_spec
from types import ModuleType

#: Set (to anything) to run the pure-Python code only, for a comparison or a diagnosis.
PURE_PYTHON_ENV = "CENTREON_CANOPSIS_PURE_PYTHON"
PBFLAT, FRAMING = "centreon_canopsis.core.bbdo._pbflat", "centreon_canopsis.core.bbdo._framing"
SPEEDUPS = "centreon_canopsis.core._speedups"
MODULES = (PBFLAT, FRAMING, SPEEDUPS)


def switched_off() -> bool:
    return bool(os.environ.get(PURE_PYTHON_ENV))


def load(module: str) -> ModuleType | None:
    """One of MODULES, imported; None when it was not compiled or is switched off (the caller
    then runs the Python code it mirrors)."""
    if switched_off():
        return None
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def name() -> str:
    """``c`` when every accelerator was compiled and none is switched off, else ``python``."""
    if switched_off():
        return "python"
    try:
        found = all(find_spec(module) is not None for module in MODULES)
    except (ImportError, ValueError):
        found = False
    return "c" if found else "python"
