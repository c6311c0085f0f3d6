"""A raw HTTP/1.1 server playing Canopsis with scripted hostile answers (the answers fuzz test,
the client's bounds)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import orjson


class HostileCanopsis:
    """A raw HTTP/1.1 server: scripted answers first, then answers like ``/api/v4/event``."""

    def __init__(self, script: list[tuple[str, Any]]) -> None:
        self.script = list(script)
        self.lock = threading.Lock()
        #: Bodies of the requests answered with a real, complete 2xx.
        self.accepted: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.closed = True
        self.listener.close()

    def _accept(self) -> None:
        while not self.closed:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        reader = connection.makefile("rb")
        try:
            while True:
                head = []
                while (line := reader.readline(65536)) not in (b"\r\n", b"\n", b""):
                    head.append(line)
                if not head:
                    return
                length = 0
                for line in head[1:]:
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                body = reader.read(length)
                with self.lock:
                    kind, detail = self.script.pop(0) if self.script else ("ok", None)
                if not self._answer(connection, kind, detail, body):
                    return
        except OSError:
            return
        finally:
            reader.close()
            connection.close()

    def _answer(self, connection: socket.socket, kind: str, detail: Any, body: bytes) -> bool:
        if kind == "ok":
            events = orjson.loads(body)
            answer = orjson.dumps({"sent_events": events, "failed_events": [], "retry_events": []})
            # Recorded before the answer leaves: once the client has it, the test may look.
            with self.lock:
                self.accepted.append(body)
            connection.sendall(_response(200, answer, {}))
            return True
        if kind == "answer":
            status, payload, headers = detail
            if 200 <= status < 300:
                with self.lock:
                    self.accepted.append(body)
            connection.sendall(_response(status, payload, headers))
            return True
        if kind == "partial":
            connection.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"sent_')
        elif kind == "slow":
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
            time.sleep(2.5)  # past connection_timeout
            connection.sendall(b"{}")
        elif kind == "garbage":
            connection.sendall(detail)
        return False  # the connection is closed after these


def _response(status: int, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} Fuzz", f"Content-Length: {len(body)}", "Content-Type: application/json"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
