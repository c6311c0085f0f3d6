"""What is running: the connector's version and the versions of the parts that shape its behaviour."""

from __future__ import annotations

import platform
from functools import cache
from importlib.metadata import PackageNotFoundError, version

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
        "accelerator": accelerator(),
    }


def accelerator() -> str:
    """``c`` when the BBDO path's C accelerators run, else ``python`` (core/bbdo/accel.py)."""
    from centreon_canopsis.core.bbdo import accel  # imports neither protobuf nor the accelerators

    return accel.name()


def version_line() -> str:
    info = build_info()
    return (
        f"centreon-canopsis {info['version']} (Python {info['python']}, pluggy {info['pluggy']}, "
        f"protobuf {info['protobuf']}, accelerator {info['accelerator']})"
    )
