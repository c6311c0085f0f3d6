"""Decode speed of the BBDO codec: events per second for a BBDO 2 service_status and a BBDO 3
ServiceStatus (payload -> event dict), and for the whole read path (bytes -> reassembler ->
event dicts).

Run: ``python benchmarks/bbdo_decode.py [--seconds 2]``. Numbers only; nothing asserts on them.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from centreon_canopsis.core.bbdo import BBDOCodec, Reassembler

SERVICE_STATUS = {
    "category": 1,
    "element": 24,
    "acknowledged": False,
    "active_checks": True,
    "check_interval": 5.0,
    "check_period": "24x7",
    "check_type": 0,
    "check_attempt": 1,
    "state": 2,
    "enabled": True,
    "execution_time": 0.012,
    "checked": True,
    "host_id": 1234,
    "last_check": 1_700_000_000,
    "last_hard_state": 2,
    "last_hard_state_change": 1_699_999_000,
    "last_state_change": 1_699_999_000,
    "last_time_critical": 1_700_000_000,
    "last_time_ok": 1_699_998_000,
    "last_update": 1_700_000_001,
    "latency": 0.2,
    "max_check_attempts": 3,
    "next_check": 1_700_000_300,
    "notify": True,
    "passive_checks": True,
    "percent_state_change": 0.0,
    "retry_interval": 1.0,
    "service_id": 5678,
    "should_be_scheduled": True,
    "state_type": 1,
    "check_command": "check_centreon_ping",
    "output": "CRITICAL - 10.0.0.1: rta nan, lost 100%",
    "perfdata": "rta=0.000ms;200.000;400.000;0; pl=100%;20;50;0;100",
    "host_name": "",
    "service_description": "",
}
PB_SERVICE_STATUS = {
    "category": 1,
    "element": 29,
    "host_id": 1234,
    "service_id": 5678,
    "checked": True,
    "state": 2,
    "state_type": 1,
    "last_state_change": 1_699_999_000,
    "last_hard_state": 2,
    "last_hard_state_change": 1_699_999_000,
    "last_time_ok": 1_699_998_000,
    "last_time_critical": 1_700_000_000,
    "output": "CRITICAL - 10.0.0.1: rta nan, lost 100%",
    "long_output": "",
    "perfdata": "rta=0.000ms;200.000;400.000;0; pl=100%;20;50;0;100",
    "latency": 0.2,
    "execution_time": 0.012,
    "last_check": 1_700_000_000,
    "next_check": 1_700_000_300,
    "should_be_scheduled": True,
    "check_attempt": 1,
    "internal_id": 99,
}


def rate(fn: Callable[[], int], seconds: float) -> float:
    """Events per second of ``fn`` (which returns how many events it handled per call)."""
    fn()  # warm-up
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        count += fn()
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    args = parser.parse_args()
    codec = BBDOCodec()
    for label, event in (
        ("BBDO 2 service_status", SERVICE_STATUS),
        ("BBDO 3 ServiceStatus", PB_SERVICE_STATUS),
    ):
        frame = codec.encode(event)
        event_id, payload = int.from_bytes(frame[4:8], "big"), frame[16:]
        decode = codec.decode

        def one(event_id: int = event_id, payload: bytes = payload, decode=decode) -> int:
            for _ in range(1000):
                decode(event_id, payload)
            return 1000

        stream = frame * 1000

        def stream_path(stream: bytes = stream, decode=decode) -> int:
            events = Reassembler().feed(stream)
            for raw in events:
                decode(raw.event_id, raw.payload)
            return len(events)

        print(
            f"{label:24s} {len(payload):4d}-byte payload: decode {rate(one, args.seconds):>10,.0f} events/s, "
            f"bytes -> dicts {rate(stream_path, args.seconds):>10,.0f} events/s"
        )


if __name__ == "__main__":
    main()
