"""The emulator's whole state: settings, clock, database, id factory, faults, request log, violations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emulator.clock import SimClock
from emulator.db import Database
from emulator.faults import FaultBook
from emulator.ids import IdFactory

DEFAULT_API_KEY = "finetop-emulator-key"
DEFAULT_ADMIN_KEY = "finetop-emulator-admin-key"
QUIRKS = ("empty_error",)


@dataclass(frozen=True)
class Settings:
    """How the emulator behaves, fixed for its lifetime (a reset keeps them)."""

    api_key: str = DEFAULT_API_KEY
    admin_key: str = DEFAULT_ADMIN_KEY
    max_running_jobs: int = 3  # jobs beyond it wait in `queued`
    daily_job_limit: int = 50  # jobs per base model per UTC day before 429 daily_rate_limit_exceeded
    quirks: frozenset[str] = field(default_factory=frozenset)  # opt-in real-service oddities, see README
    validate_responses: bool = False


class World:
    """Everything the server knows. Used only from the server's event-loop thread."""

    def __init__(self, db: Database, clock: SimClock, settings: Settings) -> None:
        from emulator.training import Engine  # the engine needs the world; import here to avoid a cycle

        self.db = db
        self.clock = clock
        self.settings = settings
        self.ids = IdFactory(0)
        self.scenario = "empty"
        self.seed_value = 0
        self.options: dict[str, Any] = {}
        self.start = clock.now()
        self.org_id = "org-emulator"
        self.org_slug = "personal"
        self.faults = FaultBook()
        self.requests: list[dict[str, Any]] = []
        self.violations: list[dict[str, Any]] = []
        self.engine = Engine(self)
        self._saved: tuple[Any, ...] | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    def seed(self, scenario: str, seed: int, start: float, options: dict[str, Any] | None = None) -> None:
        """Forget everything and build `scenario` as of `start`."""
        from emulator import scenarios

        builder = scenarios.get(scenario)  # fails before wiping when the name is unknown
        self.db.wipe()
        self.scenario, self.seed_value, self.options = scenario, int(seed), dict(options or {})
        self.start = float(start)
        self.clock.jump_to(self.start)
        self.ids = IdFactory(self.seed_value)
        self.org_id = self.ids.make("org-")
        self.org_slug = str(self.options.get("org", "personal"))
        self.engine.reset(self.start)
        self.faults.clear()
        self.requests.clear()
        self.violations.clear()
        self._saved = None
        with self.db.transaction():
            builder(self, self.start, self.options)
            self.engine.advance_to(self.start)
            self.save()

    def load(self) -> None:
        """Carry on with a world persisted in the database, from the simulated time it stopped at."""
        state = self.db.meta("world")
        self.scenario, self.seed_value, self.options = state["scenario"], state["seed"], state["options"]
        self.start, self.org_id, self.org_slug = state["start"], state["org_id"], state["org_slug"]
        self.ids = IdFactory(self.seed_value, state["id_counter"])
        self.engine.load(state["engine"])
        self.clock.jump_to(max(state["clock"], self.engine.time))

    def save(self) -> None:
        """Persist what is not already in the tables (one small row, rewritten when it changed)."""
        marker = (self.ids.counter, self.engine.time, self.clock.now(), self.scenario, self.org_slug)
        if marker == self._saved:
            return
        self._saved = marker
        self.db.set_meta(
            "world",
            {
                "scenario": self.scenario,
                "seed": self.seed_value,
                "options": self.options,
                "start": self.start,
                "org_id": self.org_id,
                "org_slug": self.org_slug,
                "id_counter": self.ids.counter,
                "engine": self.engine.dump(),
                "clock": self.clock.now(),
            },
        )

    # --- time -----------------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    def sync(self) -> float:
        """Bring every job, and the simulated usage, up to the current simulated time."""
        now = self.clock.now()
        self.engine.advance_to(now)
        return now

    def has_quirk(self, name: str) -> bool:
        return name in self.settings.quirks


def open_world(
    *,
    scenario: str,
    seed: int,
    start: float,
    speed: float,
    db_path: str | None,
    settings: Settings,
    options: dict[str, Any] | None = None,
) -> World:
    """A world from a persisted database when it holds one, otherwise freshly seeded."""
    db = Database(db_path)
    world = World(db, SimClock(start, speed), settings)
    if db.meta("world") is not None:
        world.load()
    else:
        world.seed(scenario, seed, start, options)
    return world
