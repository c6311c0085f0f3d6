"""JSON lines: one Broker event per line, from a file or standard input.

For a file, the position committed with each batch is ``<inode>:<byte offset>``: a restarted
``run`` resumes after the last committed batch, and starts over (with a warning) when the file
was replaced or truncated. With ``follow``, the end of the file is not the end of the source:
new lines are read as they arrive, like ``tail -F``, and a rotated file is finished before the
new one is opened.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import BinaryIO

import orjson

from centreon_canopsis.core.sources.base import Batch

log = logging.getLogger(__name__)

BATCH_LINES = 2000  # events per batch (one commit each) while catching up
CHUNK = 1 << 20
POLL = 0.1  # seconds between checks for new lines in follow mode


class JsonLinesSource:
    def __init__(self, path: str, follow: bool = False, batch_lines: int = BATCH_LINES) -> None:
        self.path = path
        self.follow = follow and path != "-"
        #: Called while following and no new line is there (the pipeline's loop stays alive).
        self.on_idle: Callable[[], None] | None = None
        self.batch_lines = batch_lines
        self.name = "jsonl:stdin" if path == "-" else f"jsonl:{os.path.abspath(path)}"
        self.origin = "stdin" if path == "-" else os.path.basename(path)
        self._closed = threading.Event()
        #: Bytes read so far, for progress bars.
        self.offset = 0

    @classmethod
    def from_config(cls, settings: dict, follow: bool | None = None) -> JsonLinesSource:
        return cls(settings.get("path", "-"), settings.get("follow", True) if follow is None else follow)

    def close(self) -> None:
        self._closed.set()

    def size(self) -> int | None:
        """Size of the file, for progress bars (None for standard input)."""
        if self.path == "-":
            return None
        try:
            return os.stat(self.path).st_size
        except OSError:
            return None

    def batches(self, resume: str | None) -> Iterator[Batch]:
        if self.path == "-":
            yield from self._read(sys.stdin.buffer, 0, None, line_number=0)
            return
        handle = open(self.path, "rb")  # noqa: SIM115 - closed below, across follow-mode reopenings
        try:
            inode = os.fstat(handle.fileno()).st_ino
            offset, lines = self._resume_point(resume, inode, os.fstat(handle.fileno()).st_size)
            handle.seek(offset)
            while True:
                yield from self._read(handle, offset, inode, lines)
                if not self.follow or self._closed.is_set():
                    return
                # Rotated (the path names another file, the old one read to its end) or truncated.
                handle.close()
                handle = open(self.path, "rb")  # noqa: SIM115
                inode = os.fstat(handle.fileno()).st_ino
                offset, lines = 0, 0
                log.info("%s was rotated; reading the new file from the start", self.path)
        finally:
            handle.close()

    def _resume_point(self, resume: str | None, inode: int, size: int) -> tuple[int, int]:
        if not resume:
            return 0, 0
        try:
            stored_inode, stored_offset, stored_lines = (int(part) for part in resume.split(":"))
        except ValueError:
            log.warning("%s: unreadable stored position %r; reading from the start", self.path, resume)
            return 0, 0
        if stored_inode != inode or stored_offset > size:
            log.warning("%s was replaced or truncated since the last run; reading from the start", self.path)
            return 0, 0
        log.info("%s: resuming at line %d (byte %d)", self.path, stored_lines + 1, stored_offset)
        return stored_offset, stored_lines

    def _read(self, handle: BinaryIO, offset: int, inode: int | None, line_number: int) -> Iterator[Batch]:
        """Yields batches from ``handle``; in follow mode returns only when the file was rotated."""
        buffer = b""
        events: list = []
        labels: list[int] = []
        rejected: list[tuple[int, str]] = []
        consumed = offset  # bytes up to the end of the last complete line
        loads = orjson.loads
        while not self._closed.is_set():
            chunk = handle.read(CHUNK) if inode is not None else handle.read1(CHUNK)  # type: ignore[attr-defined]
            if chunk:
                buffer += chunk
                lines = buffer.split(b"\n")
                buffer = lines.pop()
                for line in lines:
                    line_number += 1
                    consumed += len(line) + 1
                    if not line.strip():
                        continue
                    try:
                        events.append(loads(line))
                        labels.append(line_number)
                    except orjson.JSONDecodeError as error:
                        rejected.append((line_number, f"not valid JSON: {error}"))
                    if len(events) >= self.batch_lines:
                        yield self._batch(events, labels, rejected, inode, consumed, line_number)
                        events, labels, rejected = [], [], []
                self.offset = consumed + len(buffer)
                continue
            # End of what is there now: hand over what we have before waiting for more.
            if events or rejected:
                yield self._batch(events, labels, rejected, inode, consumed, line_number)
                events, labels, rejected = [], [], []
            if not self.follow:
                if buffer.strip():  # a last line without its newline
                    line_number += 1
                    consumed += len(buffer)
                    try:
                        events.append(loads(buffer))
                        labels.append(line_number)
                    except orjson.JSONDecodeError as error:
                        rejected.append((line_number, f"not valid JSON: {error}"))
                    yield self._batch(events, labels, rejected, inode, consumed, line_number)
                return
            if self._rotated(handle):
                return
            if self.on_idle is not None:
                self.on_idle()
            self._closed.wait(POLL)

    def _rotated(self, handle: BinaryIO) -> bool:
        try:
            current = os.stat(self.path)
        except FileNotFoundError:
            return False  # between the move and the creation of the new file
        mine = os.fstat(handle.fileno())
        if current.st_ino != mine.st_ino:
            return handle.tell() >= mine.st_size  # only once the old file is read to its end
        if current.st_size < handle.tell():
            log.warning("%s was truncated; reading from the start", self.path)
            return True  # reopened from the start by batches()
        return False

    def _batch(
        self,
        events: list,
        labels: list[int],
        rejected: list,
        inode: int | None,
        consumed: int,
        line_number: int,
    ) -> Batch:
        position = None if inode is None else f"{inode}:{consumed}:{line_number}"
        return Batch(events, position, None, self.origin, labels, rejected)
