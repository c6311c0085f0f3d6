"""One bad event never stalls the stream: it is dead-lettered with the request, the answer and
the reason, the rest is delivered; the ``deadletters`` commands show, retry and purge it; the
metrics and ``status`` say what happened."""

from __future__ import annotations

import json

import orjson
import pytest

from centreon_canopsis.core.metrics import CATALOGUE
from tests.delivery.helpers import (
    Daemon,
    cli,
    cli_json,
    configuration,
    sandbox,
    seqs,
    statuses,
    wait_until,
    write_config,
)

COUNT = 3_000
REFUSED = 100  # Canopsis lists this one in failed_events
POISON = 200  # a transform plugin raises on this one
EXPLODE = 300  # a sender plugin raises on the batch holding this one
GARBAGE = b"this line is not JSON\n"


def marked(seq: int, word: str) -> dict:
    event = statuses(1, seq)[0]
    event["output"] = f"CHECK seq={seq:07d} {word}"
    return event


@pytest.fixture
def scene(tmp_path):
    events = statuses(COUNT)
    events[POISON] = marked(POISON, "poison")
    events[EXPLODE] = marked(EXPLODE, "explode")
    with open(tmp_path / "events.jsonl", "wb") as handle:
        for event in configuration():
            handle.write(orjson.dumps(event) + b"\n")
        handle.write(GARBAGE)
        for event in events:
            handle.write(orjson.dumps(event) + b"\n")
    marker = tmp_path / "broken"
    marker.touch()
    box = sandbox()
    box.fail_events({"output": f"CHECK seq={REFUSED:07d}"})
    config = write_config(
        tmp_path,
        box.port,
        max_batch_size=250,
        delivery={"failed_event_attempts": 2},
        plugins={
            "load": ["tests.delivery.plugins:PoisonTransform", "tests.delivery.plugins:ExplodingSender"],
        },
    )
    # Plugin tables go after [plugins] (TOML sub-tables).
    with open(config, "a") as handle:
        handle.write(f'\n[plugins.PoisonTransform]\nmarker = "{marker}"\n')
        handle.write(f'\n[plugins.ExplodingSender]\nmarker = "{marker}"\n')
    try:
        yield config, box, marker
    finally:
        box.stop()


