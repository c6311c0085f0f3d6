"""A proxy answering 407 (a wrong proxy password) is a misconfiguration, like 401/403: the
payloads are retried loudly and never dead-lettered, and ``/readyz`` answers 503 with the reason
(issue 10, item 3). A real proxy on loopback answers 407 to everything, then lets requests
through once "fixed", forwarding them to the Canopsis sandbox."""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import orjson
import pytest

from tests.delivery.helpers import Daemon, sandbox, seqs, wait_until, write_config, write_stream

PROXY_PASSWORD = "pr0xy-S3cret"


class Proxy(ThreadingHTTPServer):
    """A forward proxy for plain HTTP: 407 while ``refusing``, else forwards to the target."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.refusing = True
        self.seen = 0
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class ProxyHandler(BaseHTTPRequestHandler):
    server: Proxy

    def _relay(self) -> None:
        self.server.seen += 1
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.server.refusing:
            answer = b'{"error":"proxy authentication required"}'
            self.send_response(407)
            self.send_header("Proxy-Authenticate", 'Basic realm="proxy"')
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
            return
        target = urlsplit(self.path)  # a proxy gets the absolute URL
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-authorization", "host")}
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        path = target.path + (f"?{target.query}" if target.query else "")
        upstream.request(self.command, path, body=body or None, headers=headers)
        response = upstream.getresponse()
        data = response.read()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_GET = do_POST = do_DELETE = do_PUT = _relay

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def proxy():
    server = Proxy()
    yield server
    server.close()


def test_a_proxy_answering_407_is_retried_loudly_never_dead_lettered_and_readyz_says_why(tmp_path, proxy):
    box = sandbox()
    try:
        write_stream(tmp_path / "events.jsonl", 20)
        config = write_config(
            tmp_path,
            box.port,
            proxy_address="127.0.0.1",
            proxy_port=proxy.port,
            proxy_protocol="http",
            proxy_username="connector",
            proxy_password=PROXY_PASSWORD,
        )
        with Daemon(config) as daemon:
            wait_until(lambda: proxy.seen >= 5, 20, "attempts through the proxy")

            def not_ready():
                status, body = daemon.get("/readyz")
                return (status, orjson.loads(body)) if status == 503 else None

            _, ready = wait_until(not_ready, 20, "/readyz 503")
            detail = ready["checks"]["configuration"]["detail"]
            assert "407" in detail and "proxy_password" in detail
            assert daemon.metric("payloads_dead_lettered_total") == 0
            assert daemon.metric("send_failures_total", route="event", cause="407") >= 1
            proxy.refusing = False  # the admin fixes the password
            wait_until(lambda: len(set(seqs(box.published_events()))) == 20, 20, "every event")
            wait_until(lambda: daemon.get("/readyz")[0] == 200, 20, "/readyz 200 again")
            assert daemon.metric("payloads_dead_lettered_total") == 0
            log = daemon.log()
            assert "proxy_password" in log, "the misconfiguration is logged"
            assert PROXY_PASSWORD not in log
            assert daemon.stop() == 0
    finally:
        box.stop()
