"""A faithful stand-in of the Canopsis HTTP API v4 (22.10 to 24.10) for tests, demos and dry runs.

See docs/sandbox.md. The public entry point is :class:`Sandbox`.
"""

from centreon_canopsis.standins.canopsis.auth import ALL_PERMISSIONS, PRODUCER_PERMISSIONS, User
from centreon_canopsis.standins.canopsis.facade import Sandbox
from centreon_canopsis.standins.canopsis.faults import Fault
from centreon_canopsis.standins.canopsis.versions import SUPPORTED_LINES, parse_version

__all__ = [
    "ALL_PERMISSIONS",
    "PRODUCER_PERMISSIONS",
    "SUPPORTED_LINES",
    "Fault",
    "Sandbox",
    "User",
    "parse_version",
]