def test_bad_events_are_dead_lettered_and_the_rest_delivered(scene):
    config, box, marker = scene
    with Daemon(config) as daemon:
        wanted = set(range(COUNT)) - {REFUSED, POISON, EXPLODE}
        wait_until(lambda: wanted <= set(seqs(box.published_events())), 30, "every good event")
        # The garbage line is kept too, as an input dead letter.
        wait_until(lambda: daemon.metric("dead_letters_total") == 4, 10, "four dead letters")
        wait_until(lambda: daemon.metric("outbox_items") == 0, 10, "an empty outbox")
        received = seqs(box.received_events())
        assert received.count(REFUSED) == 2, "refused twice (failed_event_attempts), then dead-lettered"
        assert POISON not in received and EXPLODE not in received

        # -- the metrics match what happened
        metrics = daemon.metrics()
        names = {name for name, _ in metrics}
        described = {info.name for info in CATALOGUE}
        exposed = {n.removesuffix("_bucket").removesuffix("_sum").removesuffix("_count") for n in names}
        assert exposed <= described, f"undocumented metrics: {exposed - described}"
        lines = len(configuration()) + 1 + COUNT
        assert daemon.metric("events_received_total") == lines
        assert daemon.metric("events_invalid_total") == 1
        assert daemon.metric("events_total", outcome="queued") == COUNT - 1
        assert daemon.metric("events_total", outcome="error") == 1
        assert daemon.metric("payloads_queued_total", route="event") == COUNT - 1
        assert daemon.metric("payloads_delivered_total", route="event") == COUNT - 3
        assert daemon.metric("payloads_dead_lettered_total", route="event") == 2
        assert daemon.metric("dead_letters_total", stage="pipeline") == 1
        assert daemon.metric("dead_letters_total", stage="delivery") == 2
        assert daemon.metric("dead_letters_total", stage="input") == 1
        assert daemon.metric("events_invalid_total", reason="not_json") == 1
        assert daemon.metric("send_failures_total", cause="rejected") == 2
        assert daemon.metric("send_failures_total", cause="plugin_error") >= 1
        event_posts = [r for r in box.requests() if r["path"] == "/api/v4/event"]
        assert daemon.metric("canopsis_responses_total", route="event", status="200") == len(event_posts)
        # Attempts count, including the two on which the sender plugin raised.
        assert daemon.metric("payloads_sent_total", route="event") == len(received) + 2
        assert len(set(seqs(box.published_events()))) == COUNT - 3
        assert daemon.metric("outbox_oldest_age_seconds") == 0
        assert daemon.metric("sender_up", lane="events") == 1
        assert daemon.metric("backpressure") == 0
        status, body = daemon.get("/healthz")
        assert status == 200
        status, body = daemon.get("/readyz")
        assert status == 200, body
        assert json.loads(body)["ready"] is True
        assert "not valid JSON" in daemon.log() and "this event poisons the transform" in daemon.log()

        # -- status, beside the running daemon
        shown = cli("status", "-c", str(config))
        assert shown.returncode == 0, shown.stderr
        assert "running (pid" in shown.stdout and "dead letters:  4" in shown.stdout
        assert "ready" in shown.stdout and f"{COUNT - 3} delivered" in shown.stdout
        as_json = cli_json("status", "-c", str(config), "--json")
        assert as_json["endpoint"]["metrics"]["payloads_dead_lettered"] == 2
        assert as_json["dead_letters"]["count"] == 4

        # -- deadletters list / show
        listed = cli_json("deadletters", "list", "-c", str(config), "--json")
        assert listed["total"] == 4
        garbage = next(r for r in listed["dead_letters"] if r["stage"] == "input")
        assert "not valid JSON" in garbage["reason"] and garbage["key"].startswith("events.jsonl:")
        kept = cli_json("deadletters", "show", "-c", str(config), str(garbage["id"]), "--json")
        assert kept[0]["body"] == GARBAGE.decode().strip(), "the line is kept as it came"
        by_reason = {row["stage"] + ":" + row["reason"][:30]: row for row in listed["dead_letters"]}
        refused = next(r for r in listed["dead_letters"] if "failed_events" in r["reason"])
        assert refused["stage"] == "delivery" and refused["route"] == "event" and refused["attempts"] == 2
        assert refused["request"] == "POST /api/v4/event" and refused["status"] == 200
        exploded = next(r for r in listed["dead_letters"] if "raised in connector_send" in r["reason"])
        assert "ExplodingSender" in exploded["reason"] and "boom" in exploded["reason"]
        poisoned = next(r for r in listed["dead_letters"] if r["stage"] == "pipeline")
        assert "PoisonTransform" in poisoned["reason"], by_reason
        table = cli("deadletters", "list", "-c", str(config))
        assert table.returncode == 0 and "REASON" in table.stdout and "failed_events" in table.stdout
        shown = cli_json("deadletters", "show", "-c", str(config), str(refused["id"]), "--json")
        assert shown[0]["body"]["output"] == f"CHECK seq={REFUSED:07d}"
        assert f"seq={REFUSED:07d}" in shown[0]["response"], "the answer is kept"
        text = cli("deadletters", "show", "-c", str(config), str(poisoned["id"])).stdout
        assert "stage:      pipeline" in text and '"output": "CHECK seq=0000200 poison"' in text
        missing = cli("deadletters", "show", "-c", str(config), "999999")
        assert missing.returncode == 1 and "no dead letter with id 999999" in missing.stderr
        listing = ("deadletters", "list", "-c", str(config), "--json")
        only = cli_json(*listing, "--stage", "pipeline")
        assert [row["id"] for row in only["dead_letters"]] == [poisoned["id"]]
        old = cli_json(*listing, "--older-than", "1h")
        assert old["total"] == 0

        # -- retry once fixed: while the daemon runs
        box.clear_faults()
        marker.unlink()
        refuse = cli("deadletters", "retry", "-c", str(config))
        assert refuse.returncode == 2 and "--all" in refuse.stderr, "no filter, no --all: nothing done"
        retry = ("deadletters", "retry", "-c", str(config))
        dry = cli_json(*retry, "--all", "--dry-run", "--json")
        assert dry["requeued"] == 2 and dry["reprocessed"] == 2
        assert cli_json(*retry, "--stage", "delivery", "--json")["requeued"] == 2
        report = cli_json(*retry, "--reason", "PoisonTransform", "--json")
        assert report["reprocessed"] == 1 and report["queued"] == 1, report
        wait_until(lambda: set(range(COUNT)) <= set(seqs(box.published_events())), 15, "the retried events")
        wait_until(lambda: daemon.metric("outbox_items") == 0, 10, "an empty outbox")
        left = cli_json("deadletters", "list", "-c", str(config), "--json")
        assert [row["stage"] for row in left["dead_letters"]] == ["input"], "garbage stays garbage"
        assert daemon.stop() == 0


def test_purge_by_filter(scene):
    config, _, _ = scene
    with Daemon(config) as daemon:
        wait_until(lambda: daemon.metric("dead_letters_total") == 4, 30, "four dead letters")
        assert daemon.stop() == 0
    stopped = cli("status", "-c", str(config)).stdout
    assert "not running" in stopped and "dead letters:  4" in stopped
    purge = ("deadletters", "purge", "-c", str(config))
    dry = cli_json(*purge, "--route", "event", "--dry-run", "--json")
    assert dry == {"dry_run": True, "purged": 2}
    purged = cli(*purge, "--route", "event")
    assert purged.returncode == 0 and "2 dead letters purged" in purged.stdout
    left = cli_json("deadletters", "list", "-c", str(config), "--json")
    assert [row["stage"] for row in left["dead_letters"]] == ["input", "pipeline"]
    assert "2 dead letters purged" in cli(*purge, "--all").stdout
