"""CPU per input event of each ingest stage, in this process, on a simulated BBDO stream.

Usage: ``python benchmarks/ingest_stages.py [--events 200000] [--bbdo 3] [--mix realistic] [--repeat 3]``

The stream (the same generator and mixes as ``bbdo_pipeline.py``) is encoded into BBDO payloads
first. Then each stage runs over the whole stream in turn, timed with ``time.process_time``:
decode (payload -> event dict; and apart, what the daemon pays instead with the reader in a child
process: unmarshalling the same events in batches of 1000), check (the type id), cache (the name
cache learns), accept (the filters), transform, route, outbox (encoding each payload into its
buffer) and commit (one SQLite transaction per 1000 input events, ``synchronous = full``). The
figures are µs per *input* event (every stage divided by the same count), so they add up to the
ingest cost; the best of ``--repeat`` runs is kept (a loaded machine only ever adds time). No
sandbox, no delivery.
"""

from __future__ import annotations

import argparse
import marshal
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bbdo_pipeline import MIXES, make_stream
from harness import reference_loop

from centreon_canopsis.core import config as config_module
from centreon_canopsis.core.bbdo.codec import BBDOCodec
from centreon_canopsis.core.dispatcher import Dispatcher
from centreon_canopsis.core.outbox import Outbox
from centreon_canopsis.core.pipeline import build_context
from centreon_canopsis.core.store import Store

COMMIT_EVERY = 1000


def settings(state_dir: Path, mix: str) -> config_module.Config:
    raw: dict[str, Any] = {
        "canopsis_host": "127.0.0.1",
        "canopsis_port": 9,
        "sending_protocol": "http",
        "canopsis_authkey": "x",
        "state_dir": str(state_dir),
        "accepted_categories": "neb,bam",
        "accepted_elements": "host_status,service_status,acknowledgement,downtime,ba_status",
        "log_level": 1,
        "logfile": str(state_dir.parent / "log"),
    }
    if MIXES[mix]["filters_off"]:
        raw |= {"hard_only": 0, "enable_service_status_dedup": 0, "enable_host_status_dedup": 0}
        raw |= {"acknowledged": 1, "in_downtime": 1, "flapping": 1}
    return config_module.from_mapping(raw, env={})


def one_run(payloads: list[tuple[int, bytes]], mix: str) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="ccc-stages-"))
    try:
        config = settings(work / "state", mix)
        context = build_context(config)
        store = Store(config.state_dir, "full")
        outbox = Outbox(store, context.cache)
        dispatcher = Dispatcher(context, outbox)
        codec = BBDOCodec()
        clock = time.process_time
        times: dict[str, float] = {}

        start = clock()
        decode = codec.decode
        events = [decode(type_id, payload) for type_id, payload in payloads]
        times["decode"] = clock() - start

        # [source] process = "child": the daemon rebuilds the reader's batches instead of decoding.
        shipped = [marshal.dumps(events[i : i + COMMIT_EVERY]) for i in range(0, len(events), COMMIT_EVERY)]
        start = clock()
        for blob in shipped:
            marshal.loads(blob)
        times["_unmarshal"] = clock() - start

        # BBDO batches are typed (Batch.typed): the pipeline reads the type id the decoder set and
        # skips the entry check that JSON lines get (core/intake.py).
        start = clock()
        type_ids = [event["_type"] for event in events]
        times["check"] = clock() - start

        elements = [dispatcher._types[t] for t in type_ids]
        handlers = {element.type_id: context.cache.handler_for(element) for element in set(elements)}
        start = clock()
        for event, type_id in zip(events, type_ids, strict=True):
            handler = handlers[type_id]  # resolved once per type, as the dispatcher does
            if handler is not None:
                handler(event)
        times["cache"] = clock() - start

        accepted_ids = dispatcher.accepted
        accept, transform, route = dispatcher._accept, dispatcher._transform, dispatcher._route
        by_kind = hasattr(accept, "for_kind")  # older dispatchers ask every filter (for A/B runs)
        start = clock()
        kept = []
        for event, element, type_id in zip(events, elements, type_ids, strict=True):
            if type_id in accepted_ids:
                verdict = (
                    accept.for_kind(element.kind, event, element, context)
                    if by_kind
                    else accept(event, element, context)
                )
                if verdict is None or verdict is True:
                    kept.append((event, element))
        times["accept"] = clock() - start

        start = clock()
        produced = []
        for event, element in kept:
            payloads_out = transform(event, element, context)
            if payloads_out:
                produced.append(payloads_out)
        times["transform"] = clock() - start

        start = clock()
        routed = [[(route(p, context), p) for p in group] for group in produced]
        times["route"] = clock() - start

        start = clock()
        for group in routed:
            outbox.add_many(group)
        times["outbox"] = clock() - start

        # Commit as the pipeline does: one transaction per source batch. Spread the buffered
        # payloads over the batches the input would have made.
        buffered = outbox._inserts
        outbox._inserts = []
        batches = max(1, len(payloads) // COMMIT_EVERY)
        share = max(1, -(-len(buffered) // batches))
        start = clock()
        for index in range(batches):
            outbox._inserts = buffered[index * share : (index + 1) * share]
            outbox.commit()
        times["commit"] = clock() - start
        times["_payloads"] = len(buffered)
        times["_accepted"] = len(kept)
        outbox.close()
        store.close()
        return times
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--services-per-host", type=int, default=10)
    parser.add_argument("--mix", choices=sorted(MIXES), default="realistic")
    parser.add_argument("--bbdo", type=int, choices=(2, 3), default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    stream = make_stream(args)
    codec = BBDOCodec()
    payloads = [codec.encode_payload(event)[:2] for event in stream.events]
    runs = [one_run(payloads, args.mix) for _ in range(args.repeat)]
    best = {stage: min(run[stage] for run in runs) for stage in runs[0]}
    total = len(payloads)
    print(f"machine: {os.cpu_count()} CPUs, reference loop {reference_loop():.2f} s (harness.reference_loop)")
    print(f"stream: {total:,} events, BBDO {args.bbdo}, mix {args.mix}; "
          f"{best['_accepted']:,.0f} accepted, {best['_payloads']:,.0f} payloads")  # fmt: skip
    stages = [stage for stage in best if not stage.startswith("_")]
    for stage in stages:
        print(f"  {stage:<10} {best[stage] / total * 1e6:6.2f} us/input event")
    whole = sum(best[stage] for stage in stages)
    print(f"  {'total':<10} {whole / total * 1e6:6.2f} us/input event "
          f"(= {total / whole:,.0f} events/s on one core, best of {args.repeat})")  # fmt: skip
    daemon = whole - best["decode"] + best["_unmarshal"]
    print(f"  with the reader in a child process ([source] process = \"child\"): the daemon unmarshals "
          f"{best['_unmarshal'] / total * 1e6:.2f} us/input event instead of decoding, "
          f"{daemon / total * 1e6:.2f} us/input event in all")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
