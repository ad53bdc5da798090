"""Checkpoints: one per epoch end, only the newest three kept (their models leave /models with them)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from emulator import models
from emulator.errors import bad_cursor

if TYPE_CHECKING:
    from emulator.world import World

KEEP = 3
_COLUMNS = "c.id, c.created_at, c.step_number, c.model, c.metrics, j.id"


def add(world: World, job: dict[str, Any], created_at: float, step: int, model: str, metrics: dict[str, float]) -> str:
    job_pk = job["pk"]
    checkpoint_id = world.ids.derived("ftckpt_", job["id"], "checkpoint", step)
    world.db.execute(
        "INSERT INTO checkpoints(id, job_pk, created_at, step_number, model, metrics) VALUES(?, ?, ?, ?, ?, ?)",
        (checkpoint_id, job_pk, int(created_at), step, model, json.dumps(metrics, separators=(",", ":"))),
    )
    kept = world.db.all(
        "SELECT seq, model FROM checkpoints WHERE job_pk = ? AND deleted = 0 ORDER BY seq DESC", (job_pk,)
    )
    for seq, old_model in kept[KEEP:]:
        world.db.execute("UPDATE checkpoints SET deleted = 1 WHERE seq = ?", (seq,))
        if ":ckpt-step-" in old_model:
            models.forget(world, old_model)
    return checkpoint_id


def render(row: tuple[Any, ...]) -> dict[str, Any]:
    checkpoint_id, created_at, step, model, metrics, job_id = row
    return {
        "object": "fine_tuning.job.checkpoint",
        "id": checkpoint_id,
        "created_at": created_at,
        "fine_tuned_model_checkpoint": model,
        "fine_tuning_job_id": job_id,
        "metrics": json.loads(metrics),
        "step_number": step,
    }


def page(world: World, job_pk: int, *, after: str | None, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """Newest first; `after=<id>` continues with older checkpoints."""
    sql = f"SELECT {_COLUMNS} FROM checkpoints c JOIN jobs j ON j.pk = c.job_pk WHERE c.job_pk = ? AND c.deleted = 0"
    params: list[Any] = [job_pk]
    if after is not None:
        cursor = world.db.one("SELECT seq FROM checkpoints WHERE id = ? AND job_pk = ?", (after, job_pk))
        if cursor is None:
            raise bad_cursor("after", after)
        sql += " AND c.seq < ?"
        params.append(cursor[0])
    rows = world.db.all(sql + " ORDER BY c.seq DESC LIMIT ?", [*params, limit + 1])
    return [render(row) for row in rows[:limit]], len(rows) > limit


def all_for(world: World, job_pk: int) -> list[dict[str, Any]]:
    """The kept checkpoints of a job, oldest first."""
    rows = world.db.all(
        f"SELECT {_COLUMNS} FROM checkpoints c JOIN jobs j ON j.pk = c.job_pk "
        "WHERE c.job_pk = ? AND c.deleted = 0 ORDER BY c.seq",
        (job_pk,),
    )
    return [render(row) for row in rows]
