"""The Canopsis HTTP client on real loopback servers: what goes on the wire (headers, body,
query), what comes back (:class:`Answer`), errors as requests' exception classes, TLS
verification, proxy credentials, and redirects (not followed: retried loudly, nothing lost)."""

from __future__ import annotations

import base64
import gzip
import socket
import ssl
import threading

import orjson
import pytest
import requests
from urllib3 import HTTPHeaderDict

from centreon_canopsis.core.model import Outcome
from centreon_canopsis.core.secrets import Secret
from centreon_canopsis.plugins.builtin.canopsis.answers import RetryStatuses, http_error, transport_failure
from centreon_canopsis.plugins.builtin.canopsis.client import (
    USER_AGENT,
    Answer,
    AnswerTooLarge,
    CanopsisClient,
)
from tests.delivery.helpers import Daemon, seqs, wait_until, write_config, write_stream
from tests.support.hostile_http import HostileCanopsis
from tests.support.pki import PKI
from tests.support.recorder import Answer as Scripted
from tests.support.recorder import Recorder, canopsis_like

AUTHKEY = "4uthk3y-0f-th3-t3st"
PROXY_PASSWORD = "pr0xy-P4ss"


def client_for(port: int, scheme: str = "http", **options) -> CanopsisClient:
    return CanopsisClient(f"{scheme}://127.0.0.1:{port}", Secret(AUTHKEY), timeout=5, **options)


def test_a_request_carries_the_authkey_in_its_header_and_the_body_as_compact_json():
    with Recorder() as recorder:
        client = client_for(recorder.port)
        answer = client.request("POST", "/api/v4/event", body=[{"event_type": "check", "state": 2}])
        deleted = client.request("DELETE", "/api/v4/pbehaviors", params={"name": "a b/é&c"})
    assert answer.status_code == 200 and answer.ok
    assert answer.json() == {"sent_events": [{"event_type": "check", "state": 2}], "failed_events": [],
                             "retry_events": []}  # fmt: skip
    post, delete = recorder.requests
    assert (post.method, post.path) == ("POST", "/api/v4/event")
    assert post.body == b'[{"event_type":"check","state":2}]'
    assert post.headers["x-canopsis-authkey"] == AUTHKEY
    assert post.headers["content-type"] == "application/json"
    assert post.headers["user-agent"] == USER_AGENT
    assert (delete.method, delete.path) == ("DELETE", "/api/v4/pbehaviors")
    assert delete.query == {"name": ["a b/é&c"]}
    assert deleted.ok and "content-type" not in delete.headers
    assert AUTHKEY not in repr(answer) + repr(vars(client)) + repr(client)


def test_an_answer_reads_status_headers_and_text_in_its_charset():
    def respond(request):
        return Scripted(503, {"error": "busy"}, {"Retry-After": "7"})

    with Recorder(respond) as recorder:
        busy = client_for(recorder.port).request("GET", "/api/v4/event")
    assert (busy.status_code, busy.ok, busy.json()) == (503, False, {"error": "busy"})
    assert busy.headers["retry-after"] == "7" and busy.headers["Retry-After"] == "7"
    latin_type = HTTPHeaderDict({"Content-Type": "text/plain; charset=ISO-8859-1"})
    latin = Answer(200, latin_type, b"caf\xe9", "OK", "u")
    assert latin.text == "café"
    unknown_type = HTTPHeaderDict({"Content-Type": "text/plain; charset=nope"})
    unknown = Answer(200, unknown_type, b"caf\xc3\xa9", "OK", "u")
    assert unknown.text == "café"  # an unknown charset: UTF-8
    with pytest.raises(ValueError):
        Answer(502, HTTPHeaderDict(), b"<html>Bad Gateway</html>", "Bad Gateway", "u").json()


def test_no_answer_raises_requests_exception_classes_without_the_authkey():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(requests.exceptions.ConnectionError) as refused:
        client_for(port).request("POST", "/api/v4/event", body=[])
    assert AUTHKEY not in str(refused.value)

    silent = socket.socket()  # accepts, reads, never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    accepted = []
    threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
    try:
        client = CanopsisClient(f"http://127.0.0.1:{silent.getsockname()[1]}", Secret(AUTHKEY), timeout=0.3)
        with pytest.raises(requests.exceptions.ReadTimeout):
            client.request("GET", "/api/v4/app-info")
    finally:
        silent.close()
        for connection, _ in accepted:
            connection.close()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    import shutil

    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not available")
    return PKI(tmp_path_factory.mktemp("pki"))


