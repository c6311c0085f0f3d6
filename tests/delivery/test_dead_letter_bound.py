"""The bound of the dead letters (``delivery.max_dead_letters``, ``max_dead_letters_mib``): beyond
it a new dead letter is counted and logged, not stored, and good events keep flowing; a purge
makes room again without a restart. The totals live in the state database (core/store.py), so
every process writing dead letters sees the same ones."""

from __future__ import annotations

import json
import urllib.request
from contextlib import closing
from pathlib import Path

import orjson
import pytest

from centreon_canopsis.core import deadletters, salvage
from centreon_canopsis.core.bbdo import frame_event
from centreon_canopsis.core.bbdo.codec import BBDOCodec
from centreon_canopsis.core.model import Outcome, Payload, Result, Route
from centreon_canopsis.core.outbox import Discarded, Outbox
from centreon_canopsis.core.pipeline import Pipeline, build_context
from centreon_canopsis.core.store import Store, dead_letter_totals, open_database
from centreon_canopsis.standins.broker.peer import BrokerPeer, RawBytes
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
from tests.ops.helpers import EnvDaemon, settings, write_toml
from tests.support.config import make_config

EVENTS = Route("event", "POST", "/api/v4/event", "events", 1000)
FULL_LINE = "dead letters full ("
SERVICE_STATUS = 0x0001001D  # pb_service_status (BBDO 3)


def payload(n: int) -> tuple[Route, Payload]:
    return EVENTS, Payload("event", {"event_type": "check", "n": n}, f"entity-{n}")


def kept_keys(store: Store) -> list[str]:
    with closing(store.connect()) as connection:
        return [key for (key,) in connection.execute("SELECT key FROM dead_letters ORDER BY id")]


def totals(store: Store) -> tuple[int, int]:
    with closing(store.connect()) as connection:
        return dead_letter_totals(connection)


def counted(store: Store) -> tuple[int, int]:
    """The totals as a scan of the table gives them."""
    with closing(store.connect()) as connection:
        return connection.execute(
            "SELECT COUNT(*), coalesce(SUM(length(body) + coalesce(length(response), 0)), 0) "
            "FROM dead_letters"
        ).fetchone()


@pytest.fixture
def store(tmp_path: Path):
    store = Store(tmp_path / "state")
    yield store
    store.close()


# -- the outbox, on a real state database -----------------------------------------------------------


def test_the_first_dead_letters_are_kept_the_rest_counted_and_every_payload_committed(store: Store) -> None:
    box = Outbox(store)
    box.max_dead_letters = 3
    for n in range(5):
        box.add(*payload(n))
        box.add_dead_letter("input", b"garbage %d" % n, "invalid input: not JSON", key=f"events.jsonl:{n}")
    box.add(*payload(5))
    assert box.commit("events.jsonl", "1:100:11") == {"event": 6}
    assert box.discarded == Discarded({"input": 2}, "3 stored, delivery.max_dead_letters = 3")
    assert kept_keys(store) == ["events.jsonl:0", "events.jsonl:1", "events.jsonl:2"]
    assert box.depth() == 6 and box.position("events.jsonl") == "1:100:11"
    assert totals(store) == counted(store) == (3, 3 * len(b"garbage 0"))

    # Full: a commit without payloads discards too, and writes the rest of its transaction.
    box.add_dead_letter("pipeline", {"n": 9}, "plugin x raised")
    box.commit("events.jsonl", "1:120:12")
    assert box.discarded is not None and box.discarded.counts == {"pipeline": 1}
    assert box.position("events.jsonl") == "1:120:12" and len(kept_keys(store)) == 3

    # `deadletters purge` from another process makes room at once: no recount, no restart.
    with closing(open_database(store.state_dir, readonly=False)) as other:
        assert deadletters.purge(other, deadletters.Filters(ids=[1, 2])) == 2
    box.add_dead_letter("input", b"later", "invalid input: not JSON", key="events.jsonl:20")
    box.add_dead_letter("input", b"later", "invalid input: not JSON", key="events.jsonl:21")
    box.add_dead_letter("input", b"later", "invalid input: not JSON", key="events.jsonl:22")
    box.commit()
    assert box.discarded is not None and box.discarded.counts == {"input": 1}
    assert kept_keys(store) == ["events.jsonl:2", "events.jsonl:20", "events.jsonl:21"]
    assert totals(store) == counted(store)
    box.close()


