"""Undecodable BBDO events (core/bbdo/kept.py): acknowledged like every event, so Broker never sends
them again, hence kept as ``input`` dead letters with their exact payload; ``deadletters retry``
decodes them again with the decoder of the day."""

from __future__ import annotations

import base64
import json
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest

from centreon_canopsis.core import deadletters
from centreon_canopsis.core.bbdo import frame_event
from centreon_canopsis.core.bbdo.codec import BBDOCodec
from centreon_canopsis.core.bbdo.errors import DecodeError
from centreon_canopsis.core.bbdo.kept import RAW_KEEP, CannotDecodeAgain, decode_again
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.bbdo import BBDOSource
from centreon_canopsis.standins.broker.peer import BrokerPeer, RawBytes
from tests.delivery.helpers import cli, configuration, sandbox, seqs, statuses
from tests.ops.helpers import EnvDaemon, settings, wait_until, write_toml
from tests.support.config import make_config
from tests.support.recorder import Recorder

SERVICE_STATUS = 0x0001001D  # pb_service_status (BBDO 3)


def corrupt_payload() -> bytes:
    """A service status whose protobuf ends in a varint that never ends: the decoder refuses it."""
    _, payload, _ = BBDOCodec().encode_payload(statuses(1, start=99)[0])
    bad = payload + b"\x08\xff\xff\xff"
    with pytest.raises(DecodeError):
        BBDOCodec().decode(SERVICE_STATUS, bad)
    return bad