def tls_recorder(pki: PKI) -> Recorder:
    recorder = Recorder()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, pki.server))
    recorder.server.socket = context.wrap_socket(recorder.server.socket, server_side=True)
    return recorder


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # verify=False warns
def test_https_is_verified_against_the_configured_ca_file(pki):
    with tls_recorder(pki) as recorder:
        trusted = client_for(recorder.port, "https", verify=str(pki.ca))
        assert trusted.request("POST", "/api/v4/event", body=[{"n": 1}]).ok
        for verify in (True, str(pki.other_ca)):  # the public CA bundle, another CA
            with pytest.raises(requests.exceptions.SSLError):
                client_for(recorder.port, "https", verify=verify).request("GET", "/api/v4/app-info")
        assert client_for(recorder.port, "https", verify=False).request("GET", "/api/v4/app-info").ok
    assert [r.body for r in recorder.requests if r.method == "POST"] == [b'[{"n":1}]']
    assert recorder.requests[0].headers["x-canopsis-authkey"] == AUTHKEY


def test_a_proxy_gets_the_credentials_in_a_header_and_never_in_a_url():
    with Recorder() as proxy:
        client = CanopsisClient(
            "http://canopsis.example:8082",
            Secret(AUTHKEY),
            proxy=f"http://127.0.0.1:{proxy.port}",
            proxy_username="connector",
            proxy_password=Secret(PROXY_PASSWORD),
        )
        assert client.request("POST", "/api/v4/event", body=[]).ok
    (seen,) = proxy.requests
    expected = base64.b64encode(f"connector:{PROXY_PASSWORD}".encode()).decode()
    assert seen.headers["proxy-authorization"] == f"Basic {expected}"
    assert seen.headers["host"] == "canopsis.example:8082" and seen.path == "/api/v4/event"
    shown = repr(vars(client)) + repr(client)
    assert PROXY_PASSWORD not in shown and expected not in shown


def test_a_redirect_is_not_followed_and_says_where_the_address_points():
    def respond(request):
        return Scripted(301, None, {"Location": "https://canopsis.example/api/v4/event"})

    with Recorder(respond) as recorder:
        answer = client_for(recorder.port).request("POST", "/api/v4/event", body=[{"n": 1}])
    assert len(recorder.requests) == 1, "not followed"
    assert not answer.ok
    (result,) = http_error(answer, RetryStatuses(["5xx"]), 1)
    assert result.outcome is Outcome.RETRY and result.status == 301
    assert "redirects to https://canopsis.example/api/v4/event" in result.reason
    assert "canopsis_host" in result.reason


def test_the_daemon_keeps_redirected_events_until_the_address_answers(tmp_path):
    redirecting = threading.Event()
    redirecting.set()

    def respond(request):
        if redirecting.is_set():
            return Scripted(302, None, {"Location": "http://elsewhere/api/v4/event"})
        return canopsis_like(request)

    with Recorder(respond) as recorder:
        write_stream(tmp_path / "events.jsonl", 10)
        with Daemon(write_config(tmp_path, recorder.port)) as daemon:
            wait_until(lambda: len(recorder.requests) >= 3, 20, "attempts answered by a redirect")
            assert daemon.metric("payloads_dead_lettered_total") == 0
            assert daemon.metric("send_failures_total", route="event", cause="302") >= 1

            def not_ready():
                status, body = daemon.get("/readyz")
                return orjson.loads(body) if status == 503 else None

            detail = wait_until(not_ready, 20, "/readyz 503")["checks"]["configuration"]["detail"]
            assert "redirects to http://elsewhere/api/v4/event" in detail
            redirecting.clear()  # the admin points canopsis_host at the right address
            wait_until(lambda: len(set(seqs(recorder.events()))) == 10, 20, "every event")
            assert daemon.metric("payloads_dead_lettered_total") == 0
            assert "redirects to http://elsewhere/api/v4/event" in daemon.log()
            assert "in halves" not in daemon.log(), "a redirect is about the address, not the events"
            wait_until(lambda: daemon.get("/readyz")[0] == 200, 20, "/readyz 200 again")
            assert daemon.stop() == 0
    assert orjson.loads(recorder.requests[-1].body)  # the last attempt carried events


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_an_answer_too_large_is_not_read_and_the_client_goes_on(encoding):
    """Memory stays bounded whatever the server sends: a body over the limit (or a gzip body that
    inflates over it) raises AnswerTooLarge, a RequestException, and the next request works."""
    big = b"0" * (3 * 1024 * 1024)
    body, headers = (gzip.compress(big), {"Content-Encoding": "gzip"}) if encoding == "gzip" else (big, {})
    server = HostileCanopsis([("answer", (200, body, headers))])
    try:
        client = CanopsisClient(f"http://127.0.0.1:{server.port}", Secret(AUTHKEY), max_answer=1024 * 1024)
        with pytest.raises(AnswerTooLarge, match="over 1,048,576 bytes") as too_large:
            client.request("POST", "/api/v4/event", body=[{"n": 1}])
        assert isinstance(too_large.value, requests.RequestException)
        (result,) = transport_failure(too_large.value)
        assert result.outcome is Outcome.RETRY and "AnswerTooLarge" in result.reason
        assert client.request("POST", "/api/v4/event", body=[{"n": 2}]).json()["sent_events"] == [{"n": 2}]
        assert server.accepted == [b'[{"n":1}]', b'[{"n":2}]']
    finally:
        server.close()
