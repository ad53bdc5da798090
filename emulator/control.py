"""EmulatorControl: a standard-library client for the /_emulator/* test controls."""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request
from typing import Any


class EmulatorControlError(RuntimeError):
    """The emulator refused a control request (the message says why)."""


class EmulatorControl:
    """Drives a running emulator from tests and benchmarks: clock, reset, faults, request log, state."""

    def __init__(self, root_url: str, *, timeout: float = 60.0) -> None:
        self.root_url = root_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.root_url}/_emulator/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data is not None else {},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            with contextlib.suppress(ValueError, KeyError, TypeError):
                detail = json.loads(detail)["error"]["message"]
            raise EmulatorControlError(f"{method} /_emulator/{path} failed ({exc.code}): {detail}") from None

    # --- clock ------------------------------------------------------------------------------------

    def now(self) -> float:
        """The current simulated unix time."""
        return float(self._call("GET", "clock")["now"])

    def advance(self, seconds: float) -> float:
        """Move the simulated clock forward; every job catches up. Returns the new time."""
        return float(self._call("POST", "clock/advance", {"seconds": seconds})["now"])

    def set_speed(self, factor: float) -> None:
        """Simulated seconds per real second (0 freezes the clock)."""
        self._call("POST", "clock/speed", {"factor": factor})

    # --- state ------------------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        return self._call("GET", "info")

    def health(self) -> bool:
        try:
            return bool(self._call("GET", "health")["ok"])
        except (OSError, EmulatorControlError):
            return False

    def reset(
        self, scenario: str | None = None, *, seed: int | None = None, now: float | str | None = None, **options: Any
    ) -> dict[str, Any]:
        """Forget everything and seed `scenario` again (same scenario, seed and start when not given)."""
        body: dict[str, Any] = {"options": options}
        if scenario is not None:
            body["scenario"] = scenario
        if seed is not None:
            body["seed"] = seed
        if now is not None:
            body["now"] = now
        return self._call("POST", "reset", body)

    def snapshot(self) -> dict[str, Any]:
        """The complete server state as plain JSON (see emulator/snapshot.py)."""
        return self._call("GET", "snapshot")

    def add_usage(
        self,
        model: str,
        *,
        input_tokens: int,
        output_tokens: int,
        cached_tokens: int = 0,
        requests: int = 1,
        batch: bool = False,
        project_id: str | None = None,
        at: float | None = None,
    ) -> None:
        """Simulate inference on `model` (now, or at `at`): input_tokens includes the cached ones."""
        self._call(
            "POST",
            "usage",
            {
                "model": model,
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "cached_tokens": cached_tokens,
                "requests": requests,
                "batch": batch,
                "project_id": project_id,
                "at": at,
            },
        )

    # --- faults and the request log ---------------------------------------------------------------

    def inject_fault(
        self,
        route_pattern: str,
        kind: str,
        *,
        count: int = 1,
        status: int | None = None,
        retry_after: float | None = None,
        retry_after_ms: int | None = None,
        delay: float | None = None,
    ) -> dict[str, Any]:
        """Arm a fault for the next `count` requests matching e.g. "GET /v1/fine_tuning/jobs*".

        kind: "429" (rate_limit), "500" (server_error), "503" (overloaded), "delay" (slow; needs
        delay=), "drop" (close the connection without answering), or "status" (needs status=).
        """
        return self._call(
            "POST",
            "faults",
            {
                "route": route_pattern,
                "kind": kind,
                "count": count,
                "status": status,
                "retry_after": retry_after,
                "retry_after_ms": retry_after_ms,
                "delay": delay,
            },
        )

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "faults")["faults"]

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def requests(self) -> list[dict[str, Any]]:
        """Every /v1 request so far: {method, path, query, status, request_id, fault, at}."""
        return self._call("GET", "requests")["requests"]

    def clear_requests(self) -> None:
        self._call("DELETE", "requests")

    def violations(self) -> list[dict[str, Any]]:
        """Responses that did not match the spec (only recorded with validate_responses=True)."""
        return self._call("GET", "violations")["violations"]

    def clear_violations(self) -> None:
        self._call("DELETE", "violations")
