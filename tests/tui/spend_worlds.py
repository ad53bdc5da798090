"""One emulator account synced once per test module, for the read-only Spend and Models tests and snapshots.

Syncing the demo account takes seconds; tests that only look (and snapshots) share one, tests that
change it (deleting a model) use `make_world` for a world of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from emulator.runner import start_emulator
from tests.fixtures.app import FROZEN_NOW, World, backend_for


@contextmanager
def shared_world(folder: Path, scenario: str = "demo", *, admin: bool = True) -> Iterator[World]:
    emulator = start_emulator(scenario=scenario, now=FROZEN_NOW, validate_responses=True)
    backend = backend_for(emulator, folder, admin=admin)
    try:
        report = backend.sync()
        assert not report.errors, report.errors
        yield World(emulator, backend, float(backend.freshness().last_contact or FROZEN_NOW))
    finally:
        backend.close()
        emulator.stop()
    problems = emulator.violations()
    assert not problems, f"the emulator answered outside the OpenAPI spec: {problems}"


def model_of(world: World, suffix: str) -> str:
    """The fine-tuned model the demo's succeeded job with `suffix` made (ids change with the emulator's seed)."""
    jobs = world.backend.cache.jobs(statuses=["succeeded"])
    return next(job.fine_tuned_model for job in jobs if job.suffix == suffix and job.fine_tuned_model)