def test_the_size_bound_counts_bodies_and_answers(store: Store) -> None:
    box = Outbox(store)
    box.max_dead_letter_bytes = 1 << 20
    body = b"x" * (300 << 10)
    for n in range(5):
        box.add_dead_letter("input", body, "invalid input: undecodable BBDO event", key=f"broker:{n}")
    box.commit()
    # Kept while the stored size is under the bound: 0, 300, 600, 900 KiB; the fifth is not.
    assert len(kept_keys(store)) == 4
    assert box.discarded == Discarded({"input": 1}, "1.2 MiB stored, delivery.max_dead_letters_mib = 1")
    assert totals(store) == counted(store) == (4, 4 * len(body))
    box.close()


def test_the_bound_is_shared_by_the_daemon_and_its_delivery_process(store: Store) -> None:
    """Two outboxes on one file, as with ``[delivery] process = "child"``: the daemon commits
    pipeline dead letters, the child settles delivery ones; neither can pass the other's."""
    daemon = Outbox(store)
    child = Outbox(Store(store.state_dir, lock=False))
    for box in (daemon, child):
        box.max_dead_letters = 2
    daemon.add_many(payload(n) for n in range(3))
    daemon.add_dead_letter("pipeline", {"n": 0}, "plugin x raised")
    daemon.commit()
    with closing(child.store.connect()) as connection:
        route, items = child.take(connection, "events")
        refused = [Result(Outcome.FAILED, status=400, reason="HTTP 400", response='{"error": "no"}')] * 3
        settled = child.settle(connection, "events", items, refused, 0.0, route)
    assert settled[Outcome.FAILED] == 3, "every refused payload leaves the outbox"
    assert settled.discarded is not None and settled.discarded.counts == {"delivery": 2}
    assert kept_keys(store) == [None, "entity-0"]
    with closing(store.connect()) as connection:
        assert connection.execute("SELECT COUNT(*) FROM outbox").fetchone() == (0,)
    daemon.add_dead_letter("input", b"garbage", "invalid input: not JSON")
    daemon.commit()
    assert daemon.discarded is not None and daemon.discarded.counts == {"input": 1}
    assert totals(store) == counted(store)
    child.close()
    daemon.close()


def test_no_bound_keeps_everything(store: Store) -> None:
    box = Outbox(store)  # 0 and 0: what `deadletters retry` uses, and `max_dead_letters = 0`
    for n in range(50):
        box.add_dead_letter("input", b"garbage", "invalid input: not JSON", key=str(n))
    box.commit()
    assert box.discarded is None and totals(store) == counted(store) == (50, 50 * 7)
    box.close()


def test_a_database_of_an_earlier_version_gets_its_totals_counted(tmp_path: Path) -> None:
    store = Store(tmp_path / "state")
    with closing(store.connect()) as connection:  # as the previous version left it
        for trigger in ("dead_letters_added", "dead_letters_removed", "dead_letters_resized"):
            connection.execute(f"DROP TRIGGER {trigger}")
        connection.execute("DELETE FROM meta")
        connection.executemany(
            "INSERT INTO dead_letters (failed_at, stage, body, reason, response) "
            "VALUES (0, 'delivery', ?, 'r', ?)",
            [(b"12345", "an answer"), (b"678", None)],
        )
        connection.commit()
    store.close()
    store = Store(tmp_path / "state")
    assert totals(store) == counted(store) == (2, 5 + 9 + 3)
    box = Outbox(store)
    box.add_dead_letter("input", b"garbage", "invalid input: not JSON")
    box.commit()
    assert totals(store) == (3, 24)
    box.close()
    store.close()


