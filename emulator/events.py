"""Job events: appended in time order, listed newest first with `after` returning older ones."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from emulator.errors import bad_cursor

if TYPE_CHECKING:
    from emulator.world import World

_COLUMNS = "id, created_at, level, type, message, data"
_EMPTY = "{}"
_encode = json.JSONEncoder(ensure_ascii=False).encode


def add(
    world: World,
    job: dict[str, Any],
    created_at: float,
    message: str,
    *,
    level: str = "info",
    type: str = "message",
    data: dict[str, Any] | str | None = _EMPTY,
) -> str:
    """Append one event. `data` defaults to {} like the service's message events; None stores null.

    The id is derived from the job and the event's position in its log, so it does not
    depend on how the clock was moved.
    """
    sim = job["sim"]
    sim["events"] = sim.get("events", 0) + 1
    event_id = world.ids.derived("ftevent-", job["id"], sim["events"])
    encoded = data if isinstance(data, str) or data is None else json.dumps(data, separators=(",", ":"))
    world.db.execute(
        "INSERT INTO events(job_pk, id, created_at, level, type, message, data) VALUES(?, ?, ?, ?, ?, ?, ?)",
        (job["pk"], event_id, int(created_at), level, type, message, encoded),
    )
    return event_id


def render(row: tuple[Any, ...]) -> dict[str, Any]:
    event_id, created_at, level, kind, message, data = row
    return {
        "object": "fine_tuning.job.event",
        "id": event_id,
        "created_at": created_at,
        "level": level,
        "message": message,
        "data": json.loads(data) if data is not None else None,
        "type": kind,
    }


def page_json(world: World, job_pk: int, *, after: str | None, limit: int) -> str:
    """The list response as JSON text, built around each event's stored `data` text.

    Event paging is the hottest path (a client following a log, or archiving a million
    events), so the stored JSON is spliced in rather than decoded and encoded again.
    """
    rows, has_more = _rows(world, job_pk, after=after, limit=limit)
    items = ",".join(
        f'{{"object":"fine_tuning.job.event","id":"{event_id}","created_at":{created_at},"level":"{level}",'
        f'"message":{_encode(message)},"data":{"null" if data is None else data},"type":"{kind}"}}'
        for event_id, created_at, level, kind, message, data in rows
    )
    return f'{{"object":"list","data":[{items}],"has_more":{"true" if has_more else "false"}}}'


def page(world: World, job_pk: int, *, after: str | None, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """Newest first; `after=<id>` gives the events older than that one."""
    rows, has_more = _rows(world, job_pk, after=after, limit=limit)
    return [render(row) for row in rows], has_more


def _rows(world: World, job_pk: int, *, after: str | None, limit: int) -> tuple[list[tuple[Any, ...]], bool]:
    if after is None:
        rows = world.db.all(
            f"SELECT {_COLUMNS} FROM events WHERE job_pk = ? ORDER BY seq DESC LIMIT ?", (job_pk, limit + 1)
        )
    else:
        cursor = world.db.one("SELECT seq FROM events WHERE id = ? AND job_pk = ?", (after, job_pk))
        if cursor is None:
            raise bad_cursor("after", after)
        rows = world.db.all(
            f"SELECT {_COLUMNS} FROM events WHERE job_pk = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
            (job_pk, cursor[0], limit + 1),
        )
    return rows[:limit], len(rows) > limit


def ids_in_order(world: World, job_pk: int) -> list[str]:
    """Every event id of a job, oldest first."""
    return [row[0] for row in world.db.all("SELECT id FROM events WHERE job_pk = ? ORDER BY seq", (job_pk,))]
