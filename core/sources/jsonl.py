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

from centreon_canopsis.core.intake import LINE_TOO_LONG, NOT_JSON
from centreon_canopsis.core.sources.base import Batch, Rejected

log = logging.getLogger(__name__)

BATCH_LINES = 2000  # events per batch (one commit each) while catching up
CHUNK = 1 << 20
POLL = 0.1  # seconds between checks for new lines in follow mode
#: Longest line read (Broker events take a few KiB): a longer one is rejected without being held
#: in memory, and the next line is read.
MAX_LINE = 4 << 20
#: A batch is handed over once its lines add up to this, whatever their count (memory bound).
BATCH_BYTES = 16 << 20
#: Bytes of a rejected line kept in its dead letter.
RAW_KEEP = 64 << 10


class JsonLinesSource:
    def __init__(
        self, path: str, follow: bool = False, batch_lines: int = BATCH_LINES, max_line: int = MAX_LINE
    ) -> None:
        self.path = path
        self.max_line = max_line
        self.follow = follow and path != "-"
        #: Called while following and no new line is there (the pipeline's loop stays alive).
        self.on_idle: Callable[[], None] | None = None
        self.batch_lines = batch_lines
        self.name = "jsonl:stdin" if path == "-" else f"jsonl:{os.path.abspath(path)}"
        self.origin = "stdin" if path == "-" else os.path.basename(path)
        self._closed = threading.Event()
        self._more = False  # see pending()
        #: Bytes read so far, for progress bars.
        self.offset = 0

    @classmethod
    def from_config(cls, settings: dict, follow: bool | None = None) -> JsonLinesSource:
        return cls(settings.get("path", "-"), settings.get("follow", True) if follow is None else follow)

    def close(self) -> None:
        self._closed.set()

    def pending(self) -> bool:
        """The last batch was cut by its size, not by the end of the input: the next one is at
        hand (the pipeline takes it into the same commit). Never for standard input: reading on
        could wait for the writer, holding back the commit of what came."""
        return self._more and self.path != "-"

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
        rejected: list[Rejected] = []
        held = 0  # bytes of the lines in the batch being built
        consumed = offset  # bytes up to the end of the last complete line
        loads = orjson.loads
        limit = self.max_line
        overlong: bytes | None = None  # the start of a line too long to keep, while its end is skipped
        skipped = 0  # bytes of that line so far
        while not self._closed.is_set():
            chunk = handle.read(CHUNK) if inode is not None else handle.read1(CHUNK)  # type: ignore[attr-defined]
            if chunk:
                if overlong is not None:
                    end = chunk.find(b"\n")
                    if end < 0:  # still in the line: drop what came, keep nothing more
                        skipped += len(chunk)
                        self.offset = consumed + skipped
                        continue
                    line_number += 1
                    consumed += skipped + end + 1
                    rejected.append(_too_long(line_number, overlong, skipped + end, limit))
                    overlong, skipped = None, 0
                    chunk = chunk[end + 1 :]
                buffer += chunk
                lines = buffer.split(b"\n")
                buffer = lines.pop()
                for line in lines:
                    line_number += 1
                    size = len(line)
                    consumed += size + 1
                    held += size
                    if size > limit:
                        rejected.append(_too_long(line_number, line, size, limit))
                    elif not line.strip():
                        continue
                    else:
                        try:
                            events.append(loads(line))
                            labels.append(line_number)
                        except orjson.JSONDecodeError as error:
                            rejected.append(_not_json(line_number, line, error))
                    if len(events) + len(rejected) >= self.batch_lines or held >= BATCH_BYTES:
                        self._more = True  # cut by size: more lines are already read or readable
                        yield self._batch(events, labels, rejected, inode, consumed, line_number)
                        events, labels, rejected, held = [], [], [], 0
                if len(buffer) > limit:  # a line longer than the limit and not ended yet
                    overlong, skipped, buffer = buffer[:RAW_KEEP], len(buffer), b""
                self.offset = consumed + len(buffer) + skipped
                continue
            # End of what is there now: hand over what we have before waiting for more.
            if events or rejected:
                self._more = False
                yield self._batch(events, labels, rejected, inode, consumed, line_number)
                events, labels, rejected, held = [], [], [], 0
            if not self.follow:
                if overlong is not None:  # the file ends inside a line too long to keep
                    line_number += 1
                    consumed += skipped
                    rejected.append(_too_long(line_number, overlong, skipped, limit))
                elif buffer.strip():  # a last line without its newline
                    line_number += 1
                    consumed += len(buffer)
                    try:
                        events.append(loads(buffer))
                        labels.append(line_number)
                    except orjson.JSONDecodeError as error:
                        rejected.append(_not_json(line_number, buffer, error))
                if events or rejected:
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


def _not_json(line_number: int, line: bytes, error: Exception) -> Rejected:
    kept = line[:RAW_KEEP]
    cut = f" (first {RAW_KEEP} of {len(line)} bytes kept)" if len(line) > RAW_KEEP else ""
    return Rejected(line_number, f"not valid JSON: {error}{cut}", kept, NOT_JSON)


def _too_long(line_number: int, start: bytes, size: int, limit: int) -> Rejected:
    return Rejected(
        line_number,
        f"line of {size} bytes, longer than the {limit} a Broker event may take "
        f"(first {min(size, RAW_KEEP)} bytes kept)",
        start[:RAW_KEEP],
        LINE_TOO_LONG,
    )
