"""A running daemon with a BBDO listener: its metrics, ``status``'s peer list, and the endpoint's
credentials when ``[metrics]`` asks for them."""

from __future__ import annotations

import base64
import json
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from centreon_canopsis.core.bbdo import Welcome, encode_event, frame_event
from centreon_canopsis.core.bbdo.handshake import encode_stop
from centreon_canopsis.standins.broker.peer import BrokerPeer
from tests.delivery.helpers import Daemon, cli, sandbox, wait_until, write_config

TOKEN = "metrics-t0ken-for-tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status_event(i: int) -> dict:
    return {"category": 1, "element": 29, "host_id": 1, "service_id": 1, "output": f"seq={i:07d}", "state": 0}


@pytest.fixture
def bbdo_daemon(tmp_path: Path):
    box = sandbox()
    port = free_port()
    (tmp_path / "token").write_text(TOKEN + "\n")
    config = write_config(
        tmp_path,
        box.port,
        source={"type": "bbdo", "path": "-", "host": "127.0.0.1", "port": port, "ack_interval": 0.2},
        metrics={"auth_token_file": str(tmp_path / "token")},
    )
    daemon = Daemon(config).start()
    try:
        daemon.url()
        wait_until(lambda: _listening(port), 15, "the BBDO listener")
        yield daemon, port, config
    finally:
        daemon.stop()
        box.stop()


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def get(daemon: Daemon, path: str, authorization: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(daemon.url() + path)
    if authorization:
        request.add_header("Authorization", authorization)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as answer:
        return answer.code, answer.read()


def metric(daemon: Daemon, name: str, **labels: str) -> float:
    from centreon_canopsis.core.cli.status import parse_metrics

    status, body = get(daemon, "/metrics", f"Bearer {TOKEN}")
    assert status == 200
    return sum(
        value
        for found, samples in parse_metrics(body.decode()).items()
        if found == f"centreon_canopsis_{name}"
        for have, value in samples
        if set(labels.items()) <= set(have.items())
    )


def test_metrics_and_status_show_the_peers(bbdo_daemon) -> None:
    daemon, port, config = bbdo_daemon
    # the endpoint asks for the token (but not for liveness)
    assert get(daemon, "/metrics")[0] == 401
    assert get(daemon, "/readyz")[0] == 401
    assert get(daemon, "/metrics", "Bearer wrong")[0] == 401
    assert get(daemon, "/healthz")[0] == 200
    # a Broker that stays connected, and one that sends garbage then leaves
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(Welcome.for_version("3.0.1").encode())
    sock.sendall(b"".join(encode_event(status_event(i)) for i in range(20)))
    sock.sendall(frame_event(0x0001001D, b"\xff\xff\xff"))  # undecodable
    wait_until(lambda: metric(daemon, "bbdo_peer_events_acked_total") == 21, 20, "21 events acknowledged")
    assert metric(daemon, "bbdo_peers_connected") == 1
    assert metric(daemon, "bbdo_peer_info", bbdo_version="3.0.1", tls="no") == 1
    assert metric(daemon, "bbdo_peer_events_received_total") == 21
    assert metric(daemon, "bbdo_decode_errors_total", kind="undecodable") == 1
    assert 0 <= metric(daemon, "bbdo_peer_last_event_age_seconds") < 60
    assert metric(daemon, "bbdo_acks_sent_total") >= 1
    done = cli("status", "-c", str(config), "--json")
    assert done.returncode == 0, done.stderr
    (peer,) = json.loads(done.stdout)["endpoint"]["metrics"]["bbdo_peers"]
    assert peer["bbdo_version"] == "3.0.1" and peer["events_received"] == 21 and peer["events_acked"] == 21
    assert peer["peer"].startswith("127.0.0.1:") and peer["last_ack_age_seconds"] is not None
    text = cli("status", "-c", str(config)).stdout
    assert f"peer:        {peer['peer']} BBDO 3.0.1: 21 events, 21 acknowledged" in text
    assert TOKEN not in done.stdout + text + done.stderr
    sock.sendall(encode_stop())
    time.sleep(0.3)
    sock.close()
    garbage = socket.create_connection(("127.0.0.1", port), timeout=5)
    garbage.sendall(b"GET / HTTP/1.0\r\n\r\n")
    garbage.close()
    wait_until(lambda: metric(daemon, "bbdo_peers_connected") == 0, 20, "peers gone")
    assert metric(daemon, "bbdo_connections_closed_total", reason="stopped") == 1
    wait_until(
        lambda: metric(daemon, "bbdo_connections_closed_total", reason="handshake_failed") == 2,
        20,
        "the garbage peer (and the fixture's probe) closed",
    )
    assert metric(daemon, "bbdo_connections_accepted_total") == 3  # with the listening probe
    assert metric(daemon, "bbdo_handshake_failures_total") == 2
    assert TOKEN not in daemon.log()
    # everything exposed is in the catalogue, and the catalogue is in the docs
    from centreon_canopsis.core.cli.status import parse_metrics
    from centreon_canopsis.core.metrics import CATALOGUE

    body = get(daemon, "/metrics", f"Bearer {TOKEN}")[1].decode()
    exposed = {name.removeprefix("centreon_canopsis_") for name in parse_metrics(body)}
    exposed = {n.removesuffix("_bucket").removesuffix("_sum").removesuffix("_count") for n in exposed}
    described = {info.name for info in CATALOGUE}
    assert exposed <= described, f"undocumented metrics: {exposed - described}"
    docs = (Path(__file__).resolve().parents[2] / "docs" / "delivery.md").read_text()
    bbdo = {name for name in described if name.startswith("bbdo_")}
    assert len(bbdo) >= 15 and all(f"| `{name}` |" in docs for name in bbdo)


def test_basic_auth_and_the_tap_rule() -> None:
    from centreon_canopsis.core.endpoint_auth import EndpointAuth
    from centreon_canopsis.core.secrets import Secret

    auth = EndpointAuth(user="prometheus", password=Secret("s3cret"), loopback=False)
    good = "Basic " + base64.b64encode(b"prometheus:s3cret").decode()
    bad = "Basic " + base64.b64encode(b"prometheus:nope").decode()
    assert auth.check("/metrics", good) is None
    assert auth.check("/metrics", bad) == (401, "credentials required")
    assert auth.check("/metrics", "Basic !!!") == (401, "credentials required")
    assert auth.check("/healthz", None) is None
    assert auth.check("/tap", good) is None
    open_remote = EndpointAuth(loopback=False)
    assert open_remote.check("/metrics", None) is None
    assert open_remote.check("/tap", None)[0] == 403  # payloads: loopback or credentials only
    assert EndpointAuth(loopback=True).check("/tap", None) is None
    assert "s3cret" not in repr(auth)


def test_endpoint_secrets_are_validated_and_masked(tmp_path: Path) -> None:
    from centreon_canopsis.core.config import ConfigError, from_mapping

    base = {"canopsis_host": "c.example", "canopsis_authkey": "k"}
    with pytest.raises(ConfigError) as caught:
        from_mapping(
            {**base, "metrics": {"auth_user": "p", "auth_token_file": "missing"}}, env={}, base_dir=tmp_path
        )
    text = "\n".join(caught.value.errors)
    assert "metrics.auth_token_file = 'missing' cannot be read" in text
    assert "metrics.auth_user and metrics.auth_password" in text
    config = from_mapping({**base, "metrics": {"host": "0.0.0.0"}}, env={})
    assert any("metrics.host = '0.0.0.0'" in w for w in config.warnings)
    config = from_mapping({**base, "metrics": {"host": "0.0.0.0", "auth_token": "abcdefgh1234"}}, env={})
    assert not config.warnings and "abcdefgh1234" not in repr(config.metrics)


def test_a_broker_feeding_the_daemon_is_delivered(bbdo_daemon) -> None:
    daemon, port, _config = bbdo_daemon
    report = BrokerPeer([status_event(i) for i in range(50)], port=port).run()
    assert report.complete and report.stop_acknowledged
    wait_until(lambda: metric(daemon, "bbdo_events_acked_total") >= 50, 20, "acknowledged")


def test_undecodable_events_are_counted_but_logged_a_few_times(bbdo_daemon) -> None:
    daemon, port, _config = bbdo_daemon
    bad = frame_event(0x0001001D, b"\xff\xff\xff")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(Welcome.for_version("3.0.0").encode() + bad * 500 + encode_stop())
        sock.settimeout(10)
        sock.recv(100)  # the final ack
    wait_until(lambda: metric(daemon, "events_invalid_total") == 500, 20, "500 invalid events counted")
    assert metric(daemon, "bbdo_decode_errors_total", kind="undecodable") == 500
    log = daemon.log()
    assert 1 <= log.count("undecodable BBDO event") <= 5, log.count("undecodable BBDO event")
