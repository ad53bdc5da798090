"""Scripting a scenario's past: files, jobs, pauses and cancels at given times, played in time order.

Each action runs through the same code as the API (with the creation-time policy
checks off, since history happened when they allowed it), after the engine has
brought the world up to that moment; so seeded jobs have exactly the events,
checkpoints, models and result files a live job would have.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from emulator import filestore, jobs, training

if TYPE_CHECKING:
    from emulator.world import World


class History:
    def __init__(self, world: World) -> None:
        self.world = world
        self._actions: list[tuple[float, int, Callable[[float], None]]] = []
        self.files: dict[str, str] = {}  # name -> file id
        self.jobs: dict[str, str] = {}  # name -> job id

    def _add(self, at: float, action: Callable[[float], None]) -> None:
        self._actions.append((at, len(self._actions), action))

    def _ref(self, value: str | None) -> str | None:
        return self.files[value[1:]] if isinstance(value, str) and value.startswith("@") else value

    def file(self, name: str, at: float, filename: str, content: bytes, purpose: str = "fine-tune") -> None:
        def action(now: float) -> None:
            row = filestore.create_file(self.world, filename=filename, purpose=purpose, content=content, now=now)
            self.files[name] = row[1]

        self._add(at, action)

    def job(self, name: str, at: float, **fields: Any) -> None:
        """A job; `training_file`/`validation_file` may name a file of this history as "@name"."""

        def action(now: float) -> None:
            request = jobs.JobRequest(
                **{**fields, "training_file": self._ref(fields["training_file"]),
                   "validation_file": self._ref(fields.get("validation_file"))}
            )  # fmt: skip
            self.jobs[name] = jobs.create(self.world, request, now, enforce=False)["id"]

        self._add(at, action)

    def pause(self, name: str, at: float) -> None:
        self._add(at, lambda now: jobs.pause(self.world, self.jobs[name], now))

    def resume(self, name: str, at: float) -> None:
        self._add(at, lambda now: jobs.resume(self.world, self.jobs[name], now))

    def cancel(self, name: str, at: float) -> None:
        self._add(at, lambda now: jobs.cancel(self.world, self.jobs[name], now))

    def play(self) -> None:
        for at, _, action in sorted(self._actions, key=lambda item: (item[0], item[1])):
            self.world.engine.advance_to(at)
            action(at)
        self._actions.clear()

    def record(self, name: str) -> dict[str, Any]:
        """A job's stored record (after `play`)."""
        return jobs.load(self.world, self.jobs[name])

    def model_of(self, name: str) -> str:
        return training.model_name(self.world, self.record(name))
