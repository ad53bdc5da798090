"""The complete server state as plain JSON, for tests that compare an archive against the source of truth."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from emulator import checkpoints, events, filestore, jobs, models, usage

if TYPE_CHECKING:
    from emulator.world import World


def snapshot(world: World) -> dict[str, Any]:
    """Every job as the API returns it, event ids per job (oldest first), kept checkpoints, files
    (with the sha256 of their bytes and a deleted flag), models (with deleted flags) and usage rows."""
    job_rows = world.db.all("SELECT pk, body FROM jobs ORDER BY pk")
    all_jobs = [{**json.loads(body), "pk": pk} for pk, body in job_rows]
    file_rows = world.db.all(
        "SELECT pk, id, created_at, filename, purpose, bytes, status, expires_at, deleted, sha256 "
        "FROM files ORDER BY pk"
    )
    return {
        "now": world.now(),
        "scenario": world.scenario,
        "seed": world.seed_value,
        "organization_id": world.org_id,
        "jobs": [jobs.render(world, job) for job in all_jobs],
        "events": {job["id"]: events.ids_in_order(world, job["pk"]) for job in all_jobs},
        "checkpoints": {job["id"]: checkpoints.all_for(world, job["pk"]) for job in all_jobs},
        "files": [{**filestore.render_file(row), "sha256": row[9], "deleted": bool(row[8])} for row in file_rows],
        "models": models.everything(world),
        "usage": usage.all_rows(world),
    }
