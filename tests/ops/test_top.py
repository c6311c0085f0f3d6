"""``top`` in a real terminal (tmux), against a running daemon fed over BBDO."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess

import pytest

from centreon_canopsis.standins.broker.peer import BrokerPeer
from tests.delivery.helpers import COMMAND, configuration, sandbox, seqs, statuses, wait_until
from tests.ops.helpers import EnvDaemon, settings, write_toml

TMUX = shutil.which("tmux")
if TMUX is None and os.environ.get("CI") != "true":
    pytest.skip("tmux is not installed (CI installs it)", allow_module_level=True)


def tmux(*args: str) -> str:
    return subprocess.run([TMUX or "tmux", *args], capture_output=True, text=True, check=True).stdout


def test_top_shows_rates_outbox_and_canopsis_and_quits_on_q(tmp_path):
    box = sandbox()
    session = f"cc-top-{os.getpid()}"
    try:
        # Canopsis paced at 1,000 events/s and a small outbox: the feed lasts about 30 s, Broker
        # stays connected while the screen is read.
        box.add_latency(0.1)
        top, tables = settings(tmp_path, box.port, max_batch_size=100)
        tables["delivery"]["max_outbox_events"] = 500
        config = write_toml(tmp_path / "connector.toml", top, tables)
        with EnvDaemon(config) as daemon:
            port = daemon.bbdo_port()
            command = " ".join(shlex.quote(part) for part in [*COMMAND, "top", "-c", str(config)])
            tmux(
                "new-session", "-d", "-s", session, "-x", "120", "-y", "45", f"cd {os.getcwd()} && {command}"
            )
            # A steady feed, so that the rates are not zero when the screen is read.
            peer = BrokerPeer([*configuration(), *statuses(30_000)], port=port).start()
            wait_until(lambda: len(seqs(box.received_events())) > 500, 60, "deliveries")

            def screen() -> str:
                return tmux("capture-pane", "-p", "-t", session)

            def busy() -> str | None:
                """A screen with events flowing in and requests going to Canopsis in the last interval."""
                text = screen()
                line = next((row for row in text.splitlines() if row.startswith("events ")), "")
                flowing = "in" in line and not line.split("in", 1)[1].strip().startswith("0.0/s")
                return text if flowing and "ms per request" in text else None

            text = wait_until(busy, 60, "a screen with events flowing and requests to Canopsis")
            assert "centreon-canopsis " in text and "ready" in text
            assert "payloads   queued" in text and "delivered" in text
            assert "outbox (" in text and "events " in text.split("outbox (", 1)[1]
            assert "dead letters" in text
            assert "200:" in text, "Canopsis answers by status"
            assert "Broker peers   1 connected" in text
            assert "127.0.0.1:" in text.split("Broker peers", 1)[1] and "BBDO 3.0.0" in text
            tmux("send-keys", "-t", session, "q")
            wait_until(
                lambda: (
                    subprocess.run(
                        [TMUX or "tmux", "has-session", "-t", session], capture_output=True
                    ).returncode
                ),
                10,
                "top to quit on q",
            )
            peer.close()
    finally:
        subprocess.run([TMUX or "tmux", "kill-session", "-t", session], capture_output=True)
        box.stop()


def test_top_once_prints_one_frame(tmp_path):
    box = sandbox()
    try:
        top, tables = settings(tmp_path, box.port)
        config = write_toml(tmp_path / "connector.toml", top, tables)
        with EnvDaemon(config) as daemon:
            daemon.bbdo_port()
            daemon.url()
            done = subprocess.run(
                [*COMMAND, "top", "-c", str(config), "--once", "--interval", "0.2"],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 0, done.stderr
            assert "events     in" in done.stdout and "Broker peers" in done.stdout
    finally:
        box.stop()


def test_top_without_a_daemon_exits_3(tmp_path):
    top, tables = settings(tmp_path, 9)
    config = write_toml(tmp_path / "connector.toml", top, tables)
    done = subprocess.run(
        [*COMMAND, "top", "-c", str(config), "--once"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3
    assert "is it running?" in done.stderr


def test_the_view_computes_rates_latency_and_peers_from_two_scrapes():
    from centreon_canopsis.core.cli.top import View

    def scrape(received: float, delivered: float, sends: float, spent: float, peer_events: float):
        p = "centreon_canopsis_"
        return {
            p + "events_received_total": [({}, received)],
            p + "payloads_delivered_total": [({"route": "event"}, delivered)],
            p + "events_dropped_total": [({"reason": "not_accepted"}, received / 2)],
            p + "outbox_items": [({"lane": "events"}, 12.0)],
            p + "outbox_oldest_age_seconds": [({"lane": "events"}, 1.5)],
            p + "send_duration_seconds_count": [({"route": "event"}, sends)],
            p + "send_duration_seconds_sum": [({"route": "event"}, spent)],
            p + "canopsis_responses_total": [({"route": "event", "status": "200"}, sends)],
            p + "bbdo_peers_connected": [({}, 1.0)],
            p + "bbdo_peer_info": [({"peer": "10.0.0.5:41234", "bbdo_version": "3.0.0", "tls": "no"}, 1.0)],
            p + "bbdo_peer_events_received_total": [({"peer": "10.0.0.5:41234"}, peer_events)],
            p + "bbdo_peer_last_event_age_seconds": [({"peer": "10.0.0.5:41234"}, 0.2)],
            p + "ready": [({}, 1.0)],
        }

    lines = View("http://127.0.0.1:1").lines(
        scrape(1000, 500, 10, 0.1, 1000), scrape(3000, 1500, 30, 0.5, 3000), elapsed=2.0, width=200
    )
    text = "\n".join(lines)
    assert "in    1000.0/s" in text, text  # (3000 - 1000) / 2 s
    assert "delivered     500.0/s" in text
    assert "not_accepted" in text and "500.0/s" in text
    assert "events                       12 payloads   oldest 1.5s" in text
    assert "20.0 ms per request (20 requests)" in text  # 0.4 s over 20 requests
    assert "200: 10.0/s" in text
    assert "1 connected" in text
    assert "10.0.0.5:41234" in text and "BBDO 3.0.0" in text and "1000.0/s" in text
    assert "DISCARDED" not in text


def test_the_view_says_when_dead_letters_are_discarded():
    """A full dead-letter table ([delivery] max_dead_letters) shows, with how many went since."""
    from centreon_canopsis.core.cli.top import View

    def scrape(discarded: float):
        p = "centreon_canopsis_"
        return {
            p + "dead_letters": [({"stage": "input"}, 100000.0)],
            p + "dead_letters_discarded_total": [({"stage": "input"}, discarded), ({"stage": "send"}, 0.0)],
        }

    lines = View("http://127.0.0.1:1").lines(scrape(40), scrape(70), elapsed=2.0, width=200)
    assert "  DISCARDED, table full   input 70   (new: 30)" in lines


def test_the_view_shows_where_the_cpu_goes_by_thread():
    from centreon_canopsis.core.cli.top import View

    def scrape(main: float, peer: float, sender: float):
        p = "centreon_canopsis_"
        return {
            p + "process_cpu_seconds_total": [({}, main + peer + sender)],
            p + "thread_cpu_seconds_total": [
                ({"thread": "MainThread"}, main),
                ({"thread": "bbdo-peer"}, peer),
                ({"thread": "sender-events"}, sender),
                ({"thread": "metrics-http"}, 0.0),
            ],
        }

    lines = View("http://127.0.0.1:1").lines(scrape(10, 2, 1), scrape(11.5, 2.4, 1.1), elapsed=2.0, width=200)
    assert "CPU 100 %   MainThread 75 %   bbdo-peer 20 %   sender-events 5 %" in lines, lines