def cli_json(*args: str) -> Any:
    done = cli(*args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("process", ["thread", "child"])
def test_a_corrupt_event_between_good_ones_is_kept_whole_and_stays_when_retried(
    tmp_path: Path, process: str
) -> None:
    box = sandbox()
    try:
        top, tables = settings(tmp_path, box.port, **{"hard_only": 0})
        tables["source"]["process"] = process
        config = write_toml(tmp_path / "connector.toml", top, tables)
        bad = corrupt_payload()
        with EnvDaemon(config) as daemon:
            port = daemon.bbdo_port()
            stream = [
                *configuration(),
                *statuses(3),
                RawBytes(frame_event(SERVICE_STATUS, bad)),
                *statuses(3, 3),
            ]
            report = BrokerPeer(stream, port=port).run()
            assert report.complete and report.stop_acknowledged, "the bad event is acknowledged too"
            wait_until(lambda: len(seqs(box.received_events())) >= 6, 30, "the good events")
            wait_until(lambda: daemon.metric("outbox_items") == 0, 10, "an empty outbox")
            assert seqs(box.received_events()) == list(range(6)), "the good ones, exactly, in order"
            assert daemon.metric("events_invalid_total", reason="undecodable") == 1
            assert daemon.metric("dead_letters_total", stage="input") == 1
            wait_until(  # with the reader in a child: as its next report says
                lambda: daemon.metric("bbdo_decode_errors_total", kind="undecodable") == 1, 10, "the count"
            )

            listed = cli_json("deadletters", "list", "-c", str(config), "--json")
            assert listed["total"] == 1
            [letter] = listed["dead_letters"]
            assert letter["stage"] == "input" and letter["key"].startswith("broker 127.0.0.1:")
            assert letter["reason"].startswith("invalid input: undecodable BBDO event: pb_service_status")
            [shown] = cli_json("deadletters", "show", "-c", str(config), str(letter["id"]), "--json")
            body = shown["body"]
            assert base64.b64decode(body["payload_base64"]) == bad, "the exact bytes Broker sent"
            assert body["bbdo_event_id"] == SERVICE_STATUS and body["bbdo_codec"] == "pb"
            assert body["bbdo_type"] == "pb_service_status" and body["payload_size"] == len(bad)
            text = cli("deadletters", "show", "-c", str(config), str(letter["id"])).stdout
            assert '"payload_base64"' in text and "undecodable BBDO event" in text

            # Today's decoder fails on it too: it stays, with the reason of this attempt.
            retried = cli_json("deadletters", "retry", "-c", str(config), "--stage", "input", "--json")
            assert (retried["reprocessed"], retried["failed_again"], retried["queued"]) == (1, 1, 0)
            assert retried["skipped"] == []
            [after] = cli_json("deadletters", "list", "-c", str(config), "--json")["dead_letters"]
            assert after["id"] == letter["id"] and after["attempts"] == 1
            assert after["reason"].startswith("invalid input: undecodable BBDO event: pb_service_status")
            [again] = cli_json("deadletters", "show", "-c", str(config), str(letter["id"]), "--json")
            assert again["body"] == body
            assert seqs(box.received_events()) == list(range(6)), "nothing sent for it"
            assert daemon.stop() == 0
    finally:
        box.stop()


def test_an_event_a_decoder_bug_refused_is_processed_once_the_decoder_is_fixed(tmp_path, monkeypatch):
    """A decoder that raises (a bug) on one event; after the fix, ``retry`` decodes the kept
    payload and the event goes through the stages into the outbox."""
    real = BBDOCodec.decoders.fget

    def buggy(decoder: Any) -> Any:
        def decode(payload: bytes) -> dict[str, Any]:
            if b"decoder-bug" in payload:
                raise IndexError("a bug")
            return decoder(payload)

        return decode

    # The session calls each type's decoder from this mapping (BBDOCodec.decode is not on its path).
    monkeypatch.setattr(
        BBDOCodec,
        "decoders",
        property(lambda codec: {event_id: buggy(decoder) for event_id, decoder in real(codec).items()}),
    )
    with Recorder() as recorder:
        config = make_config(tmp_path / "state", recorder.port, hard_only=0)
        pipeline = Pipeline(config)
        source = BBDOSource.from_config({"type": "bbdo", "port": 0, "ack_interval": 0.1})
        source.start()
        runner = threading.Thread(target=pipeline.run, args=(source,), daemon=True)
        runner.start()
        try:
            [victim] = statuses(1, start=1)
            victim["output"] = "CHECK seq=0000001 decoder-bug"
            events = [*configuration(), *statuses(1), victim, *statuses(1, 2)]
            report = BrokerPeer(events, port=source.address[1]).run()
            assert report.complete and report.stop_acknowledged
            wait_until(lambda: len(recorder.events()) >= 2, 20, "the good events")
            assert pipeline.invalid == 1
        finally:
            pipeline.request_stop()
            runner.join(10)
            pipeline.close(5)
    assert seqs(recorder.events()) == [0, 2]
    connection = pipeline.store.connect()
    try:
        [letter] = deadletters.select(connection, deadletters.Filters())
    finally:
        connection.close()
    assert letter.reason.startswith("invalid input: decoder failure on 1:29 (0x0001001d): IndexError")

    monkeypatch.undo()  # the fixed decoder
    report = deadletters.retry(config, deadletters.Filters(stage="input"))
    assert (report.reprocessed, report.queued, report.failed_again, report.skipped) == (1, 1, 0, [])
    connection = pipeline.store.connect()
    try:
        assert deadletters.select(connection, deadletters.Filters()) == []
        bodies = [orjson.loads(body) for (body,) in connection.execute("SELECT body FROM outbox")]
    finally:
        connection.close()
    assert [body["output"] for body in bodies] == ["CHECK seq=0000001 decoder-bug"]


def test_a_long_undecodable_payload_keeps_its_start_only(make_source) -> None:
    source, collector = make_source()
    huge = b"\xff" * (RAW_KEEP + 70_000)  # split in packets by the peer, reassembled, refused
    report = BrokerPeer(
        [RawBytes(frame_event(SERVICE_STATUS, huge, mapped=False))], port=source.address[1]
    ).run()
    assert report.complete
    collector.wait_for(lambda: len(collector.rejected) == 1)
    [rejected] = collector.rejected
    assert f"(first {RAW_KEEP} of {len(huge)} bytes kept)" in rejected.reason
    body = orjson.loads(rejected.raw)
    assert body["payload_size"] == len(huge)
    assert base64.b64decode(body["payload_base64"]) == huge[:RAW_KEEP]
    with pytest.raises(CannotDecodeAgain, match="cannot be decoded again"):
        decode_again(body, BBDOCodec())
