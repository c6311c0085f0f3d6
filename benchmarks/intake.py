"""Cost of the entry check (core/intake.py) per event, against the envelope check alone.

Usage: ``python benchmarks/intake.py [--events 1000000]``

Times ``Intake.admit`` (envelope, ids, names) and ``check_event`` (envelope only, what the
pipeline did before) on the same BBDO 3 service status, the most frequent event, and on a host
configuration event (names checked too). Prints nanoseconds per event and events per second.
"""

from __future__ import annotations

import argparse
import time

from centreon_canopsis.core.elements import default_registry
from centreon_canopsis.core.events import check_event
from centreon_canopsis.core.intake import Intake


def event(category: int, element: int, **fields: object) -> dict[str, object]:
    return {"_type": category << 16 | element, "category": category, "element": element, **fields}


SERVICE_STATUS = event(
    1, 29, host_id=15, service_id=47, state=2, state_type=1, last_check=1_700_000_200,
    output="CRITICAL - loss 100%", long_output="", perfdata="pl=100%", scheduled_downtime_depth=0,
)  # fmt: skip
HOST = event(
    1, 30, host_id=15, name="srv-web-01", alias="web", address="10.0.0.15", instance_id=1, enabled=True
)


def per_event(function, item: dict, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        function(item)
    return (time.perf_counter() - started) / count * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    admit = Intake(default_registry()).admit
    for name, item in (("service_status", SERVICE_STATUS), ("host", HOST)):
        before = per_event(check_event, dict(item), args.events)
        after = per_event(admit, dict(item), args.events)
        print(
            f"{name:<15} check_event {before:6.0f} ns/event ({1e9 / before:,.0f}/s)   "
            f"Intake.admit {after:6.0f} ns/event ({1e9 / after:,.0f}/s)   added {after - before:+.0f} ns"
        )


if __name__ == "__main__":
    main()
