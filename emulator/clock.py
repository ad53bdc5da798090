"""The simulated clock: a fixed start, plus real elapsed time x a speed factor, plus explicit advances."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime


def parse_instant(value: float | int | str | datetime | None) -> float:
    """A unix timestamp from a number, an ISO 8601 string or a datetime; None means now, to the minute."""
    if value is None:
        return float(int(time.time()) // 60 * 60)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.timestamp()
    if isinstance(value, str):
        text = value.strip()
        try:
            return float(text)
        except ValueError:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return parse_instant(moment)
    return float(value)


class SimClock:
    """Simulated time. speed=0 freezes it (tests move it with `advance`)."""

    def __init__(self, start: float, speed: float = 0.0, monotonic: Callable[[], float] = time.monotonic):
        self._monotonic = monotonic
        self._anchor_sim = float(start)
        self._anchor_real = monotonic()
        self._speed = float(speed)

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> float:
        return self._anchor_sim + (self._monotonic() - self._anchor_real) * self._speed

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the simulated clock only moves forward")
        self._anchor_sim += seconds
        return self.now()

    def set_speed(self, speed: float) -> None:
        if speed < 0:
            raise ValueError("speed must be zero or positive")
        self._rebase(self.now())
        self._speed = float(speed)

    def jump_to(self, instant: float) -> None:
        """Set the current simulated time (used when a world is reset or reloaded)."""
        self._rebase(instant)

    def _rebase(self, instant: float) -> None:
        self._anchor_sim = float(instant)
        self._anchor_real = self._monotonic()
