"""Reading a JSONL file line by line in bounded memory, as raw bytes with line numbers.

Memory is bounded by the longest line, and lines longer than MAX_LINE_BYTES are skipped
in pieces rather than read whole, so a multi-gigabyte file without a newline (a binary
file, a JSON array) cannot exhaust memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

# 10 images of 10 MB, base64-encoded, plus text: the largest line a valid example can need.
MAX_LINE_BYTES = 160 * 1024 * 1024
SNIFF_BYTES = 64 * 1024
READ_BUFFER = 1024 * 1024
PROGRESS_EVERY = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RawLine:
    number: int  # 1-based
    data: bytes  # without the line break; empty when the line was too long
    terminated: bool  # False for a last line that has no newline at the end
    length: int  # bytes on the line, without the line break (also when it was too long to keep)
    too_long: bool = False


def sniff_binary(head: bytes) -> str | None:
    """Why the start of a file shows it is not UTF-8 JSONL text, or None when it may be."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "the file is UTF-16 text; save it as UTF-8"
    nul = head.find(b"\x00")
    if nul >= 0:
        return (
            f"the file is binary, not JSONL text (a NUL byte at offset {nul:,}); "
            "fine-tuning takes a .jsonl text file with one JSON object per line"
        )
    return None


def read_lines(
    stream: BinaryIO,
    *,
    total_bytes: int,
    progress: Callable[[int, int], None] | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> Iterator[RawLine]:
    """Yield every line of a binary stream with its number; calls progress(bytes_done, total) now and then."""
    readline = stream.readline
    number = 0
    done = 0
    next_report = PROGRESS_EVERY
    while True:
        data = readline(max_line_bytes + 1)
        if not data:
            break
        number += 1
        length = len(data)
        if data.endswith(b"\n"):
            terminated = True
            data = data[:-1]
            if data.endswith(b"\r"):
                data = data[:-1]
            done += length
            length = len(data)
        elif length > max_line_bytes:
            # Too long to keep: skip to the end of the line in pieces, counting its size.
            terminated = False
            while not terminated:
                piece = readline(READ_BUFFER)
                if not piece:
                    break
                length += len(piece)
                terminated = piece.endswith(b"\n")
            done += length
            length -= terminated  # the newline is not part of the line
            yield RawLine(number, b"", terminated, length, too_long=True)
            continue
        else:
            terminated = False
            done += length
        yield RawLine(number, data, terminated, length)
        if progress is not None and done >= next_report:
            progress(done, total_bytes)
            next_report = done + PROGRESS_EVERY
    if progress is not None:
        progress(done, total_bytes)