def test_statedb_repair_keeps_the_totals_right(store: Store) -> None:
    box = Outbox(store)
    for n in range(4):
        box.add_dead_letter("input", b"garbage %d" % n, "invalid input: not JSON")
    box.commit()
    box.close()
    store.close()
    report = salvage.repair(store.state_dir, force=True)
    assert report.salvaged["dead_letters"] == 4
    again = Store(store.state_dir)
    assert totals(again) == counted(again) == (4, 4 * 9)
    again.close()


def test_the_pipeline_takes_its_bounds_from_the_configuration_and_a_reload(tmp_path: Path) -> None:
    config = make_config(tmp_path / "state", delivery={"max_dead_letters": 3})
    pipeline = Pipeline(config)
    try:
        outbox = pipeline.outbox
        assert (outbox.max_dead_letters, outbox.max_dead_letter_bytes) == (3, 1024 << 20)
        new = make_config(tmp_path / "state", delivery={"max_dead_letters": 5, "max_dead_letters_mib": 0})
        pipeline.reconfigure(build_context(new))
        assert (outbox.max_dead_letters, outbox.max_dead_letter_bytes) == (5, 0)
    finally:
        pipeline.close(5)


# -- the daemon --------------------------------------------------------------------------------------


def bad_line(n: int) -> bytes:
    return b"not JSON %d\n" % n


def full_lines(daemon: Daemon) -> list[str]:
    return [line for line in daemon.log().splitlines() if FULL_LINE in line]


def test_hostile_lines_beyond_the_bound_are_counted_and_the_good_events_delivered(tmp_path: Path) -> None:
    """Five invalid lines between six good events, at most three dead letters: the good events
    arrive exactly once, three dead letters are kept, two are counted as discarded and said once;
    after `deadletters purge` new ones are kept again, without a restart."""
    events = tmp_path / "events.jsonl"
    good = statuses(8)
    with open(events, "wb") as handle:
        for event in configuration():
            handle.write(orjson.dumps(event) + b"\n")
        for n in range(5):
            handle.write(orjson.dumps(good[n]) + b"\n" + bad_line(n))
        handle.write(orjson.dumps(good[5]) + b"\n")
    first_bad = len(configuration()) + 2  # line numbers of the bad lines: first_bad + 2 * n
    box = sandbox()
    try:
        config = write_config(tmp_path, box.port, delivery={"max_dead_letters": 3})
        with Daemon(config) as daemon:
            wait_until(lambda: len(seqs(box.received_events())) >= 6, 30, "the good events")
            wait_until(
                lambda: daemon.metric("dead_letters_discarded_total", stage="input") == 2, 10, "two discarded"
            )
            assert daemon.metric("dead_letters_total", stage="input") == 3
            assert daemon.metric("events_invalid_total", reason="not_json") == 5
            assert daemon.metric("dead_letters_discarded_total") == 2, "nothing of the other stages"
            listed = cli_json("deadletters", "list", "-c", str(config), "--json")
            assert listed["total"] == 3
            assert [letter["key"] for letter in listed["dead_letters"]] == [
                f"events.jsonl:{first_bad + 2 * n}" for n in range(3)
            ], "the first ones are kept"
            [line] = full_lines(daemon)
            assert "ERROR" in line and "3 stored, delivery.max_dead_letters = 3" in line
            assert "2 new input dead letters discarded" in line
            assert (
                "centreon-canopsis deadletters list" in line and "centreon-canopsis deadletters purge" in line
            )

            wait_until(lambda: daemon.metric("dead_letters", stage="input") == 3, 10, "the gauge")
            assert daemon.metric("dead_letters_bytes") == 3 * len(bad_line(0).rstrip())
            status, body = daemon.get("/readyz")
            readiness = json.loads(body)
            assert status == 200, "full dead letters do not make the connector unready"
            assert readiness["checks"]["dead_letters"]["detail"].startswith("full (3 stored")
            report = cli_json("status", "-c", str(config), "--json")["dead_letters"]
            assert (report["count"], report["max"], report["full"]) == (
                3,
                3,
                "3 stored, delivery.max_dead_letters = 3",
            )
            assert "FULL" in cli("status", "-c", str(config)).stdout

            purged = cli_json("deadletters", "purge", "-c", str(config), "--all", "--json")
            assert purged["purged"] == 3
            with open(events, "ab") as handle:  # followed: read by the running daemon
                handle.write(
                    bad_line(5) + orjson.dumps(good[6]) + b"\n" + bad_line(6) + orjson.dumps(good[7]) + b"\n"
                )
            wait_until(lambda: len(seqs(box.received_events())) >= 8, 30, "the later good events")
            wait_until(lambda: daemon.metric("dead_letters_total", stage="input") == 5, 10, "two more kept")
            assert daemon.metric("dead_letters_discarded_total", stage="input") == 2
            assert cli_json("deadletters", "list", "-c", str(config), "--json")["total"] == 2
            assert seqs(box.received_events()) == list(range(8)), "every good event, once, in order"
            assert len(full_lines(daemon)) == 1
            assert daemon.stop() == 0
    finally:
        box.stop()


