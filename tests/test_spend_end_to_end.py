"""Spend, end to end: the emulator's demo account synced over HTTP, every figure recomputed here from the raw data.

The recomputation in this file is deliberately naive and shares no code with finetop: it reads the
price CSV with the csv module, the usage rows per minute from the emulator's own state
(`control.snapshot()`), the jobs as the API returns them, and the reinforcement job's billed hours
from the costs API's raw line item. It prices training at the job's creation day and usage at each
UTC day, exactly as docs/pricing-and-data.md says, and must agree with finetop to the cent.

Documented differences with the costs API (the only ones allowed):
- a cancelled job: the service bills the tokens trained before cancelling, but the API reports no
  trained_tokens for it, so finetop's figure is "unknown" (the cross-check line is "incomplete").
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from store.spend_report import check_status, ledger_for, summarize_cross_check
from tests.fixtures.app import FROZEN_NOW

PRICES = Path(__file__).resolve().parents[1] / "store" / "data" / "prices.csv"
CENT = Decimal("0.01")
MILLION = Decimal(1_000_000)


def day_of(timestamp: float) -> date:
    return datetime.fromtimestamp(timestamp, UTC).date()


def read_prices() -> dict[tuple[str, str], list[tuple[date, Decimal]]]:
    table: dict[tuple[str, str], list[tuple[date, Decimal]]] = defaultdict(list)
    with PRICES.open(encoding="utf-8") as handle:
        for row in csv.DictReader(line for line in handle if line.strip() and not line.startswith("#")):
            table[(row["model"], row["kind"])].append((date.fromisoformat(row["effective_from"]), Decimal(row["usd"])))
    return table


def base_of(model: str) -> str:
    """ "ft:gpt-4o-mini-2024-07-18:org:suffix:id" -> "gpt-4o-mini-2024-07-18"; gpt-3.5-turbo snapshots share one row."""
    base = model.split(":")[1] if model.startswith("ft:") else model
    return "gpt-3.5-turbo" if base.startswith("gpt-3.5-turbo") else base


class Prices:
    def __init__(self) -> None:
        self.table = read_prices()

    def on(self, model: str, kind: str, day: date) -> Decimal | None:
        rows = [usd for start, usd in self.table.get((base_of(model), kind), []) if start <= day]
        return rows[-1] if rows else None  # the CSV lists each model's kind oldest first

    def token_price(self, model: str, kind: str, day: date) -> Decimal:
        price = self.on(model, kind, day)
        if price is None and kind.endswith("cached_input"):  # before caching had a price: the full input price
            price = self.on(model, kind.replace("cached_input", "input"), day)
        assert price is not None, f"no {kind} price for {model} on {day}"
        return price


def independent_usage(snapshot: dict, prices: Prices) -> dict[str, Decimal]:
    """Usage cost per model from the emulator's per-minute usage rows, summed per UTC day, priced per day."""
    per_day: dict[tuple[str, date, bool], list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in snapshot["usage"]:
        sums = per_day[(row["model"], day_of(row["minute"]), row["batch"])]
        sums[0] += row["input_tokens"]
        sums[1] += row["input_cached_tokens"]
        sums[2] += row["output_tokens"]
    cost: dict[str, Decimal] = defaultdict(Decimal)
    for (model, day, batch), (input_tokens, cached, output) in per_day.items():
        prefix = "batch_" if batch else ""
        amount = (
            (input_tokens - cached) * prices.token_price(model, f"{prefix}input", day)
            + cached * prices.token_price(model, f"{prefix}cached_input", day)
            + output * prices.token_price(model, f"{prefix}output", day)
        ) / MILLION
        cost[model] += amount
    return cost


def independent_training(job: dict, prices: Prices, hours_billed: dict[tuple[date, str], Decimal]) -> Decimal:
    created = day_of(job["created_at"])
    if job["method"]["type"] == "reinforcement":
        hours = hours_billed[(day_of(job["finished_at"]), base_of(job["model"]))]
        return hours * prices.on(job["model"], "training", created)
    return job["trained_tokens"] * prices.on(job["model"], "training", created) / MILLION


def test_every_models_spend_equals_an_independent_computation_to_the_cent(make_world):
    world = make_world("demo")
    snapshot = world.emulator.control.snapshot()
    ledger = ledger_for(world.backend, today=day_of(FROZEN_NOW), now=FROZEN_NOW)
    prices = Prices()

    assert ledger.usage_available
    # The reinforcement job's billed hours, as the costs API itemised them (raw JSON, as the API sent it).
    hours_billed = {
        (day_of(line.start_time), line.line_item.split(",")[0].removeprefix("ft-")): Decimal(str(line.raw["quantity"]))
        for line in world.backend.cache.costs()
        if line.line_item and line.line_item.endswith(", training") and line.raw["quantity_unit"] == "duration_hours"
    }
    usage = independent_usage(snapshot, prices)
    finished = [job for job in snapshot["jobs"] if job["status"] == "succeeded" and job["fine_tuned_model"]]
    assert len(finished) == 7

    rows = {row.model: row for row in ledger.rolled_up() if row.model}
    report = []
    for job in finished:
        model = job["fine_tuned_model"]
        training = independent_training(job, prices, hours_billed)
        # A checkpoint's usage belongs to the model it was taken from.
        model_usage = sum((cost for name, cost in usage.items() if name.split(":ckpt-step-")[0] == model), Decimal())
        row = rows[model]
        assert row.training.amount.quantize(CENT) == training.quantize(CENT), model
        assert row.usage.amount.quantize(CENT) == model_usage.quantize(CENT), model
        assert row.total.complete and not row.total.estimate and not row.total.upper_bound
        assert row.total.amount.quantize(CENT) == (training + model_usage).quantize(CENT), model
        report.append(f"{model}: training {training:.2f} + usage {model_usage:.2f} = {training + model_usage:.2f}")
    print("\n".join(report))

    # Every usage row belongs to a model of the demo, and the profile's usage is the sum of them.
    assert ledger.usage.amount.quantize(CENT) == sum(usage.values(), Decimal()).quantize(CENT)
    print(f"profile usage {ledger.usage.amount:.2f}, training {ledger.training.amount:.2f} (+ unknown)")


def test_jobs_that_made_no_model_are_zero_or_unknown_never_guessed(make_world):
    world = make_world("demo")
    ledger = ledger_for(world.backend, today=day_of(FROZEN_NOW), now=FROZEN_NOW)
    jobs = {row.job.status: row for row in ledger.rows if row.job and not row.model}

    assert jobs["failed"].training.amount == 0  # failed before training: not billed
    assert jobs["cancelled"].training.label() == "unknown"  # billed for progress the API does not report
    for status in ("running", "queued", "validating_files", "paused"):
        # Sync archived the active jobs' training files: an estimate from their tokens, labelled as one.
        assert jobs[status].training.estimate and jobs[status].training.label().startswith("≈$"), status
    assert not ledger.training.complete and ledger.total.label().endswith(" + ?")


def test_the_cross_check_matches_the_costs_api_except_where_documented(make_world):
    world = make_world("demo")
    snapshot = world.emulator.control.snapshot()
    ledger = ledger_for(world.backend, today=day_of(FROZEN_NOW), now=FROZEN_NOW)

    statuses = {(line.day, line.line_item): check_status(line) for line in ledger.cross_check}
    unmatched = {key: status for key, status in statuses.items() if status not in (None, "match")}
    cancelled = [job for job in snapshot["jobs"] if job["status"] == "cancelled"]
    documented = {
        (day_of(job["finished_at"]), f"ft-{base_of(job['model'])}, training"): "incomplete" for job in cancelled
    }
    assert unmatched == documented

    summary = summarize_cross_check(ledger.cross_check)
    billed_for_cancelled = sum(
        (line.billed for line in ledger.cross_check if (line.day, line.line_item) in documented), Decimal()
    )
    assert billed_for_cancelled > 0
    # Everything else the costs API billed, finetop computed to the cent.
    assert (summary.billed_total - billed_for_cancelled).quantize(CENT) == summary.computed_total.quantize(CENT)
    print(
        f"cross-check: {summary.describe()}; costs API {summary.billed_total:.2f}, finetop "
        f"{summary.computed_total:.2f}, cancelled job billed {billed_for_cancelled:.4f}"
    )
