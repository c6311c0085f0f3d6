"""Plugin outputs: the short output, long output and perfdata a check of each kind returns.

The wording imitates common monitoring plugins closely enough for parsers and templates to meet
realistic text (units, thresholds, multi-line long outputs); the numbers follow the state.
"""

from __future__ import annotations

import random

_SERVICE_LABELS = ("OK", "WARNING", "CRITICAL", "UNKNOWN")
_HOST_LABELS = ("OK", "CRITICAL", "CRITICAL")

Output = tuple[str, str, str]  # output, long_output, perfdata


def _usage(rng: random.Random, state: int) -> float:
    """A usage percentage that agrees with the 80/90 thresholds for the given state."""
    if state == 0:
        return 5.0 + rng.random() * 70.0
    if state == 1:
        return 80.0 + rng.random() * 9.9
    return 90.0 + rng.random() * 9.9


def host_output(rng: random.Random, address: str, state: int) -> Output:
    if state == 0:
        rta = 0.05 + rng.random() * 2.0
        return (
            f"OK - {address} rta {rta:.3f}ms lost 0%",
            "",
            f"rta={rta:.3f}ms;3000.000;5000.000;0; rtmax={rta * 1.4:.3f}ms;;;; "
            f"rtmin={rta * 0.7:.3f}ms;;;; pl=0%;80;100;0;100",
        )
    return (
        f"CRITICAL - {address}: rta nan, lost 100%",
        "",
        "rta=0.000ms;3000.000;5000.000;0; pl=100%;80;100;0;100",
    )


def unreachable_output(service_network: bool, address: str) -> Output:
    """What a service check says while its host does not answer."""
    if service_network:
        return (f"CRITICAL - {address}: rta nan, lost 100%", "", "")
    return ("UNKNOWN: SNMP Table Request: Timeout", "", "")


def service_output(rng: random.Random, family: str, address: str, state: int) -> Output:
    label = _SERVICE_LABELS[state]
    if state == 3:
        return (f"UNKNOWN: SNMP Table Request: Cant get a single value from {address}", "", "")
    if family == "ping":
        if state == 2:
            return (
                f"CRITICAL - {address}: rta nan, lost 100%",
                "",
                "rta=0.000ms;200.000;400.000;0; pl=100%;20;50;0;100",
            )
        rta = 0.1 + rng.random() * 3.0 if state == 0 else 200.0 + rng.random() * 150.0
        loss = 0 if state == 0 else 10
        return (
            f"{label} - {address} rta {rta:.3f}ms lost {loss}%",
            "",
            f"rta={rta:.3f}ms;200.000;400.000;0; pl={loss}%;20;50;0;100",
        )
    if family == "cpu":
        total = _usage(rng, state)
        c0, c1 = total * (0.9 + rng.random() * 0.2), total * (0.9 + rng.random() * 0.2)
        return (
            f"{label}: CPU(s) average usage is {total:.2f} %",
            f"CPU '0' usage : {c0:.2f} %\nCPU '1' usage : {c1:.2f} %",
            f"'cpu.utilization.percentage'={total:.2f}%;0:80;0:90;0;100 "
            f"'0#core.cpu.utilization.percentage'={c0:.2f}%;;;0;100 "
            f"'1#core.cpu.utilization.percentage'={c1:.2f}%;;;0;100",
        )
    if family in ("memory", "swap", "disk"):
        used = _usage(rng, state)
        total_gb = {"memory": 15.51, "swap": 4.0, "disk": 49.09}[family]
        what = {"memory": "Ram", "swap": "Swap", "disk": "Storage"}[family]
        used_gb = total_gb * used / 100.0
        return (
            f"{label}: {what} Total: {total_gb:.2f} GB Used: {used_gb:.2f} GB ({used:.2f}%) "
            f"Free: {total_gb - used_gb:.2f} GB ({100.0 - used:.2f}%)",
            "",
            f"'{family}.usage.bytes'={int(used_gb * 1073741824)}B;0:{int(total_gb * 858993459)};"
            f"0:{int(total_gb * 966367641)};0;{int(total_gb * 1073741824)}",
        )
    if family == "load":
        load = rng.random() * 2.0 if state == 0 else 4.0 + rng.random() * (4.0 if state == 1 else 12.0)
        return (
            f"{label}: Load average: {load:.2f} [{load / 4:.2f}/4 CPUs], {load * 0.9:.2f}, {load * 0.8:.2f}",
            "",
            f"'load1'={load:.2f};0:4;0:6;0; 'load5'={load * 0.9:.2f};0:4;0:6;0; "
            f"'load15'={load * 0.8:.2f};0:4;0:6;0;",
        )
    if family == "uptime":
        days = 1 + rng.random() * 300.0 if state == 0 else rng.random() * 0.01
        return (
            f"{label}: System uptime is: {days:.0f}d {int(days * 24) % 24}h",
            "",
            f"'uptime'={int(days * 86400)}s;;;0;",
        )
    if family == "ntp":
        offset = rng.random() * 0.05 if state == 0 else 1.0 + rng.random() * 60.0
        return (f"NTP {label}: Offset {offset:.6f} secs", "", f"offset={offset:.6f}s;60.000000;120.000000;")
    if family == "http":
        if state == 2:
            return ("CRITICAL - Socket timeout after 10 seconds", "", "")
        elapsed = 0.01 + rng.random() * 0.3 if state == 0 else 3.0 + rng.random() * 2.0
        code = 200 if state == 0 else 302
        return (
            f"HTTP {label}: HTTP/1.1 {code} - {int(elapsed * 60000)} bytes in {elapsed:.3f} "
            "second response time",
            "",
            f"time={elapsed:.6f}s;3.000000;5.000000;0.000000 size={int(elapsed * 60000)}B;;;0",
        )
    if family == "processes":
        count = 120 + int(rng.random() * 80) if state == 0 else 0
        return (f"{label}: Number of current processes running: {count}", "", f"'nbproc'={count};;1:;0;")
    if family == "traffic":
        speed = rng.random() * 100.0 if state == 0 else 850.0 + rng.random() * 140.0
        return (
            f"{label}: Interface 'eth0' Traffic In : {speed:.2f} Mb/s ({speed / 10:.2f} %), "
            f"Traffic Out : {speed / 3:.2f} Mb/s ({speed / 30:.2f} %)",
            "",
            f"'traffic_in'={speed * 1e6:.2f}b/s;0:800000000;0:900000000;0;1000000000 "
            f"'traffic_out'={speed * 3.3e5:.2f}b/s;0:800000000;0:900000000;0;1000000000",
        )
    return (f"{label}: check returned {state}", "", "")
