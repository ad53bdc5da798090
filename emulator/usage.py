"""Simulated inference on fine-tuned models: usage rows per model per minute, and the usage API's buckets.

Background traffic comes from "traffic profiles" (a scenario's steady customers of a
model). Each hour's traffic is a pure function of (profile seed, hour), so months of
history and the minutes that pass while a demo runs come from the same source and
never change once seen. Tests add usage directly with `record`.
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.world import World

GROUP_COLUMNS = ("project_id", "user_id", "api_key_id", "model", "batch", "service_tier")
GROUP_FIELDS = (*GROUP_COLUMNS, "api_source")
# Monday..Sunday: quieter weekends.
WEEKDAY_FACTOR = (1.0, 1.06, 1.08, 1.03, 0.93, 0.38, 0.27)
# Share of a day's requests per UTC hour: night trough, European morning, American afternoon peak.
_HOURLY = (1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 7, 8, 9, 9, 8, 7, 6, 5, 4, 3, 2, 1)
HOURLY_SHARE = tuple(weight / sum(_HOURLY) for weight in _HOURLY)


def record(
    world: World,
    *,
    model: str,
    at: float,
    input_tokens: int,
    output_tokens: int,
    cached_tokens: int = 0,
    requests: int = 1,
    batch: bool = False,
    project_id: str = "proj_default",
    user_id: str = "user-emulator",
    api_key_id: str = "key_emulator",
    service_tier: str = "default",
) -> None:
    """Count inference on `model` in the minute containing `at` (input includes the cached tokens)."""
    if cached_tokens > input_tokens:
        raise ValueError("cached_tokens cannot exceed input_tokens (input includes the cached ones)")
    world.db.execute(
        "INSERT INTO usage(minute, model, project_id, user_id, api_key_id, batch, service_tier, input_tokens, "
        "input_cached_tokens, output_tokens, requests) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            int(at) // 60 * 60,
            model,
            project_id,
            user_id,
            api_key_id,
            int(batch),
            service_tier,
            input_tokens,
            cached_tokens,
            output_tokens,
            requests,
        ),
    )


# --- background traffic -----------------------------------------------------------------------------


def add_traffic(world: World, profile: dict[str, Any]) -> None:
    """Register a steady customer of a model: {model, start, stop?, daily_requests, prompt_tokens, ...}."""
    traffic = world.db.meta("traffic", [])
    traffic.append(profile)
    world.db.set_meta("traffic", traffic)


def next_due(world: World, now: float) -> float:
    """When the next minute of traffic appears (infinity without traffic)."""
    if not world.db.meta("traffic"):
        return math.inf
    return int(now) // 60 * 60 + 60


def materialize(world: World, until: float) -> None:
    """Write the traffic of every minute up to and including the one containing `until`."""
    traffic = world.db.meta("traffic")
    if not traffic:
        return
    target = int(until) // 60 * 60 + 60
    done = world.db.meta("usage_until")
    if done is None:
        done = min(int(p["start"]) for p in traffic) // 3600 * 3600
    if target <= done:
        return
    rows = []
    for profile in traffic:
        low = max(done, int(profile["start"]))
        high = min(target, int(profile["stop"])) if profile.get("stop") else target
        for hour in range(low // 3600 * 3600, high, 3600):
            for row in hour_plan(profile, hour):
                if low <= row[0] < high:
                    rows.append(row)
    world.db.conn.executemany(
        "INSERT INTO usage(minute, model, project_id, user_id, api_key_id, batch, service_tier, input_tokens, "
        "input_cached_tokens, output_tokens, requests) VALUES(?, ?, ?, ?, ?, ?, 'default', ?, ?, ?, ?)",
        rows,
    )
    world.db.set_meta("usage_until", target)


def hour_plan(profile: dict[str, Any], hour: int) -> list[tuple[Any, ...]]:
    """The usage rows of one profile in one hour (deterministic: seeded by profile and hour)."""
    rng = random.Random(int(profile["seed"]) * 1_000_003 + hour // 3600)
    day = hour // 86400
    hour_of_day = hour % 86400 // 3600
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
    age_days = max(0.0, (hour - profile["start"]) / 86400)
    growth = 1.0 + profile.get("growth", 0.0) * min(age_days, 365) / 90
    expected = (
        profile["daily_requests"]
        * WEEKDAY_FACTOR[weekday]
        * HOURLY_SHARE[hour_of_day]
        * growth
        * (0.7 + 0.6 * rng.random())
    )
    count = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
    key = (profile["model"], profile["project_id"], profile["user_id"], profile["api_key_id"])
    rows: list[tuple[Any, ...]] = []
    if count:
        slots = min(count, 1 + int(4 * rng.random()))
        minutes = sorted({int(60 * rng.random()) for _ in range(slots)})
        for position, minute in enumerate(minutes):
            requests = count // len(minutes) + (1 if position < count % len(minutes) else 0)
            rows.append(_row(profile, key, hour + minute * 60, requests, rng, batch=False))
    every = profile.get("batch_every_days") or 0
    if every and day % every == 0 and hour_of_day == 2:
        rows.append(_row(profile, key, hour + 7 * 60, int(profile["batch_requests"]), rng, batch=True))
    return rows


def _row(
    profile: dict[str, Any], key: tuple[str, ...], minute: int, requests: int, rng: random.Random, *, batch: bool
) -> tuple[Any, ...]:
    prompt = int(requests * profile["prompt_tokens"] * (0.8 + 0.4 * rng.random()))
    cached_share = 0.0 if batch else profile.get("cached_share", 0.0)
    cached = min(prompt, int(prompt * cached_share * (0.6 + 0.5 * rng.random())))
    output = int(requests * profile["completion_tokens"] * (0.7 + 0.6 * rng.random()))
    model, project_id, user_id, api_key_id = key
    return (minute, model, project_id, user_id, api_key_id, int(batch), prompt, cached, output, requests)


# --- the usage API ----------------------------------------------------------------------------------


def bucket_range(start: int, end: int, width: int) -> tuple[int, int]:
    """First and one-past-last bucket index covering [start, end); buckets sit on UTC multiples of width."""
    return start // width, -(-end // width)


def completions(
    world: World,
    *,
    start: int,
    end: int,
    width: int,
    first_bucket: int,
    last_bucket: int,
    group_by: list[str],
    filters: dict[str, Any],
) -> list[dict[str, Any]]:
    """Buckets [first_bucket, last_bucket) with one result per group that had usage (none when empty)."""
    columns = [c for c in GROUP_COLUMNS if c in group_by]
    where = ["minute >= ?", "minute < ?"]
    params: list[Any] = [max(start, first_bucket * width), min(end, last_bucket * width)]
    for name, column in (("models", "model"), ("project_ids", "project_id"), ("user_ids", "user_id"),
                         ("api_key_ids", "api_key_id")):  # fmt: skip
        values = filters.get(name)
        if values:
            where.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    if filters.get("batch") is not None:
        where.append("batch = ?")
        params.append(int(filters["batch"]))
    select = ", ".join(["minute / ? AS bucket", *columns])
    group = ", ".join(["bucket", *columns])
    rows = world.db.all(
        f"SELECT {select}, SUM(input_tokens), SUM(input_cached_tokens), SUM(output_tokens), SUM(requests) "
        f"FROM usage WHERE {' AND '.join(where)} GROUP BY {group} ORDER BY {group}",
        [width, *params],
    )
    results: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        bucket, grouped, sums = (
            row[0],
            dict(zip(columns, row[1 : 1 + len(columns)], strict=True)),
            row[1 + len(columns) :],
        )
        results.setdefault(bucket, []).append(_result(grouped, sums, group_by))
    return [
        {
            "object": "bucket",
            "start_time": index * width,
            "end_time": (index + 1) * width,
            "results": results.get(index, []),
        }
        for index in range(first_bucket, last_bucket)
    ]


def _result(grouped: dict[str, Any], sums: tuple[int, ...], group_by: list[str]) -> dict[str, Any]:
    input_tokens, cached, output, requests = sums
    result: dict[str, Any] = {
        "object": "organization.usage.completions.result",
        "input_tokens": input_tokens,
        "output_tokens": output,
        "input_cached_tokens": cached,
        "input_uncached_tokens": input_tokens - cached,
        "input_audio_tokens": 0,
        "output_audio_tokens": 0,
        "num_model_requests": requests,
    }
    for name in GROUP_FIELDS:
        result[name] = None
    for name, value in grouped.items():
        result[name] = bool(value) if name == "batch" else value
    if "api_source" in group_by:
        result["api_source"] = "unlabeled"
    return result


def all_rows(world: World) -> list[dict[str, Any]]:
    """Every usage row, in time order (for snapshots)."""
    names = ("minute", *GROUP_COLUMNS, "input_tokens", "input_cached_tokens", "output_tokens", "requests")
    rows = world.db.all(
        f"SELECT {', '.join(names)} FROM usage ORDER BY minute, model, project_id, user_id, api_key_id, batch"
    )
    return [{**dict(zip(names, row, strict=True)), "batch": bool(row[5])} for row in rows]
