"""Exact token statistics (min, max, mean, percentiles) over any number of examples in bounded memory.

Token counts are integers, so a histogram (count -> how many examples) holds the whole
distribution in one entry per distinct value: a few thousand entries whether the file
has a hundred examples or ten million. Percentiles interpolate linearly between ranks,
like numpy's default (and the cookbook's figures).
"""

from __future__ import annotations

import math


class Histogram:
    def __init__(self) -> None:
        self._counts: dict[int, int] = {}
        self.n = 0
        self.total = 0
        self.minimum = 0
        self.maximum = 0

    def add(self, value: int) -> None:
        counts = self._counts
        counts[value] = counts.get(value, 0) + 1
        if self.n == 0:
            self.minimum = self.maximum = value
        elif value < self.minimum:
            self.minimum = value
        elif value > self.maximum:
            self.maximum = value
        self.n += 1
        self.total += value

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else 0.0

    def percentile(self, q: float) -> float:
        """The q-th percentile (0..100), linearly interpolated between the two nearest ranks."""
        if self.n == 0:
            return 0.0
        position = (self.n - 1) * q / 100
        low_rank, high_rank = math.floor(position), math.ceil(position)
        low = self._value_at(low_rank)
        high = low if high_rank == low_rank else self._value_at(high_rank)
        return low + (high - low) * (position - low_rank)

    def _value_at(self, rank: int) -> int:
        """The value of the rank-th smallest example (0-based)."""
        seen = 0
        for value in sorted(self._counts):
            seen += self._counts[value]
            if seen > rank:
                return value
        return self.maximum
