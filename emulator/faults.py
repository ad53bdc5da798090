"""Injected faults: for the next `count` requests matching a route, answer 429/500/503, stall, or hang up."""

from __future__ import annotations

import fnmatch
from dataclasses import asdict, dataclass
from typing import Any

# Accepted spellings of each kind; the value is the canonical name.
KINDS = {
    "429": "rate_limit",
    "rate_limit": "rate_limit",
    "500": "server_error",
    "server_error": "server_error",
    "503": "overloaded",
    "overloaded": "overloaded",
    "delay": "delay",
    "slow": "delay",
    "drop": "drop",
    "status": "status",
}
METHODS = ("GET", "POST", "DELETE", "PUT", "PATCH")


@dataclass
class Fault:
    method: str | None  # None matches any method
    path_glob: str
    kind: str
    remaining: int
    status: int | None = None  # for kind "status" (e.g. 502, 408)
    retry_after: float | None = None  # seconds, sent as retry-after
    retry_after_ms: int | None = None  # sent as retry-after-ms
    delay: float = 0.0  # seconds to stall before answering (any kind)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method.upper():
            return False
        return fnmatch.fnmatchcase(path, self.path_glob)

    def describe(self) -> dict[str, Any]:
        return asdict(self)


def parse_route(pattern: str) -> tuple[str | None, str]:
    """'GET /v1/files*' -> ('GET', '/v1/files*'); '/v1/files' -> (None, '/v1/files')."""
    head, _, rest = pattern.strip().partition(" ")
    if rest and head.upper() in METHODS:
        return head.upper(), rest.strip()
    return None, pattern.strip()


class FaultBook:
    """The armed faults, consumed in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(
        self,
        route: str,
        kind: str,
        *,
        count: int = 1,
        status: int | None = None,
        retry_after: float | None = None,
        retry_after_ms: int | None = None,
        delay: float | None = None,
    ) -> Fault:
        canonical = KINDS.get(str(kind).lower())
        if canonical is None:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {sorted(set(KINDS))}")
        if canonical == "status" and not status:
            raise ValueError("a 'status' fault needs status=<code>")
        if canonical == "delay" and not delay:
            raise ValueError("a 'delay' fault needs delay=<seconds>")
        if count < 1:
            raise ValueError("count must be at least 1")
        method, glob = parse_route(route)
        fault = Fault(method, glob, canonical, count, status, retry_after, retry_after_ms, float(delay or 0.0))
        self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The first armed fault matching this request, with one use consumed."""
        for fault in self._faults:
            if fault.matches(method, path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self._faults.clear()

    def armed(self) -> list[dict[str, Any]]:
        return [fault.describe() for fault in self._faults]
