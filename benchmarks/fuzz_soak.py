"""A mixed fuzz soak: two connector daemons under hostile input for N minutes, then a verdict.

Usage: ``python benchmarks/fuzz_soak.py [--minutes 10] [--rate 200] [--rss-limit-mb 400] [--seed 1]``

- A Canopsis sandbox (in this process) receives everything.
- Daemon 1, ``centreon-canopsis run`` with a BBDO listener on loopback: a simulated Broker
  (standins/broker/peer.py) streams valid BBDO 3 events in rounds (each round a connection that
  waits for its acknowledgements), while hostile connections send random bytes, welcomes followed
  by garbage, truncated frames, oversized split events abandoned halfway (0xFFFF-byte packets of
  an event that never ends), or nothing at all.
- Daemon 2, ``run`` with a followed JSON-lines file: valid events with malformed lines mixed in
  (random bytes, invalid UTF-8, wrong types for ids and names, deep nesting, now and then a line
  of several MiB).
- Every second, VmRSS and VmHWM of both daemons are read from /proc/PID/status.

At the end: both daemons must still run, their peak RSS (VmHWM) must stay under
``--rss-limit-mb``, every valid event (numbered in its output) must be in the sandbox, and both
must stop cleanly on SIGTERM. Prints a summary; exit 0 when all holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import orjson

from centreon_canopsis.core.bbdo import Welcome, frame_event, pack_header
from centreon_canopsis.standins.broker.peer import BrokerPeer
from centreon_canopsis.standins.canopsis import Sandbox

AUTHKEY = "soak-authkey"
MAIN = "import sys; from centreon_canopsis.core.cli import main; sys.exit(main(sys.argv[1:]))"
CLI = [sys.executable, "-c", MAIN]
SEQ = re.compile(r"SOAK (bbdo|jsonl) seq=(\d+)")
HOST_ID, POLLER_ID, SERVICES = 4242, 7, 20
PB_SERVICE_STATUS = 1 << 16 | 29


def event(category: int, element: int, **fields: Any) -> dict[str, Any]:
    return {"_type": category << 16 | element, "category": category, "element": element, **fields}


def configuration() -> list[dict[str, Any]]:
    events = [
        event(1, 44, instance_id=POLLER_ID, name="soak-poller", running=True, pid=1, engine="Engine"),
        event(1, 30, host_id=HOST_ID, name="soak-host", alias="soak", address="127.0.0.1",
              instance_id=POLLER_ID, enabled=True, severity_id=0),
    ]  # fmt: skip
    for index in range(1, SERVICES + 1):
        events.append(
            event(
                1, 27, host_id=HOST_ID, service_id=index, description=f"svc-{index:02d}", enabled=True, type=0
            )
        )
    return events


def status(source: str, seq: int) -> dict[str, Any]:
    check = 1_700_000_000 + seq
    state = seq % 3
    return event(
        1, 29, host_id=HOST_ID, service_id=1 + seq % SERVICES, checked=True, check_type=0, state=state,
        state_type=1, last_state_change=check, last_hard_state=state, last_hard_state_change=check,
        last_check=check, next_check=check + 300, output=f"SOAK {source} seq={seq}", long_output="",
        perfdata="", flapping=False, acknowledgement_type=0, scheduled_downtime_depth=0, type=0,
        internal_id=0,
    )  # fmt: skip


def write_config(path: Path, state: Path, port: int, source: dict[str, Any], log: Path) -> None:
    lines = [
        'canopsis_host = "127.0.0.1"',
        f"canopsis_port = {port}",
        'sending_protocol = "http"',
        f'canopsis_authkey = "{AUTHKEY}"',
        f'state_dir = "{state}"',
        f'logfile = "{log}"',
        "log_level = 2",
        "hard_only = 0",
        "enable_service_status_dedup = 0",
        "enable_host_status_dedup = 0",
        "canopsis_downtime_send_pbh = 0",
        "[source]",
        *(f"{key} = {orjson.dumps(value).decode()}" for key, value in source.items()),
        "[metrics]",
        "port = 0",
        "[delivery]",
        "retry_initial_delay = 0.05",
        "retry_max_delay = 1",
    ]
    path.write_text("\n".join(lines) + "\n")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Daemon:
    def __init__(self, name: str, workdir: Path, port: int, source: dict[str, Any]) -> None:
        self.name = name
        self.state = workdir / f"{name}-state"
        self.log = workdir / f"{name}.log"
        self.config = workdir / f"{name}.toml"
        write_config(self.config, self.state, port, source, self.log)
        self.stderr = open(workdir / f"{name}.stderr", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([*CLI, "run", "-c", str(self.config)], stderr=self.stderr)
        self.rss_kib = self.hwm_kib = 0

    def url(self, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                return (self.state / "metrics.url").read_text().strip()
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.process.returncode}") from None
                time.sleep(0.1)
        raise RuntimeError(f"{self.name}: no metrics endpoint after {timeout}s")

    def sample(self) -> None:
        try:
            text = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return
        for line in text.splitlines():
            if line.startswith("VmRSS:"):
                self.rss_kib = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                self.hwm_kib = max(self.hwm_kib, int(line.split()[1]))

    def metrics(self) -> dict[str, float]:
        found: dict[str, float] = {}
        try:
            with urllib.request.urlopen(self.url(1) + "/metrics", timeout=5) as answer:
                text = answer.read().decode()
        except (OSError, RuntimeError):
            return found
        for line in text.splitlines():
            if line.startswith("centreon_canopsis_") and " " in line:
                name, value = line.rsplit(" ", 1)
                found[name.removeprefix("centreon_canopsis_")] = float(value)
        return found

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return None
        self.stderr.close()
        return self.process.returncode


# -- the JSON-lines feed -----------------------------------------------------------------------------


def malformed_line(rng: random.Random) -> bytes:
    kind = rng.randrange(8)
    good = orjson.dumps(status("bad", 0))
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))).replace(b"\n", b"")
    if kind == 1:
        return good[: rng.randrange(len(good))]
    if kind == 2:
        at = rng.randrange(len(good))
        return good[:at] + b"\xff\xfe" + good[at:]
    if kind == 3:
        wrong = rng.choice(["abc", "1.5", [1], {}, "\u0000", True, 1e30, None])
        return orjson.dumps({**status("bad", 0), rng.choice(["service_id", "host_id"]): wrong})
    if kind == 4:
        return orjson.dumps(event(1, 30, host_id=HOST_ID + 1, name=[1, 2], enabled=True))
    if kind == 5:
        depth = rng.randrange(500, 3000)
        return b'{"category": 1, "element": 29, "x": ' + b"[" * depth + b"]" * depth + b"}"
    if kind == 6:
        return b'{"category": 1, "element": 29, "_type": "x\\n2026-01-01 ERROR forged"}'
    if rng.random() < 0.05:
        return b'{"output": "' + b"x" * (5 << 20) + b'"}'  # longer than a line may be
    return b"[1, 2, 3]"


def feed_jsonl(path: Path, rate: float, stop: threading.Event, rng: random.Random, counts: dict) -> None:
    with open(path, "ab") as handle:
        for item in configuration():
            handle.write(orjson.dumps(item) + b"\n")
        handle.flush()
        seq = 0
        while not stop.is_set():
            started = time.monotonic()
            lines = []
            for _ in range(max(1, int(rate / 10))):
                if rng.random() < 0.2:
                    lines.append(malformed_line(rng))
                    counts["jsonl_malformed"] += 1
                lines.append(orjson.dumps(status("jsonl", seq)))
                seq += 1
            handle.write(b"\n".join(lines) + b"\n")
            handle.flush()
            counts["jsonl_valid"] = seq
            stop.wait(max(0.0, 0.1 - (time.monotonic() - started)))


# -- the BBDO listener -------------------------------------------------------------------------------


def feed_bbdo(port: int, rate: float, stop: threading.Event, counts: dict, problems: list[str]) -> None:
    seq = 0
    while not stop.is_set():
        started = time.monotonic()
        size = max(1, int(rate * 2))
        events = [*configuration(), *(status("bbdo", seq + i) for i in range(size))]
        report = BrokerPeer(events, port=port, reconnect_timeout=30.0).run()
        if not report.complete:
            problems.append(
                f"BBDO round from seq {seq}: {report.acknowledged} of {report.total} acknowledged"
            )
            return
        seq += size
        counts["bbdo_valid"] = seq
        counts["bbdo_rounds"] += 1
        stop.wait(max(0.0, 2.0 - (time.monotonic() - started)))


def hostile_connection(port: int, rng: random.Random) -> str:
    kind = rng.choice(["random", "welcome+garbage", "truncated", "abandoned", "oversized", "silent"])
    welcome = Welcome.for_version("3.0.0").encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            if kind == "random":
                sock.sendall(rng.randbytes(rng.randrange(1, 20_000)))
            elif kind == "welcome+garbage":
                sock.sendall(welcome + rng.randbytes(rng.randrange(1, 20_000)))
            elif kind == "truncated":
                frame = frame_event(PB_SERVICE_STATUS, rng.randbytes(2000), mapped=False)
                sock.sendall(welcome + frame[: rng.randrange(1, len(frame))])
            elif kind in ("abandoned", "oversized"):
                # Packets of 0xFFFF bytes announcing more to come, then the peer goes away.
                packets = rng.randrange(4, 64) if kind == "abandoned" else rng.randrange(64, 160)
                full = pack_header(0xFFFF, PB_SERVICE_STATUS) + rng.randbytes(0xFFFF)
                sock.sendall(welcome)
                for _ in range(packets):
                    sock.sendall(full)
            if kind == "silent" or rng.random() < 0.3:
                time.sleep(rng.uniform(0.5, 3.0))  # stays connected, says nothing
    except OSError:
        pass  # the connector may drop a hostile peer at any time: that is its right
    return kind


def hostile_peers(port: int, stop: threading.Event, rng: random.Random, counts: dict) -> None:
    while not stop.is_set():
        kind = hostile_connection(port, rng)
        counts["hostile_connections"] += 1
        counts[f"hostile_{kind}"] = counts.get(f"hostile_{kind}", 0) + 1
        stop.wait(rng.uniform(0.0, 0.2))


# -- the verdict -----------------------------------------------------------------------------------


def delivered(box: Sandbox) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {"bbdo": set(), "jsonl": set()}
    for item in box.published_events():
        match = SEQ.search(str(item.get("output", ""))) if isinstance(item, dict) else None
        if match:
            found[match.group(1)].add(int(match.group(2)))
    return found


def run(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="fuzz-soak-"))
    box = Sandbox(port=0, authkey=AUTHKEY, resolve_delay=0, journal_maxlen=50_000_000, seed=1).start()
    bbdo_port = free_port()
    feed = workdir / "events.jsonl"
    feed.touch()
    daemons = {
        "bbdo": Daemon("bbdo", workdir, box.port,
                       {"type": "bbdo", "mode": "listen", "host": "127.0.0.1", "port": bbdo_port}),
        "jsonl": Daemon("jsonl", workdir, box.port, {"type": "jsonl", "path": str(feed), "follow": True}),
    }  # fmt: skip
    problems: list[str] = []
    counts: dict[str, Any] = {"jsonl_valid": 0, "jsonl_malformed": 0, "bbdo_valid": 0, "bbdo_rounds": 0,
                              "hostile_connections": 0}  # fmt: skip
    stop = threading.Event()
    try:
        for daemon in daemons.values():
            daemon.url()
        wait_for_port(bbdo_port)
        threads = [
            threading.Thread(
                target=feed_jsonl, args=(feed, args.rate, stop, random.Random(rng.random()), counts)
            ),
            threading.Thread(target=feed_bbdo, args=(bbdo_port, args.rate, stop, counts, problems)),
            *(
                threading.Thread(
                    target=hostile_peers, args=(bbdo_port, stop, random.Random(rng.random()), counts)
                )
                for _ in range(args.hostile)
            ),
        ]
        for thread in threads:
            thread.daemon = True
            thread.start()
        deadline = time.monotonic() + args.minutes * 60
        while time.monotonic() < deadline and all(d.alive() for d in daemons.values()):
            for daemon in daemons.values():
                daemon.sample()
            time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join(60)
        for name, daemon in daemons.items():
            if not daemon.alive():
                problems.append(f"{name} daemon exited during the soak (code {daemon.process.returncode})")
        wanted = {"bbdo": set(range(counts["bbdo_valid"])), "jsonl": set(range(counts["jsonl_valid"]))}
        drain_deadline = time.monotonic() + args.drain_timeout
        while time.monotonic() < drain_deadline:
            got = delivered(box)
            for daemon in daemons.values():
                daemon.sample()
            if all(wanted[name] <= got[name] for name in wanted):
                break
            time.sleep(0.5)
        got = delivered(box)
        figures = {name: daemon.metrics() for name, daemon in daemons.items()}
        for name in wanted:
            missing = sorted(wanted[name] - got[name])
            if missing:
                problems.append(f"{name}: {len(missing)} valid events not delivered (first: {missing[:5]})")
        for name, daemon in daemons.items():
            if daemon.hwm_kib > args.rss_limit_mb * 1024:
                problems.append(f"{name}: peak RSS {daemon.hwm_kib / 1024:.0f} MiB > {args.rss_limit_mb} MiB")
        codes = {name: daemon.stop() for name, daemon in daemons.items()}
        for name, code in codes.items():
            if code != 0:
                problems.append(f"{name}: SIGTERM ended it with {code} (expected 0)")
        for name, daemon in daemons.items():
            log = daemon.log.read_text(errors="replace") if daemon.log.exists() else ""
            if "Traceback" in log:
                problems.append(f"{name}: a traceback in its log ({daemon.log})")
        print_summary(args, counts, got, daemons, figures, codes, problems, workdir)
    finally:
        stop.set()
        for daemon in daemons.values():
            if daemon.alive():
                daemon.process.kill()
                daemon.process.wait()
        box.stop()
        if not problems and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if not problems else 1


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def print_summary(args, counts, got, daemons, figures, codes, problems, workdir) -> None:
    print(f"fuzz soak: {args.minutes:g} min, seed {args.seed}, {args.rate:g} valid events/s per source")
    hostile = ", ".join(f"{k.removeprefix('hostile_')} {v}" for k, v in sorted(counts.items())
                        if k.startswith("hostile_") and k != "hostile_connections")  # fmt: skip
    print(
        f"  BBDO:  {counts['bbdo_valid']} valid events in {counts['bbdo_rounds']} Broker sessions, "
        f"{len(got['bbdo'])} delivered; {counts['hostile_connections']} hostile connections ({hostile})"
    )
    print(f"  jsonl: {counts['jsonl_valid']} valid events, {counts['jsonl_malformed']} malformed lines, "
          f"{len(got['jsonl'])} delivered")  # fmt: skip
    for name, daemon in daemons.items():
        invalid = {k: int(v) for k, v in figures[name].items() if k.startswith("events_invalid_total")}
        print(
            f"  {name} daemon: peak RSS (VmHWM) {daemon.hwm_kib / 1024:.0f} MiB "
            f"(limit {args.rss_limit_mb}), last VmRSS {daemon.rss_kib / 1024:.0f} MiB, "
            f"SIGTERM exit {codes[name]}, invalid input {invalid}"
        )
    if problems:
        print(f"FAILED ({workdir} kept):")
        for problem in problems:
            print(f"  - {problem}")
    else:
        print("OK: both daemons ran throughout, stayed under the RSS limit and delivered every valid event")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=200.0, help="valid events per second per source")
    parser.add_argument("--hostile", type=int, default=2, help="hostile BBDO connections at a time")
    parser.add_argument("--rss-limit-mb", type=int, default=400, help="the documented bound (issue 10)")
    parser.add_argument("--drain-timeout", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
