"""The /models list: the fine-tunable base models, fine-tuned models and checkpoint models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator import catalog
from emulator.errors import ApiError, model_not_found

if TYPE_CHECKING:
    from emulator.world import World

_COLUMNS = "id, created, owned_by, kind, job_id, shutdown_date, deleted"


def add_base_models(world: World) -> None:
    for base in catalog.BASE_MODELS:
        add(world, base.snapshot, base.created, owned_by=base.owned_by, kind="base")


def add(world: World, model_id: str, created: float, *, owned_by: str, kind: str, job_id: str | None = None) -> None:
    base = catalog.base_of(model_id)
    retired = base.fine_tunes_retired if base is not None and kind != "base" else None
    world.db.execute(
        f"INSERT OR IGNORE INTO models({_COLUMNS}) VALUES(?, ?, ?, ?, ?, ?, 0)",
        (model_id, int(created), owned_by, kind, job_id, retired.isoformat() if retired else None),
    )


def render(row: tuple[Any, ...]) -> dict[str, Any]:
    model_id, created, owned_by, _, _, shutdown_date, _ = row
    return {"id": model_id, "object": "model", "created": created, "owned_by": owned_by, "shutdown_date": shutdown_date}


def listing(world: World) -> list[dict[str, Any]]:
    rows = world.db.all(f"SELECT {_COLUMNS} FROM models WHERE deleted = 0 ORDER BY pk")
    return [render(row) for row in rows]


def get(world: World, model_id: str) -> dict[str, Any]:
    row = world.db.one(f"SELECT {_COLUMNS} FROM models WHERE id = ? AND deleted = 0", (model_id,))
    if row is None:
        raise model_not_found(model_id)
    return render(row)


def delete(world: World, model_id: str) -> dict[str, Any]:
    row = world.db.one(f"SELECT {_COLUMNS} FROM models WHERE id = ? AND deleted = 0", (model_id,))
    if row is None:
        raise model_not_found(model_id)
    if row[3] == "base":
        raise ApiError(
            403,
            f"You are not allowed to delete model {model_id}: only fine-tuned models owned by your organization "
            "can be deleted.",
            type="invalid_request_error",
            param="model",
        )
    forget(world, model_id)
    return {"id": model_id, "object": "model", "deleted": True}


def forget(world: World, model_id: str) -> None:
    world.db.execute("UPDATE models SET deleted = 1 WHERE id = ?", (model_id,))


def everything(world: World) -> list[dict[str, Any]]:
    """Every model ever listed, with its deleted flag (for snapshots)."""
    rows = world.db.all(f"SELECT {_COLUMNS} FROM models ORDER BY pk")
    return [{**render(row), "kind": row[3], "job_id": row[4], "deleted": bool(row[6])} for row in rows]
