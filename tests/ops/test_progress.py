"""Long runs show progress: replay shows the delivery after reading reached 100 %."""

from __future__ import annotations

from tests.delivery.helpers import cli, sandbox, seqs, write_config, write_stream


def test_replay_progress_goes_on_with_the_delivery(tmp_path):
    box = sandbox()
    try:
        events = write_stream(tmp_path / "events.jsonl", 300)
        config = write_config(tmp_path, box.port, events)
        done = cli("replay", "-c", str(config), "--progress", str(events))
        assert done.returncode == 0, done.stderr
        bars = done.stderr.replace("\r", "\n")
        assert "replay: 100%" in bars
        assert "delivered: 100%" in bars and "300/300" in bars, bars[-500:]
        assert bars.index("replay: 100%") < bars.rindex("delivered: 100%")
        assert len(seqs(box.received_events())) == 300
    finally:
        box.stop()
