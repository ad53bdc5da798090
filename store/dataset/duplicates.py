"""Finding duplicate examples in a file of any size, with a fixed cost per example.

Each example is reduced to a 64-bit digest of its line's bytes (Python's own keyed
SipHash: fast, well mixed; its key changes per run, which is fine within one pass) and
kept in an open-addressing table of two flat arrays: the digest (8 bytes) and the line
it was first seen on (4 bytes), kept at most two-thirds full and doubled when it gets
there: 18 to 36 bytes per distinct example (a 1 GB file of 1 KB examples: 18-36 MB),
far less than a Python set. Past MAX_EXAMPLES distinct examples the table stops growing and says so. Two
different lines share a digest with odds of about n^2 / 2^65 (1e-8 for a million
examples); such a pair would be reported as a duplicate.
"""

from __future__ import annotations

from array import array

INITIAL_SLOTS = 1 << 12
MAX_SLOTS = 1 << 25  # 32M slots x 12 bytes = 384 MB at most, holding 22M distinct examples
MAX_EXAMPLES = MAX_SLOTS * 2 // 3
_MASK64 = (1 << 64) - 1


def digest(line: bytes) -> int:
    """A nonzero 64-bit digest of a line's bytes (0 marks an empty slot)."""
    return (hash(line) & _MASK64) or 1


class DuplicateFinder:
    """`first_seen(line_bytes, line_number)` -> the earlier line with the same bytes, or None."""

    def __init__(self) -> None:
        self._digests = _zeros("Q", INITIAL_SLOTS)
        self._lines = _zeros("I", INITIAL_SLOTS)
        self._mask = INITIAL_SLOTS - 1
        self.distinct = 0
        self.full = False  # True once MAX_EXAMPLES distinct examples were seen: later ones are not checked

    def first_seen(self, line: bytes, number: int) -> int | None:
        return self._insert(digest(line), number)

    def _insert(self, value: int, number: int) -> int | None:
        digests, mask = self._digests, self._mask
        slot = value & mask
        while True:
            held = digests[slot]
            if held == 0:
                break
            if held == value:
                return self._lines[slot]
            slot = (slot + 1) & mask
        if self.full:
            return None
        digests[slot] = value
        self._lines[slot] = number
        self.distinct += 1
        if self.distinct * 3 > len(digests) * 2:
            self._grow()
        return None

    def _grow(self) -> None:
        size = len(self._digests) * 2
        if size > MAX_SLOTS:
            self.full = True
            return
        old = zip(self._digests, self._lines, strict=True)
        self._digests = _zeros("Q", size)
        self._lines = _zeros("I", size)
        self._mask = size - 1
        digests, lines, mask = self._digests, self._lines, self._mask
        for value, number in old:
            if value:
                slot = value & mask
                while digests[slot]:
                    slot = (slot + 1) & mask
                digests[slot] = value
                lines[slot] = number

    @property
    def memory_bytes(self) -> int:
        return len(self._digests) * (self._digests.itemsize + self._lines.itemsize)


def _zeros(typecode: str, size: int) -> array:
    """A zero-filled array allocated once (building it from bytes(...) would briefly need twice the memory)."""
    return array(typecode, [0]) * size
