"""The costs API: what the emulator itself served and trained, priced with the rows in force each day.

Line items are named "ft-<base model>, <kind>" (kinds: input, cached input, output,
batch input, batch output, training). Inference is billed on the usage bucket's day;
training on the day the job finished (or was cancelled): trained tokens x the
training price, or for reinforcement the billed hours x the hourly price.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from emulator import catalog, pricing

if TYPE_CHECKING:
    from emulator.world import World

DAY = 86400
MILLION = Decimal(1_000_000)
HOUR = Decimal(3600)
COST_GROUPS = ("project_id", "line_item", "api_key_id")
_SDK_ONLY_GROUPS = ("user_id", "api_source")


@functools.cache
def _price(model: str, kind: str, day: date) -> Decimal | None:
    return pricing.token_price(model, kind, day)


def _day(index: int) -> date:
    return datetime.fromtimestamp(index * DAY, UTC).date()


def line_items(world: World, *, low: int, high: int) -> dict[int, list[dict[str, Any]]]:
    """Every billed line in [low, high), by day index: {line_item, project_id, api_key_id, quantity, unit, amount}."""
    lines: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = world.db.all(
        "SELECT minute / ? AS day, model, batch, project_id, api_key_id, SUM(input_tokens), SUM(input_cached_tokens), "
        "SUM(output_tokens) FROM usage WHERE minute >= ? AND minute < ? "
        "GROUP BY day, model, batch, project_id, api_key_id ORDER BY day, model, batch, project_id, api_key_id",
        (DAY, low, high),
    )
    for day_index, model, batch, project_id, api_key_id, input_tokens, cached, output in rows:
        base = catalog.base_of(model)
        if base is None:
            continue  # no price for it: never guess
        day, prefix = _day(day_index), f"ft-{base.snapshot}"
        if batch:
            parts = [
                ("batch input", "batch_input", input_tokens - cached),
                ("batch input", "batch_cached_input", cached),
                ("batch output", "batch_output", output),
            ]
        else:
            parts = [
                ("input", "input", input_tokens - cached),
                ("cached input", "cached_input", cached),
                ("output", "output", output),
            ]
        for label, kind, quantity in parts:
            price = _price(base.price_model, kind, day)
            if price is None or quantity == 0:
                continue
            lines[day_index].append(
                {
                    "line_item": f"{prefix}, {label}",
                    "project_id": project_id,
                    "api_key_id": api_key_id,
                    "quantity": quantity,
                    "unit": "tokens",
                    "amount": Decimal(quantity) * price / MILLION,
                }
            )
    for day_index, line in _training_lines(world, low, high):
        lines[day_index].append(line)
    return lines


def _training_lines(world: World, low: int, high: int) -> list[tuple[int, dict[str, Any]]]:
    found = []
    rows = world.db.all(
        "SELECT body FROM jobs WHERE status IN ('succeeded', 'cancelled') "
        "AND json_extract(body, '$.finished_at') >= ? AND json_extract(body, '$.finished_at') < ?",
        (low, high),
    )
    for (body,) in rows:
        job = json.loads(body)
        base = catalog.resolve(job["model"])
        sim = job["sim"]
        if base is None or not sim.get("started"):
            continue
        day_index = job["finished_at"] // DAY
        row = pricing.price_row(base.price_model, "training", _day(day_index))
        if row is None:
            continue
        if row.unit == "per_hour":
            quantity: Decimal | int = Decimal(str(round(sim["run_seconds"], 3))) / HOUR
            unit, amount = "duration_hours", quantity * row.usd
        else:
            quantity = sim["trained_tokens"] * sim["step"] // max(sim["total_steps"], 1)
            unit, amount = "tokens", Decimal(quantity) * row.usd / MILLION
        if quantity:
            line = {
                "line_item": f"ft-{base.snapshot}, training",
                "project_id": "proj_default",
                "api_key_id": None,
                "quantity": quantity,
                "unit": unit,
                "amount": amount,
            }
            found.append((day_index, line))
    return found


def costs(
    world: World,
    *,
    start: int,
    end: int,
    first_bucket: int,
    last_bucket: int,
    group_by: list[str],
    filters: dict[str, Any],
) -> list[dict[str, Any]]:
    low, high = max(start, first_bucket * DAY), min(end, last_bucket * DAY)
    by_day = line_items(world, low=low, high=high) if low < high else {}
    keys = [g for g in (*COST_GROUPS, *_SDK_ONLY_GROUPS) if g in group_by]
    buckets = []
    for index in range(first_bucket, last_bucket):
        groups: dict[tuple[Any, ...], dict[str, Any]] = {}
        for line in by_day.get(index, []):
            if not _passes(line, filters):
                continue
            group_key = tuple(line.get(k) if k in COST_GROUPS else None for k in keys)
            group = groups.setdefault(group_key, {"amount": Decimal(0), "quantity": Decimal(0), "unit": line["unit"]})
            group["amount"] += line["amount"]
            group["quantity"] += Decimal(line["quantity"])
        results = [
            _result(dict(zip(keys, key, strict=True)), total, group_by)
            for key, total in sorted(groups.items(), key=_order)
        ]
        buckets.append(
            {"object": "bucket", "start_time": index * DAY, "end_time": (index + 1) * DAY, "results": results}
        )
    return buckets


def _order(item: tuple[tuple[Any, ...], dict[str, Any]]) -> tuple[str, ...]:
    return tuple("" if value is None else str(value) for value in item[0])


def _passes(line: dict[str, Any], filters: dict[str, Any]) -> bool:
    for name, field in (("project_ids", "project_id"), ("api_key_ids", "api_key_id"), ("line_items", "line_item")):
        allowed = filters.get(name)
        if allowed and line[field] not in allowed:
            return False
    return True


def _result(grouped: dict[str, Any], total: dict[str, Any], group_by: list[str]) -> dict[str, Any]:
    by_line = "line_item" in group_by
    result: dict[str, Any] = {
        "object": "organization.costs.result",
        "amount": {"value": float(total["amount"]), "currency": "usd"},
        "line_item": None,
        "project_id": None,
        "api_key_id": None,
        "quantity": float(total["quantity"]) if by_line else None,
        "quantity_unit": total["unit"] if by_line else None,
    }
    for name, value in grouped.items():
        result[name] = value
    if "api_source" in group_by:
        result["api_source"] = "unlabeled"
    return result
