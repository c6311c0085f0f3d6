"""Fixtures of the BBDO tests: a stand-in pipeline, sources on loopback, TLS material."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from centreon_canopsis.core import logsafe
from centreon_canopsis.core.bbdo.settings import BBDOSettings
from centreon_canopsis.core.sources.base import Batch
from centreon_canopsis.core.sources.bbdo import BBDOSource
from tests.support.pki import PKI


class Collector:
    """Plays the pipeline: reads batches, "commits" them (records events) and calls on_commit.

    ``hold`` stops committing (batches are read but not committed); ``pause`` stops asking for
    batches at all (backpressure).
    """

    def __init__(self, source: BBDOSource) -> None:
        self.source = source
        self.events: list[dict[str, Any]] = []
        self.batches: list[Batch] = []
        self.rejected: list[tuple[Any, str]] = []
        self.held: list[Batch] = []
        self.hold = False
        self.resume = threading.Event()
        self.resume.set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for batch in self.source.batches(None):
            self.resume.wait()
            with self._lock:
                self.batches.append(batch)
                if self.hold:
                    self.held.append(batch)
                    continue
                self._commit(batch)

    def _commit(self, batch: Batch) -> None:
        self.events.extend(batch.events)
        self.rejected.extend(batch.rejected)
        if batch.on_commit is not None:
            batch.on_commit()

    def release(self) -> None:
        """Commits the held batches and stops holding."""
        with self._lock:
            self.hold = False
            for batch in self.held:
                self._commit(batch)
            self.held.clear()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; counters: {self.source.counters}")
            time.sleep(0.01)

    def wait_events(self, count: int, timeout: float = 10.0) -> None:
        self.wait_for(lambda: len(self.events) >= count, timeout)


@pytest.fixture(autouse=True)
def _fresh_log_limits() -> Iterator[None]:
    """Per-peer warnings are rate-limited process-wide: each test starts with none spent."""
    logsafe.reset_limits()
    yield
    logsafe.reset_limits()


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


@pytest.fixture
def make_source() -> Iterator[Callable[..., tuple[BBDOSource, Collector]]]:
    """``make_source(**config)``: a started listen-mode source on a free port, and its Collector."""
    made: list[BBDOSource] = []

    def make(**config: Any) -> tuple[BBDOSource, Collector]:
        config.setdefault("port", 0)
        overrides = {k: config.pop(k) for k in list(config) if k not in _CONFIG_KEYS}
        source = BBDOSource.from_config({"type": "bbdo", **config}, **overrides)
        made.append(source)
        source.start()
        return source, Collector(source)

    yield make
    for source in made:
        source.close()


_CONFIG_KEYS = set(BBDOSettings.CONFIG_KEYS)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate and key for 127.0.0.1 (generated with the openssl CLI)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not available")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not available")
    return PKI(tmp_path_factory.mktemp("pki"))
