"""The README's first command: the demo runs end to end (simulated Broker over BBDO -> sandbox)."""

from __future__ import annotations

from centreon_canopsis.core.cli import main
from centreon_canopsis.standins.demo import DemoOptions, run_demo


def test_demo_delivers_everything_and_canopsis_matches_the_stream():
    result = run_demo(DemoOptions(hosts=8, services_per_host=4, events=1500, seed=3))
    assert result.ok
    assert result.acknowledged == result.events, "Broker got an ack for every event"
    assert result.dead_letters == 0
    assert result.stale_alarms == [], "no Canopsis alarm shows a problem Centreon no longer has"
    assert result.expected_problems > 0
    # Problems whose last change the default filters did not drop show with the right state.
    assert result.matching_problems >= result.expected_problems // 2


def test_demo_command(capsys):
    assert (
        main(
            [
                "demo",
                "--hosts",
                "5",
                "--services-per-host",
                "3",
                "--events",
                "800",
                "--bbdo",
                "2",
                "--broker-version",
                "22.10",
                "--canopsis-version",
                "22.10",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "acknowledged by the connector" in out
    assert "OK: every event acknowledged to Broker, every payload delivered, no stale alarm" in out
