"""A loopback HTTP server that records every request and answers like ``/api/v4/event``.

Used where a test must see the exact bytes the connector sent (the Canopsis sandbox rewrites
events the way the real API does). Answers can be scripted per request.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def canopsis_like(request: Request) -> Answer:
    """200 with every event in sent_events, as the real API answers valid events."""
    if request.path.endswith("/event") and request.method == "POST":
        try:
            events = request.json()
        except ValueError:  # as the API answers a body that is not JSON
            return Answer(400, {"error": "request has invalid structure"})
        events = events if isinstance(events, list) else [events]
        return Answer(200, {"sent_events": events, "failed_events": [], "retry_events": []})
    return Answer(200, {})


class Recorder:
    def __init__(self, respond: Callable[[Request], Answer] = canopsis_like) -> None:
        self.requests: list[Request] = []
        self.respond = respond
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                answer = recorder.respond(request)
                with recorder._arrived:
                    recorder.requests.append(request)
                    recorder._arrived.notify_all()
                payload = b"" if answer.body is None else json.dumps(answer.body).encode()
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = do_PUT = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> Recorder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self) -> list[dict[str, Any]]:
        """Every event posted to the event route, in order."""
        found = []
        for request in self.requests:
            if request.path.endswith("/event"):
                body = request.json()
                found += body if isinstance(body, list) else [body]
        return found

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        """Waits until ``count`` requests arrived."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.requests) >= count, timeout):
                raise AssertionError(f"{len(self.requests)} requests arrived, {count} expected")
