"""Instructions per input event of the pipeline thread's dispatch, counted by valgrind: a figure
that this VM's speed drift (up to 2x between minutes) does not move.

Usage: ``python benchmarks/dispatch_instructions.py [--events 200000] [--baseline GIT_REF]``

The stream (bbdo_pipeline.py's generator and realistic mix, BBDO 3) is decoded once, outside
the count. A worker process then runs every event through ``Dispatcher.process`` -- the name
cache, the filters, the transforms, the routing and the outbox's buffering (each payload encoded),
no commit -- under ``valgrind --tool=callgrind``, which counts the instructions executed inside
that loop only (``--toggle-collect`` on the loop's iterator). ``PYTHONHASHSEED=0``: the same
run counts the same, give or take a few hundred instructions per million events.

With ``--baseline``, the same stream goes through that commit's connector (``git archive``, its C
accelerators built, as bbdo_pipeline.py does) in a second worker at the same time, and the ratio
is printed. The dispatch of both runs is counted on the events the current decoder made.

Then the decode: ``PeerSession._handle`` over reads of the stream's payloads, each into its
event dict (the bbdo-peer thread's main work), counted the same way for both.

Needs valgrind (Debian: ``apt install valgrind``); a run of 240k events takes about four
minutes. The Broker session, commits and delivery are bbdo_pipeline.py's.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import marshal
import os
import re
import shutil
import subprocess
import sys
import tempfile
import types
from pathlib import Path

#: Events per socket read in the decode count (a 64 KiB read of the realistic mix holds about 600).
READ_EVENTS = 600
LOOP_ITERATOR = "starmap_next"  # the C function each event of the counted loop goes through


def worker(events_file: str) -> int:
    """Runs under valgrind: the counted loop."""
    from ingest_stages import settings

    from centreon_canopsis.core.dispatcher import Dispatcher
    from centreon_canopsis.core.outbox import Outbox
    from centreon_canopsis.core.pipeline import build_context
    from centreon_canopsis.core.store import Store

    events = marshal.loads(Path(events_file).read_bytes())
    work = Path(tempfile.mkdtemp(prefix="ccc-instructions-"))
    try:
        config = settings(work / "state", "realistic")
        context = build_context(config)
        store = Store(config.state_dir, "full")
        dispatcher = Dispatcher(context, Outbox(store, context.cache))
        types = [event["_type"] for event in events]
        collections.deque(itertools.starmap(dispatcher.process, zip(events, types, strict=True)), maxlen=0)
        print(f"outcomes {dict(dispatcher.counts)}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def decode_worker(payloads_file: str) -> int:
    """Runs under valgrind: the bbdo-peer thread's per-event work, ``PeerSession._handle`` over
    reads of READ_EVENTS events each (the decode of each payload into its event dict, the loop
    around it, the batches of ``max_batch_events``), counted as the dispatch is. The socket, the
    framing and the hand-over of batches are left out."""
    from centreon_canopsis.core.bbdo import session as session_module
    from centreon_canopsis.core.bbdo.codec import BBDOCodec
    from centreon_canopsis.core.bbdo.diag import BBDOCounters
    from centreon_canopsis.core.bbdo.framing import RawEvent
    from centreon_canopsis.core.bbdo.session import OffsetLabels, PeerSession
    from centreon_canopsis.core.bbdo.settings import BBDOSettings

    payloads = marshal.loads(Path(payloads_file).read_bytes())
    raws = [RawEvent(event_id, 0, 0, payload, offset) for offset, (event_id, payload) in enumerate(payloads)]
    reads = [(raws[start : start + READ_EVENTS],) for start in range(0, len(raws), READ_EVENTS)]
    session = PeerSession.__new__(PeerSession)  # the loop's state alone: no peer, no source
    decoded: list[int] = []

    def flush(deadline: float | None = None) -> None:
        decoded.append(len(session._events))
        session._events, session._labels = [], OffsetLabels()

    session.codec, session.settings = BBDOCodec(), BBDOSettings()
    session._events, session._labels, session._flush = [], OffsetLabels(), flush
    session.tracker, session.counters = types.SimpleNamespace(received=0), BBDOCounters()
    session._decode_run = getattr(session_module, "_DECODE_RUN", None)  # None: a baseline without it
    collections.deque(itertools.starmap(session._handle, reads), maxlen=0)
    print(f"outcomes {{'decoded': {sum(decoded)}}}", flush=True)
    return 0


def count(events_file: Path, code: Path | None, mode: str = "--worker") -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), env.get("PYTHONPATH")]))
    command = [
        "valgrind", "--tool=callgrind", "--collect-atstart=no", f"--toggle-collect={LOOP_ITERATOR}",
        "--callgrind-out-file=/dev/null", sys.executable, __file__, mode, str(events_file),
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def collected(process: subprocess.Popen[str], label: str) -> tuple[int, str]:
    output, _ = process.communicate()
    found = re.search(r"Collected : (\d+)", output)
    outcomes = re.search(r"outcomes (.*)", output)
    if process.returncode != 0 or found is None or outcomes is None:
        raise SystemExit(f"{label}: the counted run failed:\n{output[-3000:]}")
    return int(found.group(1)), outcomes.group(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000, help="runtime events after the configuration")
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--services-per-host", type=int, default=10)
    parser.add_argument("--baseline", metavar="GIT_REF")
    parser.add_argument("--worker", metavar="EVENTS_FILE", help=argparse.SUPPRESS)
    parser.add_argument("--decode-worker", metavar="PAYLOADS_FILE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    if args.worker:
        return worker(args.worker)
    if args.decode_worker:
        return decode_worker(args.decode_worker)
    if shutil.which("valgrind") is None:
        print("dispatch_instructions: valgrind is needed (Debian: apt install valgrind)", file=sys.stderr)
        return 2
    from bbdo_pipeline import export_checkout, make_stream

    from centreon_canopsis.core.bbdo.codec import BBDOCodec

    stream = make_stream(argparse.Namespace(**vars(args), mix="realistic", bbdo=3))
    codec = BBDOCodec()
    payloads = [codec.encode_payload(event)[:2] for event in stream.events]
    events = [codec.decode(*payload) for payload in payloads]
    work = Path(tempfile.mkdtemp(prefix="ccc-instructions-bench-"))
    try:
        events_file, payloads_file = work / "events.marshal", work / "payloads.marshal"
        events_file.write_bytes(marshal.dumps(events))
        payloads_file.write_bytes(marshal.dumps(payloads))
        codes = {"current": None}
        if args.baseline:
            codes[args.baseline] = export_checkout(args.baseline, work)
        runs = {label: count(events_file, code) for label, code in codes.items()}
        results = {label: collected(process, label) for label, process in runs.items()}
        runs = {label: count(payloads_file, code, "--decode-worker") for label, code in codes.items()}
        decodes = {label: collected(process, label)[0] for label, process in runs.items()}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    version = subprocess.run(["valgrind", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"stream:   {len(events):,} events over BBDO 3 (decoded first), realistic mix; {version}")
    now, outcomes = results["current"]
    print(f"current:  {now / len(events):,.0f} instructions per input event in Dispatcher.process "
          f"(cache, filters, transforms, routing, outbox buffering); {outcomes}")  # fmt: skip
    if args.baseline:
        then, outcomes_then = results[args.baseline]
        print(f"{args.baseline}: {then / len(events):,.0f} instructions per input event; {outcomes_then}")
        print(f"ratio:    {then / now:.2f}x fewer instructions now")
    # The events above are the current decoder's: the baseline's dispatch is counted on them too.
    print(f"decode:   {decodes['current'] / len(events):,.0f} instructions per event in PeerSession._handle: "
          f"each payload into its event dict, the loop and batches around it (the bbdo-peer thread's "
          f"main work)")  # fmt: skip
    if args.baseline:
        then = decodes[args.baseline]
        print(f"{args.baseline}: {then / len(events):,.0f}; ratio {then / decodes['current']:.2f}x fewer now")
    return 0


if __name__ == "__main__":
    sys.exit(main())