def test_refusals_beyond_the_bound_with_the_senders_in_a_child_process(tmp_path: Path) -> None:
    """Canopsis refuses four events for good; two dead letters at most: the delivery process
    keeps two, discards two (counted in the daemon's /metrics), and delivers the rest."""
    events = tmp_path / "events.jsonl"
    good = statuses(10)
    with open(events, "wb") as handle:
        for event in [*configuration(), *good]:
            handle.write(orjson.dumps(event) + b"\n")
    refused = [2, 4, 6, 8]
    box = sandbox()
    box.fail_events({"output": [f"CHECK seq={n:07d}" for n in refused]})
    try:
        config = write_config(
            tmp_path,
            box.port,
            delivery={"max_dead_letters": 2, "failed_event_attempts": 1, "process": "child"},
        )
        with Daemon(config) as daemon:
            wanted = [n for n in range(10) if n not in refused]
            wait_until(lambda: seqs(box.published_events()) == wanted, 30, "the accepted events")
            wait_until(
                lambda: daemon.metric("dead_letters_discarded_total", stage="delivery") == 2,
                10,
                "two discarded, as the delivery process reports",
            )
            wait_until(lambda: daemon.metric("outbox_items") == 0, 10, "an empty outbox")
            assert daemon.metric("dead_letters_total", stage="delivery") == 2
            assert daemon.metric("payloads_dead_lettered_total", route="event") == 2
            listed = cli_json("deadletters", "list", "-c", str(config), "--json")["dead_letters"]
            assert [letter["stage"] for letter in listed] == ["delivery", "delivery"]
            [line] = full_lines(daemon)  # written by the delivery process, in the same log
            assert "2 stored, delivery.max_dead_letters = 2" in line and "delivery dead letters" in line
            assert daemon.stop() == 0
    finally:
        box.stop()


def big_corrupt_payload(size: int) -> bytes:
    """A BBDO 3 service status with a long output and a last varint that never ends."""
    event = statuses(1, start=99)[0]
    event["output"] = "x" * size
    _, payload, _ = BBDOCodec().encode_payload(event)
    return payload + b"\x08\xff\xff\xff"


