"""What is running: the connector's version and the versions of the parts that shape its behaviour."""

from __future__ import annotations

import os
import platform
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec

DISTRIBUTION = "centreon-canopsis-connector"


def _version_of(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"


@cache
def build_info() -> dict[str, str]:
    """Labels of the ``build_info`` metric, and what ``version`` prints."""
    return {
        "version": _version_of(DISTRIBUTION),
        "python": platform.python_version(),
        "pluggy": _version_of("pluggy"),
        "protobuf": _version_of("protobuf"),
        "bbdo3_decoder": bbdo3_decoder(),
    }


def bbdo3_decoder() -> str:
    """``c`` when core/bbdo/_pbflat.c was compiled at install and is not switched off, else
    ``python`` (found without importing it: the JSON-lines path never loads protobuf)."""
    # the same switch as core.bbdo.pb.PURE_PYTHON_ENV (pb imports protobuf)
    if os.environ.get("CENTREON_CANOPSIS_PURE_PYTHON"):
        return "python"
    try:
        found = find_spec("centreon_canopsis.core.bbdo._pbflat") is not None
    except (ImportError, ValueError):
        found = False
    return "c" if found else "python"


def version_line() -> str:
    info = build_info()
    return (
        f"centreon-canopsis {info['version']} (Python {info['python']}, pluggy {info['pluggy']}, "
        f"protobuf {info['protobuf']}, BBDO 3 decoder {info['bbdo3_decoder']})"
    )
