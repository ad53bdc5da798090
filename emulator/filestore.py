"""Files (real bytes, purposes, expiry, soft deletion) and multi-part Uploads that complete into files."""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Any

from emulator import datasets
from emulator.errors import ApiError, bad_cursor, no_such_file, no_such_upload

if TYPE_CHECKING:
    from emulator.world import World

FILE_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_UPLOAD_BYTES = 8 * 1024 * 1024 * 1024
MAX_PART_BYTES = 64 * 1024 * 1024
UPLOAD_LIFETIME = 3600
BATCH_FILE_LIFETIME = 30 * 24 * 3600
_FILE_COLUMNS = "pk, id, created_at, filename, purpose, bytes, status, expires_at, deleted, sha256"


def render_file(row: tuple[Any, ...]) -> dict[str, Any]:
    """The File object. Optional keys the spec types as non-null are left out rather than null."""
    _, file_id, created_at, filename, purpose, size, status, expires_at, _, _ = row[:10]
    body: dict[str, Any] = {
        "id": file_id,
        "object": "file",
        "bytes": size,
        "created_at": created_at,
        "filename": filename,
        "purpose": purpose,
        "status": status,
    }
    if expires_at is not None:
        body["expires_at"] = expires_at
    return body


def create_file(
    world: World,
    *,
    filename: str,
    purpose: str,
    content: bytes,
    now: float,
    expires_after: int | None = None,
    check: bool = True,
    file_id: str | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> tuple[Any, ...]:
    """Store a file; fine-tune files must be JSONL (checked line by line like the service does).

    One request takes up to 512 MB; a completed Upload (`max_bytes` = its own limit) up to 8 GB."""
    if check and purpose == "fine-tune":
        if not filename.lower().endswith(".jsonl"):
            raise ApiError(400, "Invalid file format for Fine-Tuning API. Must be .jsonl", param="file")
        problem = datasets.upload_problem(content)
        if problem:
            raise ApiError(400, problem, param="file")
    if len(content) > max_bytes:
        raise ApiError(413, "File is too large. The maximum file size is 512 MB.", param="file")
    created = int(now)
    if expires_after is None and purpose == "batch":
        expires_after = BATCH_FILE_LIFETIME
    expires_at = created + expires_after if expires_after is not None else None
    file_id = file_id or world.ids.make("file-")
    world.db.execute(
        "INSERT INTO files(id, created_at, filename, purpose, bytes, status, expires_at, sha256, content) "
        "VALUES(?, ?, ?, ?, ?, 'processed', ?, ?, ?)",
        (file_id, created, filename, purpose, len(content), expires_at, hashlib.sha256(content).hexdigest(), content),
    )
    return get_file(world, file_id)  # type: ignore[return-value]


def create_result_file(world: World, job_id: str, csv_text: str, now: float) -> str:
    """The job's result file: a CSV served base64-encoded, purpose fine-tune-results."""
    encoded = base64.b64encode(csv_text.encode()).decode()
    row = create_file(
        world,
        filename="step_metrics.csv",
        purpose="fine-tune-results",
        content=encoded.encode(),
        now=now,
        check=False,
        file_id=world.ids.derived("file-", job_id, "results"),  # the same however the clock moved
    )
    return row[1]


def get_file(world: World, file_id: str, *, include_deleted: bool = False) -> tuple[Any, ...] | None:
    row = world.db.one(f"SELECT {_FILE_COLUMNS} FROM files WHERE id = ?", (file_id,))
    if row is None or (row[8] and not include_deleted):
        return None
    return row


def require_file(world: World, file_id: str) -> tuple[Any, ...]:
    row = get_file(world, file_id)
    if row is None:
        raise no_such_file(file_id)
    return row


def file_bytes(world: World, file_id: str) -> bytes:
    require_file(world, file_id)
    return world.db.one("SELECT content FROM files WHERE id = ?", (file_id,))[0]


def delete_file(world: World, file_id: str) -> dict[str, Any]:
    require_file(world, file_id)
    world.db.execute("UPDATE files SET deleted = 1 WHERE id = ?", (file_id,))
    return {"id": file_id, "object": "file", "deleted": True}


def list_files(
    world: World, *, purpose: str | None, order: str, after: str | None, limit: int
) -> tuple[list[tuple[Any, ...]], bool]:
    """A page of live files by created_at (ties by upload order); `after` continues past that file."""
    where, params = ["deleted = 0"], []
    if purpose is not None:
        where.append("purpose = ?")
        params.append(purpose)
    if after is not None:
        cursor = world.db.one("SELECT created_at, pk FROM files WHERE id = ?", (after,))
        if cursor is None:
            raise bad_cursor("after", after)
        where.append("(created_at, pk) < (?, ?)" if order == "desc" else "(created_at, pk) > (?, ?)")
        params.extend(cursor)
    direction = "DESC" if order == "desc" else "ASC"
    rows = world.db.all(
        f"SELECT {_FILE_COLUMNS} FROM files WHERE {' AND '.join(where)} "
        f"ORDER BY created_at {direction}, pk {direction} LIMIT ?",
        [*params, limit + 1],
    )
    return rows[:limit], len(rows) > limit


# --- uploads ----------------------------------------------------------------------------------------

_UPLOAD_COLUMNS = "id, created_at, filename, purpose, bytes, mime_type, status, expires_at, file_id, file_expires_after"


def create_upload(
    world: World,
    *,
    filename: str,
    purpose: str,
    size: int,
    mime_type: str,
    now: float,
    expires_after: int | None = None,
) -> dict[str, Any]:
    if size > MAX_UPLOAD_BYTES:
        raise ApiError(400, "An Upload can accept at most 8 GB in total.", param="bytes")
    upload_id = world.ids.make("upload_")
    created = int(now)
    world.db.execute(
        f"INSERT INTO uploads({_UPLOAD_COLUMNS}) VALUES(?, ?, ?, ?, ?, ?, 'pending', ?, NULL, ?)",
        (upload_id, created, filename, purpose, size, mime_type, created + UPLOAD_LIFETIME, expires_after),
    )
    return render_upload(world, _upload_row(world, upload_id, now))


def _upload_row(world: World, upload_id: str, now: float) -> tuple[Any, ...]:
    row = world.db.one(f"SELECT {_UPLOAD_COLUMNS} FROM uploads WHERE id = ?", (upload_id,))
    if row is None:
        raise no_such_upload(upload_id)
    if row[6] == "pending" and now >= row[7]:
        world.db.execute("UPDATE uploads SET status = 'expired' WHERE id = ?", (upload_id,))
        row = (*row[:6], "expired", *row[7:])
    return row


def render_upload(world: World, row: tuple[Any, ...]) -> dict[str, Any]:
    upload_id, created, filename, purpose, size, _, status, expires_at, file_id, _ = row
    body: dict[str, Any] = {
        "id": upload_id,
        "object": "upload",
        "bytes": size,
        "created_at": created,
        "filename": filename,
        "purpose": purpose,
        "status": status,
        "expires_at": expires_at,
        "file": None,
    }
    if file_id is not None:
        file_row = get_file(world, file_id, include_deleted=True)
        body["file"] = render_file(file_row) if file_row else None
    return body


def _require_pending(row: tuple[Any, ...], action: str) -> None:
    if row[6] != "pending":
        raise ApiError(400, f"Cannot {action} Upload {row[0]}: it is already {row[6]}.", param="upload_id")


def add_part(world: World, upload_id: str, data: bytes, now: float) -> dict[str, Any]:
    row = _upload_row(world, upload_id, now)
    _require_pending(row, "add a Part to")
    if len(data) > MAX_PART_BYTES:
        raise ApiError(400, "Each Part can be at most 64 MB.", param="data")
    part_id = world.ids.make("part_")
    created = int(now)
    world.db.execute(
        "INSERT INTO upload_parts(id, upload_id, created_at, data) VALUES(?, ?, ?, ?)",
        (part_id, upload_id, created, data),
    )
    return {"id": part_id, "object": "upload.part", "created_at": created, "upload_id": upload_id}


def complete_upload(world: World, upload_id: str, part_ids: list[str], md5: str | None, now: float) -> dict[str, Any]:
    row = _upload_row(world, upload_id, now)
    _require_pending(row, "complete")
    chunks = []
    for part_id in part_ids:
        part = world.db.one("SELECT data FROM upload_parts WHERE id = ? AND upload_id = ?", (part_id, upload_id))
        if part is None:
            raise ApiError(400, f"Part {part_id} does not belong to Upload {upload_id}.", param="part_ids")
        chunks.append(part[0])
    content = b"".join(chunks)
    if len(content) != row[4]:
        raise ApiError(
            400,
            f"The number of bytes uploaded in the listed parts ({len(content)}) does not match the number of "
            f"bytes specified when the Upload was created ({row[4]}).",
            param="part_ids",
        )
    if md5 is not None and hashlib.md5(content).hexdigest() != md5.lower():
        raise ApiError(
            400,
            f"The md5 checksum of the uploaded bytes ({hashlib.md5(content).hexdigest()}) does not match the "
            f"provided md5 ({md5}).",
            param="md5",
        )
    file_row = create_file(
        world,
        filename=row[2],
        purpose=row[3],
        content=content,
        now=now,
        expires_after=row[9],
        max_bytes=MAX_UPLOAD_BYTES,
    )
    world.db.execute("UPDATE uploads SET status = 'completed', file_id = ? WHERE id = ?", (file_row[1], upload_id))
    return render_upload(world, _upload_row(world, upload_id, now))


def cancel_upload(world: World, upload_id: str, now: float) -> dict[str, Any]:
    row = _upload_row(world, upload_id, now)
    _require_pending(row, "cancel")
    world.db.execute("UPDATE uploads SET status = 'cancelled' WHERE id = ?", (upload_id,))
    world.db.execute("DELETE FROM upload_parts WHERE upload_id = ?", (upload_id,))
    return render_upload(world, _upload_row(world, upload_id, now))
