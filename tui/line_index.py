"""LineIndex: random access to the lines of a large text file through a sparse index of line offsets.

One scan (on a worker thread) records where every STRIDE-th line starts; reading line n seeks to
the nearest recorded line and walks forward at most STRIDE - 1 lines. Memory stays small (about
one offset per STRIDE lines) and no line is ever read whole beyond `max_bytes`, so a 1 GB file,
or one with a 100 MB line of base64 images, previews as fast as a small one.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

STRIDE = 64
SCAN_CHUNK = 1 << 20
SKIP_CHUNK = 1 << 20
SHOWN_BYTES = 256 * 1024  # the most of one line a preview reads (the rest is counted, not read)
SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class LineRead:
    number: int  # 1-based
    data: bytes  # the line without its line break, cut at max_bytes
    length: int  # the whole line's length in bytes
    truncated: bool


def sniff(head: bytes) -> str | None:
    """Why the start of a file shows it cannot be previewed as UTF-8 text, or None when it can."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "It is UTF-16 text, not UTF-8."
    nul = head.find(b"\x00")
    if nul >= 0:
        return f"It is binary, not text (a NUL byte at offset {nul:,})."
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)  # a character cut at the end of the sample is not an error
    except UnicodeDecodeError as error:
        return f"It is not UTF-8 text (an invalid byte at offset {error.start:,})."
    return None


class LineIndex:
    """Where the lines of `path` start. `scan()` fills it in; reads work before and during the scan."""

    def __init__(self, path: Path, size: int, *, stride: int = STRIDE) -> None:
        self.path = path
        self.size = size
        self.stride = stride
        # _starts[k] is the byte offset of line k * stride (0-based). Appends are atomic under the
        # GIL, so readers on other threads always see a consistent prefix.
        self._starts: list[int] = [0]
        self.lines_seen = 0  # complete lines counted so far
        self.bytes_scanned = 0
        self.complete = False

    @property
    def line_count(self) -> int | None:
        """How many lines the file has, once the scan has finished."""
        return self.lines_seen if self.complete else None

    @property
    def fraction_scanned(self) -> float:
        return 1.0 if self.complete or not self.size else min(1.0, self.bytes_scanned / self.size)

    def scan(self, progress: Callable[[], None] | None = None, cancelled: Callable[[], bool] | None = None) -> None:
        """Count lines and record every stride-th start; `progress()` is called after each chunk."""
        starts, stride = self._starts, self.stride
        count = 0
        offset = 0
        last = b"\n"
        with self.path.open("rb") as handle:
            while True:
                chunk = handle.read(SCAN_CHUNK)
                if not chunk:
                    break
                if cancelled is not None and cancelled():
                    return
                newlines = chunk.count(b"\n")
                until_next = stride - (count % stride)  # newlines before the next recorded start
                if newlines >= until_next:
                    position = -1
                    for _ in range(newlines):
                        position = chunk.find(b"\n", position + 1)
                        count += 1
                        if count % stride == 0:
                            starts.append(offset + position + 1)
                else:
                    count += newlines
                offset += len(chunk)
                last = chunk[-1:]
                self.lines_seen = count
                self.bytes_scanned = offset
                if progress is not None:
                    progress()
        if last != b"\n":
            count += 1  # a last line without a line break
        self.lines_seen = count
        self.bytes_scanned = offset
        self.complete = True
        if progress is not None:
            progress()

    def read(self, first: int, count: int, *, max_bytes: int = SHOWN_BYTES) -> list[LineRead]:
        """Lines first..first+count-1 (0-based), fewer at the end of the file."""
        if first < 0 or count <= 0:
            return []
        known = min(first // self.stride, len(self._starts) - 1)
        result: list[LineRead] = []
        with self.path.open("rb") as handle:
            handle.seek(self._starts[known])
            line = known * self.stride
            while line < first:
                if _skip_line(handle) is None:
                    return []
                line += 1
            for number in range(first + 1, first + count + 1):
                read = _read_line(handle, number, max_bytes)
                if read is None:
                    break
                result.append(read)
        return result


def _skip_line(handle: BinaryIO) -> int | None:
    """Move past one line without keeping it; its length with the break, or None at the end of the file."""
    length = 0
    while True:
        piece = handle.readline(SKIP_CHUNK)
        if not piece:
            return length if length else None
        length += len(piece)
        if piece.endswith(b"\n"):
            return length


def _read_line(handle: BinaryIO, number: int, max_bytes: int) -> LineRead | None:
    data = handle.readline(max_bytes + 1)
    if not data:
        return None
    if data.endswith(b"\n"):
        data = data[:-1]
        return LineRead(number, data.removesuffix(b"\r"), len(data), truncated=False)
    if len(data) <= max_bytes:
        return LineRead(number, data, len(data), truncated=False)  # the last line, no break after it
    rest = _skip_line(handle) or 0
    length = len(data) + rest
    if rest and _ends_with_break(handle):
        length -= 1
    return LineRead(number, data[:max_bytes], length, truncated=True)


def _ends_with_break(handle: BinaryIO) -> bool:
    # After _skip_line the byte before the position is the line break (unless the file ended).
    position = handle.tell()
    if position == 0:
        return False
    handle.seek(position - 1)
    ended = handle.read(1) == b"\n"
    handle.seek(position)
    return ended