def test_a_hostile_broker_cannot_fill_the_disk_with_undecodable_events(tmp_path: Path) -> None:
    """Over a real socket, ten undecodable events of 100 KiB between good ones, at most 1 MiB of
    dead letters: every event is acknowledged, the good ones delivered, and the dead letters stop
    at the bound (passed by the last one kept at most)."""
    box = sandbox()
    try:
        top, tables = settings(tmp_path, box.port, hard_only=0)
        tables["delivery"]["max_dead_letters_mib"] = 1
        config = write_toml(tmp_path / "connector.toml", top, tables)
        bad = RawBytes(frame_event(SERVICE_STATUS, big_corrupt_payload(100_000)))
        with EnvDaemon(config) as daemon:
            stream = [*configuration()]
            for n in range(10):
                stream += [*statuses(1, n), bad]
            report = BrokerPeer([*stream, *statuses(1, 10)], port=daemon.bbdo_port()).run()
            assert report.complete and report.stop_acknowledged, "the discarded events are acknowledged too"
            wait_until(lambda: len(seqs(box.received_events())) >= 11, 30, "the good events")
            assert seqs(box.received_events()) == list(range(11))
            wait_until(
                lambda: daemon.metric("events_invalid_total", reason="undecodable") == 10, 10, "ten invalid"
            )
            kept = daemon.metric("dead_letters_total", stage="input")
            assert kept + daemon.metric("dead_letters_discarded_total", stage="input") == 10
            letter = orjson.dumps(  # what one dead letter holds: the JSON envelope of the payload
                json.loads(cli("deadletters", "show", "-c", str(config), "1", "--json").stdout)[0]["body"]
            )
            assert len(letter) > 100_000 * 4 / 3
            with closing(open_database(tmp_path / "state", readonly=True)) as connection:
                _, size = dead_letter_totals(connection)
            assert (kept - 1) * len(letter) < 1 << 20 <= size < (1 << 20) + len(letter) * 1.01
            assert kept < 10
            [line] = full_lines(daemon)
            assert "delivery.max_dead_letters_mib = 1" in line
            assert daemon.stop() == 0
    finally:
        box.stop()


def test_readyz_says_how_many_are_stored_when_there_is_room(tmp_path: Path) -> None:
    box = sandbox()
    try:
        (tmp_path / "events.jsonl").write_bytes(bad_line(0))
        config = write_config(tmp_path, box.port)
        with Daemon(config) as daemon:
            wait_until(lambda: daemon.metric("dead_letters_total", stage="input") == 1, 20, "one kept")

            def detail() -> str:
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                with opener.open(daemon.url() + "/readyz", timeout=5) as answer:
                    return json.loads(answer.read())["checks"]["dead_letters"]["detail"]

            wait_until(lambda: detail() == "1 stored (0.0 MiB)", 10, "the watcher's next look")
            assert daemon.stop() == 0
    finally:
        box.stop()


def test_run_and_replay_count_discarded_refusals_as_failures(tmp_path: Path) -> None:
    """A finite input whose refused payloads the bound discards does not end "everything
    delivered": `run` and `replay` exit 1 and say so."""
    events = tmp_path / "events.jsonl"
    with open(events, "wb") as handle:
        for event in [*configuration(), *statuses(6)]:
            handle.write(orjson.dumps(event) + b"\n")
    box = sandbox()
    box.fail_events({"output": [f"CHECK seq={n:07d}" for n in (1, 3, 5)]})
    try:
        config = write_config(
            tmp_path,
            box.port,
            events,
            source={"follow": False},
            delivery={"max_dead_letters": 1, "failed_event_attempts": 1},
        )
        done = cli("run", "-c", str(config))
        log = (tmp_path / "connector.log").read_text()
        assert done.returncode == 1, log
        assert "3 payloads were refused for good" in log
        assert cli_json("deadletters", "list", "-c", str(config), "--json")["total"] == 1

        done = cli("replay", "-c", str(config), str(events))
        assert done.returncode == 1, done.stderr
        [row] = [line for line in done.stdout.splitlines() if "dead letters discarded" in line]
        assert row.split()[-1] == "3", "the table is full: the three refusals of the replay"
    finally:
        box.stop()
